"""The named figures a person can read (colour, composition, brushwork), as one vector.

Authenticity compares a work with an artist's works figure by figure, so each
figure has the words for "higher" and "lower" that a report uses (comparatives, so
that "much" reads well before them).
"""

from __future__ import annotations

import numpy as np

from .brushwork import BrushworkReport
from .colour import ColourReport
from .composition import CompositionReport

# (name, what it is, higher, lower)
FIGURES: tuple[tuple[str, str, str, str], ...] = (
    ("colourfulness", "colourfulness", "more colourful", "less colourful"),
    ("brightness", "brightness", "brighter", "darker"),
    ("contrast", "contrast", "more contrasted", "flatter in tone"),
    ("saturation", "saturation", "more saturated", "more muted"),
    ("warmth", "share of warm hues", "warmer", "cooler"),
    ("edge_density", "edge density", "busier with edges", "calmer in edges"),
    ("symmetry", "left-right symmetry", "more symmetric", "less symmetric"),
    ("balance", "visual balance", "more centred", "more off-centre"),
    ("thirds", "rule-of-thirds placement", "closer to the thirds", "farther from the thirds"),
    ("orientation_entropy", "spread of stroke directions", "more varied in stroke direction",
     "more uniform in stroke direction"),
    ("anisotropy", "alignment of strokes", "more aligned in its strokes",
     "less aligned in its strokes"),
    ("coherence", "stroke coherence", "more coherent in its strokes",
     "less coherent in its strokes"),
    ("stroke_length", "stroke length", "longer in its strokes", "shorter in its strokes"),
    ("curvature", "stroke curvature", "more curved in its strokes", "straighter in its strokes"),
)
NAMES = tuple(f[0] for f in FIGURES)


def figure_vector(colour: ColourReport, composition: CompositionReport,
                  brush: BrushworkReport) -> np.ndarray:
    """The FIGURES of one work, in order, as float32."""
    values = (
        colour.colourfulness, colour.brightness_mean, colour.contrast_rms * 100,
        colour.saturation_mean, colour.warm_fraction, composition.edge_density * 100,
        composition.symmetry_lr, composition.balance, composition.thirds_points,
        brush.orientation_entropy, brush.anisotropy, brush.coherence_mean,
        brush.stroke_length_median, brush.curvature_mean * 100,
    )
    return np.nan_to_num(np.array(values, np.float32))
