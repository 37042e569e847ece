"""Composition figures on pictures whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from studiolo.capabilities.analyse.composition import analyse_composition
from studiolo.capabilities.analyse.prepare import prepare
from studiolo.features.styles import style_image


def disc_at(x: float, y: float, size: tuple[int, int] = (300, 200)) -> Image.Image:
    """A grey-green field with one orange disc centred at (x, y) (fractions of the frame)."""
    w, h = size
    a = np.empty((h, w, 3), np.uint8)
    a[:] = (110, 120, 110)
    a += np.random.default_rng(0).integers(0, 6, a.shape, dtype=np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    a[(xx - x * w) ** 2 + (yy - y * h) ** 2 < (0.05 * w) ** 2] = (240, 120, 30)
    return Image.fromarray(a)


def test_a_disc_on_a_thirds_point_is_the_focal_point():
    on = analyse_composition(prepare(disc_at(1 / 3, 1 / 3)))
    off = analyse_composition(prepare(disc_at(0.5, 0.5)))
    first = on.focal_points[0]
    assert abs(first.x - 1 / 3) < 0.03 and abs(first.y - 1 / 3) < 0.03
    assert on.thirds_points > 0.95 and off.thirds_points < on.thirds_points - 0.1
    assert on.thirds_lines > 1.5  # the saliency sits on the lines, beyond their share of area
    assert on.mass_centre[0] < 0.45 and on.left_right_ratio > 1
    assert off.balance > on.balance


def test_a_mirror_symmetric_picture_has_symmetry_one():
    rng = np.random.default_rng(3)
    half = rng.integers(0, 255, (64, 32, 3), dtype=np.uint8)
    sym = np.concatenate([half, half[:, ::-1]], axis=1)
    report = analyse_composition(prepare(Image.fromarray(sym)))
    assert report.symmetry_lr == pytest.approx(1.0, abs=1e-6)
    assert abs(report.symmetry_tb) < 0.5


def test_a_flat_picture_has_no_focal_points_and_no_edges():
    report = analyse_composition(prepare(Image.new("RGB", (120, 90), (40, 60, 200))))
    assert report.focal_points == () and report.edge_density == 0.0
    assert report.thirds_points == 0.0 and report.symmetry_lr == 1.0 and report.balance == 1.0
    assert report.overlay.size == (120, 90)


def test_overlay_and_figures_of_a_painting_are_pinned():
    report = analyse_composition(prepare(style_image("leonardo-da-vinci-mona-lisa")))
    assert report.overlay.size == (343, 512) or report.overlay.size[1] == 512
    j = report.to_json()
    assert "overlay" not in j and "saliency" not in j
    assert j["symmetry_lr"] == pytest.approx(0.679, abs=0.01)
    assert j["edge_density"] == pytest.approx(0.0831, abs=0.005)
    assert 1 <= len(j["focal_points"]) <= 3


@settings(max_examples=30, deadline=None)
@given(st.integers(32, 90), st.integers(32, 90), st.integers(0, 2**32 - 1))
def test_composition_is_total(w, h, seed):
    pixels = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    report = analyse_composition(prepare(Image.fromarray(pixels)))
    assert 0 <= report.balance <= 1 and 0 <= report.edge_density <= 1
    assert all(0 <= p.x <= 1 and 0 <= p.y <= 1 for p in report.focal_points)
    assert np.isfinite([report.thirds_lines, report.golden_lines, report.symmetry_tb]).all()
