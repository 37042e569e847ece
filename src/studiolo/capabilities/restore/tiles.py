"""Overlapping tiles: how restoration stays in bounded memory on scans up to 20000 px.

A picture is cut into cores of `tile` px; each core is processed inside an outer window
`margin` px larger on every side (clipped at the picture's edge), and only the core of the
result is kept. Cores tile the picture exactly, so every pixel is computed once, from
context that reaches `margin` px around it: with a margin at least the reach of the
operation (a filter's radius, a network's receptive field), tiled equals untiled.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tile:
    """A core (y0, y1, x0, x1) and its outer window, in picture pixels."""

    core: tuple[int, int, int, int]
    outer: tuple[int, int, int, int]

    @property
    def inner(self) -> tuple[slice, slice]:
        """The core as slices into the outer window's array."""
        y0, y1, x0, x1 = self.core
        oy, _, ox, _ = self.outer
        return slice(y0 - oy, y1 - oy), slice(x0 - ox, x1 - ox)

    @property
    def core_slices(self) -> tuple[slice, slice]:
        y0, y1, x0, x1 = self.core
        return slice(y0, y1), slice(x0, x1)

    @property
    def outer_slices(self) -> tuple[slice, slice]:
        y0, y1, x0, x1 = self.outer
        return slice(y0, y1), slice(x0, x1)


def tiles(height: int, width: int, tile: int, margin: int) -> list[Tile]:
    """Row-major tiles covering a height x width picture."""
    if tile <= 0 or margin < 0:
        raise ValueError(f"tile must be positive and margin not negative, got {tile}, {margin}")
    out = []
    for y0 in range(0, height, tile):
        y1 = min(height, y0 + tile)
        for x0 in range(0, width, tile):
            x1 = min(width, x0 + tile)
            out.append(Tile((y0, y1, x0, x1), (max(0, y0 - margin), min(height, y1 + margin),
                                               max(0, x0 - margin), min(width, x1 + margin))))
    return out
