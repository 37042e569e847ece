"""Nearest neighbours by cosine similarity, under 50 ms at 100,000 works on a CPU.

Small collections are searched exactly: one matrix-vector product over the
L2-normalised float32 rows and `argpartition` for the k best (O(N), no sort of N).
Past `EXACT_LIMIT` rows of more than `REDUCED` dimensions, reading the whole
matrix (512 MB for 100,000 x 1280) is what costs, so the search reads a PCA
projection to `REDUCED` dimensions first, keeps `CANDIDATES` times k candidates,
and re-ranks those with the full vectors: the answer is exact whenever the true
k best are among the candidates (recall and times: benchmarks/analysis_search.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studiolo.core.errors import InvalidArgument

EXACT_LIMIT = 20_000
REDUCED = 128
CANDIDATES = 20  # candidates per wanted neighbour in the reduced pass (at least 200)
PCA_SAMPLE = 20_000
SEED = 0


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32, C-contiguous."""
    m = np.ascontiguousarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


@dataclass(frozen=True)
class Hit:
    row: int
    similarity: float


class NearestSearch:
    """Cosine nearest neighbours over the rows of a matrix (kept, not copied, when it is
    already normalised float32)."""

    def __init__(self, matrix: np.ndarray) -> None:
        if matrix.ndim != 2:
            raise InvalidArgument(f"`matrix` must be 2-D (rows x dimensions), got {matrix.shape}.")
        self.rows = normalise_rows(matrix)
        self.rows.setflags(write=False)
        n, d = self.rows.shape
        self.basis: np.ndarray | None = None
        self.reduced: np.ndarray | None = None
        if n > EXACT_LIMIT and d > REDUCED:
            rng = np.random.default_rng(SEED)
            sample = self.rows[rng.choice(n, min(n, PCA_SAMPLE), replace=False)]
            # Principal directions of the (uncentred) rows: cosine is a dot product, and
            # the top eigenvectors of the second-moment matrix keep most of it for features
            # of low rank (eigh of d x d is much cheaper than an SVD of the sample).
            _, vecs = np.linalg.eigh(sample.T.astype(np.float64) @ sample)
            self.basis = np.ascontiguousarray(vecs[:, ::-1][:, :REDUCED], dtype=np.float32)
            self.reduced = np.ascontiguousarray(self.rows @ self.basis)

    def __len__(self) -> int:
        return self.rows.shape[0]

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Exact cosine similarity of the query with every row (N,)."""
        return self.rows @ self._query(query)

    def _query(self, query: np.ndarray) -> np.ndarray:
        q = np.asarray(query, np.float32).ravel()
        if q.shape[0] != self.rows.shape[1]:
            raise InvalidArgument(
                f"`query` has {q.shape[0]} dimensions; this index holds {self.rows.shape[1]}."
            )
        norm = float(np.linalg.norm(q))
        return q / norm if norm > 0 else q

    def approximate(self, query: np.ndarray, refine: int = 200) -> np.ndarray:
        """(N,) similarities of the query with every row: exact when the matrix is small;
        else from the reduced pass, with the `refine` most similar rows made exact."""
        q = self._query(query)
        if self.reduced is None:
            return self.rows @ q
        sims = self.reduced @ (self.basis.T @ q)
        c = min(len(sims), refine)
        top = np.argpartition(-sims, c - 1)[:c]
        sims[top] = self.rows[top] @ q
        return sims

    def search(self, query: np.ndarray, k: int = 10, exclude: np.ndarray | None = None
               ) -> list[Hit]:
        """The k rows most similar to `query`, best first; `exclude` is a bool (N,) mask
        or an array of row numbers to leave out."""
        n = len(self)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidArgument(f"`k` must be a positive integer, got {k!r}.")
        q = self._query(query)
        # Left-out rows as row numbers (a bool mask is turned into them once): setting a
        # few entries costs nothing, a 100,000-long mask on every query does.
        banned = np.empty(0, np.int64)
        if exclude is not None and len(exclude):
            ex = np.asarray(exclude)
            banned = np.flatnonzero(ex) if ex.dtype == bool else np.unique(ex.astype(np.int64))
        k = min(k, n - len(banned))
        if k <= 0:
            return []
        if self.reduced is not None:
            approx = self.reduced @ (self.basis.T @ q)
            approx[banned] = -np.inf
            c = min(n, max(200, CANDIDATES * k))
            cand = np.argpartition(-approx, c - 1)[:c]
            cand = cand[np.isfinite(approx[cand])]
            sims = self.rows[cand] @ q
            best = np.argsort(-sims, kind="stable")[:k]
            return [Hit(int(cand[i]), float(sims[i])) for i in best]
        sims = self.rows @ q
        sims[banned] = -np.inf
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [Hit(int(i), float(sims[i])) for i in top]
