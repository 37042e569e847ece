"""Batch throughput: the same jobs run directly, through the local queue worker, and through
Ray with 1 and 2 actors, with the catalog on SQLite and PostgreSQL.

    python benchmarks/batch_scale.py [--jobs 64] [--painter-jobs 64] [--size 384]
                                     [--postgres URL] [--no-ray]

Two kinds of 1-second job, because this machine's 2 cores are shared with other work and a
CPU-bound job alone cannot tell what the queue and Ray cost from what waiting for a core
costs:

- `sleep`: a job that sleeps 1.0 s (a kind registered by this script in every process it
  runs in, Ray's workers through `worker_process_setup_hook`). It needs no core, so what a
  mode adds to it is orchestration alone (queue, lease, Ray calls, catalog writes), and 2
  workers should finish in half the time whatever the machine's load;
- `painter`: an offline-painter picture of `--size` px (about 1 s of CPU at 384 px on this loaded machine), stored
  in the catalog like every artwork: real work, which needs a free core.

Each mode gets a fresh studio (PostgreSQL: a fresh schema). The baseline calls the work
directly (`time.sleep`, `Studio.paint`). Printed per mode and kind: wall seconds, jobs/s,
the overhead over the ideal (baseline per job x jobs / workers), the CPU seconds per job of
the whole process tree (driver, and Ray's GCS, raylet and workers; the PostgreSQL server's
own is not counted), the job's own run time (started -> finished, which grows when the job
waits for a core), the hand-off gap (a worker's previous job finished -> its next started)
and the queue wait (created -> started) p50/p95, and the load average at the start and
end. Ray runs on a local cluster this script starts (num_cpus = actors) and stops; its
start-up is timed apart (a cluster starts once, not per batch).

Measured 2026-12-06, AMD EPYC (2 cores, avx512_bf16/VNNI, no AMX) shared with seven
other engineers' work, load average 23.6 at the start, 15.7 at the end (every core was busy
before this run started): `OMP_NUM_THREADS=1 nice -n 10 python benchmarks/batch_scale.py
--jobs 32 --painter-jobs 12` (PostgreSQL 15 from .ci/postgres.sh), 22:00-22:15 UTC:

    | kind | mode | wall s | jobs/s | over ideal % | CPU s/job | run s/job | hand-off p50/p95 ms | queue wait p50/p95 s | workers used | Ray start s |
    |---|---|---|---|---|---|---|---|---|---|---|
    | sleep | direct (baseline) | 32.2 | 0.99 | - | 0.000 | 1.006 | - | - | - |
    | sleep | local worker, SQLite | 35.6 | 0.90 | +10.5 | 0.020 | 1.077 | 2/49 | 18.1/32.3 | 1 | - |
    | sleep | Ray, 1 actor, SQLite | 32.2 | 0.99 | +0.0 | 0.058 | 1.002 | 2/2 | 16.1/29.1 | 1 | 100.8 |
    | sleep | Ray, 2 actors, SQLite | 17.2 | 1.86 | +6.6 | 0.057 | 1.005 | 3/11 | 8.2/15.1 | 2 | 29.1 |
    | sleep | local worker, PostgreSQL | 33.8 | 0.95 | +4.9 | 0.044 | 1.032 | 20/34 | 16.9/30.6 | 1 | - |
    | sleep | Ray, 1 actor, PostgreSQL | 33.1 | 0.97 | +2.9 | 0.084 | 1.020 | 11/23 | 16.6/30.0 | 1 | 21.9 |
    | sleep | Ray, 2 actors, PostgreSQL | 17.6 | 1.82 | +9.1 | 0.060 | 1.019 | 13/20 | 8.4/15.6 | 2 | 29.8 |
    | painter | direct (baseline) | 88.2 | 0.14 | - | 0.728 | 7.354 | - | - | - |
    | painter | local worker, SQLite | 139.0 | 0.09 | +57.5 | 0.865 | 11.524 | 39/159 | 73.7/121.2 | 1 | - |
    | painter | Ray, 1 actor, SQLite | 18.3 | 0.65 | -79.2 | 0.767 | 1.519 | 1/29 | 10.3/16.1 | 1 | 100.8 |
    | painter | Ray, 2 actors, SQLite | 16.8 | 0.72 | -62.0 | 0.815 | 1.564 | 1/16 | 8.4/13.8 | 2 | 29.1 |
    | painter | local worker, PostgreSQL | 34.0 | 0.35 | -61.5 | 0.818 | 2.800 | 34/43 | 15.6/27.6 | 1 | - |
    | painter | Ray, 1 actor, PostgreSQL | 23.4 | 0.51 | -73.4 | 0.794 | 1.919 | 24/67 | 10.9/19.2 | 1 | 21.9 |
    | painter | Ray, 2 actors, PostgreSQL | 19.4 | 0.62 | -56.0 | 0.782 | 1.598 | 20/39 | 10.0/16.2 | 1 | 29.8 |
    sleep, SQLite: 2 actors give 1.88x the throughput of 1
    sleep, PostgreSQL: 2 actors give 1.89x the throughput of 1
    painter, SQLite: 2 actors give 1.09x the throughput of 1
    painter, PostgreSQL: 2 actors give 1.21x the throughput of 1

    baseline per job: sleep 1.006 s wall; painter 7.354 s wall, 0.728 s CPU (load 19.5)

Read: the painter's wall times moved 5x within the run (the baseline's 7.4 s a picture ran
while a test suite shared the cores; later modes got 1.5 s), so its wall-clock "over ideal"
column says nothing about studiolo; its CPU per job is the steady number: 0.73 s direct,
0.77-0.79 s through Ray (+5-9 %, which includes Ray's GCS and raylet over the batch), 0.82-0.87
s through the local worker. Targets:
- Ray adds < 5 % to a 1-second job: **met** on the sleep job (+0.0 % on SQLite, +2.9 % on
  PostgreSQL with 1 actor; the job's own run time 1.002-1.020 s; a hand-off between jobs
  2-23 ms p95).
- 2 workers >= 1.8x the throughput of 1: **met** on the sleep job (1.88x SQLite, 1.89x
  PostgreSQL); **not judged** on the painter (1.09x / 1.21x, on 2 cores shared at load 15-19).
  In this run's painter/PostgreSQL row only one of the two actors took jobs ("workers used"
  1), and in an earlier run (load 22-24) the sleep/SQLite one did the same (1.18x). Cause,
  found after this run and mended (jobs/ray_backend.py, test in tests/test_ray.py): an
  actor's loop for the previous batch, on seeing it over, stopped the Worker under the new
  batch's loop, which then ended and left the actor idle. Not measured again since.
- Queue latency: the queue wait (created -> started) is the backlog's (32 jobs queued at
  once on one worker wait 16 s at the median); the hand-off gap is the queue's own latency.

What can be judged here and what cannot:
- "Ray adds < 5 % to a 1-second job": judged on the sleep job, whose time is orchestration
  alone; the painter rows show the same overhead plus core contention, which is the
  machine's, not Ray's.
- "2 workers >= 1.8x the throughput of 1": judged on the sleep job (it needs no core, so it
  tests whether the queue and Ray run two jobs at once). For CPU-bound painter jobs it
  cannot be judged on 2 cores shared at a load of 15-19: two actors get the share of the
  CPU the scheduler gives two more processes among ~19 runnable ones, not two cores; the
  painter rows are printed, and the CPU per job shows the work itself did not grow.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from itertools import pairwise
from pathlib import Path
from typing import Any

HERE = str(Path(__file__).resolve().parent)
SRC = str(Path(__file__).resolve().parents[1] / "src")
sys.path.insert(0, SRC)

from studiolo.core.settings import Settings
from studiolo.jobs.batch import submit_batch
from studiolo.jobs.batchfile import read_batch
from studiolo.jobs.kinds import JobContext, JobKind, JobKinds
from studiolo.studio import Studio

SLEEP_S = 1.0
SLEEP_KIND = "bench-sleep"


def _sleep(ctx: JobContext) -> None:
    time.sleep(float(ctx.job.request["seconds"]))


def install_sleep_kind() -> None:
    """Every `JobKinds` made in this process also knows the sleep job (Ray runs this in each
    of its worker processes before an actor starts)."""
    if getattr(JobKinds, "_bench_sleep", False):
        return
    original = JobKinds.__init__

    def init(self: JobKinds, pm: Any = None) -> None:
        original(self, pm)
        self.register(JobKind(name=SLEEP_KIND, run=_sleep))

    JobKinds.__init__ = init  # type: ignore[method-assign]
    JobKinds._bench_sleep = True  # type: ignore[attr-defined]


def cpu_model() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines()
                 if line.startswith("Model name")), "unknown")


def tree_cpu() -> dict[int, float]:
    """CPU seconds so far of this process and every process under it (Ray's included)."""
    import psutil

    me = psutil.Process()
    out: dict[int, float] = {}
    for proc in [me, *me.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            out[proc.pid] = t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return out


def cpu_since(before: dict[int, float]) -> float:
    now = tree_cpu()
    return sum(v - before.get(pid, 0.0) for pid, v in now.items())


def studio_for(root: Path, url: str | None) -> Studio:
    settings = Settings.from_env(root, person="bench", database_url=url)
    studio = Studio(settings=settings, load_entry_points=False)
    studio.jobs.run_here = False
    return studio


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def baseline(root: Path, kind: str, jobs: int, size: int) -> dict[str, float]:
    """The work itself, called directly: wall and CPU seconds per job."""
    if kind == "sleep":
        began, cpu = time.perf_counter(), time.process_time()
        for _ in range(jobs):
            time.sleep(SLEEP_S)
        return {"wall": (time.perf_counter() - began) / jobs,
                "cpu": (time.process_time() - cpu) / jobs}
    studio = studio_for(root, None)
    studio.paint("a calm sea at dusk", seed=999_999, width=size, height=size)
    began, cpu = time.perf_counter(), time.process_time()
    for seed in range(jobs):
        studio.paint("a harbour at night", seed=seed, width=size, height=size)
    out = {"wall": (time.perf_counter() - began) / jobs,
           "cpu": (time.process_time() - cpu) / jobs}
    studio.catalog.close()
    return out


class Batch:
    """Jobs of one kind submitted together, and how to tell they are all over."""

    def __init__(self, studio: Studio, root: Path, kind: str, name: str, count: int,
                 size: int, first_seed: int = 0) -> None:
        self.studio, self.kind = studio, kind
        if kind == "painter":
            root.mkdir(parents=True, exist_ok=True)
            rows = root / f"{name}.jsonl"
            rows.write_text("".join(
                f'{{"prompt": "a harbour at night", "seed": {s}, "width": {size}, '
                f'"height": {size}}}\n' for s in range(first_seed, first_seed + count)))
            submitted = submit_batch(studio, read_batch(rows))
            self.batch, self.job_ids = submitted.batch, submitted.job_ids
            self._submitted = submitted
        else:
            self.batch = f"sleep-{name}-{uuid.uuid4().hex[:8]}"
            specs = [studio.jobs.spec(SLEEP_KIND, {"seconds": SLEEP_S}, owner="bench",
                                      batch=self.batch, dedupe_key=f"{self.batch}-{i}")
                     for i in range(count)]
            self.job_ids = [s.job.id for s in studio.jobs.submit_specs(specs)]

    def over(self) -> bool:
        counts = self.studio.catalog.batch_counts(self.batch)
        return counts["queued"] + counts["running"] == 0

    def result(self, began: float, cpu_before: dict[int, float]) -> dict[str, float]:
        wall = time.perf_counter() - began
        cpu = cpu_since(cpu_before)
        found = list(self.studio.catalog.get_jobs(self.job_ids).values())
        assert len(found) == len(self.job_ids)
        assert all(j.status == "done" and j.attempts == 1 for j in found), \
            sorted({(j.status, j.attempts, j.error) for j in found}, key=str)
        if self.kind == "painter":
            ids = [i for j in found for i in j.result_ids]
            assert len(ids) == len(set(ids)) == len(found)  # one artwork each, none twice
        waits = [(j.started - j.created).total_seconds() for j in found]
        runs = [(j.finished - j.started).total_seconds() for j in found]
        gaps: list[float] = []
        for worker in {j.worker for j in found}:
            mine = sorted((j for j in found if j.worker == worker), key=lambda j: j.started)
            gaps += [(b.started - a.finished).total_seconds() for a, b in pairwise(mine)]
        return {"wall": wall, "cpu": cpu / len(found), "run": sum(runs) / len(runs),
                "workers": len({j.worker for j in found}),
                "gap50": pct(gaps, 0.5), "gap95": pct(gaps, 0.95),
                "wait50": pct(waits, 0.5), "wait95": pct(waits, 0.95)}


def local(root: Path, url: str | None, plan: dict[str, int], size: int) -> dict[str, dict]:
    from studiolo.jobs.worker import Worker

    studio = studio_for(root, url)
    studio.paint("a calm sea at dusk", seed=999_999, width=size, height=size)  # warm
    out = {}
    for kind, count in plan.items():
        batch = Batch(studio, root, kind, kind, count, size)
        began, cpu = time.perf_counter(), tree_cpu()
        Worker(studio, light=1, devices=(), poll_s=0.05).run_until(batch.over, check_s=0.05)
        out[kind] = batch.result(began, cpu)
    studio.catalog.close()
    return out


def on_ray(root: Path, url: str | None, plan: dict[str, int], size: int,
           actors: int) -> dict[str, dict]:
    import ray

    from studiolo.jobs.ray_backend import RayPool

    os.environ["PYTHONPATH"] = os.pathsep.join([SRC, HERE, os.environ.get("PYTHONPATH", "")])
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    t0 = time.perf_counter()
    ray.init(num_cpus=actors, include_dashboard=False, _node_ip_address="127.0.0.1",
             logging_level="ERROR", log_to_driver=False, namespace="studiolo",
             runtime_env={"worker_process_setup_hook": "batch_scale.install_sleep_kind"})
    try:
        studio = studio_for(root, url)
        pool = RayPool(studio.settings, address="auto", cpu_workers=actors)
        pool.ready(timeout_s=300)
        startup = time.perf_counter() - t0
        # Warm the actors' painters (the first picture loads the styles) outside the timing.
        warm = Batch(studio, root, "painter", "warm", 3 * actors, size, first_seed=10**6)
        pool.run(batch=warm.batch)
        pool.wait(warm.over, poll_s=0.05)
        out: dict[str, dict] = {}
        for kind, count in plan.items():
            batch = Batch(studio, root, kind, kind, count, size)
            began, cpu = time.perf_counter(), tree_cpu()
            pool.run(batch=batch.batch)
            pool.wait(batch.over, poll_s=0.05)
            out[kind] = batch.result(began, cpu)
            out[kind]["startup"] = startup
        pool.stop()
        studio.catalog.close()
        return out
    finally:
        ray.shutdown()


def pg_schema(admin_url: str) -> tuple[str, Any, str]:
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in admin_url else "?"
    return f"{admin_url}{sep}options=-csearch_path%3D{schema}", admin, schema


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=64, help="sleep jobs per mode")
    parser.add_argument("--painter-jobs", type=int, default=64)
    parser.add_argument("--size", type=int, default=384, help="painter picture side in px")
    parser.add_argument("--postgres", default=os.environ.get("STUDIOLO_TEST_POSTGRES_URL"))
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    import cv2
    import torch

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    install_sleep_kind()
    plan = {"sleep": args.jobs, "painter": args.painter_jobs}
    print(f"CPU: {cpu_model()} ({os.cpu_count()} logical CPUs); load average {load()} at "
          f"the start; {args.jobs} sleep jobs of {SLEEP_S:g} s, {args.painter_jobs} painter "
          f"jobs of {args.size}x{args.size}", flush=True)
    rows: list[tuple[str, int, dict[str, dict]]] = []
    with tempfile.TemporaryDirectory(prefix="studiolo-batch-bench-") as tmp:
        base = {kind: baseline(Path(tmp) / "direct", kind, count, args.size)
                for kind, count in plan.items()}
        print(f"baseline per job: sleep {base['sleep']['wall']:.3f} s wall; painter "
              f"{base['painter']['wall']:.3f} s wall, {base['painter']['cpu']:.3f} s CPU; "
              f"load {load()}", flush=True)
        catalogs: list[tuple[str, str | None]] = [("SQLite", None)]
        if args.postgres:
            catalogs.append(("PostgreSQL", args.postgres))
        for name, admin_url in catalogs:
            url, admin, schema = (None, None, None) if admin_url is None else pg_schema(admin_url)
            try:
                modes: list[tuple[str, int, Any]] = [
                    ("local worker", 1, lambda r, u: local(r, u, plan, args.size))]
                if not args.no_ray:
                    modes += [(f"Ray, {n} actor{'s' if n > 1 else ''}", n,
                               lambda r, u, n=n: on_ray(r, u, plan, args.size, n))
                              for n in (1, 2)]
                for label, workers, fn in modes:
                    folder = Path(tmp) / f"{name}-{label}".replace(" ", "_").replace(",", "")
                    if url is not None:  # each mode its own tables: a fresh schema
                        import sqlalchemy as sa

                        with admin.begin() as conn:
                            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
                            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
                    rows.append((f"{label}, {name}", workers, fn(folder, url)))
                    print(f"  {rows[-1][0]} done; load {load()}", file=sys.stderr, flush=True)
            finally:
                if admin is not None:
                    import sqlalchemy as sa

                    with admin.begin() as conn:
                        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
                    admin.dispose()
    print(f"load average at the end: {load()}")
    print("| kind | mode | wall s | jobs/s | over ideal % | CPU s/job | run s/job | "
          "hand-off p50/p95 ms | queue wait p50/p95 s | workers used | Ray start s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, count in plan.items():
        b = base[kind]
        print(f"| {kind} | direct (baseline) | {b['wall'] * count:.1f} | {1 / b['wall']:.2f} | "
              f"- | {b['cpu']:.3f} | {b['wall']:.3f} | - | - | - |")
        for label, workers, result in rows:
            r = result[kind]
            ideal = b["wall"] * count / workers
            start = f"{r['startup']:.1f}" if "startup" in r else "-"
            print(f"| {kind} | {label} | {r['wall']:.1f} | {count / r['wall']:.2f} | "
                  f"{100 * (r['wall'] / ideal - 1):+.1f} | {r['cpu']:.3f} | {r['run']:.3f} | "
                  f"{r['gap50'] * 1000:.0f}/{r['gap95'] * 1000:.0f} | "
                  f"{r['wait50']:.1f}/{r['wait95']:.1f} | {r['workers']} | {start} |")
    for kind in plan:
        for name in ("SQLite", "PostgreSQL"):
            one = next((r[kind]["wall"] for lb, _, r in rows if lb == f"Ray, 1 actor, {name}"), None)
            two = next((r[kind]["wall"] for lb, _, r in rows if lb == f"Ray, 2 actors, {name}"), None)
            if one and two:
                print(f"{kind}, {name}: 2 actors give {one / two:.2f}x the throughput of 1")


if __name__ == "__main__":
    main()
