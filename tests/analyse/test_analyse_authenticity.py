"""Authenticity: the conformal typicality score, its words, and the deviating figures."""

from __future__ import annotations

import numpy as np
import pytest
from analyse_synthetic import collection, sample

from studiolo.capabilities.analyse.attribution import fit_attribution
from studiolo.capabilities.analyse.authenticity import authenticity, match_artist
from studiolo.core.errors import UnknownName


def test_a_typical_work_and_an_atypical_one():
    index, centre = collection([8, 5, 4])
    model = fit_attribution(index)
    rng = np.random.default_rng(5)
    # The artist's own centre is as typical as a work can be; another artist's is not.
    typical = authenticity(model, index, sample(centre, 0, rng, noise=0.0), "artist 0")
    assert typical.artist == "Artist 0" and typical.works == 8 and typical.typical
    assert typical.p_value == 1.0 and typical.strength == "moderate"
    assert typical.verdict == ("The work is typical of Artist 0: as close to the artist's works "
                               "as most of them are (p = 1.00, moderate evidence from 8 works).")
    other = authenticity(model, index, sample(centre, 1, rng), "Artist 0")
    assert not other.typical and other.p_value == pytest.approx(1 / 9)
    assert other.verdict == ("The work is less typical of Artist 0 than any of the artist's "
                             "works in this collection (p = 0.11, moderate evidence from 8 "
                             "works).")
    assert other.deviations and abs(other.deviations[0].z) >= 1.5
    assert other.deviations[0].words.split(" than ")[1].startswith("Artist 0's works here (")


def test_few_works_make_a_weak_verdict_in_words():
    index, centre = collection([3, 1, 4])
    model = fit_attribution(index)
    rng = np.random.default_rng(6)
    weak = authenticity(model, index, sample(centre, 1, rng), "Artist 0")
    assert weak.strength == "weak" and weak.p_value >= 0.25
    assert weak.uncertainty == ("With only 3 works by this artist in the collection, even a work "
                                "unlike all of them cannot score below 25%: a weak verdict "
                                "either way.")
    lone = authenticity(model, index, sample(centre, 1, rng), "Artist 1")
    assert lone.strength == "very weak" and lone.works == 1
    assert lone.uncertainty.startswith("There is one work by this artist in the collection, so "
                                       "the artist's own range is unknown")


def test_claimed_artist_must_be_in_the_collection():
    assert match_artist("van gogh", ["Vincent van Gogh", "Claude Monet"], "x") == \
        "Vincent van Gogh"
    assert match_artist("CLAUDE MONET", ["Vincent van Gogh", "Claude Monet"], "x") == \
        "Claude Monet"
    assert match_artist("Cezanne", ["Paul Cézanne"], "x") == "Paul Cézanne"
    with pytest.raises(UnknownName) as err:
        match_artist("Rembrandt", ["Vincent van Gogh", "Claude Monet"], "dev")
    assert str(err.value) == ("Unknown artist in collection 'dev' 'Rembrandt'. Known: "
                              "'Claude Monet', 'Vincent van Gogh'.")
