"""The three verbs phase 2 wires to `studiolo damage`, `studiolo restore` and `studiolo age`.

Each takes a path (or bytes, or an array), does its work, writes what was asked, and
returns a frozen result with `to_json()` (what `--json` prints). They raise only
studiolo's own errors, each one sentence.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.features.cielab import ciede2000

from . import ageing, cleanup, colour, report
from .colourspace import rgb_to_lab
from .detect import DamageMap, DamageOptions, KindSummary, detect_damage
from .fill import FillResult, Inpainter, fill
from .inputs import Scan, read_mask, read_scan
from .kinds import KINDS
from .stains import reduce_stains
from .stains import split_spots as reduce_stains_split

Source = str | Path | bytes | np.ndarray


def _save(image: np.ndarray | Image.Image, path: Path, **kwargs) -> Path:
    """Write through a temporary name and rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    pil = image if isinstance(image, Image.Image) else Image.fromarray(image)
    pil.save(tmp, format=kwargs.pop("format", None) or _format(path), **kwargs)
    tmp.replace(path)
    return path


def _format(path: Path) -> str:
    ext = path.suffix.lower()
    known = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF",
             ".webp": "WEBP", ".gif": "GIF"}
    if ext not in known:
        raise InvalidArgument(
            f"`out` must end in one of {', '.join(sorted(known))}, got {str(path)!r}.")
    return known[ext]


# -- damage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DamageResult:
    image: str
    size: tuple[int, int]
    method: str
    kinds: tuple[KindSummary, ...]
    notes: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    damage: DamageMap | None = None  # the maps themselves (not in the JSON)

    def to_json(self) -> dict:
        return {"image": self.image, "size": list(self.size), "method": self.method,
                "kinds": [k.to_json() for k in self.kinds], "notes": list(self.notes),
                "files": self.files, "seconds": round(self.seconds, 3)}


def damage(image: Source, out: str | Path | None = None, options: DamageOptions | None = None,
           progress: ProgressCallback = no_progress, name: str | None = None) -> DamageResult:
    """Detect damage; with `out`, write OUT/<kind>.png (white = damage, the image's size).
    `name`: what messages and the report call the image (default: its file's name)."""
    started = time.perf_counter()
    scan = read_scan(image, name)
    result = detect_damage(scan.pixels, options, scan.opaque, scan.name, progress)
    files = {}
    if out is not None:
        for kind in KINDS:
            files[kind] = str(_save(result.mask(kind).astype(np.uint8) * 255,
                                    Path(out) / f"{kind}.png"))
    return DamageResult(scan.name, scan.size, result.method, tuple(result.summary()),
                        scan.notes + result.notes, files, time.perf_counter() - started, result)


