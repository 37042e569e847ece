"""A pen for motifs: draw many shapes with Pillow, then lay them over the canvas in one pass."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from studiolo.capabilities.painter.canvas import lay


def rgb8(c: Sequence[float]) -> tuple[int, int, int]:
    return tuple(int(255 * min(max(float(v), 0.0), 1.0) + 0.5) for v in c[:3])  # type: ignore[return-value]


class Ink:
    """A colour layer and its coverage, the size of the canvas."""

    def __init__(self, h: int, w: int) -> None:
        self.h, self.w = h, w
        self.img = Image.new("RGB", (w, h))
        self.alpha = Image.new("L", (w, h))
        self._d, self._a = ImageDraw.Draw(self.img), ImageDraw.Draw(self.alpha)

    def poly(self, pts, color, alpha: float = 1.0) -> None:
        pts = [(float(x), float(y)) for x, y in pts]
        if len(pts) >= 3:
            self._d.polygon(pts, fill=rgb8(color))
            self._a.polygon(pts, fill=int(255 * alpha))

    def ellipse(self, box, color, alpha: float = 1.0) -> None:
        x0, y0, x1, y1 = (float(v) for v in box)
        if x1 < x0:
            x0, x1 = x1, x0
        if y1 < y0:
            y0, y1 = y1, y0
        self._d.ellipse((x0, y0, x1, y1), fill=rgb8(color))
        self._a.ellipse((x0, y0, x1, y1), fill=int(255 * alpha))

    def line(self, pts, color, width: float = 1.0, alpha: float = 1.0) -> None:
        pts = [(float(x), float(y)) for x, y in pts]
        wd = max(1, round(width))
        self._d.line(pts, fill=rgb8(color), width=wd)
        self._a.line(pts, fill=int(255 * alpha), width=wd)

    def rect(self, box, color, alpha: float = 1.0) -> None:
        x0, y0, x1, y1 = (float(v) for v in box)
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], color, alpha)

    def onto(self, canvas: np.ndarray, soften: float = 0.5, opacity: float = 1.0) -> None:
        """Lay the drawn shapes over `canvas` (in place), edges softened by `soften` px."""
        img, alpha = self.img, self.alpha
        col = np.asarray(img, np.float32) / 255.0
        if soften > 0:
            cover = Image.fromarray((np.asarray(alpha) > 0).astype(np.uint8) * 255)
            blur = ImageFilter.GaussianBlur(soften)
            # Colour is blurred together with the black outside the shapes: divide the coverage back out.
            cov = np.asarray(cover.filter(blur), np.float32)[..., None] / 255.0
            col = np.clip(np.asarray(img.filter(blur), np.float32) / 255.0 / np.maximum(cov, 1.0 / 255), 0, 1)
            alpha = alpha.filter(blur)
        lay(canvas, np.asarray(alpha, np.float32) / 255.0 * opacity, col)
