"""Workers: jobs run from the queue, one heavy job per device, light ones side by side,
cancels that stop at the next step, retries that make nothing twice, stale workers fenced."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import update

from studiolo.catalog.schema import jobs
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.settings import Settings
from studiolo.core.types import Artwork, Recipe
from studiolo.jobs.kinds import JobKind
from studiolo.jobs.worker import Worker
from studiolo.studio import Studio

SEEN: dict[str, list] = {"active": [], "peak": []}
LOCK = threading.Lock()
GATE = threading.Event()


def tile(studio, n: int, seed: int) -> Artwork:
    picture = Image.new("RGB", (16, 16), (n * 40 % 256, seed % 256, 90))
    recipe = Recipe(engine="painter", prompt=f"tile {n}", seed=seed, width=16, height=16)
    return studio.store(Artwork(recipe=recipe, image=picture))


def run_tiles(ctx):
    """`count` tiles; skips what an earlier attempt stored unless told to redo."""
    request = ctx.job.request
    first = 0 if request.get("redo") else ctx.done
    studio = ctx.from_position(first)
    for i in range(first, request["count"]):
        for step in range(request.get("steps", 1)):
            ctx.progress({"stage": "paint", "step": step, "total": request.get("steps", 1)})
            if request.get("wait"):
                GATE.wait(10)
            time.sleep(request.get("sleep", 0))
        tile(studio, i, request.get("seed", 0) + i)
    if request.get("fail"):
        raise {"usage": InvalidArgument("`count` is too many: ask for fewer."),
               "bug": ZeroDivisionError("division by zero"),
               "disk": OSError(28, "No space left on device")}[request["fail"]]


def run_busy(ctx):
    key = "heavy" if ctx.job.heavy else "light"
    with LOCK:
        SEEN["active"].append(key)
        SEEN["peak"].append((key, SEEN["active"].count(key)))
    time.sleep(0.3)
    with LOCK:
        SEEN["active"].remove(key)


KINDS = [JobKind("tiles", run_tiles, expected=lambda r: r["count"]),
         JobKind("busy", run_busy, heavy=lambda request, studio: bool(request.get("heavy")))]


@pytest.fixture
def studio(tmp_path):
    studio = Studio(settings=Settings.from_env(tmp_path / "home", person="ada"),
                    load_entry_points=False)
    for kind in KINDS:
        studio.jobs.kinds.register(kind)
    studio.jobs.configure(lease_s=2.0, poll_s=0.05)
    yield studio
    GATE.set()
    studio.jobs.shutdown()
    studio.catalog.close()


def test_a_submitted_job_runs_here_and_records_its_results(studio):
    job = studio.jobs.submit("tiles", {"count": 2, "steps": 3}, owner="bob")
    done = studio.jobs.wait(job.id, timeout=60)
    assert (done.status, done.progress, len(done.result_ids), done.error) == ("done", 1.0, 2, None)
    assert [studio.get(i).owner for i in done.result_ids] == ["bob", "bob"]
    log = [line.line for line in studio.catalog.job_log(job.id)]
    assert log[0].startswith("attempt 1 of 3 began on ") and log[-1] == "done"
    assert sum(line.startswith("stored artwork") for line in log) == 2


def test_a_cancel_stops_a_running_job_at_its_next_step_and_keeps_what_it_finished(studio):
    GATE.clear()
    job = studio.jobs.submit("tiles", {"count": 3, "steps": 40, "sleep": 0.02, "wait": True})
    deadline = time.monotonic() + 30
    while studio.catalog.get_job(job.id).status != "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    GATE.set()
    while not studio.catalog.job_results(job.id) and time.monotonic() < deadline:
        time.sleep(0.02)
    studio.jobs.cancel(job.id[:8], by="ada")
    ended = studio.jobs.wait(job.id, timeout=30)
    assert ended.status == "cancelled"
    kept = len(ended.result_ids)
    assert 1 <= kept < 3
    assert ended.error == f"Cancelled while it ran; the {kept} artwork(s) it finished are kept."
    assert len(studio.list()) == kept  # nothing half-made was stored


def _crashed_attempt(studio, job, stored: int) -> None:
    """What a worker killed after storing `stored` results leaves: a running row, its lease
    over, and those results."""
    claimed = studio.catalog.claim_job("dead-worker")
    assert claimed.id == job.id
    view = studio.acting_as("ada").for_job(job.id)
    for i in range(stored):
        tile(view, i, i)
    with studio.catalog.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job.id)
                     .values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))


@pytest.mark.parametrize("redo", [False, True])
def test_the_next_attempt_after_a_crash_makes_nothing_twice(studio, redo):
    studio.jobs.run_here = False
    job = studio.jobs.submit("tiles", {"count": 3, "redo": redo})
    _crashed_attempt(studio, job, stored=2)
    worker = Worker(studio, lease_s=2.0, poll_s=0.05, job_kinds=studio.jobs.kinds)
    worker.run_until(lambda: studio.catalog.get_job(job.id).ended, check_s=0.05)
    done = studio.catalog.get_job(job.id)
    assert done.status == "done" and done.attempts == 2
    assert len(done.result_ids) == 3 == len(set(done.result_ids)) == len(studio.list())


def test_a_worker_that_lost_its_job_stops_and_writes_nothing(studio):
    studio.jobs.run_here = False
    job = studio.jobs.submit("tiles", {"count": 1, "steps": 200, "sleep": 0.02})
    worker = Worker(studio, lease_s=5.0, poll_s=0.05, job_kinds=studio.jobs.kinds).start()
    deadline = time.monotonic() + 30
    while studio.catalog.get_job(job.id).status != "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    with studio.catalog.engine.begin() as conn:  # another worker took it over meanwhile
        conn.execute(update(jobs).where(jobs.c.id == job.id).values(worker="other", attempts=2))
    while worker.stats.lost == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()
    after = studio.catalog.get_job(job.id)
    assert worker.stats.lost == 1 and after.status == "running" and after.worker == "other"
    assert studio.list() == []


@pytest.mark.parametrize("fail, status, error", [
    ("usage", "failed", "`count` is too many: ask for fewer."),
    ("bug", "failed", "ZeroDivisionError: division by zero"),
    ("disk", "failed", "[Errno 28] No space left on device"),
])
def test_failures_by_policy(studio, fail, status, error):
    job = studio.jobs.submit("tiles", {"count": 1, "fail": fail}, max_attempts=2)
    ended = studio.jobs.wait(job.id, timeout=60)
    assert (ended.status, ended.error) == (status, error)
    # A request's own mistake or a bug fails at once; the machine's trouble is tried again.
    assert ended.attempts == (2 if fail == "disk" else 1)
    assert len(ended.result_ids) == 1  # what it finished before failing is kept


def test_heavy_jobs_run_one_at_a_time_per_device_and_light_ones_side_by_side(studio):
    studio.jobs.run_here = False
    SEEN["peak"].clear()
    for i in range(8):
        studio.jobs.submit("busy", {"heavy": i % 2 == 0, "i": i})
    worker = Worker(studio, light=2, devices=("cpu",), poll_s=0.02, job_kinds=studio.jobs.kinds)
    worker.run_until(lambda: studio.catalog.queue_counts()["done"] == 8, check_s=0.05)
    assert max(n for kind, n in SEEN["peak"] if kind == "heavy") == 1
    assert max(n for kind, n in SEEN["peak"] if kind == "light") == 2


def test_bad_submissions(studio):
    with pytest.raises(UnknownName, match=r"Unknown job kind 'paint'. Known: .*'busy', .*'make'"):
        studio.jobs.submit("paint", {})
    with pytest.raises(UnknownName, match="Unknown engine 'nope'"):
        studio.jobs.submit("make", {"prompt": "a harbour", "engine": "nope"})
    with pytest.raises(InvalidArgument, match="`prompt` is empty: describe the picture to make."):
        studio.jobs.submit("make", {"engine": "painter"})
    with pytest.raises(InvalidArgument, match="`style` is for the painter and for stylize, not "
                                              "for engine 'diffusion'"):
        studio.jobs.submit("make", {"prompt": "a", "engine": "diffusion", "style": "The Kiss"})
    with pytest.raises(InvalidArgument, match="`count` is invalid: Input should be less than or "
                                              "equal to 64, got 65."):
        studio.jobs.submit("make", {"prompt": "a", "count": 65})


def test_a_make_job_fixes_its_seed_when_submitted_and_knows_heavy_from_light(studio):
    studio.jobs.run_here = False
    light = studio.jobs.submit("make", {"prompt": "a harbour"})
    heavy = studio.jobs.submit("make", {"prompt": "a harbour", "model": "./sd15"})
    assert isinstance(light.request["seed"], int) and not light.heavy and heavy.heavy
