"""Colour: the palette (k-means in CIELAB), its names and shares, harmony, colourfulness,
brightness, contrast and saturation, and a swatch picture.

- Palette: k-means (Lloyd 1982) with k-means++ seeding (Arthur & Vassilvitskii 2007)
  on at most `SAMPLE` pixels in CIELAB, where Euclidean distance is roughly
  perceptual; a picture with fewer distinct colours than `k` gets those colours.
- Colourfulness: Hasler & Suesstrunk 2003, "Measuring colourfulness in natural
  images" (SPIE 5007): M = sigma_rgyb + 0.3 mu_rgyb on rg = R - G, yb = (R + G)/2 - B,
  with their seven words ("not" ... "extremely colourful") at the midpoints of
  their category values (0, 15, 33, 45, 59, 82, 109).
- Contrast: RMS contrast (std of L*/100, Peli 1990) and the 5-95% L* range.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .colournames import colour_name
from .harmony import MIN_CHROMA, Harmony, harmony
from .prepare import Prepared
from .results import PICTURE, jsonable

SAMPLE = 20_000  # pixels k-means sees: plenty for 6 centres, and fast
ITERATIONS = 30
SEED = 0
COLOURFULNESS_WORDS = (  # (upper bound of M, words), Hasler & Suesstrunk 2003 Table 2
    (7.5, "not colourful"), (24.0, "slightly colourful"), (39.0, "moderately colourful"),
    (52.0, "averagely colourful"), (70.5, "quite colourful"), (95.5, "highly colourful"),
    (float("inf"), "extremely colourful"),
)


@dataclass(frozen=True)
class PaletteColour:
    hex: str
    rgb: tuple[int, int, int]
    lab: tuple[float, float, float]
    name: str
    proportion: float


@dataclass(frozen=True)
class ColourReport:
    palette: tuple[PaletteColour, ...]
    harmony: Harmony
    colourfulness: float
    colourfulness_words: str
    brightness_mean: float  # CIELAB L*, 0..100
    brightness_std: float
    contrast_rms: float  # std of L*/100
    contrast_range: float  # L* 95th minus 5th percentile
    saturation_mean: float  # CIELAB chroma
    saturation_std: float
    saturation_p90: float
    warm_fraction: float  # of the chromatic pixels, the share with warm hues (red to yellow)
    swatch: Image.Image | None = dataclasses.field(
        default=None, repr=False, compare=False, metadata=PICTURE)

    def to_json(self) -> dict:
        return jsonable(self)


def kmeans(points: np.ndarray, k: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(centres (k, d), labels (n,)) by Lloyd's iterations from k-means++ seeds."""
    rng = np.random.default_rng(seed)
    centres = [points[rng.integers(len(points))]]
    closest = ((points - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        total = closest.sum()
        if total <= 0:
            break
        centres.append(points[rng.choice(len(points), p=closest / total)])
        closest = np.minimum(closest, ((points - centres[-1]) ** 2).sum(1))
    c = np.array(centres, np.float64)
    labels = np.zeros(len(points), np.int64)
    squares = (points**2).sum(1)[:, None]
    for step in range(ITERATIONS):
        new = (squares - 2 * points @ c.T + (c**2).sum(1)[None, :]).argmin(1)
        if step and np.array_equal(new, labels):
            break
        labels = new
        counts = np.bincount(labels, minlength=len(c))
        sums = np.stack([np.bincount(labels, weights=points[:, i], minlength=len(c))
                         for i in range(points.shape[1])], axis=1)
        filled = counts > 0
        c[filled] = sums[filled] / counts[filled, None]
    return c, labels


def _lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    import cv2

    rgb = cv2.cvtColor(np.asarray(lab, np.float32).reshape(1, -1, 3), cv2.COLOR_Lab2RGB)
    return np.clip(np.rint(rgb.reshape(-1, 3) * 255), 0, 255).astype(np.int64)


def palette(prep: Prepared, k: int = 6) -> tuple[PaletteColour, ...]:
    """The `k` main colours (fewer for a picture with fewer), largest share first."""
    pixels = prep.lab.reshape(-1, 3).astype(np.float64)
    rgb = prep.rgb.reshape(-1, 3)
    codes = (rgb.astype(np.int64) * np.array([65536, 256, 1])).sum(1)
    # Few distinct colours (a flat or posterised picture): those are the palette.
    small = np.unique(codes[:: max(1, len(codes) // 4096)])
    if len(small) <= k and len(np.unique(codes)) <= k:
        _, first, sample_labels = np.unique(codes, return_index=True, return_inverse=True)
        centres = pixels[first]
    else:
        rng = np.random.default_rng(SEED)
        sample = pixels if len(pixels) <= SAMPLE else pixels[rng.choice(len(pixels), SAMPLE,
                                                                        replace=False)]
        centres, sample_labels = kmeans(sample, k)
    shares = np.bincount(sample_labels, minlength=len(centres)) / len(sample_labels)
    colours = []
    for j in np.argsort(-shares, kind="stable"):
        if shares[j] == 0:
            continue
        r, g, b = (int(v) for v in _lab_to_rgb(centres[j])[0])
        colours.append(PaletteColour(
            hex=f"#{r:02x}{g:02x}{b:02x}", rgb=(r, g, b),
            lab=tuple(float(v) for v in centres[j]), name=colour_name(centres[j]),
            proportion=float(shares[j])))
    return tuple(colours)


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk's M of an (H, W, 3) uint8 sRGB picture."""
    x = rgb.reshape(-1, 3).astype(np.float64)
    rg = x[:, 0] - x[:, 1]
    yb = 0.5 * (x[:, 0] + x[:, 1]) - x[:, 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def colourfulness_words(m: float) -> str:
    return next(words for bound, words in COLOURFULNESS_WORDS if m < bound)


def _warm_fraction(lab: np.ndarray) -> float:
    a, b = lab[..., 1].ravel(), lab[..., 2].ravel()
    chroma = np.hypot(a, b)
    hue = np.degrees(np.arctan2(b, a)) % 360
    chromatic = chroma >= MIN_CHROMA
    if not chromatic.any():
        return 0.0
    # CIELAB hue 0 is magenta-red, 90 yellow: warm from crimson (330) to yellow (100).
    warm = (hue >= 330) | (hue < 100)
    return float((warm & chromatic).sum() / chromatic.sum())


def swatch_image(colours: tuple[PaletteColour, ...], width: int = 960) -> Image.Image:
    """A bar of the palette in proportion, each colour's name, hex and share below it."""
    bar_h, text_h = 90, 54
    image = Image.new("RGB", (width, bar_h + text_h), (250, 248, 244))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    small = ImageFont.load_default(size=11)
    x = 0.0
    for i, c in enumerate(colours):
        w = c.proportion * width if i < len(colours) - 1 else width - x
        draw.rectangle([round(x), 0, round(x + w), bar_h], fill=c.rgb)
        x += w
    # Labels go in equal columns (a 2% colour still gets a readable label) with a chip.
    col = width / max(len(colours), 1)
    for i, c in enumerate(colours):
        left = round(i * col) + 6
        draw.rectangle([left, bar_h + 8, left + 12, bar_h + 20], fill=c.rgb, outline=(90, 90, 90))
        draw.text((left + 18, bar_h + 6), c.name, fill=(30, 30, 30), font=font)
        draw.text((left + 18, bar_h + 26), f"{c.hex}  {c.proportion * 100:.0f}%",
                  fill=(90, 90, 90), font=small)
    return image


def analyse_colour(prep: Prepared, k: int = 6) -> ColourReport:
    """Every colour figure of a prepared picture, with its swatch."""
    colours = palette(prep, k)
    lightness = prep.lab[..., 0]
    chroma = np.hypot(prep.lab[..., 1], prep.lab[..., 2])
    m = colourfulness(prep.rgb)
    return ColourReport(
        palette=colours,
        harmony=harmony(prep.lab),
        colourfulness=m,
        colourfulness_words=colourfulness_words(m),
        brightness_mean=float(lightness.mean()),
        brightness_std=float(lightness.std()),
        contrast_rms=float(lightness.std() / 100.0),
        contrast_range=float(np.percentile(lightness, 95) - np.percentile(lightness, 5)),
        saturation_mean=float(chroma.mean()),
        saturation_std=float(chroma.std()),
        saturation_p90=float(np.percentile(chroma, 90)),
        warm_fraction=_warm_fraction(prep.lab),
        swatch=swatch_image(colours),
    )
