"""Names for colours: the nearest entry of a painter's table by CIEDE2000.

Sharma, Wu & Dalal 2005, "The CIEDE2000 color-difference formula: implementation
notes, supplementary test data, and mathematical observations" (Color Research &
Application 30(1)); the test pairs of its Table 1 are checked in the tests.
"""

from __future__ import annotations

import functools

import numpy as np

from studiolo.features.cielab import ciede2000

# sRGB values of pigment and everyday names, denser in the browns, ochres and greys
# that old paintings are mostly made of.
NAMES: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("black", (18, 18, 18)), ("charcoal", (54, 54, 58)), ("slate grey", (100, 110, 120)),
    ("grey", (128, 128, 128)), ("silver grey", (180, 180, 178)), ("pale grey", (215, 215, 210)),
    ("white", (245, 245, 242)), ("ivory", (240, 232, 205)), ("cream", (235, 222, 180)),
    ("beige", (210, 195, 160)), ("sand", (194, 170, 120)), ("khaki", (160, 150, 100)),
    ("yellow ochre", (204, 153, 51)), ("gold", (212, 175, 55)), ("lemon yellow", (245, 230, 60)),
    ("mustard", (190, 160, 40)), ("orange", (240, 140, 30)), ("burnt orange", (200, 90, 30)),
    ("peach", (245, 190, 150)), ("salmon", (235, 130, 110)), ("vermilion", (227, 66, 52)),
    ("red", (200, 30, 35)), ("crimson", (160, 20, 50)), ("burgundy", (110, 20, 35)),
    ("rose", (230, 120, 150)), ("pink", (245, 180, 195)), ("terracotta", (190, 100, 70)),
    ("burnt sienna", (150, 70, 40)), ("raw sienna", (185, 120, 60)), ("brown", (120, 80, 50)),
    ("raw umber", (115, 95, 65)), ("burnt umber", (90, 55, 35)), ("dark brown", (60, 40, 25)),
    ("olive", (110, 110, 50)), ("dark olive", (70, 75, 40)), ("moss green", (120, 140, 80)),
    ("sap green", (60, 110, 40)), ("green", (40, 140, 60)), ("emerald", (30, 150, 100)),
    ("viridian", (40, 110, 90)), ("dark green", (25, 60, 35)), ("sage", (160, 175, 140)),
    ("teal", (30, 110, 115)), ("turquoise", (60, 180, 175)), ("sky blue", (140, 190, 225)),
    ("pale blue", (190, 210, 230)), ("cerulean", (40, 120, 180)), ("cobalt blue", (0, 70, 170)),
    ("ultramarine", (30, 40, 140)), ("prussian blue", (20, 45, 75)), ("navy", (20, 25, 70)),
    ("steel blue", (80, 110, 140)), ("indigo", (55, 40, 100)), ("violet", (120, 70, 160)),
    ("purple", (100, 30, 100)), ("lavender", (180, 160, 210)), ("mauve", (170, 120, 150)),
    ("plum", (90, 40, 70)),
    # muted tones: most of a painting's area is a greyed colour, not a pure one
    ("warm grey", (135, 128, 112)), ("taupe", (120, 105, 90)), ("grey green", (128, 140, 122)),
    ("grey blue", (110, 128, 140)), ("blue green grey", (100, 125, 118)),
    ("dusty rose", (180, 135, 125)), ("mushroom", (165, 150, 130)),
    ("dark slate", (55, 65, 70)), ("stone", (150, 145, 130)),
)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB 0..255 -> CIELAB (D65), the same conversion as OpenCV's."""
    import cv2

    flat = np.asarray(rgb, np.float32).reshape(1, -1, 3) / 255.0
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(np.shape(rgb))


@functools.cache
def _table_lab() -> np.ndarray:
    return srgb_to_lab(np.array([rgb for _, rgb in NAMES], np.float32))


def colour_name(lab: np.ndarray) -> str:
    """The table name nearest (CIEDE2000) to one CIELAB colour."""
    distances = ciede2000(np.asarray(lab, np.float64)[None, :], _table_lab())
    return NAMES[int(np.argmin(distances))][0]
