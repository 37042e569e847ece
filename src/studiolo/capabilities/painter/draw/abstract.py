"""Abstract compositions: the shapes the prompt names, in the colours it names."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.painter.canvas import fbm, lay, mix, vertical
from studiolo.capabilities.painter.draw.ink import Ink


def ground_colour(colours) -> np.ndarray:
    """A paper tone that sets the named colours off: warm off-white, a little toward their complement."""
    mean = np.mean(np.asarray(colours, np.float32), axis=0)
    return np.clip(mix((0.95, 0.92, 0.85), 1 - mean, 0.12), 0, 1)


def composition(h: int, w: int, rng: np.random.Generator, shapes: dict[str, list], mood: str) -> np.ndarray:
    """Shapes by kind ('circle', 'line', 'square', 'triangle') -> their colours; joyful = more and livelier,
    melancholy = fewer, larger and muted."""
    all_cols = [c for cols in shapes.values() for c in cols]
    paper = ground_colour(all_cols)
    canvas = vertical(h, w, paper, np.asarray(paper) * 0.93)
    canvas *= (0.96 + 0.06 * fbm(h, w, rng, scale=4, octaves=4))[..., None]
    count = {"joyful": 1.6, "melancholy": 0.6}.get(mood, 1.0)
    m = min(h, w)
    ink = Ink(h, w)
    order = [k for k in ("square", "triangle", "circle", "line") if k in shapes]
    cells = [(i, j) for i in range(4) for j in range(4)]  # shapes spread over a jittered 4x4 grid
    rng.shuffle(cells)
    for kind in order:
        cols = shapes[kind]
        n = max(3, int(rng.integers(4, 8) * count))
        for i in range(n):
            col = np.asarray(cols[i % len(cols)], np.float32) * rng.uniform(0.88, 1.08)
            ci, cj = cells.pop() if cells and kind != "line" else (rng.uniform(0, 4), rng.uniform(0, 4))
            cx, cy = (ci + rng.uniform(0.25, 0.75)) / 4 * w, (cj + rng.uniform(0.25, 0.75)) / 4 * h
            s = m * rng.uniform(0.05, 0.16) * (1.3 if mood == "melancholy" else 1.0)
            if kind == "circle":
                ink.ellipse((cx - s, cy - s, cx + s, cy + s), col, 0.92)
                if rng.random() < 0.3:  # a ring inside some
                    ink.ellipse((cx - s * 0.55, cy - s * 0.55, cx + s * 0.55, cy + s * 0.55), mix(col, paper, 0.5), 0.9)
            elif kind == "square":
                a = rng.uniform(-0.3, 0.3)
                pts = [(cx + s * (np.cos(a + k * np.pi / 2) - np.sin(a + k * np.pi / 2)),
                        cy + s * (np.sin(a + k * np.pi / 2) + np.cos(a + k * np.pi / 2))) for k in range(4)]
                ink.poly(pts, col, 0.92)
            elif kind == "triangle":
                a = rng.uniform(0, 2 * np.pi)
                ink.poly([(cx + s * 1.3 * np.cos(a + k * 2 * np.pi / 3), cy + s * 1.3 * np.sin(a + k * 2 * np.pi / 3))
                          for k in range(3)], col, 0.92)
            else:
                a = rng.uniform(-0.9, 0.9) + (np.pi / 2 if rng.random() < 0.3 else 0)
                L = m * rng.uniform(0.35, 0.8)
                ink.line([(cx - np.cos(a) * L / 2, cy - np.sin(a) * L / 2), (cx + np.cos(a) * L / 2, cy + np.sin(a) * L / 2)],
                         col, m * rng.uniform(0.012, 0.03), 0.95)
    ink.onto(canvas, 0.7)
    lay(canvas, np.full((h, w), 0.0, np.float32), paper)
    return canvas
