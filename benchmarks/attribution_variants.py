"""Calibration and "unknown" variants measured by benchmarks/attribution.py, in its folds.

Everything here is fitted inside a fold (on the works the fold's model was fitted on, by
their own leave-one-out or leave-one-artist-out) and applied to the fold's held-out work:

- calibrators of the top-1 probability, fitted on the fold's own leave-one-out queries:
  one temperature (what studiolo ships), Platt scaling on the margin between the best and
  second artist's distances (Platt 1999), histogram binning in five equal-mass bins
  (Zadrozny & Elkan 2001, with a Beta(1, 1) prior per bin) and isotonic regression of
  correctness on the probability (pool adjacent violators, Zadrozny & Elkan 2002);
- the multi-cue unknown decision of capabilities/analyse/openset.py (a logistic model of
  several cues under the novelty metric and the detail and content embeddings).
"""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.analyse.attribution import artist_distances, softmax_rows
from studiolo.capabilities.analyse.openset import fit_logistic, fit_open_set

CALIBRATORS = ("temperature", "Platt on margin", "histogram binning", "isotonic")
OPEN_SET_METRICS = ("novelty", "detail", "content")
OPEN_SET_CUES = ("nearest", "relative", "local")


def fold_queries(model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(top-1 probability, right?, margin) of the fold's own leave-one-out queries."""
    sims = model.matrix @ model.matrix.T
    np.fill_diagonal(sims, -np.inf)
    sizes = np.bincount(model.labels)
    rows = np.flatnonzero(sizes[model.labels] >= 2)
    d = artist_distances(sims[rows], model.labels, len(model.artists))
    d = np.where(np.isfinite(d), d, 2.0)
    p = softmax_rows(d, model.temperature)
    two = np.sort(d, axis=1)[:, :2]
    return p.max(axis=1), p.argmax(axis=1) == model.labels[rows], two[:, 1] - two[:, 0]


def _pav(x: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
    """Isotonic regression by pool adjacent violators: [(upper x of a block, value)]."""
    order = np.argsort(x, kind="stable")
    blocks: list[list[float]] = []  # [sum, count, upper x]
    for xi, yi in zip(x[order], y[order].astype(float), strict=True):
        blocks.append([yi, 1.0, xi])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, n, hi = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += n
            blocks[-1][2] = hi
    return [(hi, s / n) for s, n, hi in blocks]


def calibrated(model, conf: float, margin: float) -> dict[str, float]:
    """The held-out work's top-1 probability under each calibrator of the fold."""
    fc, fok, fm = fold_queries(model)
    fok = fok.astype(np.float64)
    out = {"temperature": conf}
    beta = fit_logistic(fm[:, None], fok, l2=1e-3)
    out["Platt on margin"] = float(1.0 / (1.0 + np.exp(-(beta[0] + beta[1] * margin))))
    edges = np.quantile(fc, np.linspace(0, 1, 6))
    which = np.clip(np.searchsorted(edges, fc, side="right") - 1, 0, 4)
    b = int(np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, 4))
    out["histogram binning"] = float((fok[which == b].sum() + 1) / ((which == b).sum() + 2))
    blocks = _pav(fc, fok)
    value = next((v for hi, v in blocks if conf <= hi), blocks[-1][1])
    out["isotonic"] = float(np.clip(value, 0.01, 0.99))
    return out


def open_set_score(model, index, held: set[str], vectors) -> tuple[float, np.ndarray]:
    """(the held-out work's multi-cue unknown score, the fold's known-work reference
    scores) of openset.py; nan when it cannot be fitted."""
    keep = np.array([w.sha256 not in held for w in index.list()])
    mats, queries = [], []
    for name in OPEN_SET_METRICS:
        if name == "novelty":
            m = model.novelty_matrix
            q = model.query_vector(vectors, model.novelty.weights)
        else:
            m = model.scales[name].apply(index.vectors(name)[keep])
            q = model.scales[name].apply(np.asarray(vectors[name])[None])[0]
        mats.append(m)
        queries.append(m @ q)
    sims = []
    for m in mats:
        s = m @ m.T
        np.fill_diagonal(s, -np.inf)
        sims.append(s)
    fitted = fit_open_set(sims, model.labels, 0.85, OPEN_SET_CUES)
    if fitted is None:
        return float("nan"), np.array([])
    return fitted.score(queries, model.labels), fitted.reference
