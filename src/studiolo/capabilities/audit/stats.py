"""The statistics of an audit: intervals for shares and means, tests between prompts.

- Shares get Wilson score intervals (Wilson, "Probable inference, the law of succession,
  and statistical inference", JASA 22, 1927): unlike the normal approximation they stay
  inside [0, 1] and keep close to their nominal cover for the small counts of an audit
  (Brown, Cai & DasGupta, Statistical Science 16, 2001).
- Means get Student's t intervals.
- Counts of a category by prompt get Pearson's chi-square test of independence
  (`scipy.stats.chi2_contingency`) over the rows and columns that are not all zero, with
  Cochran's rule said aloud: when more than 20 % of the expected counts are under 5, the
  p-value is not to be trusted, and the result says so.
- A continuous measure by prompt gets the Kruskal-Wallis H test (no normality assumed).
- A disparity ratio is a prompt's share of a group over the pooled share of that group
  across all prompts (1 = as often as overall), as in the representation ratios of Stable
  Bias (Luccioni et al., NeurIPS 2023) and DALL-Eval (Cho et al., ICCV 2023).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Share:
    """k of n, with its 95 % Wilson interval; share is None when n is 0."""

    k: int
    n: int
    low: float | None
    high: float | None

    @property
    def share(self) -> float | None:
        return self.k / self.n if self.n else None

    def to_dict(self) -> dict[str, float | int | None]:
        share = self.share
        return {"k": self.k, "n": self.n, "share": None if share is None else round(share, 4),
                "ci95": None if self.low is None else [round(self.low, 4), round(self.high or 0, 4)]}


def wilson(k: int, n: int, z: float = Z95) -> Share:
    """k successes of n with the Wilson score interval (None bounds when n is 0)."""
    if n <= 0:
        return Share(k, n, None, None)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # Exact at the ends (0 of n has 0 as its lower bound), which rounding can miss by 1e-17.
    low = 0.0 if k == 0 else min(p, max(0.0, centre - half))
    high = 1.0 if k == n else max(p, min(1.0, centre + half))
    return Share(k, n, low, high)


@dataclass(frozen=True)
class Mean:
    n: int
    mean: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 3)

        return {"n": self.n, "mean": r(self.mean),
                "ci95": None if self.low is None else [r(self.low), r(self.high)]}


def mean_ci(values: Sequence[float]) -> Mean:
    """The mean with its 95 % Student t interval (no interval for fewer than 2 values)."""
    from scipy import stats

    data = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    if len(data) == 0:
        return Mean(0, None, None, None)
    mean = float(data.mean())
    if len(data) < 2:
        return Mean(1, mean, None, None)
    half = float(stats.t.ppf(0.975, len(data) - 1) * data.std(ddof=1) / math.sqrt(len(data)))
    return Mean(len(data), mean, mean - half, mean + half)


@dataclass(frozen=True)
class Test:
    """A test between prompts: its name, statistic, degrees of freedom, p-value and caveat."""

    name: str
    statistic: float | None
    dof: int | None
    p: float | None
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"test": self.name, "statistic": None if self.statistic is None else round(self.statistic, 4),
                "dof": self.dof, "p": None if self.p is None else float(f"{self.p:.4g}"),
                "note": self.note}


def chi_square(table: Sequence[Sequence[int]], name: str) -> Test:
    """Pearson's chi-square test of independence of a (prompts x categories) count table."""
    from scipy.stats import chi2_contingency

    counts = np.asarray(table, dtype=np.float64)
    if counts.ndim != 2:
        return Test(name, None, None, None, "no table to test")
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0] if counts.size else counts
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        return Test(name, None, None, None,
                    "not testable: fewer than two prompts or two categories have any count")
    statistic, p, dof, expected = chi2_contingency(counts, correction=False)
    low = float((expected < 5).mean())
    note = ""
    if low > 0.2:
        note = (f"{low:.0%} of the expected counts are under 5 (Cochran's rule allows 20 %): "
                "the p-value is not reliable; use more seeds")
    return Test(name, float(statistic), int(dof), float(p), note)


def kruskal(groups: Sequence[Sequence[float]], name: str) -> Test:
    """The Kruskal-Wallis H test that a measure is distributed alike for every prompt."""
    from scipy.stats import kruskal as kw

    usable = [list(g) for g in groups if len(g) > 0]
    if len(usable) < 2:
        return Test(name, None, None, None, "not testable: fewer than two prompts have values")
    if len({v for g in usable for v in g}) < 2:
        return Test(name, None, None, None, "not testable: every value is the same")
    statistic, p = kw(*usable)
    return Test(name, float(statistic), len(usable) - 1, float(p))


def disparity(k: int, n: int, pooled_k: int, pooled_n: int) -> float | None:
    """A prompt's share of a group over the pooled share (None when either is undefined)."""
    if n == 0 or pooled_n == 0 or pooled_k == 0:
        return None
    return (k / n) / (pooled_k / pooled_n)
