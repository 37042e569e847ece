"""The "unknown" decision from several cues, combined by a small logistic model.

One distance alone (novelty.py) tells too few outsiders from known artists on a small
collection, so this weighs several cues of how a work sits among the collection's works,
each computed from its similarities to them (`cues`):

- `nearest`: log distance to the nearest work;
- `relative`: log of that distance over the nearest artist's own spread (the median
  distance of that artist's works to their nearest other work of the artist; an artist
  with one work gets the collection's median spread);
- `ratio`: nearest artist's distance over the second artist's (Mendes Junior et al. 2017);
- `density`: log mean distance to the `DENSITY_K` nearest works (Ramaswamy et al. 2000);
- `local`: log of the nearest distance over the nearest work's own nearest-neighbour
  distance (a local outlier factor with one neighbour, Breunig et al. 2000).

The model is fitted on the collection itself with both kinds simulated, as in novelty.py:
each work of an artist with two or more works, left out ("known"), and each work with all
of its artist's works left out ("outsider"); every cue of a simulated work is computed with
the left-out works removed. A logistic regression with an L2 penalty (Newton's method, the
two kinds weighed equally) gives each work a score, and the threshold is the `quantile` of
the known works' scores (split-conformal, as in novelty.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CUES = ("nearest", "relative", "ratio", "density", "local")
DENSITY_K = 5
L2 = 1.0  # penalty on the (standardised) coefficients
MAX_EXAMPLES = 400  # simulated works of each kind the fit looks at
SEED = 0
EPS = 1e-6


def _log(x: np.ndarray | float) -> np.ndarray:
    return np.log(np.maximum(np.asarray(x, np.float64), EPS))


def artist_spreads(sim: np.ndarray, labels: np.ndarray, n_artists: int) -> np.ndarray:
    """(A,) median distance of each artist's works to their nearest other work of the
    artist (-inf entries of `sim` are absent works); nan for an artist with under two."""
    out = np.full(n_artists, np.nan)
    for a in range(n_artists):
        cols = np.flatnonzero(labels == a)
        if cols.size >= 2:
            block = sim[np.ix_(cols, cols)].copy()
            np.fill_diagonal(block, -np.inf)
            best = block.max(axis=1)
            best = best[np.isfinite(best)]
            if best.size:
                out[a] = float(np.median(1.0 - best))
    return out


def cue_row(sims: np.ndarray, labels: np.ndarray, n_artists: int, spreads: np.ndarray,
            own_nn: np.ndarray) -> np.ndarray:
    """The cues (CUES order) of one work from its (N,) similarities to the collection's works
    (-inf: absent), the artists' spreads and each work's own nearest-neighbour distance."""
    present = np.isfinite(sims)
    if not present.any():
        return np.array([np.log(2.0), 0.0, 1.0, np.log(2.0), 0.0])
    table = np.full(n_artists, np.inf)
    np.minimum.at(table, labels[present], 1.0 - sims[present])
    order = np.argsort(table)
    d1 = table[order[0]]
    d2 = table[order[1]] if n_artists > 1 and np.isfinite(table[order[1]]) else np.nan
    spread = spreads[order[0]]
    if not np.isfinite(spread):
        spread = np.nanmedian(spreads) if np.isfinite(spreads).any() else d1
    k = min(DENSITY_K, int(present.sum()))
    near = -np.partition(-np.where(present, sims, -np.inf), k - 1)[:k]
    j = int(np.argmax(np.where(present, sims, -np.inf)))
    ratio = d1 / d2 if np.isfinite(d2) and d2 > 0 else 1.0
    return np.array([_log(d1), _log(d1) - _log(spread), ratio, _log(np.mean(1.0 - near)),
                     _log(d1) - _log(own_nn[j])])


def _own_nn(sim: np.ndarray, absent: np.ndarray | None = None) -> np.ndarray:
    """(N,) each work's distance to its nearest other present work."""
    s = sim if absent is None else np.where(absent[None, :], -np.inf, sim)
    best = s.max(axis=1)
    return np.where(np.isfinite(best), 1.0 - best, 1.0)


