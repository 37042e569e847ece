"""The Ray backend on a real local Ray cluster (started and stopped here, on 127.0.0.1):
a batch file's rows run by queue-worker actors into the catalog (SQLite, and PostgreSQL
when STUDIOLO_TEST_POSTGRES_URL is set); an actor whose process is SIGKILLed mid-job loses
its lease, the job is taken up again and finishes exactly once; an address with nothing
behind it is one sentence, not a hang."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from studiolo.core.settings import Settings
from studiolo.jobs.batch import follow_batch, submit_batch
from studiolo.jobs.batchfile import read_batch
from studiolo.jobs.ray_backend import RayPool, RayUnavailable, connect
from studiolo.studio import Studio

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow
SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_an_address_with_nothing_behind_it_is_one_sentence_fast():
    # Before the cluster below starts: connect() returns a driver that is already up.
    began = time.monotonic()
    with pytest.raises(RayUnavailable) as err:
        connect("127.0.0.1:1", timeout_s=3)
    assert time.monotonic() - began < 10
    assert str(err.value) == ("No Ray cluster answers at 127.0.0.1:1 (Connection refused); "
                              "start one with `ray start --head --port 1` there, or give the "
                              "address of a running head node.")
    with pytest.raises(RayUnavailable, match=r"must be auto or HOST:PORT .* got 'nowhere'\."):
        connect("nowhere", timeout_s=3)


@pytest.fixture(scope="module")
def cluster():
    """A one-node Ray cluster on loopback with 2 CPUs, stopped after the module."""
    with pytest.MonkeyPatch.context() as mp:
        # The actors' processes import this worktree's studiolo, wherever Ray starts them.
        mp.setenv("PYTHONPATH", os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]))
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
                 namespace="studiolo", logging_level="ERROR", log_to_driver=False)
        try:
            yield ray
        finally:
            ray.shutdown()


def studio_at(tmp_path, url) -> Studio:
    settings = Settings.from_env(tmp_path / "home", person="ada", database_url=url)
    studio = Studio(settings=settings, load_entry_points=False)
    studio.jobs.run_here = False  # only the Ray actors run these jobs
    return studio


def run_on_ray(studio, submitted, pool, timeout_s=240.0):
    deadline = time.monotonic() + timeout_s
    pool.run(batch=submitted.batch)
    pool.wait(lambda: studio.catalog.batch_counts(submitted.batch)["queued"]
              + studio.catalog.batch_counts(submitted.batch)["running"] == 0
              or time.monotonic() > deadline)
    return follow_batch(studio, submitted, timeout=0)


def test_a_batch_file_runs_on_the_cluster_into_the_catalog(cluster, tmp_path, url):
    rows = tmp_path / "rows.csv"
    rows.write_text("prompt,seed,width,height\n"
                    "a boat at dawn,1..3,64,64\n"
                    "a bad row,x,64,64\n"
                    '"a field, in wind",7,64,64\n')
    studio = studio_at(tmp_path, url)
    submitted = submit_batch(studio, read_batch(rows))
    assert [p.line for p in submitted.problems] == [3]
    pool = RayPool(studio.settings, address="auto", cpu_workers=2, lease_s=3.0)
    try:
        names = pool.ready(timeout_s=180)
        assert len(set(names)) == 2 and all(n.startswith("ray:") for n in names)
        report = run_on_ray(studio, submitted, pool)
    finally:
        pool.stop()
    assert (report.jobs, report.done, report.failed, report.artworks) == (4, 4, 0, 4)
    jobs = studio.catalog.get_jobs(submitted.job_ids).values()
    assert {j.worker for j in jobs} <= set(names)
    seeds = sorted(studio.get(j.result_ids[0]).recipe.seed for j in jobs)
    assert seeds == [1, 2, 3, 7]
    assert studio.catalog.count_artworks() == 4
    # The same file again queues nothing new and makes nothing.
    again = submit_batch(studio, read_batch(rows))
    assert again.outcomes == {"done": 4}
    studio.catalog.close()


def test_an_actors_loop_for_a_new_batch_is_not_stopped_by_the_one_before(tmp_path):
    """The actor class itself, in this process (Ray's decorator left out): a loop for batch
    B started while the loop for batch A still runs must work B to the end. Before, A's loop,
    seeing A over, stopped the Worker under B's loop, which then ended with B unfinished
    and the actor idle (found by benchmarks/batch_scale.py: "workers used 1" of 2)."""
    import threading

    from studiolo.jobs.ray_backend import _actor_class

    class NoRay:
        @staticmethod
        def remote(**options):
            return lambda cls: cls

    studio = studio_at(tmp_path, None)
    actor = _actor_class(NoRay)(studio.settings, {"light": 0, "devices": (), "either": 1,
                                                  "lease_s": 5.0})

    def batch(name, seeds, size):
        rows = tmp_path / f"{name}.csv"
        rows.write_text(f"prompt,seed,width,height\na quiet pond,{seeds},{size},{size}\n")
        return submit_batch(studio, read_batch(rows))

    def pending(submitted):
        counts = studio.catalog.batch_counts(submitted.batch)
        return counts["queued"] + counts["running"]

    a = batch("a", "1", 384)
    first = threading.Thread(target=actor.run, args=(a.batch,))
    first.start()
    deadline = time.monotonic() + 120
    while studio.catalog.batch_counts(a.batch)["running"] == 0:  # A's job in hand
        assert time.monotonic() < deadline
        time.sleep(0.02)
    b = batch("b", "2..4", 64)
    actor.run(b.batch)  # returns when B has nothing queued or running
    first.join(120)
    assert pending(a) == 0 and pending(b) == 0
    assert follow_batch(studio, b, timeout=0).done == 3
    studio.catalog.close()


def test_an_actor_killed_mid_job_loses_nothing_and_runs_nothing_twice(cluster, tmp_path, url):
    studio = studio_at(tmp_path, url)
    rows = tmp_path / "big.jsonl"
    rows.write_text('{"prompt": "a harbour at night", "seed": [1, 2, 3, 4, 5, 6], '
                    '"width": 512, "height": 512, "count": 2}\n')
    submitted = submit_batch(studio, read_batch(rows))
    pool = RayPool(studio.settings, address="auto", cpu_workers=2, lease_s=2.0)
    try:
        pool.ready(timeout_s=180)
        by_name = dict(zip(pool.ray.get([a.name.remote() for a in pool.actors]), pool.pids(),
                           strict=True))
        pool.run(batch=submitted.batch)
        victim = None
        deadline = time.monotonic() + 120
        while victim is None and time.monotonic() < deadline:
            for job in studio.catalog.get_jobs(submitted.job_ids).values():
                if job.status == "running" and job.worker in by_name and job.progress > 0:
                    victim = job
                    break
            time.sleep(0.05)
        assert victim is not None, "no job began on the cluster"
        os.kill(by_name[victim.worker], signal.SIGKILL)  # the actor's process, mid-job
        report = run_on_ray(studio, submitted, pool)
    finally:
        pool.stop()
    assert (report.jobs, report.done, report.failed) == (6, 6, 0)
    again = studio.catalog.get_job(victim.id)
    assert again.attempts >= 2 and again.worker != victim.worker
    assert any("stopped answering" in line.line for line in studio.catalog.job_log(victim.id))
    ids = [i for j in studio.catalog.get_jobs(submitted.job_ids).values() for i in j.result_ids]
    # Two pictures a job, none made twice: the catalog holds exactly the 12 results.
    assert len(ids) == 12 == len(set(ids)) == studio.catalog.count_artworks()
    studio.catalog.close()
