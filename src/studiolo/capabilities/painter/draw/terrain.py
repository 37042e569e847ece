"""The land: mountains (shaded in 2-D, no column streaks), hills, ground by season, dunes,
a river and a road in perspective, a waterfall."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.painter.canvas import below_profile, fbm, lay, mix, ridge, vertical

__all__ = ["vertical"]  # scene.py borrows the gradient through here
from studiolo.capabilities.painter.draw.ink import Ink

GROUND = {  # season -> (far, near) ground colour at noon
    "spring": ((0.55, 0.72, 0.32), (0.3, 0.52, 0.18)),
    "summer": ((0.5, 0.64, 0.28), (0.26, 0.42, 0.14)),
    "autumn": ((0.7, 0.55, 0.28), (0.42, 0.3, 0.14)),
    "winter": ((0.9, 0.92, 0.96), (0.8, 0.84, 0.92)),
}


def _smooth(v: np.ndarray, k: int) -> np.ndarray:
    k = max(1, k)
    return np.convolve(np.pad(v, k, mode="edge"), np.ones(2 * k + 1) / (2 * k + 1), mode="same")[k:-k]


def mountains(canvas: np.ndarray, horizon_px: float, pal, rng: np.random.Generator, height: float = 0.35,
              ranges: int = 3, snow: bool = False, x_peak: float | None = None) -> None:
    """Ranges back to front; each face lit from the left, shading fades below the crest (no streaks)."""
    h, w, _ = canvas.shape
    y = np.arange(h, dtype=np.float32)[:, None]
    xs = np.linspace(0, 1, w, dtype=np.float32)
    for i in range(ranges):
        depth = (ranges - 1 - i) / max(ranges - 1, 1)  # 1 = farthest
        prof = _smooth(ridge(w, rng, roughness=0.52), max(1, w // 256))
        if x_peak is not None and i == 0:  # the focal peak
            prof = prof * 0.5 + 0.9 * np.exp(-((xs - x_peak) / 0.18) ** 2) - 0.2
        peak = h * height * (1.0 - 0.45 * (1 - depth)) * rng.uniform(0.85, 1.05)
        top = horizon_px - peak * np.clip(0.2 + 0.8 * ((prof + 1) / 2) ** 1.4, 0.05, 1.2) + (1 - depth) * h * 0.02
        slope1 = np.clip(np.gradient(_smooth(top, max(2, w // 20))) * 3.0, -1, 1)
        # Faces run down and away from the crest: read the slope along a diagonal, not down a column.
        cols = np.clip((np.arange(w)[None, :] - (y - top[None, :]) * 0.8).astype(int), 0, w - 1)
        slope = slope1[cols]
        below = np.clip((y - top[None, :]) / (h * 0.12), 0, 1)
        tex = fbm(h, w, rng, scale=5, octaves=4, stretch=0.7)
        base = mix(mix(pal.far, pal.land_dark, 0.5 * (1 - depth)), pal.sky_horizon, 0.55 * depth)
        light = 1.0 + 0.22 * slope * (1 - below) - 0.12 * below + 0.16 * (tex - 0.5)
        rock = np.asarray(base, np.float32) * light[..., None]
        if snow or (depth > 0.6 and height > 0.3):
            line = top + peak * (0.3 + 0.15 * depth) + (fbm(1, w, rng, scale=8, octaves=3)[0] - 0.5) * h * 0.05
            cap = np.clip((line[None, :] - y) / (h * 0.012) + (tex - 0.5) * 1.5, 0, 1)
            white = np.asarray(mix((0.96, 0.97, 1.0), pal.sky_horizon, 0.25 + 0.3 * depth), np.float32)
            rock = mix(rock, white * (0.88 + 0.14 * slope[..., None]), cap[..., None])
        lay(canvas, below_profile(h, w, top, 0.8), rock)


def hills(canvas: np.ndarray, horizon_px: float, pal, rng: np.random.Generator, season: str, layers: int = 2,
          rise: float = 0.08) -> None:
    h, w, _ = canvas.shape
    x = np.linspace(0, 1, w, dtype=np.float32)
    far, near = GROUND[season]
    for i in range(layers):
        depth = (layers - 1 - i) / max(layers - 1, 1)
        waves = sum(rng.uniform(0.3, 1) * np.sin(x * np.pi * rng.uniform(0.8, 2.5) + rng.uniform(0, 6)) for _ in range(3))
        top = horizon_px - h * rise * (0.6 + 0.4 * depth) * (waves / 3 + 0.6) + i * h * 0.03
        col = mix(mix(far, near, 0.4 * (1 - depth)), pal.sky_horizon, 0.35 + 0.25 * depth)
        col = np.asarray(col) * (light_of(pal) if season != "winter" else float(light_of(pal).mean()) ** 0.5)
        tex = fbm(h, w, rng, scale=5, octaves=4)
        lay(canvas, below_profile(h, w, top, 1.2), np.clip(np.asarray(col) * (0.9 + 0.2 * tex[..., None]), 0, 1))


def knoll(canvas: np.ndarray, x: float, top_y: float, pal, rng: np.random.Generator, season: str, light) -> float:
    """A rounded hill in the foreground, its crest at (x, top_y); returns the crest height."""
    h, w, _ = canvas.shape
    xs = np.arange(w, dtype=np.float32)
    prof = top_y + (h - top_y) * 0.9 * (1 - np.exp(-((xs - x) / (w * 0.35)) ** 2))
    far, near = GROUND[season]
    col = np.asarray(mix(near, far, 0.3)) * light
    tex = fbm(h, w, rng, scale=6, octaves=4, stretch=2)
    lay(canvas, below_profile(h, w, prof, 1.2), np.clip(col * (0.9 + 0.2 * tex[..., None]), 0, 1))
    return top_y


def light_of(pal) -> np.ndarray:
    """How the time of day tints the land: the palette's land colour against noon's."""
    ratio = np.asarray(pal.land, np.float32) / np.array((0.42, 0.62, 0.26), np.float32)
    lum = float(np.clip(ratio @ np.array([0.3, 0.59, 0.11], np.float32), 0.12, 1.2))
    hue = ratio / max(float(ratio.mean()), 1e-3)
    return np.clip(lum * (0.75 + 0.25 * hue), 0.1, 1.3)


def ground(canvas: np.ndarray, horizon_px: float, pal, rng: np.random.Generator, season: str,
           colour=None, golden: bool = False) -> None:
    """The ground from the horizon down: the season's colour, lit by the time of day, 2-D texture."""
    h, w, _ = canvas.shape
    far, near = GROUND[season]
    if golden:
        far, near = (0.86, 0.72, 0.35), (0.62, 0.46, 0.18)
    if colour is not None:
        far, near = mix(colour, (1, 1, 1), 0.15), mix(colour, (0, 0, 0), 0.3)
    tint = light_of(pal) if season != "winter" else np.asarray(mix((1, 1, 1), mix(pal.light, pal.sky_top, 0.4), 0.35)) * \
        min(1.05, float(light_of(pal).mean()) + 0.25)
    g = vertical(h, w, mix(far, pal.sky_horizon, 0.3), near, horizon_px / h, 1.0) * tint
    tex = fbm(h, w, rng, scale=6, octaves=5, stretch=2.5)
    g *= (0.9 + 0.2 * tex)[..., None]
    lay(canvas, below_profile(h, w, np.full(w, horizon_px), 1.0), np.clip(g, 0, 1))


