"""Connections: the PCA map, bridges, cross-period pairs, the HTML and PNG pictures."""

from __future__ import annotations

import numpy as np
import pytest
from analyse_synthetic import collection

from studiolo.capabilities.analyse.attribution import fit_attribution
from studiolo.capabilities.analyse.connections import connections, pca_2d, period_of, year_of
from studiolo.capabilities.analyse.mapplot import map_html, map_png


@pytest.mark.parametrize(("text", "year"), [
    ("1876", 1876), ("c. 1665", 1665), ("1503–1519", 1503), ("late 15th century", 1475),
    ("early 17th century", 1625), ("12th century", 1150), ("", None), ("undated", None)])
def test_year_of_date_texts(text, year):
    assert year_of(text) == year


def test_period_bins():
    assert period_of(1876) == "1850-1899" and period_of(None) == "undated"


def test_pca_recovers_the_main_axis():
    rng = np.random.default_rng(0)
    t = np.linspace(-1, 1, 50)
    x = np.outer(t, [3.0, 0, 0]) + 0.01 * rng.normal(size=(50, 3))
    coords, explained = pca_2d(x)
    assert explained[0] > 0.99
    assert abs(np.corrcoef(coords[:, 0], t)[0, 1]) > 0.999


def test_connections_of_a_collection():
    index, _ = collection([4, 4, 3, 1])
    conn = connections(fit_attribution(index))
    assert len(conn.points) == 12 and {p.artist for p in conn.points} == {
        "Artist 0", "Artist 1", "Artist 2", "Artist 3"}
    assert sum(conn.explained) <= 1.0 + 1e-9
    # Artists 0 and 3 are 180 years apart (years 1500+60a): pairs across periods exist.
    assert conn.across_periods and all(abs(p.other_year - p.year) >= 100
                                       for p in conn.across_periods)
    assert all(b.strength > 0 and b.artist != b.other_artist for b in conn.bridges)
    assert conn.to_json()["points"][0].keys() >= {"x", "y", "artist", "period"}


def test_map_html_is_self_contained_and_png_is_drawn():
    index, _ = collection([3, 3, 2])
    conn = connections(fit_attribution(index))
    page = map_html(conn)
    assert page.count("<circle") == 8 and "http" not in page.replace("http-equiv", "")
    assert 'data-period-fill="' in page and "<script>" in page
    image = map_png(conn, by="period")
    assert image.size == (1010, 560) and image.getpixel((5, 5)) == (251, 250, 247)
