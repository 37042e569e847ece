"""Visual flow: hang a room as a short walk through its image vectors.

An open path (a visitor walks through, not round) found by nearest-neighbour
construction from every possible start, then improved by 2-opt (Croes 1958:
reverse a stretch of the path whenever that shortens it, until nothing does).
Rooms hold tens of works, so the O(n^3) worst case is instant.
"""

from __future__ import annotations

import itertools

import numpy as np

RANDOM_TRIALS = 200


def distances(points: np.ndarray) -> np.ndarray:
    """(N, N) Euclidean distances between the rows of `points`."""
    sq = (points * points).sum(1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * points @ points.T
    return np.sqrt(np.maximum(d2, 0.0))


def path_length(points: np.ndarray, order: list[int]) -> float:
    """Total distance walked visiting `points` in `order` (an open path)."""
    if len(order) < 2:
        return 0.0
    p = points[order]
    return float(np.linalg.norm(p[1:] - p[:-1], axis=1).sum())


def _nearest_neighbour(d: np.ndarray, start: int) -> list[int]:
    n = len(d)
    order, seen = [start], np.zeros(n, bool)
    seen[start] = True
    for _ in range(n - 1):
        row = np.where(seen, np.inf, d[order[-1]])
        nxt = int(row.argmin())
        order.append(nxt)
        seen[nxt] = True
    return order


def _walk(d: np.ndarray, order: list[int]) -> float:
    return float(sum(d[a, b] for a, b in itertools.pairwise(order)))


def _two_opt(d: np.ndarray, order: list[int]) -> list[int]:
    order = list(order)
    n = len(order)
    improved = True
    while improved:
        improved = False
        for i in range(n - 1):
            for j in range(i + 1, n):
                # Reversing order[i..j] changes only the edges at its two ends
                # (an end of the path has no edge there).
                a, b = order[i], order[j]
                before = (d[order[i - 1], a] if i > 0 else 0.0) + (d[b, order[j + 1]] if j < n - 1 else 0.0)
                after = (d[order[i - 1], b] if i > 0 else 0.0) + (d[a, order[j + 1]] if j < n - 1 else 0.0)
                if after < before - 1e-9:
                    order[i:j + 1] = order[i:j + 1][::-1]
                    improved = True
    return order


def visual_tour(points: np.ndarray) -> list[int]:
    """An order of the rows of `points` whose path is short: neighbours look alike."""
    n = len(points)
    if n < 3:
        return list(range(n))
    d = distances(np.asarray(points, np.float64))
    starts = [_nearest_neighbour(d, s) for s in range(n)]
    best = min(starts, key=lambda o: _walk(d, o))
    return _two_opt(d, best)


def random_tour_length(points: np.ndarray, *, trials: int = RANDOM_TRIALS, seed: int = 0) -> float:
    """The mean path length of `trials` random orders: what the tour is measured against."""
    n = len(points)
    if n < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    return float(np.mean([path_length(points, list(rng.permutation(n))) for _ in range(trials)]))
