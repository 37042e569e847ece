"""Paint a Plan: sky and light for the time of day, land back to front, the motifs the words
asked for around a focal point, then the weather. Horizon, scale and placement are drawn from
the seed within what the prompt asks (a sunset keeps its sun low, a field keeps its ground).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from studiolo.capabilities.painter import land, motifs, sky
from studiolo.capabilities.painter.canvas import lay, mix
from studiolo.capabilities.painter.draw import (
    abstract,
    buildings,
    figures,
    flora,
    terrain,
    water,
    weather,
)
from studiolo.capabilities.painter.draw.ink import Ink
from studiolo.capabilities.painter.palette import palette_for
from studiolo.capabilities.painter.plan import BOATS, COLOURS, Plan

FLOWER_FIELDS = ("sunflowers", "poppies", "tulips", "lavender", "flowers", "garden")


def palette_of(plan: Plan):
    """The time of day's colours, bent by weather and mood, with the sky/water the prompt coloured."""
    old_mood = {"storm": "stormy", "fog": "mysterious"}.get(plan.weather)
    if old_mood is None:
        old_mood = {"melancholy": "melancholy", "joyful": "joyful", "mysterious": "mysterious"}.get(plan.mood, "calm")
    if plan.weather == "rain" and old_mood == "calm":
        old_mood = "melancholy"
    pal = palette_for(plan.time, old_mood)
    if plan.weather in ("rain", "snow") and plan.time != "night":
        grey = (0.55, 0.58, 0.62) if plan.weather == "rain" else (0.78, 0.8, 0.84)
        pal = replace(pal, sky_top=tuple(mix(pal.sky_top, grey, 0.7)), sky_horizon=tuple(mix(pal.sky_horizon, grey, 0.6)),
                      cloud=tuple(mix(pal.cloud, grey, 0.6)))
    sky_c = plan.colour("sky")
    if sky_c is not None:
        top = mix(sky_c, (0, 0, 0), 0.35 if plan.time != "night" else 0.75)
        pal = replace(pal, sky_top=tuple(top), sky_horizon=tuple(mix(sky_c, (1.0, 0.8, 0.5), 0.35)),
                      cloud=tuple(mix(sky_c, (0.3, 0.2, 0.2), 0.4)), light=tuple(mix(sky_c, (1, 0.95, 0.8), 0.6)))
    water_c = plan.colour("water")
    if water_c is not None:
        pal = replace(pal, water=tuple(water_c))
        if plan.colours.get("water") in (["grey"], ["gray"]):
            grey = (0.6, 0.62, 0.64)
            pal = replace(pal, sky_top=tuple(mix(pal.sky_top, grey, 0.6)), sky_horizon=tuple(mix(pal.sky_horizon, grey, 0.6)),
                          cloud=tuple(mix(pal.cloud, grey, 0.5)))
    return pal


def _horizon(plan: Plan, rng: np.random.Generator) -> float:
    if plan.has("street"):
        return rng.uniform(0.46, 0.54)
    if plan.time == "dusk" or plan.time == "dawn":
        return rng.uniform(0.58, 0.66)
    if plan.has("sea", "lake") or plan.has(*BOATS):
        return rng.uniform(0.45, 0.58)
    if plan.has("mountains", "waterfall"):
        return rng.uniform(0.58, 0.68)
    if plan.has(*FLOWER_FIELDS, "road", "river", "haystacks"):
        return rng.uniform(0.36, 0.48)
    if plan.has("stars", "moon") and not plan.has("village", "city", "forest", "tree"):
        return rng.uniform(0.7, 0.8)
    return rng.uniform(0.45, 0.6)