def dunes(canvas: np.ndarray, horizon_px: float, pal, rng: np.random.Generator, colour=None) -> None:
    """Dunes with a sharp crest, a lit windward slope and a shaded lee, back to front."""
    h, w, _ = canvas.shape
    sand = np.asarray(colour if colour is not None else (0.9, 0.68, 0.38), np.float32)
    sand = sand * np.clip(light_of(pal) * 0.6 + 0.45, 0.2, 1.15)
    x = np.linspace(0, 1, w, dtype=np.float32)
    g = vertical(h, w, mix(sand, pal.sky_horizon, 0.35), sand * 0.85, horizon_px / h, 1.0)
    lay(canvas, below_profile(h, w, np.full(w, horizon_px), 1.0), g)
    n = 4
    for i in range(n):
        t = i / (n - 1)
        base = horizon_px + (h - horizon_px) * (0.08 + 0.75 * t ** 1.3)
        amp = h * (0.025 + 0.1 * t)
        cx = rng.uniform(0.1, 0.9)
        width = rng.uniform(0.25, 0.45) * (1 + t)
        u = (x - cx) / width
        crest = np.where(u < 0, np.exp(-(u * 1.2) ** 2), np.exp(-(u * 3.0) ** 2))  # gentle windward, steep lee
        crest += 0.5 * np.exp(-((x - cx - width * rng.choice([-1.3, 1.3])) / (width * 0.7)) ** 2)
        top = base - amp * crest
        lit = np.where(u < 0, 1.08, 0.72)[None, :]  # lit windward side, shaded lee
        yy = np.arange(h, dtype=np.float32)[:, None]
        lee = np.clip(1 - (yy - top[None, :]) / (amp * 1.2 + 1), 0, 1)
        shade = 1.0 + (lit - 1.0) * lee
        col = mix(sand * 0.95, pal.sky_horizon, 0.3 * (1 - t))[None, None, :] * shade[..., None]
        tex = fbm(h, w, rng, scale=3, octaves=3, stretch=3)
        lay(canvas, below_profile(h, w, top, 1.0), np.clip(col * (0.95 + 0.08 * tex[..., None]), 0, 1))


