"""Brushwork figures: orientation of known stripes, curvature of rings, texture descriptors."""

from __future__ import annotations

import numpy as np
import pytest
from analyse_helpers import stripes
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from studiolo.capabilities.analyse.brushwork import BINS, VECTOR_SIZE, analyse_brushwork
from studiolo.capabilities.analyse.prepare import prepare
from studiolo.capabilities.analyse.texture import lbp_riu2


@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0, 135.0])
def test_stripes_give_their_own_direction(angle):
    report = analyse_brushwork(prepare(stripes(angle)))
    gap = abs((report.dominant_orientation - angle + 90) % 180 - 90)
    assert gap < 3.0
    assert report.anisotropy > 0.9 and report.orientation_entropy < 0.5
    hist = np.array(report.orientation_histogram)
    assert hist.shape == (BINS,) and hist.sum() == pytest.approx(1.0)
    assert hist.argmax() in (int(angle // 15) % BINS, round(angle / 15) % BINS - 1)
    assert report.straightness > 0.99


def test_rings_curve_and_stripes_do_not():
    yy, xx = np.mgrid[0:384, 0:384]
    rings = (127 + 120 * np.sin(np.hypot(yy - 192, xx - 192) / 3)).astype(np.uint8)
    curved = analyse_brushwork(prepare(Image.fromarray(np.stack([rings] * 3, -1))))
    straight = analyse_brushwork(prepare(stripes(30.0, size=384)))
    assert curved.curvature_median > 5 * straight.curvature_median
    # Rings of radius r curve by 1/r: the median seed sits about 110 px from the centre.
    assert 0.002 < curved.curvature_median < 0.02
    assert curved.orientation_entropy > 0.95 and curved.anisotropy < 0.05


def test_flat_picture_has_no_strokes():
    report = analyse_brushwork(prepare(Image.new("RGB", (64, 64), (90, 90, 90))))
    assert report.stroke_count == 0 and report.coherence_mean == 0.0
    assert sum(report.orientation_histogram) == 0.0
    assert report.vector().shape == (VECTOR_SIZE,) and np.isfinite(report.vector()).all()


def test_lbp_codes_of_a_flat_and_a_checkered_picture():
    flat = lbp_riu2(np.full((16, 16), 0.5, np.float32), 1)
    assert flat[8] == 1.0  # every neighbour >= centre: the all-ones uniform pattern
    checker = (np.indices((16, 16)).sum(0) % 2).astype(np.float32)
    hist = lbp_riu2(checker, 1)
    # A bright centre's neighbours are all darker (the diagonals, read bilinearly, are
    # 0.59): code 0. A dark centre's are all brighter or equal: code 8.
    assert hist[0] == pytest.approx(0.5) and hist[8] == pytest.approx(0.5)


def test_orientation_field_picture():
    report = analyse_brushwork(prepare(stripes(45.0)))
    assert report.field_picture.size == (256, 256)
    assert "field_picture" not in report.to_json()


@settings(max_examples=25, deadline=None)
@given(st.integers(32, 80), st.integers(32, 80), st.integers(0, 2**32 - 1))
def test_brushwork_is_total(w, h, seed):
    pixels = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    v = analyse_brushwork(prepare(Image.fromarray(pixels))).vector()
    assert v.shape == (VECTOR_SIZE,) and np.isfinite(v).all()
