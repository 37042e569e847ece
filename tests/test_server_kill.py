"""A real `studiolo serve` process SIGKILLed in the middle of a `POST /api/create` job (after
it stored some of the job's pictures, not all): restarted, the server takes the job up again
once its lease ends, makes only the pictures still missing, and the job ends done exactly
once, with every picture's file and row and no duplicate, on SQLite and (with
STUDIOLO_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import signal
import time

import pytest
from server_helpers import free_port, logged_in, serve, stop, wait_up
from web_helpers import OWNER, PASSWORD

from studiolo.catalog import accounts
from studiolo.core.settings import Settings
from studiolo.studio import Studio

pytestmark = pytest.mark.slow
PICTURES = 6


def test_a_killed_server_keeps_what_it_made_and_finishes_the_job_once(tmp_path, url):
    home = tmp_path / "home"
    studio = Studio(settings=Settings.from_env(home, person=OWNER, database_url=url),
                    load_entry_points=False)
    studio.jobs.run_here = False  # this process only watches the catalog
    accounts.add_user(studio.catalog, OWNER, PASSWORD, role="owner")

    port = free_port()
    first = serve(home, url, port, "--lease", "2")
    victim = None
    try:
        base = wait_up(first, port)
        client = logged_in(base, OWNER, PASSWORD)
        reply = client.post(f"{base}/api/create", timeout=30, json={
            "prompt": "a harbour at night", "engine": "painter", "width": 128,
            "height": 128, "batch": PICTURES, "seed": 7})
        assert reply.status_code == 202, reply.text
        job_id = reply.json()["id"]
        deadline = time.monotonic() + 120
        while victim is None and time.monotonic() < deadline and first.poll() is None:
            job = studio.catalog.get_job(job_id)
            if job.status == "running" and 1 <= len(job.result_ids) < PICTURES:
                victim = job
            time.sleep(0.02)
        assert victim is not None, f"the job never got part way: {studio.catalog.get_job(job_id)}"
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        stop(first)
    kept = studio.catalog.get_job(job_id).result_ids  # what the killed server had stored
    assert 1 <= len(kept) < PICTURES
    assert studio.catalog.get_job(job_id).status == "running"  # its lease has not ended yet

    port = free_port()
    second = serve(home, url, port, "--lease", "2")
    try:
        deadline = time.monotonic() + 120
        while not (job := studio.catalog.get_job(job_id)).ended and time.monotonic() < deadline:
            assert second.poll() is None, f"the server stopped: {second.stderr.read()}"
            time.sleep(0.1)
        assert job.status == "done", (job.status, job.error)
        base = wait_up(second, port)
        client = logged_in(base, OWNER, PASSWORD)
        shown = client.get(f"{base}/api/jobs/{job_id}", timeout=30).json()
        assert shown["status"] == "done" and shown["id"] == job_id
    finally:
        stop(second)

    assert job.attempts == 2 and job.result_ids[:len(kept)] == kept
    assert len(job.result_ids) == PICTURES == len(set(job.result_ids))
    log = [line.line for line in studio.catalog.job_log(job_id)]
    assert any("stopped answering" in line for line in log), log
    assert studio.catalog.count_artworks() == PICTURES
    for artwork_id in job.result_ids:
        assert studio.files.exists(artwork_id)
    seeds = sorted(studio.get(i).recipe.seed for i in job.result_ids)
    assert seeds == list(range(7, 7 + PICTURES))  # each picture once: none redone, none missed
    studio.catalog.close()
