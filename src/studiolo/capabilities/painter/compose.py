"""Compose a SceneSpec into a base picture, layered back to front, seeded.

Order: sky (gradient, light, stars, clouds) -> far mountains -> water -> land
(hills, fields, dunes, snow) -> forests and cities -> motifs (trees, boats,
lighthouse, figures, flowers) -> mood (fog) -> palette grade -> brush strokes.
Abstractions skip the landscape and paint flow fields or geometric motifs.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from studiolo.capabilities.painter import land, motifs, sky
from studiolo.capabilities.painter.canvas import fbm, lay, mix, to_image, vertical
from studiolo.capabilities.painter.palette import grade, palette_for
from studiolo.capabilities.painter.understand import SceneSpec

LANDSCAPE = {"sea", "lake", "river", "mountains", "hills", "field", "forest", "tree", "desert", "snow", "city",
              "flowers", "figure", "lighthouse", "boat"}


def _horizon(names: set[str], rng: np.random.Generator) -> float:
    if names & {"sea", "lake", "boat", "lighthouse"}:
        return rng.uniform(0.5, 0.6)
    if not names & LANDSCAPE:  # a sky picture: keep a low strip of land
        return rng.uniform(0.76, 0.84)
    if "mountains" in names:
        return rng.uniform(0.6, 0.68)
    return rng.uniform(0.52, 0.62)


def compose(spec: SceneSpec, width: int, height: int, seed: int, *, horizon: float | None = None,
            clouds: float | None = None, stroke: float | None = None) -> Image.Image:
    """The base picture for `spec`, before any style transfer. Same inputs, same pixels.

    `horizon` (fraction of the height), `clouds` (sky cover 0-1) and `stroke` (brush
    size, 1 = normal) override the seeded choices; None keeps them. The seeded
    draws happen either way, so an override changes nothing else in the picture.
    """
    rng = np.random.default_rng(seed)
    names = set(spec.subject_names)
    time, mood = spec.time_of_day.name, spec.mood.name
    pal = palette_for(time, mood)
    h, w = height, width
    if not names & LANDSCAPE and names & {"flow", "geometry"}:
        canvas = _abstract(spec, pal, h, w, rng)
    else:
        canvas = _landscape(names, time, mood, pal, h, w, rng, horizon, clouds)
    canvas = grade(canvas, spec.palette.name)
    if stroke is None:
        stroke = 1.4 if mood in ("stormy", "energetic") else 1.0
    canvas = motifs.brush(canvas, rng, stroke=stroke)
    return to_image(canvas)


def _abstract(spec: SceneSpec, pal, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    names = set(spec.subject_names)
    canvas = vertical(h, w, pal.sky_top, pal.sky_horizon)
    blobs = fbm(h, w, rng, scale=1.5, octaves=3)
    lay(canvas, blobs * 0.6, mix(pal.light, pal.accents[0], 0.5))
    if "geometry" in names:
        motifs.geometry(canvas, pal, rng)
    if "flow" in names or "geometry" not in names:
        energy = 1.0 if spec.mood.name in ("stormy", "energetic", "joyful") else 0.3
        motifs.flow_field(canvas, pal, rng, energy)
    return canvas


def _landscape(names: set[str], time: str, mood: str, pal, h: int, w: int, rng: np.random.Generator,
               horizon_override: float | None = None, cover_override: float | None = None) -> np.ndarray:
    horizon = _horizon(names, rng)
    if horizon_override is not None:
        horizon = horizon_override
    hp = h * horizon
    canvas = sky.sky(h, w, horizon, pal, time)

    # 1. Lights of the sky
    lx, ly = sky.light_position(w, h, horizon, time, rng)
    size = min(w, h) * rng.uniform(0.045, 0.07)
    stormy = mood == "stormy"
    if time == "night":
        sky.stars(canvas, horizon, rng, density=0.4 if stormy else 1.0, milky_way="stars" in names and rng.random() < 0.6)
        if "moon" in names or ("stars" not in names) or rng.random() < 0.5:
            sky.moon(canvas, lx, ly, size * (1.3 if "moon" in names else 1.0), pal, rng)
        else:
            lx = None
    elif not stormy or "sun" in names:
        sky.sun(canvas, lx, ly, size, pal, time, hp)
    else:
        lx = None
    cover = 0.75 if stormy else 0.5 if "clouds" in names else 0.1 if time == "night" else 0.3
    if cover_override is not None:
        cover = cover_override
    sky.clouds(canvas, horizon, pal, rng, cover, stormy)

    # 2. Far land
    water = names & {"sea", "lake", "boat", "lighthouse", "river"}
    if "mountains" in names or "snow" in names:
        land.mountains(canvas, hp, pal, rng, ranges=3, snow="snow" in names, height=0.4 if "mountains" in names else 0.2)
    elif "lake" in names or "river" in names or (names & {"hills", "field", "forest"} and not water):
        land.hills(canvas, hp, pal, rng, layers=2 if water else 3)

    # 3. Water or ground up to the horizon
    if "sea" in names or "boat" in names or "lighthouse" in names:
        land.water(canvas, hp, pal, rng, lx, rough=0.9 if stormy else 0.35)
    elif "lake" in names or "river" in names:
        shore = hp + (h - hp) * 0.55
        land.water(canvas, hp, pal, rng, lx, rough=0.15, bottom_px=shore)
        land.field(canvas, shore, pal, rng)
    elif "desert" in names:
        land.desert(canvas, hp, pal, rng)
    elif "snow" in names:
        land.snowfield(canvas, hp, pal, rng)
    else:
        land.field(canvas, hp, pal, rng, golden=time in ("dusk", "dawn") or "wheat" in names)

    # 4. Things standing on the land
    ground = hp if not water else h * 0.96
    if "forest" in names:
        land.forest(canvas, hp + h * 0.03, pal, rng, rows=3)
    if "city" in names:
        land.city(canvas, hp + h * 0.01, pal, rng, night=time in ("night", "dusk"))
    if "tree" in names:
        motifs.tree(canvas, w * rng.choice([0.2, 0.78]), min(ground, h * 0.9), h * 0.55, pal, rng)
    if "lighthouse" in names:
        motifs.lighthouse(canvas, w * rng.uniform(0.72, 0.85), hp + h * 0.06, h * 0.16, pal, time in ("night", "dusk"))
    if "boat" in names:
        motifs.boat(canvas, w * rng.uniform(0.25, 0.45), hp + h * rng.uniform(0.08, 0.16), w * 0.06, pal)
    if "flowers" in names:
        motifs.flowers(canvas, hp + (h - hp) * 0.25, pal, rng)
    if "figure" in names:
        fy = h * 0.93 if not water else h * 0.97
        if water:  # a strip of shore to stand on
            lay(canvas, (np.arange(h)[:, None] > h * 0.9).astype(np.float32) * np.ones((1, w), np.float32), pal.land_dark)
        motifs.figure(canvas, w * rng.uniform(0.3, 0.7), fy, h * 0.22, pal)

    # 5. Mood in the air
    if mood in ("mysterious", "melancholy", "dreamy"):
        fog = fbm(h, w, rng, scale=2, octaves=4, stretch=3)
        y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
        band = np.exp(-((y - horizon) / 0.12) ** 2)
        lay(canvas, band * (0.35 + 0.45 * fog) * (0.8 if mood == "mysterious" else 0.45), mix(pal.sky_horizon, (0.85, 0.87, 0.9), 0.4))
    if stormy:
        rain = fbm(h, w, rng, scale=40, octaves=1, stretch=0.15)
        lay(canvas, np.clip(rain - 0.6, 0, 1) * 0.3, (0.7, 0.72, 0.75))
    return canvas
