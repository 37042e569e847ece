"""The multi-cue unknown decision (openset.py): its logistic fit, its cues, and that an
outsider scores above the collection's own works on clustered synthetic artists."""

from __future__ import annotations

import numpy as np
from analyse_synthetic import centres, collection, sample
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from studiolo.capabilities.analyse.metric import fit_scales
from studiolo.capabilities.analyse.openset import (
    CUES,
    artist_spreads,
    cue_row,
    fit_logistic,
    fit_open_set,
)


def test_logistic_finds_the_sign_and_weighs_classes_equally():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-1, 1, 300), rng.normal(1, 1, 30)])[:, None]
    y = np.concatenate([np.zeros(300), np.ones(30)])
    beta = fit_logistic(x, y, l2=1e-6)
    assert beta[1] > 1.0
    assert abs(beta[0]) < 0.5  # balanced: the boundary sits between the classes, near 0


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (12, 2), elements=st.floats(-1e3, 1e3)),
       arrays(bool, 12))
def test_logistic_is_total(x, y):
    beta = fit_logistic(x, y.astype(np.float64))
    assert beta.shape == (3,) and np.isfinite(beta).all()


def test_cues_of_a_near_copy_and_of_a_stranger():
    labels = np.array([0, 0, 1, 1, 2, 2])
    sim = np.array([[-np.inf, .9, .2, .2, .1, .1], [.9, -np.inf, .2, .2, .1, .1],
                    [.2, .2, -np.inf, .8, .1, .1], [.2, .2, .8, -np.inf, .1, .1],
                    [.1, .1, .1, .1, -np.inf, .7], [.1, .1, .1, .1, .7, -np.inf]])
    spreads = artist_spreads(sim, labels, 3)
    assert np.allclose(spreads, [0.1, 0.2, 0.3])
    own = 1.0 - sim.max(axis=1)
    copy = cue_row(np.array([.95, .9, .2, .2, .1, .1]), labels, 3, spreads, own)
    stranger = cue_row(np.array([.3, .3, .3, .3, .3, .3]), labels, 3, spreads, own)
    for i in range(len(CUES)):
        assert stranger[i] > copy[i], CUES[i]
    assert np.isclose(copy[CUES.index("ratio")], 0.05 / 0.8)


def test_an_outsider_scores_above_the_collections_own_works():
    index, _ = collection([5, 5, 5, 5], seed=3)
    unit = fit_scales({k: index.vectors(k) for k in ("content", "detail", "style", "brush",
                                                     "colour")})["content"]
    m = unit.apply(index.vectors("content"))
    sim = m @ m.T
    np.fill_diagonal(sim, -np.inf)
    labels = np.repeat(np.arange(4), 5)
    fitted = fit_open_set([sim], labels, 0.85)
    assert fitted is not None and fitted.in_rate <= 0.2
    stranger = sample(centres(9, seed=99), 8, np.random.default_rng(1))["content"]
    member = index.vectors("content")[0] + 0.01
    score = {name: fitted.score([m @ unit.apply(v[None])[0]], labels)
             for name, v in (("stranger", stranger), ("member", member))}
    assert score["stranger"] > fitted.threshold > score["member"]
    assert fit_open_set([sim[:10, :10]], labels[:10], 0.85) is None  # two artists: no fit