# -- restore -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    image: str
    size: tuple[int, int]
    mask_source: str
    fill: FillResult | None
    damage: DamageResult | None
    colour: colour.ColourCorrection | None
    colour_change: float
    notes: tuple[str, ...]
    out: str | None
    report: str | None
    seconds: dict[str, float]
    restored: np.ndarray | None = None  # the pixels (not in the JSON)

    def to_json(self) -> dict:
        return {"image": self.image, "size": list(self.size), "mask_source": self.mask_source,
                "fill": self.fill.to_json() if self.fill else None,
                "damage": self.damage.to_json() if self.damage else None,
                "colour": self.colour.to_json() if self.colour else None,
                "colour_change": round(self.colour_change, 3), "notes": list(self.notes),
                "out": self.out, "report": self.report,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


def _apply_colour(pixels: np.ndarray, correction: colour.ColourCorrection) -> np.ndarray:
    out = np.empty_like(pixels)
    for y in range(0, pixels.shape[0], 512):  # row bands: no full-size float image
        out[y:y + 512] = colour.apply(pixels[y:y + 512], correction)
    return out


def _mean_delta_e(a: np.ndarray, b: np.ndarray) -> float:
    return float(ciede2000(rgb_to_lab(colour.thumbnail(a, 512)),
                           rgb_to_lab(colour.thumbnail(b, 512))).mean())


def restore(image: Source, mask: Source | None = None, method: str = "auto",
            colour_correction: bool = False, strength: float = 1.0,
            reference: tuple[int, int, int, int] | None = None, denoise: float | None = None,
            out: str | Path | None = None, report_path: str | Path | None = None,
            options: DamageOptions | None = None, diffusion: Inpainter | None = None,
            seed: int = 0, progress: ProgressCallback = no_progress,
            name: str | None = None) -> RestoreResult:
    """Fill the given `mask` (or the detected damage), optionally correct colour and
    denoise, write `out` and an HTML report at `report_path`."""
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    scan: Scan = read_scan(image, name)
    notes = list(scan.notes)
    damage_result = None
    big_stains = None
    if mask is not None:
        wanted = read_mask(mask, scan.size, scan.name)
        masks = {"mask": wanted}
        source = "the mask given"
    else:
        damage_result = damage(scan.pixels if scan.opaque is None else image, None, options,
                               progress, scan.name)
        notes.extend(n for n in damage_result.notes if n not in notes)
        dm = damage_result.damage
        # A stain is a tint over paint that is still there: big ones are divided out, not
        # painted over (stains.py); foxing spots are too small to tell tint from paint.
        spots, big_stains = reduce_stains_split(dm.mask("stains"))
        found = spots
        for kind in ("cracks", "scratches", "losses", "tears"):
            found = found | dm.mask(kind)
        # Detected edges are anti-aliased: one more pixel round each takes the fringe too.
        wanted = cv2.dilate(found.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        if scan.opaque is not None:
            wanted &= scan.opaque
        if wanted.mean() > 0.99:
            raise InvalidArgument(
                f"The detected damage covers {wanted.mean() * 100:.1f}% of {scan.name}, leaving "
                "nothing to fill from; raise the detection thresholds or give a --mask."
            )
        masks = {k: damage_result.damage.mask(k) for k in KINDS}
        source = f"detected ({damage_result.method})"
    seconds["read+detect"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    filled = None
    pixels = scan.pixels
    if wanted.any():
        filled = fill(pixels, wanted, method, diffusion, seed, progress)
        pixels = filled.image
    else:
        notes.append("Nothing was filled: the mask is empty." if mask is not None
                     else "Nothing was filled: no damage was found.")
    if big_stains is not None and big_stains.any():
        pixels, treated = reduce_stains(pixels, big_stains, wanted)
        notes.append(f"Stains whose tint was divided out instead of painted over: {treated}.")
    seconds["fill"] = time.perf_counter() - t0
    correction, change = None, 0.0
    if colour_correction:
        t0 = time.perf_counter()
        if scan.grayscale:
            notes.append("Colour correction was skipped: the scan is grayscale.")
        else:
            correction = colour.estimate(pixels, strength, reference)
            corrected = _apply_colour(pixels, correction)
            change = _mean_delta_e(pixels, corrected)
            pixels = corrected
        seconds["colour"] = time.perf_counter() - t0
    if denoise is not None:
        t0 = time.perf_counter()
        pixels = cleanup.denoise(pixels, denoise)
        seconds["denoise"] = time.perf_counter() - t0
    written = str(_save(pixels, Path(out))) if out is not None else None
    report_file = None
    if report_path is not None:
        t0 = time.perf_counter()
        numbers = {"damaged pixels filled": f"{int(wanted.sum())}",
                   "share of the picture": f"{wanted.mean() * 100:.3f}%"}
        numbers.update({f"seconds ({k})": f"{v:.2f}" for k, v in seconds.items()})
        report_file = str(report.write(report.ReportInputs(
            name=scan.name, before=scan.pixels, after=pixels, masks=masks,
            damage_source=f"Damage: {source}.",
            kinds=list(damage_result.kinds) if damage_result else [], fill=filled,
            colour=correction, colour_change=change, numbers=numbers, notes=tuple(notes)),
            Path(report_path)))
        seconds["report"] = time.perf_counter() - t0
    return RestoreResult(scan.name, scan.size, source, filled, damage_result, correction,
                         change, tuple(notes), written, report_file, seconds, pixels)


# -- age ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeResult:
    image: str
    conditions: ageing.Conditions
    states: tuple[ageing.AgeState, ...]
    gif: str | None
    contact_sheet: str | None
    notes: tuple[str, ...]
    frames: tuple[np.ndarray, ...] = ()  # the pixels (not in the JSON)

    def to_json(self) -> dict:
        return {"image": self.image, "conditions": self.conditions.model_dump(),
                "frames": [s.to_json() for s in self.states], "gif": self.gif,
                "contact_sheet": self.contact_sheet, "notes": list(self.notes)}


def contact_sheet(frames: list[np.ndarray], states: list[ageing.AgeState],
                  columns: int = 3, side: int = 320) -> Image.Image:
    """The frames in a grid, each captioned with its age and change."""
    thumbs = [Image.fromarray(colour.thumbnail(f, side)) for f in frames]
    tw, th = max(t.width for t in thumbs), max(t.height for t in thumbs)
    rows = -(-len(thumbs) // columns)
    sheet = Image.new("RGB", (columns * (tw + 10) + 10, rows * (th + 34) + 10), (250, 248, 243))
    draw = ImageDraw.Draw(sheet)
    for i, (thumb, st) in enumerate(zip(thumbs, states, strict=True)):
        x, y = 10 + (i % columns) * (tw + 10), 10 + (i // columns) * (th + 34)
        sheet.paste(thumb, (x, y))
        draw.text((x, y + thumb.height + 4),
                  f"{st.years:.0f} years  dE00 {st.delta_e:.1f}  varnish {st.varnish:.2f}",
                  fill=(40, 40, 40))
        draw.text((x, y + thumb.height + 17),
                  f"colour left {st.colour_left * 100:.0f}%  cracks {st.cracks * 100:.0f}%  "
                  f"dust {st.dust * 100:.1f}%", fill=(90, 90, 90))
    return sheet


def age(image: Source, years: float, lux: float = 150.0, out: str | Path | None = None,
        progress: ProgressCallback = no_progress, **conditions) -> AgeResult:
    """Simulate `years` of ageing under `lux` (and the other `ageing.Conditions`); with
    `out`, write OUT/ageing.gif and OUT/contact-sheet.png."""
    from pydantic import ValidationError

    try:
        cond = ageing.Conditions(years=years, lux=lux, **conditions)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidArgument(
            f"`{where}` {first['msg'].lower()}, got {first.get('input')!r}.") from None
    scan = read_scan(image)
    frames, states = ageing.simulate(scan.pixels, cond)
    progress({"stage": "age", "step": len(frames), "total": len(frames), "preview": None,
              "message": None})
    gif = sheet = None
    if out is not None:
        pil = [Image.fromarray(f) for f in frames]
        gif = str(_save(pil[0], Path(out) / "ageing.gif", save_all=True, append_images=pil[1:],
                        duration=[900] + [500] * (len(pil) - 2) + [1500], loop=0))
        sheet = str(_save(contact_sheet(frames, states), Path(out) / "contact-sheet.png"))
    return AgeResult(scan.name, cond, tuple(states), gif, sheet, scan.notes, tuple(frames))
