"""Attribution: the nearest-artist rule with leave-one-out calibration and "unknown"."""

from __future__ import annotations

import numpy as np
import pytest
from analyse_synthetic import TILE_DIMS, collection, collection_with_tiles, sample, tile_bag

from studiolo.capabilities.analyse.attribution import (
    DEFAULT_T,
    ece,
    fit_attribution,
    fit_temperature,
    nested_choice,
    softmax_rows,
)
from studiolo.capabilities.analyse.novelty import distance_ratio, scores


def test_clustered_artists_are_told_apart_and_an_outsider_is_unknown():
    index, centre = collection([5, 5, 4, 4, 3])
    model = fit_attribution(index)
    assert model.report.queries == 21 and model.report.top1 == 1.0
    rng = np.random.default_rng(9)
    att = model.attribute(sample(centre, 2, rng))
    assert att.candidates[0].artist == "Artist 2" and not att.unknown
    assert att.candidates[0].probability > 0.8
    probs = [c.probability for c in att.candidates]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1.0 + 1e-9
    stranger = {k: (v * 0 + rng.normal(size=v.shape) * 3).astype(np.float32)
                for k, v in sample(centre, 0, rng).items()}
    far = model.attribute(stranger)
    assert far.unknown and far.distance > far.threshold and far.spread_percentile == 1.0
    assert far.verdict.startswith("Unknown: this work is farther from every work in "
                                  "'synthetic' than 100% of the collection's own works")
    j = att.to_json()
    assert j["attribution"][0] == {"artist": "Artist 2",
                                   "probability": round(att.candidates[0].probability, 4)}
    assert j["unknown"] is False


def test_leaving_works_out_and_the_few_works_note():
    index, _centre = collection([4, 2, 3])
    first = index.list()[0]
    model = fit_attribution(index, exclude={first.sha256})
    assert len(model.works) == 8 and model.counts["Artist 0"] == 3
    att = model.attribute(index.vectors_of(first.sha256))
    assert att.candidates[0].artist == "Artist 0"
    assert "Artist 0 has only 3 works in the collection: a weak basis for a verdict." in att.notes


def test_one_artist_collection_is_stated():
    index, centre = collection([4], name="solo")
    model = fit_attribution(index)
    att = model.attribute(sample(centre, 0, np.random.default_rng(2)))
    assert [c.artist for c in att.candidates] == ["Artist 0"]
    assert att.candidates[0].probability == pytest.approx(1.0)
    assert att.notes[0] == ("Collection 'solo' holds works by one artist only (Artist 0), so the "
                            "probability of 100% compares that artist with no one; only the "
                            "unknown verdict says something.")


def test_one_work_per_artist_is_stated():
    index, centre = collection([1, 1, 1], name="singles")
    model = fit_attribution(index)
    assert model.report.queries == 0
    att = model.attribute(sample(centre, 1, np.random.default_rng(3)))
    assert att.candidates[0].artist == "Artist 1"
    assert ("Every artist in collection 'singles' has one work, so the probabilities are not "
            "calibrated (no work could be left out and attributed by another of its artist's "
            "works).") in att.notes
    assert "Artist 1 has one work in the collection, so this rests on a single picture." in \
        att.notes


def test_a_one_work_collection_does_not_crash():
    index, centre = collection([1], name="one")
    att = fit_attribution(index).attribute(sample(centre, 0, np.random.default_rng(4)))
    assert att.candidates[0].artist == "Artist 0"


def test_expected_calibration_error():
    assert ece(np.array([0.9, 0.9, 0.9, 0.9]), np.array([1, 1, 1, 0])) == pytest.approx(0.15)
    assert ece(np.array([0.25, 0.75]), np.array([0, 1])) == pytest.approx(0.25)
    assert ece(np.array([1.0]), np.array([1])) == 0.0


def test_temperature_scaling_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    d = rng.uniform(0, 1, size=(4000, 5))
    z = -d / 0.2
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    truth = np.array([rng.choice(5, p=row) for row in p])
    t, _ = fit_temperature(d, truth)
    assert t == pytest.approx(0.2, rel=0.1)