def render(plan: Plan, w: int, h: int, seed: int, horizon: float | None = None,
           clouds: float | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if plan.abstract:
        shapes = {}
        for kind in plan.shapes or ["circle", "line"]:
            cols = [COLOURS[c] for c in plan.colours.get(kind, [])] or [COLOURS[c] for c in plan.colours.get("scene", [])]
            shapes[kind] = cols or [COLOURS[c] for c in ("blue", "orange", "red", "yellow")]
        return abstract.composition(h, w, rng, shapes, plan.mood)
    return _landscape(plan, w, h, rng, horizon, clouds)


def _landscape(plan: Plan, w: int, h: int, rng: np.random.Generator, horizon_override, cover_override) -> np.ndarray:
    pal = palette_of(plan)
    hz = _horizon(plan, rng)
    hz = hz if horizon_override is None else horizon_override
    hp = h * hz
    focal = w * (rng.choice([0.3, 0.7]) + rng.uniform(-0.06, 0.06))  # the rule of thirds
    night, low = plan.time == "night", plan.time in ("dawn", "dusk")
    winter = plan.season == "winter" or plan.weather == "snow"
    light = terrain.light_of(pal)
    canvas = sky.sky(h, w, hz, pal, plan.time)

    # 1. The lights of the sky
    lx = w - focal if rng.random() < 0.7 else focal
    size = min(w, h) * rng.uniform(0.04, 0.06)
    sun = None
    overcast = (plan.weather in ("rain", "storm", "snow") or (plan.weather == "fog" and not low)) and not plan.has("sun")
    if night:
        sky.stars(canvas, hz, rng, density=1.4 if plan.has("stars") else 0.6, milky_way=plan.has("stars"))
        if plan.has("moon") or not plan.has("stars") or rng.random() < 0.5:
            sky.moon(canvas, lx, hp * rng.uniform(0.22, 0.4), size * (1.4 if plan.has("moon") else 1.0), pal, rng,
                      full="full" in plan.modifiers)
        else:
            lx = None
    elif not overcast:
        ly = hp - size * 0.7 if low else hp * rng.uniform(0.18, 0.32)
        if low and plan.has("hills", "mountains"):  # a rising sun clears the hills (still in the lower sky)
            ly = hp - h * (0.2 if plan.has("hills") else 0.3)
        sky.sun(canvas, lx, ly, size * (1.5 if low else 1.0), pal, plan.time, hp)
        sun = (lx, ly, size * (1.5 if low else 1.0))
    else:
        lx = None
    cover = {"clear": 0.22, "cloudy": 0.6, "rain": 0.8, "storm": 0.85, "snow": 0.6, "fog": 0.3}[plan.weather]
    cover = 0.12 if night and plan.weather == "clear" else cover
    sky.clouds(canvas, hz, pal, rng, cover if cover_override is None else cover_override, plan.weather == "storm")

    # 2. Far land
    if plan.has("street"):
        _street(canvas, plan, pal, rng, hp, light, night, low)
        _weather(canvas, plan, pal, rng, hz)
        return canvas
    waterish = plan.has("sea") or (plan.has(*BOATS, "lighthouse") and not plan.has("lake", "river"))
    if plan.has("mountains", "waterfall"):
        terrain.mountains(canvas, hp, pal, rng, height=0.4 if plan.has("mountains") else 0.22, snow=winter,
                          x_peak=focal / w)
    elif not waterish and not plan.has("dunes"):
        rise = (0.1 if plan.has("hills") else 0.05) * (0.4 if low and not plan.has("hills") else 1.0)
        terrain.hills(canvas, hp, pal, rng, "winter" if winter else plan.season,
                      layers=3 if plan.has("hills") else 2, rise=rise * (1.4 if plan.has("hills") else 1.0))
    # 3. Water or ground up to the horizon
    wheat = any(wd["word"] == "wheat" for wd in plan.words)
    golden = wheat or "golden" in plan.modifiers or plan.has("haystacks") or (plan.has("field") and low)
    if waterish:
        water.sea(canvas, hp, pal, rng, lx, rough=0.9 if plan.weather == "storm" else 0.45 if plan.weather == "rain" else 0.3,
                  colour=plan.colour("water"), calm_mirror=plan.mood == "calm")
        if plan.has("figures"):  # a beach to walk on
            shore = h * rng.uniform(0.8, 0.86)
            sand = mix((0.88, 0.76, 0.56), pal.light, 0.35) * max(float(light.mean()), 0.35)
            beach = terrain.vertical(h, w, sand, np.asarray(sand) * 0.8, shore / h, 1.0)
            lay(canvas, (np.arange(h)[:, None] > shore) * np.ones((1, w), np.float32), beach)
    elif plan.has("dunes"):
        terrain.dunes(canvas, hp, pal, rng, plan.colour("ground"))
    elif plan.has("lake"):
        shore = hp + (h - hp) * rng.uniform(0.55, 0.75)
        water.sea(canvas, hp, pal, rng, lx, rough=0.12, colour=plan.colour("water"), bottom_px=shore, calm_mirror=True)
        terrain.ground(canvas, shore, pal, rng, "winter" if winter else plan.season)
        if winter and not plan.has("tree", "forest", "village"):  # bare trees on a snowy bank say winter
            for _ in range(int(rng.integers(2, 4))):
                flora.tree(canvas, w * rng.uniform(0.05, 0.95), shore + (h - shore) * rng.uniform(0.3, 0.8),
                           h * rng.uniform(0.16, 0.26), "winter", pal, rng, light)
    else:
        terrain.ground(canvas, hp, pal, rng, "winter" if winter else plan.season, plan.colour("ground"), golden)
    if plan.has("field") and not plan.has(*FLOWER_FIELDS, "haystacks", "lake", "dunes") and not waterish:
        crops = ((0.86, 0.7, 0.3), (0.78, 0.6, 0.24)) if golden else ((0.45, 0.62, 0.25), (0.55, 0.68, 0.3), (0.7, 0.62, 0.3))
        if winter:
            crops = ((0.92, 0.93, 0.97), (0.85, 0.87, 0.92))
        flora.rows(canvas, hp, focal, pal, rng, light, crops, np.asarray(crops[0]) * 0.75, n_rows=20, dab=0.004)
    # 4. Rivers and roads, bridges and falls
    river = None
    if plan.has("waterfall"):
        wx = focal
        terrain.waterfall(canvas, wx, hp - h * 0.18, hp + h * 0.08, w * 0.08, pal, rng)
        river = terrain.river(canvas, hp, pal, rng, wide=0.35, start_y=hp + h * 0.08)
    elif plan.has("river") and not plan.has(*FLOWER_FIELDS):
        river = terrain.river(canvas, hp, pal, rng, wide=0.45)
    if plan.has("road"):
        terrain.road(canvas, hp, pal, rng, straight="straight" in plan.modifiers, paved="straight" in plan.modifiers,
                     wet=plan.weather == "rain", vx=focal if not plan.has("mountains") else None)
    if plan.has("bridge") and river is not None:
        ys, cx, half = river
        k = int(len(ys) * rng.uniform(0.5, 0.65))
        buildings.bridge(canvas, float(cx[k]), float(ys[k]), float(half[k]) * 1.25 + w * 0.06, pal, light)
    # 5. Things standing in the middle distance
    if plan.has("forest"):
        pines = any(wd["word"] in ("pine", "pines") for wd in plan.words) or winter
        terrain_rows = 2 if plan.has(*FLOWER_FIELDS, "road", "river", "lake") else 3
        flora.forest(canvas, hp + h * 0.01, pal, rng, plan.season, light, pines, terrain_rows, snow=winter)
    if plan.has("city"):
        land.city(canvas, hp + h * 0.01, pal, rng, night=night or low)
    if plan.has("village", "church", "windows", "chimneys"):
        buildings.village(canvas, hp + h * 0.03, pal, rng, light, lit=night or low or plan.has("windows"),
                          roof_col=plan.colour("roofs"), snow=winter, church_too=plan.has("church") or rng.random() < 0.6,
                          chimneys=plan.has("chimneys") or winter, scale=1.0 if not waterish else 0.7)
    if plan.has("lighthouse"):
        motifs.lighthouse(canvas, focal, hp + h * 0.07, h * 0.17, pal, night or low or plan.weather == "storm")
    if plan.has("windmill"):
        buildings.windmill(canvas, focal, hp + h * 0.05, h * 0.16, pal, light, rng)
    if plan.has("haystacks"):
        flora.haystacks(canvas, hp, pal, rng, light, lx)
    # 6. The foreground
    _flower_fields(canvas, plan, pal, rng, hp, light)
    if plan.has("river") and plan.has(*FLOWER_FIELDS) and river is None:  # a river through the flowers
        river = terrain.river(canvas, hp, pal, rng, wide=0.4)
    crest = None
    if plan.has("figures") and plan.has("hills"):  # a hill in front for the figure to stand on
        crest = terrain.knoll(canvas, focal, h * rng.uniform(0.72, 0.8), pal, rng, plan.season, light)
    if plan.has("tree", "blossom"):
        n = 1 if plan.has("tree") and not plan.has("blossom", "garden") else 2 if not plan.has("blossom") else 3
        base = h * rng.uniform(0.86, 0.94)
        for i in range(n):
            x = focal if i == 0 else w * rng.uniform(0.05, 0.95)
            height = h * (0.55 if i == 0 else rng.uniform(0.25, 0.4))
            flora.tree(canvas, x, base if i == 0 else hp + (base - hp) * rng.uniform(0.2, 0.5), height, plan.season,
                       pal, rng, light, blossom=plan.has("blossom"), colour=plan.colour("blossom") or plan.colour("foliage"))
    if waterish and any(wd["word"] in ("harbour", "harbor") for wd in plan.words):
        buildings.harbour(canvas, hp, focal, pal, rng, light, lit=night or low)
    boats = [b for b in BOATS if plan.has(b)]
    if boats or (plan.has("sea") and not plan.has("lighthouse", "figures") and rng.random() < 0.3):
        kinds = boats or ["sailboat"]
        many = any(wd["word"] in ("boats", "sailboats", "ships", "harbour", "harbor") for wd in plan.words)
        n = 3 if many else 1
        for i in range(n):
            kind = kinds[i % len(kinds)] if kinds != ["boat"] else ("sailboat", "fishing boat", "rowing boat")[i % 3]
            d = rng.uniform(0.35, 0.65) if i == 0 else rng.uniform(0.05, 0.3)
            y = hp + (h - hp) * d
            x = (w - focal if plan.has("lighthouse") else focal) if i == 0 else w * rng.uniform(0.1, 0.9)
            water.boat(canvas, kind, x, y, w * ((0.05 if i == 0 else 0.03) + 0.12 * d), pal, rng,
                       facing=1 if rng.random() < 0.5 else -1)
    if plan.has("figures"):
        many = any(wd["word"] in ("people", "figures", "crowd", "couple") for wd in plan.words)
        n = int(rng.integers(3, 6)) if many else 1
        spots = []
        for i in range(n):
            d = rng.uniform(0.55, 0.9)
            fx = w - focal if (plan.has("tree", "windmill") and i == 0) else focal + (i - n / 2) * w * 0.05
            if crest is not None:  # on the crest of the knoll
                spots.append((focal + (i - n / 2) * w * 0.04, crest + 2, h * 0.11))
            else:
                spots.append((fx, hp + (h - hp) * d, h * (0.05 + 0.12 * d)))
        figures.group(canvas, spots, mix(pal.silhouette, pal.land_dark, 0.2), rng, umbrella=plan.weather == "rain")
    _weather(canvas, plan, pal, rng, hz, sun)
    return canvas


def _flower_fields(canvas, plan: Plan, pal, rng, hp: float, light) -> None:
    h, w, _ = canvas.shape
    top = hp + (h - hp) * 0.02
    if plan.has("sunflowers"):
        flora.sunflowers(canvas, top, pal, rng, light, plan.colour("sunflowers"))
    if plan.has("lavender"):
        flora.rows(canvas, hp, w * rng.uniform(0.4, 0.6), pal, rng, light,
                   [plan.colour("lavender") or (0.55, 0.42, 0.78)], (0.36, 0.46, 0.22), n_rows=16, dab=0.01)
    if plan.has("tulips"):
        cols = [COLOURS[c] for c in plan.colours.get("tulips", [])] or [(0.9, 0.15, 0.12), (0.98, 0.8, 0.15),
                                                                         (0.96, 0.5, 0.65), (0.95, 0.45, 0.1)]
        flora.rows(canvas, hp, w * rng.uniform(0.4, 0.6), pal, rng, light, cols, (0.3, 0.48, 0.2), n_rows=14)
    if plan.has("poppies"):
        flora.poppies(canvas, top, pal, rng, light, plan.colour("poppies"))
    if plan.has("flowers", "garden") and not plan.has("sunflowers", "poppies", "tulips", "lavender"):
        cols = [COLOURS[c] for c in plan.colours.get("flowers", [])] or None
        start = hp + (h - hp) * (0.25 if not plan.has("garden") else 0.1)
        gx = w * rng.uniform(0.4, 0.6) if plan.has("garden") else None
        flora.flowers(canvas, start, pal, rng, light, cols)
        if gx is not None:  # a gravel path winding through the beds, over the flowers
            terrain.road(canvas, hp + (h - hp) * 0.1, pal, rng, straight=False, paved=False, vx=gx)


def _street(canvas, plan: Plan, pal, rng, hp: float, light, night: bool, low: bool) -> None:
    h, w, _ = canvas.shape
    vx = w * rng.uniform(0.4, 0.6)
    terrain.ground(canvas, hp, pal, rng, "summer", colour=(0.42, 0.4, 0.4))
    terrain.road(canvas, hp, pal, rng, straight=True, paved=False, wet=plan.weather == "rain", vx=vx)
    buildings.street(canvas, hp, vx, pal, rng, light, lit=night or low or plan.weather == "rain",
                     wet=plan.weather == "rain", roof_col=plan.colour("roofs"))
    if plan.season in ("autumn", "spring") or plan.has("tree", "blossom"):
        for side in (-1, 1):
            for t in (0.35, 0.7):
                x = vx + side * w * 0.36 * t
                base = hp + (h - hp) * 0.5 * t
                flora.tree(canvas, x, base, h * 0.5 * t, plan.season, pal, rng, light, blossom=plan.has("blossom"),
                           colour=plan.colour("foliage"))
    if plan.season == "autumn":  # fallen leaves on the street
        ink = Ink(h, w)
        for _ in range(int(w * 0.6)):
            y = hp + (h - hp) * rng.random() ** 0.6
            x = vx + (rng.uniform(-0.6, 0.6) * w) * (y - hp) / (h - hp)
            r = 1 + 3 * (y - hp) / (h - hp)
            ink.ellipse((x - r, y - r * 0.6, x + r, y + r * 0.6), flora.FOLIAGE["autumn"][int(rng.integers(4))])
        ink.onto(canvas, 0.4)
    n = int(rng.integers(2, 5))
    spots = []
    for _ in range(n):
        t = rng.uniform(0.25, 0.8)
        spots.append((vx + rng.uniform(-0.25, 0.25) * w * t, hp + (h - hp) * 0.5 * t, h * 0.3 * t))
    figures.group(canvas, spots, mix(pal.silhouette, (0.1, 0.1, 0.12), 0.4), rng, umbrella=plan.weather == "rain")


def _weather(canvas, plan: Plan, pal, rng, hz: float, sun=None) -> None:
    heavy = "heavy" in plan.modifiers
    if plan.weather == "fog" or plan.mood == "mysterious":
        weather.fog(canvas, hz, rng, mix(pal.sky_horizon, (0.86, 0.88, 0.9), 0.5), 0.45 if sun else 0.75)
        if sun is not None:  # the sun's light spreads through the mist (its disc stays behind the hills)
            sky.glow(canvas, sun[0], sun[1], sun[2] * 4, pal.light, 0.3)
    if plan.weather == "rain" or plan.weather == "storm":
        weather.rain(canvas, rng, heavy=heavy or plan.weather == "storm")
    if plan.weather == "snow":
        weather.snow(canvas, rng, heavy=heavy)
