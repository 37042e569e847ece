"""Batch throughput: the same offline-painter jobs run directly, through the local queue
worker, and through Ray with 1 and 2 actors, with the catalog on SQLite and PostgreSQL.

    python benchmarks/batch_scale.py [--jobs 64] [--size 256] [--postgres URL] [--no-ray]

Each mode gets a fresh studio and the same `--jobs` painter requests (seeds 0..N-1). The
baseline calls `Studio.paint` in a loop (the engine and the store, no queue). Printed per
mode: wall seconds, jobs/s, the per-job overhead over the baseline ((wall - baseline) /
jobs, and as a share of the baseline's per-job time), and the queue latency (created ->
started) p50/p95. Ray runs on a local cluster this script starts (num_cpus = actors) and
stops; its start-up is timed apart and left out of the wall time (a cluster is started once,
not per batch). --postgres (or STUDIOLO_TEST_POSTGRES_URL) adds the PostgreSQL rows, each in
a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
sys.path.insert(0, SRC)

from studiolo.core.settings import Settings
from studiolo.jobs.batch import follow_batch, submit_batch
from studiolo.jobs.batchfile import read_batch
from studiolo.studio import Studio


def cpu_model() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines()
                 if line.startswith("Model name")), "unknown")


def studio_for(root: Path, url: str | None) -> Studio:
    settings = Settings.from_env(root, person="bench", database_url=url)
    studio = Studio(settings=settings, load_entry_points=False)
    studio.jobs.run_here = False
    return studio


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def baseline(root: Path, jobs: int, size: int) -> float:
    studio = studio_for(root, None)
    studio.paint("a calm sea at dusk", seed=999_999, width=size, height=size)
    began = time.perf_counter()
    for seed in range(jobs):
        studio.paint("a harbour at night", seed=seed, width=size, height=size)
    took = time.perf_counter() - began
    studio.catalog.close()
    return took


def queued(root: Path, url: str | None, jobs: int, size: int) -> tuple[Studio, object]:
    studio = studio_for(root, url)
    return studio, submit(studio, root, "rows", range(jobs), size)


def submit(studio: Studio, root: Path, name: str, seeds: range, size: int) -> object:
    root.mkdir(parents=True, exist_ok=True)
    rows = root / f"{name}.jsonl"
    rows.write_text("".join(f'{{"prompt": "a harbour at night", "seed": {s}, "width": {size}, '
                            f'"height": {size}}}\n' for s in seeds))
    return submit_batch(studio, read_batch(rows))


def measure(studio: Studio, submitted: object, began: float, extra: int = 0) -> dict[str, float]:
    report = follow_batch(studio, submitted, timeout=0)
    assert report.done == len(submitted.lines), report.lines()
    found = studio.catalog.get_jobs(submitted.job_ids).values()
    waits = [(j.started - j.created).total_seconds() for j in found]
    ids = [i for j in found for i in j.result_ids]
    assert len(ids) == len(set(ids)) == studio.catalog.count_artworks() - extra == len(found)
    wall = time.perf_counter() - began
    return {"wall": wall, "p50": pct(waits, 0.5), "p95": pct(waits, 0.95)}


def local(root: Path, url: str | None, jobs: int, size: int) -> dict[str, float]:
    from studiolo.jobs.worker import Worker

    studio, submitted = queued(root, url, jobs, size)
    studio.paint("a calm sea at dusk", seed=999_999, width=size, height=size)
    began = time.perf_counter()
    Worker(studio, light=1, devices=(), poll_s=0.05).run_until(
        lambda: follow_batch(studio, submitted, timeout=0).unfinished == 0, check_s=0.05)
    out = measure(studio, submitted, began, extra=1)
    studio.catalog.close()
    return out


def on_ray(root: Path, url: str | None, jobs: int, size: int, actors: int) -> dict[str, float]:
    import ray

    from studiolo.jobs.ray_backend import RayPool

    os.environ["PYTHONPATH"] = os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    t0 = time.perf_counter()
    ray.init(num_cpus=actors, include_dashboard=False, _node_ip_address="127.0.0.1",
             logging_level="ERROR", log_to_driver=False, namespace="studiolo")
    try:
        studio = studio_for(root, url)
        pool = RayPool(studio.settings, address="auto", cpu_workers=actors)
        pool.ready(timeout_s=300)
        startup = time.perf_counter() - t0
        # Warm the actors' painters (the first picture loads the styles) outside the timing.
        warm = submit(studio, root, "warm", range(10**6, 10**6 + 3 * actors), size)
        pool.run(batch=warm.batch)
        pool.wait(lambda: follow_batch(studio, warm, timeout=0).unfinished == 0, poll_s=0.05)
        # Submitted after the warm-up, which the actors would otherwise have run as well.
        submitted = submit(studio, root, "rows", range(jobs), size)
        began = time.perf_counter()
        pool.run(batch=submitted.batch)
        pool.wait(lambda: follow_batch(studio, submitted, timeout=0).unfinished == 0,
                  poll_s=0.05)
        out = measure(studio, submitted, began, extra=3 * actors)
        pool.stop()
        out["startup"] = startup
        studio.catalog.close()
        return out
    finally:
        ray.shutdown()


def pg_schema(admin_url: str) -> tuple[str, object, str]:
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in admin_url else "?"
    return f"{admin_url}{sep}options=-csearch_path%3D{schema}", admin, schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=64)
    parser.add_argument("--size", type=int, default=256, help="picture side in pixels")
    parser.add_argument("--postgres", default=os.environ.get("STUDIOLO_TEST_POSTGRES_URL"))
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    import cv2
    import torch

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    print(f"CPU: {cpu_model()} ({os.cpu_count()} logical CPUs); {args.jobs} painter jobs "
          f"of {args.size}x{args.size}")
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="studiolo-batch-bench-") as tmp:
        base = baseline(Path(tmp) / "direct", args.jobs, args.size)
        per_job = base / args.jobs
        rows.append(("direct Studio.paint (baseline)", {"wall": base}))
        catalogs: list[tuple[str, str | None]] = [("SQLite", None)]
        if args.postgres:
            catalogs.append(("PostgreSQL", args.postgres))
        for name, admin_url in catalogs:
            url, admin, schema = (None, None, None) if admin_url is None else pg_schema(admin_url)
            try:
                modes = [("local worker", lambda r, u: local(r, u, args.jobs, args.size))]
                if not args.no_ray:
                    modes += [(f"Ray, {n} actor{'s' if n > 1 else ''}",
                               lambda r, u, n=n: on_ray(r, u, args.jobs, args.size, n))
                              for n in (1, 2)]
                for label, fn in modes:
                    folder = Path(tmp) / f"{name}-{label}".replace(" ", "_").replace(",", "")
                    if url is not None:  # each mode its own tables: a fresh schema
                        import sqlalchemy as sa

                        with admin.begin() as conn:
                            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
                            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
                    rows.append((f"{label}, {name}", fn(folder, url)))
            finally:
                if admin is not None:
                    import sqlalchemy as sa

                    with admin.begin() as conn:
                        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
                    admin.dispose()
    print("| mode | wall s | jobs/s | overhead/job ms | overhead % | queue p50 s | "
          "queue p95 s | Ray start s |")
    print("|---|---|---|---|---|---|---|---|")
    for label, r in rows:
        over = (r["wall"] - base) / args.jobs
        cells = [label, f"{r['wall']:.1f}", f"{args.jobs / r['wall']:.2f}",
                 f"{over * 1000:.0f}", f"{100 * over / per_job:.1f}",
                 f"{r['p50']:.2f}" if "p50" in r else "-",
                 f"{r['p95']:.2f}" if "p95" in r else "-",
                 f"{r['startup']:.1f}" if "startup" in r else "-"]
        print("| " + " | ".join(cells) + " |")
    ray_rows = {label.rsplit(",", 1)[1].strip(): r["wall"] for label, r in rows
                if label.startswith("Ray, 1 actor,")}
    for label, r in rows:
        if label.startswith("Ray, 2 actors,"):
            one = ray_rows.get(label.rsplit(",", 1)[1].strip())
            if one:
                print(f"{label}: {one / r['wall']:.2f}x the throughput of 1 actor")
    print(f"baseline per job: {per_job * 1000:.0f} ms")


if __name__ == "__main__":
    main()