def simulate(sim: np.ndarray, labels: np.ndarray, max_examples: int = MAX_EXAMPLES,
             seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(cues (M, len(CUES)), is-outsider (M,)) of the simulated known works and outsiders
    of a collection with similarity matrix `sim` (diagonal -inf)."""
    n_artists = int(labels.max()) + 1
    sizes = np.bincount(labels, minlength=n_artists)
    rng = np.random.default_rng(seed)
    known = np.flatnonzero(sizes[labels] >= 2)
    if known.size > max_examples:
        known = np.sort(rng.choice(known, max_examples, replace=False))
    outsiders = np.arange(len(labels)) if n_artists >= 2 else np.empty(0, np.int64)
    if outsiders.size > max_examples:
        outsiders = np.sort(rng.choice(outsiders, max_examples, replace=False))
    base_spreads = artist_spreads(sim, labels, n_artists)
    rows, outside = [], []
    for i in known:
        absent = np.zeros(len(labels), bool)
        absent[i] = True
        spreads = base_spreads.copy()
        spreads[labels[i]] = artist_spreads(np.where(absent[None, :] | absent[:, None], -np.inf,
                                                     sim), labels, n_artists)[labels[i]]
        row = np.where(absent, -np.inf, sim[i])
        rows.append(cue_row(row, labels, n_artists, spreads, _own_nn(sim, absent)))
        outside.append(False)
    for i in outsiders:
        absent = labels == labels[i]
        spreads = base_spreads.copy()
        spreads[labels[i]] = np.nan
        row = np.where(absent, -np.inf, sim[i])
        rows.append(cue_row(row, labels, n_artists, spreads, _own_nn(sim, absent)))
        outside.append(True)
    return np.array(rows, np.float64).reshape(-1, len(CUES)), np.array(outside, bool)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, iters: int = 50
                 ) -> np.ndarray:
    """Coefficients (intercept first) of an L2-penalised logistic regression, each class
    weighed to half the total, by Newton's method (IRLS)."""
    n, d = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    pos = max(int(y.sum()), 1)
    neg = max(n - int(y.sum()), 1)
    w = np.where(y, n / (2 * pos), n / (2 * neg))
    beta = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[0] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -30, 30)))
        grad = design.T @ (w * (p - y)) + penalty * beta
        hess = ((design * (w * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
                + 1e-9 * np.eye(d + 1))
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


@dataclass(frozen=True)
class OpenSet:
    """The fitted unknown decision: score = logistic of the standardised cues, taken under
    one or more metrics (similarity matrices) of the same collection."""

    cues: tuple[int, ...]  # which of CUES, by position
    mean: np.ndarray
    std: np.ndarray
    beta: np.ndarray
    threshold: float
    reference: np.ndarray  # sorted scores of the simulated known works
    in_rate: float
    out_rate: float
    spreads: tuple[np.ndarray, ...]  # per metric, (A,) of the collection it is applied to
    own_nn: tuple[np.ndarray, ...]  # per metric, (N,) each work's nearest-neighbour distance

    def score_cues(self, cues: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(cues) - self.mean) / self.std
        return z @ self.beta[1:] + self.beta[0]

    def score(self, sims: list[np.ndarray], labels: np.ndarray) -> float:
        """The unknown score of a new work from its (N,) similarities to the collection's
        works under each metric (higher: less like the collection)."""
        row = np.concatenate([cue_row(s, labels, len(spread), spread, nn)[list(self.cues)]
                              for s, spread, nn in zip(sims, self.spreads, self.own_nn,
                                                       strict=True)])
        return float(self.score_cues(row)[0])


def fit_open_set(sims: list[np.ndarray], labels: np.ndarray, quantile: float,
                 cues: tuple[str, ...] = CUES, l2: float = L2) -> OpenSet | None:
    """The unknown decision of a collection from its similarity matrices (-inf diagonals),
    or None when it cannot be fitted (under three artists, or no artist with two works)."""
    n_artists = int(labels.max()) + 1 if labels.size else 0
    if n_artists < 3:
        return None
    chosen = tuple(CUES.index(c) for c in cues)
    parts, y = [], None
    for sim in sims:
        x, y = simulate(sim, labels)
        parts.append(x[:, list(chosen)])
    if y is None or y.all() or not y.any():
        return None
    x = np.hstack(parts)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std = np.where(std > 1e-9, std, 1.0)
    beta = fit_logistic((x - mean) / std, y.astype(np.float64), l2)
    scores = ((x - mean) / std) @ beta[1:] + beta[0]
    threshold = float(np.quantile(scores[~y], quantile))
    return OpenSet(chosen, mean, std, beta, threshold, np.sort(scores[~y]),
                   float(np.mean(scores[~y] > threshold)), float(np.mean(scores[y] > threshold)),
                   tuple(artist_spreads(s, labels, n_artists) for s in sims),
                   tuple(_own_nn(s) for s in sims))
