"""The bag of tiles and its discriminant metric (capabilities/analyse/tiles.py)."""

from __future__ import annotations

import numpy as np
import pytest
from analyse_helpers import light_content, painting

from studiolo.capabilities.analyse.tiles import (
    GRID,
    TILE,
    TileAttribution,
    fit_tile_metric,
    tile_features,
    tile_grid,
)
from studiolo.core.errors import InvalidArgument


def test_the_grid_is_tiles_of_one_size_at_the_working_scale():
    big = painting(1, (120, 80, 40), size=(1600, 1400))
    tiles = tile_grid(big)
    assert len(tiles) == GRID * GRID and {t.size for t in tiles} == {(TILE, TILE)}
    # 1600 x 1000 goes to 800 x 500 px: 3 columns fit, and 2 rows (500 // 224).
    assert len(tile_grid(painting(1, (120, 80, 40), size=(1600, 1000)))) == 3 * 2
    # A picture smaller than one tile is enlarged to one tile, never refused.
    small = tile_grid(painting(2, (20, 90, 160), size=(120, 90)))
    assert [t.size for t in small] == [(TILE, TILE)]
    # The same pixels give the same tiles.
    assert all(np.array_equal(np.asarray(a), np.asarray(b))
               for a, b in zip(tiles, tile_grid(big), strict=True))


def test_tile_features_are_one_finite_row_per_tile():
    rows = tile_features(painting(3, (200, 150, 90), size=(800, 700)), light_content)
    assert rows.shape == (GRID * GRID, 1280) and rows.dtype == np.float32
    assert np.isfinite(rows).all()


def _bags(rng: np.random.Generator, artists: int, works: int, tiles: int = 9):
    """Works whose artist shows in 6 weak dimensions and whose subject shakes 40 others."""
    identity = rng.normal(size=(artists, 6))
    bags, labels = [], []
    for a in range(artists):
        for _ in range(works):
            subject = rng.normal(size=40) * 6.0  # one painting's subject: shared by its tiles
            t = np.hstack([identity[a] + rng.normal(size=(tiles, 6)) * 0.3,
                           subject + rng.normal(size=(tiles, 40))])
            bags.append(t)
            labels.append(a)
    return bags, np.array(labels)


def _loo_accuracy(vectors: np.ndarray, labels: np.ndarray) -> float:
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    s = v @ v.T
    np.fill_diagonal(s, -np.inf)
    return float(np.mean(labels[s.argmax(axis=1)] == labels))


def test_the_metric_finds_the_artist_under_the_subject():
    rng = np.random.default_rng(0)
    bags, labels = _bags(rng, artists=6, works=12)
    raw = _loo_accuracy(np.stack([b.mean(axis=0) for b in bags]), labels)
    metric = fit_tile_metric(bags, labels, pca=46)
    # New works by the same artists, never seen by the fit, land near their artist.
    new, new_labels = _bags(np.random.default_rng(0), artists=6, works=12)
    rng2 = np.random.default_rng(1)
    fresh, fresh_labels = [], []
    for b, lab in zip(new, new_labels, strict=True):  # same identities, new subjects
        b = b.copy()
        b[:, 6:] = rng2.normal(size=40) * 6.0 + rng2.normal(size=(len(b), 40))
        fresh.append(b)
        fresh_labels.append(lab)
    known = metric.project_all(bags)
    hits = [labels[int(np.argmax(known @ metric.project(b)))] == lab
            for b, lab in zip(fresh, fresh_labels, strict=True)]
    assert raw < 0.5  # the subject hides the artist from plain cosine
    assert np.mean(hits) > 0.8
    assert metric.directions.shape[1] == 5  # at most artists - 1
    assert np.allclose(np.linalg.norm(known, axis=1), 1.0)


def test_bad_input_to_the_metric_is_named():
    rng = np.random.default_rng(2)
    bags, labels = _bags(rng, artists=2, works=2)
    with pytest.raises(InvalidArgument) as err:
        fit_tile_metric(bags, labels)
    assert str(err.value) == "A tile metric needs works by at least 3 artists, got 2."
    with pytest.raises(InvalidArgument) as err:
        fit_tile_metric(bags[:3], labels)
    assert str(err.value) == "3 tile bags were given for 4 labels; give one bag per work."


def test_tile_attribution_calibrates_on_works_it_did_not_fit():
    rng = np.random.default_rng(3)
    bags, labels = _bags(rng, artists=5, works=6)
    model = TileAttribution(bags, labels, 5)
    assert model.temperature > 0 and model.reference.size == len(bags)
    assert model.threshold == pytest.approx(np.quantile(model.reference, 0.85))
    assert model.spread.shape == (5,) and (model.spread > 0).all()
    d, where = model.distances(bags[0])
    assert labels[where[labels[0]]] == labels[0] and d[labels[0]] == pytest.approx(0.0, abs=1e-6)
    # Banning the work's own row: its artist's nearest is now another of its works.
    d2, where2 = model.distances(bags[0], banned=np.array([0]))
    assert where2[labels[0]] != 0 and d2[labels[0]] > d[labels[0]]
    far = rng.normal(size=bags[0].shape) * 20
    assert model.relative(model.distances(far)[0]) > model.relative_threshold
