"""Nearest-neighbour search of the analysis index at 100,000 works: studiolo against a naive
loop and scikit-learn's NearestNeighbors, same vectors, same queries, one run.

    python benchmarks/analysis_search.py [--works 100000] [--queries 50] [--k 10]

The vectors keep the structure of real embeddings: each synthetic work is a random
convex mix of two or three of the real works' vectors (../shared/artworks, from the
attribution benchmark's cache when present, else seeded random low-rank vectors) plus
5% noise, for every kind (style 100-d, content 1280-d, detail 1280-d, brush 87-d) and
for the attribution metric's combined vector (the blocks concatenated). Reported per
kind: median and 95th-percentile milliseconds per query for studiolo's
`NearestSearch.search` (exact matrix-vector product with argpartition, or at this size
and past 128 dimensions a PCA-128 pass and an exact re-rank), a Python loop over the
rows (numpy dot per row, on 2,000 rows and scaled, 5 queries), and
NearestNeighbors(metric="cosine", algorithm="brute") fitted on the same rows (10 queries); the ratios; and the recall@k of studiolo
against the exact answer. Target: under 50 ms per query at 100,000 works.

With `--catalog URL` (repeatable: a SQLite and a PostgreSQL URL) the works' vectors of
every kind are also written to that catalog's collection tables (capabilities/analyse/
catalogued.py, migration 0012) and read back, as `studiolo analyse --against` reads a
collection, and the search is timed on what was read: seconds to write and to read, and
the median milliseconds per query of each kind there. `--catalog-works` (default: all)
bounds how many works go through the catalog (the write is the slow part).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from studiolo.capabilities.analyse.index import NumpyIndex
from studiolo.capabilities.analyse.search import NearestSearch, normalise_rows

KINDS = ("style", "content", "detail", "brush")


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "unknown CPU"
    return next((ln.split(":", 1)[1].strip() for ln in out.splitlines()
                 if ln.startswith("Model name")), "unknown CPU")


def real_vectors(cache: Path) -> dict[str, np.ndarray]:
    folder = cache / "dev"
    if (folder / "collection.json").is_file():
        index = NumpyIndex.load(folder)
        return {k: np.asarray(index.vectors(k), np.float32) for k in KINDS}
    rng = np.random.default_rng(0)  # no cache: seeded low-rank stand-ins of the same sizes
    dims = {"style": 100, "content": 1280, "detail": 1280, "brush": 87}
    return {k: (rng.normal(size=(55, 30)) @ rng.normal(size=(30, d))).astype(np.float32)
            for k, d in dims.items()}


def synthetic(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    picks = rng.integers(0, len(base), size=(n, 3))
    weights = rng.dirichlet(np.ones(3), size=n).astype(np.float32)
    mixed = np.einsum("nk,nkd->nd", weights, base[picks])
    scale = np.linalg.norm(base, axis=1).mean() / np.sqrt(base.shape[1])
    return mixed + 0.05 * scale * rng.normal(size=mixed.shape).astype(np.float32)


def timed(fn, queries: np.ndarray) -> tuple[list, np.ndarray]:
    out, times = [], []
    for q in queries:
        t = time.perf_counter()
        out.append(fn(q))
        times.append(time.perf_counter() - t)
    return out, np.array(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "studiolo-attribution-bench")
    parser.add_argument("--catalog", action="append", default=[],
                        help="a catalog URL to round-trip the collection through (repeatable)")
    parser.add_argument("--catalog-works", type=int, default=None)
    parser.add_argument("--kinds", default=",".join((*KINDS, "combined")),
                        help="kinds to time in memory (comma-separated)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(0)
    base = real_vectors(args.cache)
    matrices = {k: synthetic(v, args.works, rng) for k, v in base.items()}
    matrices["combined"] = np.concatenate([normalise_rows(matrices[k]) for k in KINDS], axis=1)
    print(f"CPU: {cpu_model()}; {args.works} works, {args.queries} queries, k = {args.k}")
    print(f"{'kind':9s} {'dim':>5s} {'studiolo ms':>12s} {'p95':>6s} {'loop ms':>9s} "
          f"{'sklearn ms':>11s} {'loop/st':>8s} {'skl/st':>7s} {'recall':>7s} {'build s':>8s}")
    for kind, matrix in matrices.items():
        if kind not in args.kinds.split(","):
            continue
        queries = matrix[rng.choice(len(matrix), args.queries, replace=False)]
        queries = queries + 0.05 * rng.normal(size=queries.shape).astype(np.float32) * \
            np.abs(queries).mean()
        t = time.perf_counter()
        search = NearestSearch(matrix)
        build = time.perf_counter() - t
        search.search(queries[0], args.k)  # warm caches
        got, ours = timed(lambda q, s=search: [h.row for h in s.search(q, args.k)], queries)
        rows = search.rows
        exact = [list(np.argsort(-(rows @ (q / np.linalg.norm(q))))[: args.k]) for q in queries]
        recall = np.mean([len(set(g) & set(e)) / args.k for g, e in zip(got, exact, strict=True)])
        sub = matrix[:2000]

        def loop(q: np.ndarray, sub: np.ndarray = sub) -> list[int]:
            qn = q / np.linalg.norm(q)
            sims = [float(np.dot(row, qn) / (np.linalg.norm(row) or 1.0)) for row in sub]
            return sorted(range(len(sims)), key=lambda i: -sims[i])[: args.k]

        _, loop_ms = timed(loop, queries[:5])
        loop_ms = loop_ms * (len(matrix) / len(sub))
        nn = NearestNeighbors(n_neighbors=args.k, metric="cosine", algorithm="brute").fit(matrix)
        _, skl = timed(lambda q, nn=nn: nn.kneighbors(q[None], return_distance=False)[0],
                       queries[:10])  # ten are plenty at two seconds each
        med = float(np.median(ours))
        print(f"{kind:9s} {matrix.shape[1]:5d} {med:12.2f} {np.percentile(ours, 95):6.1f} "
              f"{np.median(loop_ms):9.0f} {np.median(skl):11.1f} {np.median(loop_ms) / med:7.0f}x "
              f"{np.median(skl) / med:6.1f}x {recall:7.3f} {build:8.1f}")
    for url in args.catalog:
        through_catalog(url, matrices, args, rng)


def through_catalog(url: str, matrices: dict[str, np.ndarray], args, rng) -> None:
    """Write the collection to a catalog, read it back, time the search on what was read."""
    from sqlalchemy.engine import make_url

    from studiolo.capabilities.analyse.catalogued import delete_index, load_index, save_index
    from studiolo.capabilities.analyse.index import Work
    from studiolo.catalog import Catalog

    n = min(args.catalog_works or args.works, args.works)
    index = NumpyIndex("bench-search")
    index.add([Work(f"{i:064x}", f"w{i}.png", f"artist {i % 500}") for i in range(n)],
              {k: matrices[k][:n] for k in KINDS})
    catalog = Catalog(url)
    backend = make_url(url).get_backend_name()
    t = time.perf_counter()
    save_index(catalog, index)
    wrote = time.perf_counter() - t
    t = time.perf_counter()
    back = load_index(catalog, "bench-search")
    read = time.perf_counter() - t
    assert all(np.array_equal(back.vectors(k), index.vectors(k)) for k in KINDS)
    cells = []
    for kind in KINDS:
        queries = matrices[kind][rng.choice(n, args.queries, replace=False)]
        back.nearest(kind, queries[0], args.k)  # builds the search once
        _, ms = timed(lambda q, kind=kind: back.nearest(kind, q, args.k), queries)
        cells.append(f"{kind} {np.median(ms):.2f} ms")
    print(f"{backend}: {n} works through the catalog: write {wrote:.1f} s, read {read:.1f} s; "
          f"search on what was read: " + ", ".join(cells))
    delete_index(catalog, "bench-search")
    catalog.close()


if __name__ == "__main__":
    main()