def path_x(horizon_px: float, h: int, w: int, vx: float, bottom_x: float, wiggle: float, phase: float):
    """Centre line of a river or road: from the vanishing point (vx) to `bottom_x` at the bottom."""
    ys = np.arange(int(horizon_px), h, dtype=np.float32)
    t = np.clip((ys - horizon_px) / max(h - horizon_px, 1), 0.0, 1.0)  # 0 at the horizon, 1 at the bottom
    cx = vx + (bottom_x - vx) * t ** 1.2 + wiggle * w * np.sin(t * 7 + phase) * t
    return ys, t, cx


def river(canvas: np.ndarray, horizon_px: float, pal, rng: np.random.Generator, wide: float = 0.5,
          start_y: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A river winding from the distance to the viewer, wider as it comes; returns its centre line."""
    h, w, _ = canvas.shape
    top = start_y if start_y is not None else horizon_px
    ys, t, cx = path_x(top, h, w, w * rng.uniform(0.35, 0.65), w * rng.uniform(0.3, 0.7), 0.12, rng.uniform(0, 6))
    half = w * (0.006 + wide * 0.5 * t ** 1.4)
    ink = Ink(h, w)
    left = list(zip(cx - half, ys, strict=True))
    right = list(zip(cx + half, ys, strict=True))
    ink.poly(left + right[::-1], (1, 1, 1))
    mask = np.asarray(ink.alpha.resize((w, h)), np.float32) / 255.0
    water = vertical(h, w, mix(pal.sky_horizon, pal.water, 0.2), mix(pal.water, pal.sky_top, 0.4), top / h, 1.0)
    ripples = Ink(h, w)
    for _ in range(int(w * 0.4)):
        k = int(rng.integers(0, len(ys)))
        length = half[k] * rng.uniform(0.1, 0.5)
        x0 = cx[k] + rng.uniform(-0.8, 0.8) * half[k]
        ripples.line([(x0 - length, ys[k]), (x0 + length, ys[k])], mix(pal.sky_horizon, (1, 1, 1), 0.3),
                     1 + t[k] * 2, 0.5)
    lay(canvas, np.clip(mask * 1.0, 0, 1), water)
    r = np.asarray(ripples.alpha, np.float32) / 255.0 * mask
    lay(canvas, r * 0.6, np.asarray(ripples.img, np.float32) / 255.0)
    return ys, cx, half


def road(canvas: np.ndarray, horizon_px: float, pal, rng: np.random.Generator, straight: bool, paved: bool,
         wet: bool = False, vx: float | None = None):
    """A road narrowing to a vanishing point on the horizon; returns its centre line and half-width."""
    h, w, _ = canvas.shape
    vx = w * rng.uniform(0.4, 0.6) if vx is None else vx
    ys, t, cx = path_x(horizon_px, h, w, vx, w * rng.uniform(0.45, 0.55), 0.0 if straight else 0.08, rng.uniform(0, 6))
    half = w * (0.004 + 0.42 * t)
    colour = (0.35, 0.35, 0.37) if paved else (0.68, 0.58, 0.42)
    colour = np.asarray(colour) * light_of(pal) ** 0.6
    ink = Ink(h, w)
    ink.poly(list(zip(cx - half, ys, strict=True)) + list(zip(cx + half, ys, strict=True))[::-1], colour)
    if paved:  # centre dashes, longer toward the viewer
        for k in range(0, len(ys) - 1, max(2, len(ys) // 14)):
            k2 = min(len(ys) - 1, k + max(1, int(len(ys) / 30 * (0.3 + t[k]))))
            ink.line([(cx[k], ys[k]), (cx[k2], ys[k2])], (0.9, 0.85, 0.6), 1 + 3 * t[k])
    else:  # wheel ruts
        for side in (-0.45, 0.45):
            ink.line(list(zip(cx + side * half, ys, strict=True)), np.asarray(colour) * 0.8, 2, 0.7)
    ink.onto(canvas, 0.7)
    if wet:  # reflections of the sky on the wet surface
        tex = fbm(h, w, rng, scale=10, octaves=3, stretch=0.2)
        m = np.asarray(ink.alpha, np.float32) / 255.0
        lay(canvas, m * np.clip(tex - 0.45, 0, 1) * 0.8, mix(pal.sky_horizon, (1, 1, 1), 0.2))
    return ys, cx, half


def waterfall(canvas: np.ndarray, x: float, top_y: float, bottom_y: float, width: float, pal,
              rng: np.random.Generator) -> None:
    """Cliffs on both sides of a white fall of water, with spray at its foot."""
    h, w, _ = canvas.shape
    rock = np.asarray(mix((0.45, 0.4, 0.36), pal.far, 0.3)) * np.clip(light_of(pal), 0.2, 1.1)
    moss = np.asarray((0.25, 0.4, 0.18)) * np.clip(light_of(pal), 0.2, 1.1)
    for side in (-1, 1):  # a cliff each side: a jagged top, ledges, moss on the rim
        ink = Ink(h, w)
        edge = x + side * width * 0.5
        far_edge = x + side * w * rng.uniform(0.45, 0.6)
        n = 9
        rim = [(edge + (far_edge - edge) * k / n, top_y + (bottom_y - top_y) * 0.3 * (k / n) ** 1.5
                + rng.uniform(-1, 1) * h * 0.012) for k in range(n + 1)]
        ink.poly(rim + [(far_edge + side * w * 0.08, bottom_y + h * 0.03), (edge, bottom_y + h * 0.03)], rock)
        ink.onto(canvas, 0.8)
        tex = fbm(h, w, rng, scale=8, octaves=3)
        lay(canvas, np.asarray(ink.alpha, np.float32) / 255.0 * np.clip(tex - 0.5, 0, 1), rock * 0.7)
        ledges = Ink(h, w)
        for _ in range(14):
            lx = edge + (far_edge - edge) * rng.uniform(0.05, 1)
            ly = rng.uniform(top_y, bottom_y)
            ledges.line([(lx, ly), (lx + side * w * rng.uniform(0.03, 0.1), ly + rng.uniform(-3, 3))], rock * 0.65, 2, 0.7)
        for px, py in rim:
            ledges.ellipse((px - w * 0.04, py - h * 0.012, px + w * 0.04, py + h * 0.015), moss, 0.9)
        ledges.onto(canvas, 0.8)
    fall = Ink(h, w)
    for _ in range(int(width * 3)):
        fx = x + rng.uniform(-0.5, 0.5) * width
        fall.line([(fx, top_y), (fx + rng.uniform(-1, 1), bottom_y)], mix((0.92, 0.95, 1.0), pal.sky_horizon, 0.2),
                  rng.uniform(1, 2.5), rng.uniform(0.5, 0.95))
    fall.onto(canvas, 0.6)
    spray = Ink(h, w)
    for _ in range(40):
        sx, sy = x + rng.normal(0, width * 0.7), bottom_y + rng.normal(0, h * 0.012)
        r = rng.uniform(0.03, 0.08) * width + 2
        spray.ellipse((sx - r * 1.6, sy - r, sx + r * 1.6, sy + r), (0.95, 0.97, 1.0), 0.35)
    spray.onto(canvas, 3.0)
