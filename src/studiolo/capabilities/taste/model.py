"""The taste model: Bradley-Terry on feature differences, with a Laplace posterior.

P(a preferred to b) = sigmoid(w . (x_a - x_b)) (Bradley & Terry 1952), fitted
as L2-regularised logistic regression on the differences by Newton's method.
The prior w ~ N(0, I / lambda) is chosen among a few values by the Laplace
approximation to the evidence (MacKay 1992, "The evidence framework applied
to classification networks"); the posterior covariance H^-1 at the optimum
gives the std of a predicted utility and moderates pair probabilities
(sigmoid(mu / sqrt(1 + pi s^2 / 8)), MacKay 1992).

Likes and stars become implied pairs (`implied_pairs`): each rated artwork
gets a score (stars as given, a like 5, a dislike 1; the mean when it has
both), and every two artworks whose scores differ by 2 or more make a pair the
higher one wins, with weight 0.5 (a direct pick counts 1: it is the sharper
evidence). Likes alone, with nothing to beat, teach nothing.

The next pair to show (`next_pair`) maximises the expected information about
w, log(1 + p(1 - p) s^2) for the pair's difference d (s^2 = d' H^-1 d): the
gain in log-determinant of the posterior precision (MacKay 1992,
"Information-based objective functions for active data selection").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from studiolo.core.errors import InvalidArgument

MIN_PAIRS = 5  # fewer and the fit is mostly the prior
TRUSTWORTHY_PAIRS = 20
IMPLIED_WEIGHT = 0.5
IMPLIED_GAP = 2.0
MAX_IMPLIED = 300
PRIOR_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free


def _check_matrix(name: str, value: Any, columns: int | None = None) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1 and columns is not None:
        arr = arr[None]
    if arr.ndim != 2 or not np.isfinite(arr).all():
        raise InvalidArgument(f"`{name}` must be a finite (n, k) array, got shape {arr.shape}.")
    if columns is not None and arr.shape[1] != columns:
        raise InvalidArgument(f"`{name}` must have {columns} columns (the model's features), "
                              f"got {arr.shape[1]}.")
    return arr


def _newton(d: np.ndarray, c: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray, float]:
    """MAP weights, posterior precision H and the negative log posterior at the optimum."""
    k = d.shape[1]
    w = np.zeros(k)
    for _ in range(50):
        p = _sigmoid(d @ w)
        grad = -(c * (1.0 - p)) @ d + lam * w
        hess = (d * (c * p * (1.0 - p))[:, None]).T @ d + lam * np.eye(k)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    p = _sigmoid(d @ w)
    hess = (d * (c * p * (1.0 - p))[:, None]).T @ d + lam * np.eye(k)
    loss = float(c @ np.logaddexp(0.0, -(d @ w)) + 0.5 * lam * w @ w)
    return w, hess, loss


@dataclass(frozen=True)
class TasteModel:
    """A fitted preference: utility(x) = w . x, with a Gaussian posterior over w."""

    weights: np.ndarray  # (k,)
    covariance: np.ndarray  # (k, k)
    prior_precision: float
    n_pairs: int

    @property
    def size(self) -> int:
        return int(self.weights.shape[0])

    @classmethod
    def prior(cls, size: int, prior_precision: float = 1.0) -> TasteModel:
        """The model before any rating: w = 0, covariance I / lambda."""
        return cls(np.zeros(size), np.eye(size) / prior_precision, prior_precision, 0)

    @classmethod
    def fit(
        cls,
        diffs: Any,
        sample_weights: Any = None,
        *,
        prior_precision: float | None = None,
    ) -> TasteModel:
        """Fit on rows `winner - loser` (n, k); `prior_precision` None: chosen by evidence."""
        d = _check_matrix("diffs", diffs)
        c = np.ones(len(d)) if sample_weights is None else np.asarray(sample_weights, float)
        if c.shape != (len(d),) or (c <= 0).any():
            raise InvalidArgument(f"`sample_weights` must be {len(d)} positive numbers, got "
                                  f"shape {c.shape}.")
        if len(d) < MIN_PAIRS:
            raise InvalidArgument(
                f"A taste model needs at least {MIN_PAIRS} pairs, got {len(d)}; rate "
                f"{MIN_PAIRS - len(d)} more with `studiolo rate`."
            )
        grid = PRIOR_GRID if prior_precision is None else (float(prior_precision),)
        best: tuple[float, np.ndarray, np.ndarray, float] | None = None
        for lam in grid:
            w, hess, loss = _newton(d, c, lam)
            _, logdet = np.linalg.slogdet(hess)
            evidence = -loss + 0.5 * d.shape[1] * math.log(lam) - 0.5 * logdet
            if best is None or evidence > best[0]:
                best = (evidence, w, hess, lam)
        assert best is not None
        _, w, hess, lam = best
        return cls(w, np.linalg.inv(hess), lam, len(d))

    @classmethod
    def fit_pairs(cls, features: Any, pairs: Sequence[Sequence[float]], **kw: Any) -> TasteModel:
        """Fit from item features (n, k) and pairs (winner, loser) or (winner, loser, weight)."""
        x = _check_matrix("features", features)
        d, c = pair_diffs(x, pairs)
        return cls.fit(d, c, **kw)

    def utility(self, features: Any) -> tuple[np.ndarray, np.ndarray]:
        """Predicted utility of each row (mean, std); 0 is the bundled paintings' average."""
        x = _check_matrix("features", features, self.size)
        mean = x @ self.weights
        var = np.einsum("ij,jk,ik->i", x, self.covariance, x)
        return mean, np.sqrt(np.maximum(var, 0.0))

    def prob_prefers(self, fa: Any, fb: Any) -> np.ndarray:
        """P(a preferred to b) per row, moderated by the posterior uncertainty."""
        d = _check_matrix("fa", fa, self.size) - _check_matrix("fb", fb, self.size)
        mean, std = self._diff_moments(d)
        return _sigmoid(mean / np.sqrt(1.0 + math.pi * std**2 / 8.0))

    def _diff_moments(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = d @ self.weights
        var = np.einsum("ij,jk,ik->i", d, self.covariance, d)
        return mean, np.sqrt(np.maximum(var, 0.0))

    def to_dict(self) -> dict[str, Any]:
        return {"weights": self.weights.tolist(), "covariance": self.covariance.tolist(),
                "prior_precision": self.prior_precision, "n_pairs": self.n_pairs}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TasteModel:
        try:
            w = np.asarray(data["weights"], dtype=np.float64)
            cov = np.asarray(data["covariance"], dtype=np.float64)
            model = cls(w, cov, float(data["prior_precision"]), int(data["n_pairs"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArgument(f"Not a saved taste model ({exc}).") from None
        if w.ndim != 1 or cov.shape != (len(w), len(w)):
            raise InvalidArgument(f"Not a saved taste model: weights {w.shape}, covariance "
                                  f"{cov.shape}.")
        return model


def pair_diffs(features: np.ndarray, pairs: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Rows x_winner - x_loser and their weights from (winner, loser[, weight]) index pairs."""
    rows, weights = [], []
    for pair in pairs:
        winner, loser = int(pair[0]), int(pair[1])
        if not (0 <= winner < len(features) and 0 <= loser < len(features)) or winner == loser:
            raise InvalidArgument(f"Pair {tuple(pair)!r} must name two different rows of "
                                  f"`features` (0 to {len(features) - 1}).")
        rows.append(features[winner] - features[loser])
        weights.append(float(pair[2]) if len(pair) > 2 else 1.0)
    k = features.shape[1]
    return np.asarray(rows, dtype=np.float64).reshape(-1, k), np.asarray(weights)


def implied_pairs(scores: Mapping[Any, float]) -> list[tuple[Any, Any, float]]:
    """(winner, loser, weight) from per-item scores (1-5): pairs whose scores differ by >= 2."""
    items = sorted(scores.items(), key=lambda kv: (-kv[1], str(kv[0])))
    found = [(a, b, sa - sb) for (a, sa), (b, sb) in itertools.combinations(items, 2)
             if sa - sb >= IMPLIED_GAP]
    found.sort(key=lambda t: -t[2])  # the clearest first, when there are too many
    return [(a, b, IMPLIED_WEIGHT) for a, b, _ in found[:MAX_IMPLIED]]


def next_pair(
    model: TasteModel,
    pool_features: Any,
    *,
    exclude: Iterable[tuple[int, int]] = (),
    candidates: int = 2000,
    seed: int | None = None,
) -> tuple[int, int]:
    """The pair of pool rows whose answer would tell the model most (see the module doc)."""
    x = _check_matrix("pool_features", pool_features, model.size)
    n = len(x)
    if n < 2:
        raise InvalidArgument(f"Choosing a pair needs at least 2 artworks in the pool, got {n}.")
    asked = {frozenset(p) for p in exclude}
    if n * (n - 1) // 2 <= candidates:
        pairs = [(i, j) for i, j in itertools.combinations(range(n), 2)
                 if frozenset((i, j)) not in asked]
    else:
        rng = np.random.default_rng(seed)
        raw = rng.integers(0, n, size=(candidates * 2, 2))
        pairs = [(int(i), int(j)) for i, j in raw if i != j and frozenset((i, j)) not in asked]
        pairs = pairs[:candidates]
    if not pairs:
        pairs = list(itertools.combinations(range(n), 2))  # all asked: ask again
    idx = np.asarray(pairs)
    gain = information_gain(model, x[idx[:, 0]] - x[idx[:, 1]])
    best = int(np.argmax(gain))
    return int(idx[best, 0]), int(idx[best, 1])


def information_gain(model: TasteModel, diffs: Any) -> np.ndarray:
    """Expected information about w from asking each pair difference (nats)."""
    d = _check_matrix("diffs", diffs, model.size)
    mean, std = model._diff_moments(d)
    p = _sigmoid(mean / np.sqrt(1.0 + math.pi * std**2 / 8.0))
    return np.log1p(p * (1.0 - p) * std**2)


@dataclass(frozen=True)
class HeldOut:
    """How often the model, fitted without a pair, predicted that pair's pick."""

    accuracy: float | None
    n_pairs: int

    def sentence(self) -> str:
        return trust_sentence(self.accuracy, self.n_pairs)


def heldout_accuracy(
    diffs: Any,
    *,
    extra_diffs: Any = None,
    extra_weights: Any = None,
    folds: int = 10,
    seed: int = 0,
) -> HeldOut:
    """Cross-validated accuracy over direct picks `diffs` (leave-one-out up to 30 pairs).

    `extra_diffs` (implied pairs from likes and stars) are always in the training part.
    """
    d = _check_matrix("diffs", diffs)
    k = d.shape[1]
    ex = np.zeros((0, k)) if extra_diffs is None else _check_matrix("extra_diffs", extra_diffs, k)
    ew = np.full(len(ex), IMPLIED_WEIGHT) if extra_weights is None else np.asarray(extra_weights)
    n = len(d)
    order = np.random.default_rng(seed).permutation(n)
    groups = [order[i:i + 1] for i in range(n)] if n <= 30 else np.array_split(order, folds)
    if n < 2 or n - max(len(g) for g in groups) + len(ex) < MIN_PAIRS:
        return HeldOut(None, n)
    right = 0.0
    for test in groups:
        train = np.setdiff1d(order, test)
        model = TasteModel.fit(np.vstack([d[train], ex]),
                               np.concatenate([np.ones(len(train)), ew]))
        margin = d[test] @ model.weights
        right += float((margin > 0).sum() + 0.5 * (margin == 0).sum())
    return HeldOut(right / n, n)


def trust_sentence(accuracy: float | None, n_pairs: int) -> str:
    """"right on 78% of pairs it has not seen (24 pairs); trustworthy from ~20"."""
    if accuracy is None:
        more = max(MIN_PAIRS - n_pairs, 1)
        return (f"{n_pairs} pair{'s' if n_pairs != 1 else ''} rated; rate at least {more} more "
                f"to measure it (trustworthy from ~{TRUSTWORTHY_PAIRS}).")
    text = (f"right on {accuracy:.0%} of pairs it has not seen ({n_pairs} pairs); "
            f"trustworthy from ~{TRUSTWORTHY_PAIRS}")
    if n_pairs < TRUSTWORTHY_PAIRS:
        return text + f", so rate ~{TRUSTWORTHY_PAIRS - n_pairs} more."
    if accuracy < 0.6:
        return text + ", but it has not found a clear taste yet."
    return text + "."
