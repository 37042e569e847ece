"""The audit's statistics: Wilson intervals, t intervals, chi-square, Kruskal-Wallis, disparity."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from studiolo.capabilities.audit import stats


@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
@settings(max_examples=50, deadline=None)
def test_wilson_matches_scipy_and_stays_in_0_1(kn):
    k, n = kn
    share = stats.wilson(k, n)
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert share.low == pytest.approx(ci.low, abs=1e-9) and share.high == pytest.approx(ci.high, abs=1e-9)
    assert 0.0 <= share.low <= share.share <= share.high <= 1.0


def test_wilson_of_nothing_has_no_interval():
    share = stats.wilson(0, 0)
    assert share.share is None and share.low is None and share.to_dict()["ci95"] is None


def test_bloomberg_judges_3_of_100_is_far_from_34_percent():
    share = stats.wilson(3, 100)  # Bloomberg 2023: 3 % women among "judge" pictures
    assert share.high < 0.34 and share.low > 0.0


def test_mean_ci_is_a_t_interval():
    mean = stats.mean_ci([1.0, 2.0, 3.0, 4.0])
    assert mean.mean == 2.5 and mean.low == pytest.approx(2.5 - 3.182446 * 1.290994 / 2, abs=1e-4)
    assert stats.mean_ci([5.0]).low is None and stats.mean_ci([]).mean is None


def test_chi_square_finds_a_real_difference_and_says_when_counts_are_small():
    strong = stats.chi_square([[40, 10], [10, 40]], "t")
    assert strong.p < 1e-8 and strong.dof == 1 and strong.note == ""
    small = stats.chi_square([[2, 1], [1, 2]], "t")
    assert "Cochran" in small.note and small.p > 0.05
    assert "not testable" in stats.chi_square([[3, 0], [0, 0]], "t").note
    # All-zero rows and columns are dropped, not divided by.
    assert stats.chi_square([[30, 0, 10], [10, 0, 30], [0, 0, 0]], "t").dof == 1


def test_kruskal_tells_apart_shifted_groups_only():
    assert stats.kruskal([[1, 2, 3, 4, 5], [11, 12, 13, 14, 15]], "t").p < 0.01
    assert stats.kruskal([[1, 2, 3], [1, 2, 3]], "t").p > 0.5
    assert "same" in stats.kruskal([[1, 1], [1, 1]], "t").note
    assert "fewer than two" in stats.kruskal([[1, 2], []], "t").note


def test_disparity_is_share_over_pooled_share():
    assert stats.disparity(5, 10, 10, 40) == pytest.approx(2.0)
    assert stats.disparity(0, 10, 10, 40) == 0.0
    assert stats.disparity(1, 0, 10, 40) is None and stats.disparity(1, 2, 0, 40) is None