def test_temperature_scaling_lowers_ece_of_over_confident_scores_on_held_out_works():
    # Artists drawn from softmax(-d / 0.1): scored at a temperature five times colder, the
    # probabilities are far too sure of the nearest artist.
    rng = np.random.default_rng(1)
    n, a = 2000, 6
    d = rng.uniform(0, 1, size=(n, a))
    truth = np.array([rng.choice(a, p=row) for row in softmax_rows(d, 0.1)])
    fit, held = slice(0, n // 2), slice(n // 2, n)
    t, _ = fit_temperature(d[fit], truth[fit])  # fitted on one half, judged on the other

    def held_out_ece(temperature: float) -> float:
        p = softmax_rows(d[held], temperature)
        return ece(p.max(1), p.argmax(1) == truth[held])

    raw = held_out_ece(0.02)
    assert raw > 0.2  # the premise: over-confident before calibration
    assert held_out_ece(t) < 0.05
    assert held_out_ece(DEFAULT_T) > held_out_ece(t)


def test_nested_choice_chooses_each_weighting_without_its_own_query():
    hits = np.array([[1, 1, 1, 0], [1, 1, 0, 1]], bool)  # both right 3 of 4 times
    nll = np.zeros((2, 3, 4), np.float32)
    nll[1] += 1.0  # the first weighting has the lower log-loss: it wins the ties
    # Query 2 is right only under the first weighting; without it the second one is more
    # accurate on the rest, so query 2 is scored by the second (and query 3 the reverse).
    assert nested_choice(hits, nll).tolist() == [0, 0, 1, 0]
    assert nested_choice(hits[:, :1], nll[:, :, :1]).tolist() == [0]


def test_novelty_scores_in_closed_form():
    sim = np.array([[-np.inf, 0.9, 0.2, 0.1],
                    [0.9, -np.inf, 0.3, 0.2],
                    [0.2, 0.3, -np.inf, 0.5],
                    [0.1, 0.2, 0.5, -np.inf]])
    inside, outside = scores(sim, np.array([0, 0, 1, 2]))
    assert inside == pytest.approx([0.1, 0.1])  # works 0 and 1 have each other
    assert outside == pytest.approx([0.8, 0.7, 0.5, 0.5])  # nearest work of another artist


def test_distance_ratio_scores_in_closed_form():
    sim = np.array([[-np.inf, 0.9, 0.2, 0.1],
                    [0.9, -np.inf, 0.3, 0.2],
                    [0.2, 0.3, -np.inf, 0.5],
                    [0.1, 0.2, 0.5, -np.inf]])
    labels = np.array([0, 0, 1, 2])
    assert distance_ratio(np.array([[0.2, 0.5, np.inf]])) == pytest.approx([0.4])
    assert np.isnan(distance_ratio(np.array([[0.2, np.inf]]))[0])  # one artist: no ratio
    inside, outside = scores(sim, labels, kind="ratio")
    assert inside == pytest.approx([0.1 / 0.8, 0.1 / 0.7])  # own artist, then the next
    # Each work without its artist: its two nearest other artists (work 0: 0.8 and 0.9).
    assert outside == pytest.approx([0.8 / 0.9, 0.7 / 0.8, 0.5 / 0.7, 0.5 / 0.8])


def test_a_collection_with_tiles_is_attributed_by_the_tile_discriminant():
    index, centre, tile_centres = collection_with_tiles([5, 5, 4, 4, 3])
    model = fit_attribution(index)
    assert model.method == "tiles" and model.tiles is not None
    assert model.tiles.temperature > 0 and model.tiles.threshold > 0
    rng = np.random.default_rng(9)
    work = {**sample(centre, 0, rng), "tiles": tile_bag(tile_centres[2], rng)}
    att = model.attribute(work)  # the blocks say Artist 0, the tiles Artist 2: tiles decide
    assert att.candidates[0].artist == "Artist 2" and not att.unknown
    assert att.candidates[0].nearest.startswith("Work 2.")
    stranger = {**sample(centre, 0, rng), "tiles": tile_bag(rng.normal(size=TILE_DIMS) * 9, rng)}
    far = model.attribute(stranger)  # tiles like no artist's: not confident of any
    assert far.candidates[0].probability < att.candidates[0].probability
    # A work of the collection, left out, is attributed by the others only.
    first = index.list()[0]
    left = fit_attribution(index, exclude={first.sha256})
    again = left.attribute(index.vectors_of(first.sha256))
    assert again.candidates[0].artist == "Artist 0" and len(left.works) == 20
    # Without the tiles kind (an older collection) the block metric answers.
    plain, _ = collection([5, 5, 4, 4, 3])
    assert fit_attribution(plain).method == "blocks"
