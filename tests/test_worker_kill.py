"""A real `studiolo worker` process SIGKILLed in the middle of a job (after it stored one of
the job's two pictures): the job's lease ends, a second worker process takes it up, makes
only the picture still missing, and every job of the batch ends done exactly once, on
SQLite and (with STUDIOLO_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studiolo.core.settings import Settings
from studiolo.jobs.batch import follow_batch, submit_batch
from studiolo.jobs.batchfile import read_batch
from studiolo.studio import Studio

pytestmark = pytest.mark.slow
SRC = str(Path(__file__).resolve().parents[1] / "src")


def worker(home: Path, url: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "STUDIOLO_HOME": str(home), "STUDIOLO_DATABASE_URL": url,
           "STUDIOLO_PERSON": "kim",
           "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    code = "import sys; from studiolo.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, "worker", "--light", "1",
                             "--lease", "2", *extra], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def test_a_killed_worker_process_loses_nothing_and_runs_nothing_twice(tmp_path, url):
    home = tmp_path / "home"
    studio = Studio(settings=Settings.from_env(home, person="kim", database_url=url),
                    load_entry_points=False)
    studio.jobs.run_here = False
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"prompt": "a harbour at night", "seed": [1, 2, 3], "width": 512, '
                    '"height": 512, "count": 2}\n')
    submitted = submit_batch(studio, read_batch(rows))
    first = worker(home, url)
    victim = None
    try:
        deadline = time.monotonic() + 180
        while victim is None and time.monotonic() < deadline and first.poll() is None:
            for job in studio.catalog.get_jobs(submitted.job_ids).values():
                if job.status == "running" and len(job.result_ids) == 1:
                    victim = job
            time.sleep(0.02)
        assert victim is not None, f"no job got half way: {first.poll()} {first.stderr}"
        assert f":{first.pid}:" in victim.worker
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(30)
    kept = victim.result_ids[0]
    second = worker(home, url, "--until-idle")
    try:
        _, err = second.communicate(timeout=300)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(30)
    assert second.returncode == 0, err
    report = follow_batch(studio, submitted, timeout=0)
    assert (report.jobs, report.done, report.failed, report.unfinished) == (3, 3, 0, 0)
    again = studio.catalog.get_job(victim.id)
    assert again.attempts == 2 and again.result_ids[0] == kept and len(again.result_ids) == 2
    assert f":{second.pid}:" in again.worker
    log = [line.line for line in studio.catalog.job_log(victim.id)]
    assert any("stopped answering" in line for line in log), log
    ids = [i for j in studio.catalog.get_jobs(submitted.job_ids).values() for i in j.result_ids]
    assert len(ids) == 6 == len(set(ids)) == studio.catalog.count_artworks()
    for artwork_id in ids:
        assert studio.files.exists(artwork_id)
    studio.catalog.close()
