"""The job queue in the catalog, on SQLite and PostgreSQL: claims in fair order, leases that
end, retries by policy, cancels, the fencing of stale workers, and no job taken twice."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from studiolo.catalog.jobs import JobSpec
from studiolo.catalog.queue import ItemAlreadyMade
from studiolo.catalog.schema import jobs
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import Artwork, Recipe

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def sha(n: int) -> str:
    return f"{n:064x}"


def artwork(n: int) -> Artwork:
    return Artwork(id=sha(n), recipe=Recipe(engine="painter", prompt=f"picture {n}", seed=n),
                   owner="ada", created=T0 + timedelta(seconds=n), width=8, height=8)


def submit(cat, owner, n, **kw):
    return [s.job for s in cat.create_jobs([JobSpec("make", {"i": i}, owner=owner, **kw)
                                            for i in range(n)])]


def expire(cat, job_id):
    """The lease of a running job ends now (as if its worker stopped long ago); a job that
    has already ended holds no lease to end (writing one would break the invariant checked)."""
    with cat.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status == "running")
                     .values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))


def test_one_persons_big_batch_does_not_starve_anothers_single_job(cat):
    big = submit(cat, "ada", 1000)
    taken = [cat.claim_job("w1").id for _ in range(3)]
    assert taken == [j.id for j in big[:3]]
    [single] = submit(cat, "bob", 1)
    # Bob's job is next but one at most: his tag is the queue's virtual time now.
    following = [cat.claim_job("w1").id for _ in range(2)]
    assert single.id in following
    assert cat.queue_position(big[-1].id) == 1000 - 3 - 2


def test_fair_order_interleaves_owners_who_submit_at_once(cat):
    a = submit(cat, "ada", 3)
    submit(cat, "bob", 3)
    order = [cat.claim_job("w").id for _ in range(6)]
    owners = ["ada" if o in {j.id for j in a} else "bob" for o in order]
    assert owners == ["ada", "bob"] * 3


def test_heavy_and_light_jobs_are_claimed_by_their_slots(cat):
    [heavy] = submit(cat, "ada", 1, heavy=True)
    [light] = submit(cat, "ada", 1)
    assert cat.claim_job("w", heavy=False).id == light.id
    assert cat.claim_job("w", heavy=False) is None
    assert cat.claim_job("w", heavy=True).id == heavy.id
    assert cat.claim_job("w", kinds=["other"]) is None


def test_a_lease_that_ends_queues_the_job_again_then_fails_it(cat):
    [job] = submit(cat, "ada", 1, max_attempts=2)
    first = cat.claim_job("w1")
    assert (first.status, first.attempts, first.worker) == ("running", 1, "w1")
    expire(cat, job.id)
    assert cat.reap_expired() == [job.id]
    again = cat.get_job(job.id)
    assert (again.status, again.worker, again.attempts) == ("queued", None, 1)
    second = cat.claim_job("w2")
    assert second.attempts == 2
    # The first worker comes back: it holds nothing, and cannot finish the job.
    assert cat.finish_job(job.id, "w1", 1, status="done") is False
    assert cat.heartbeat("w1", {job.id: 1})[job.id].ours is False
    expire(cat, job.id)
    cat.reap_expired()
    failed = cat.get_job(job.id)
    assert failed.status == "failed" and failed.finished is not None
    assert failed.error.startswith("The job was begun 2 times and each time its worker stopped")
    log = [line.line for line in cat.job_log(job.id)]
    assert log[0] == "attempt 1 of 2 began on w1" and "now failed" in log[-1]


def test_heartbeats_keep_a_lease_and_bring_cancels(cat):
    [job] = submit(cat, "ada", 1)
    claimed = cat.claim_job("w", lease_s=0.2)
    time.sleep(0.1)
    assert cat.heartbeat("w", {job.id: claimed.attempts}, lease_s=60)[job.id].ours
    time.sleep(0.2)
    assert cat.reap_expired() == []
    cat.cancel_job(job.id, by="ada")
    control = cat.report_progress(job.id, "w", claimed.attempts, progress=0.5, stage="paint")
    assert control.ours and control.cancel
    assert cat.get_job(job.id).status == "running" and cat.get_job(job.id).cancel_requested
    assert cat.finish_job(job.id, "w", claimed.attempts, status="cancelled", error="stopped")
    assert cat.get_job(job.id).status == "cancelled"


def test_cancel_and_retry(cat):
    [queued, running] = submit(cat, "ada", 2)
    cancelled = cat.cancel_job(queued.id, by="ada")
    assert cancelled.status == "cancelled" and cancelled.error == "Cancelled by ada before it began."
    claimed = cat.claim_job("w")
    assert claimed.id == running.id
    assert cat.finish_job(running.id, "w", 1, status="failed", error="the disk is full")
    retried = cat.retry_job(running.id, by="ada")
    assert (retried.status, retried.attempts, retried.error) == ("queued", 0, None)
    with pytest.raises(InvalidArgument, match=r"is queued; only a failed or cancelled job can"):
        cat.retry_job(running.id)
    cat.claim_job("w")
    cat.finish_job(running.id, "w", 1, status="done")
    with pytest.raises(InvalidArgument, match=r"has already ended \(done\); there is nothing"):
        cat.cancel_job(running.id)
    with pytest.raises(UnknownName, match="Unknown job 'nope'"):
        cat.cancel_job("nope")


def test_a_transient_failure_is_retried_while_attempts_last(cat):
    [job] = submit(cat, "ada", 1, max_attempts=2)
    cat.claim_job("w")
    cat.finish_job(job.id, "w", 1, status="failed", error="database went away", retry=True)
    assert cat.get_job(job.id).status == "queued"
    cat.claim_job("w")
    cat.finish_job(job.id, "w", 2, status="failed", error="database went away", retry=True)
    assert cat.get_job(job.id).status == "failed"


def test_a_cancelled_job_whose_worker_died_ends_cancelled(cat):
    [job] = submit(cat, "ada", 1)
    cat.claim_job("w")
    cat.cancel_job(job.id)
    expire(cat, job.id)
    cat.reap_expired()
    assert cat.get_job(job.id).status == "cancelled"


def test_the_same_dedupe_key_is_queued_once(cat):
    spec = JobSpec("make", {"prompt": "a"}, owner="ada", batch="b1", dedupe_key="k1")
    [first] = cat.create_jobs([spec, spec])[:1]
    assert first.outcome == "new"
    assert [s.outcome for s in cat.create_jobs([spec])] == ["pending"]
    cat.claim_job("w")
    cat.finish_job(first.job.id, "w", 1, status="failed", error="x")
    assert [s.outcome for s in cat.create_jobs([spec])] == ["requeued"]
    cat.claim_job("w")
    cat.finish_job(first.job.id, "w", 1, status="done")
    assert [s.outcome for s in cat.create_jobs([spec])] == ["done"]
    assert cat.batch_counts("b1")["done"] == 1 and len(cat.list_jobs(batch="b1")) == 1


def test_results_are_linked_in_the_artworks_transaction_and_never_twice(cat):
    [job] = submit(cat, "ada", 1)
    cat.add_artwork(artwork(1), "png", job=(job.id, 0))
    cat.add_artwork(artwork(1), "png", job=(job.id, 0))  # the same again: no change
    with pytest.raises(ItemAlreadyMade, match="already stored artwork 000000000000 as its result 1"):
        cat.add_artwork(artwork(2), "png", job=(job.id, 0))
    assert not cat.has_artwork(sha(2))  # nothing of it was written
    cat.add_artwork(artwork(3), "png", job=(job.id, 1))
    assert cat.job_results(job.id) == [sha(1), sha(3)]
    assert cat.get_job(job.id).result_ids == (sha(1), sha(3))
    cat.delete_artwork(sha(1))
    assert cat.job_results(job.id) == [sha(3)]


def test_bad_queue_calls(cat):
    with pytest.raises(InvalidArgument, match=r"`lease_s` must be a number of seconds in \(0, "
                                              r"86400\], got -1"):
        cat.claim_job("w", lease_s=-1)
    with pytest.raises(InvalidArgument, match="`worker` must be a non-empty string, got ''"):
        cat.claim_job("")
    with pytest.raises(InvalidArgument, match="`max_attempts` must be an integer from 1 to 100, "
                                              "got 0"):
        cat.create_jobs([JobSpec("make", {}, max_attempts=0)])
    with pytest.raises(InvalidArgument, match="`status` must be 'done', 'failed' or 'cancelled', "
                                              "got 'queued'"):
        cat.finish_job("x", "w", 1, status="queued")
    with pytest.raises(InvalidArgument, match="at least its first 8 characters, got 'abc'"):
        cat.resolve_job("abc")


def test_job_prefixes_resolve(cat):
    [job] = submit(cat, "ada", 1)
    assert cat.resolve_job(job.id[:8]) == job.id
    with pytest.raises(UnknownName, match="Unknown job 'ffffffff'"):
        cat.resolve_job("ffffffff")


def test_workers_racing_for_jobs_never_take_one_twice(cat):
    submit(cat, "ada", 60)
    taken: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := cat.claim_job(name)) is not None:
            with lock:
                taken.append(job.id)
            cat.finish_job(job.id, name, job.attempts, status="done")

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 60 and len(set(taken)) == 60
    assert cat.queue_counts()["done"] == 60


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["submit", "claim", "finish", "fail", "cancel",
                                           "retry", "expire"]), st.integers(0, 5)),
                max_size=25))
def test_any_sequence_of_queue_calls_keeps_its_invariants(cat, steps):
    """Whatever happens: a running job has a worker and a lease, an ended one has neither
    and has an end time, a queued one has no worker."""
    known: list[str] = []
    held: dict[str, tuple[str, int]] = {}
    for op, n in steps:
        target = known[n % len(known)] if known else None
        if op == "submit":
            known += [j.id for j in submit(cat, f"p{n % 3}", 1)]
        elif op == "claim":
            job = cat.claim_job(f"w{n}")
            if job is not None:
                held[job.id] = (f"w{n}", job.attempts)
        elif op in ("finish", "fail") and target in held:
            worker, attempt = held.pop(target)
            cat.finish_job(target, worker, attempt, status="done" if op == "finish" else "failed",
                           error=None if op == "finish" else "x", retry=n % 2 == 0)
        elif op == "cancel" and target:
            try:
                cat.cancel_job(target)
            except InvalidArgument:
                assert cat.get_job(target).ended
        elif op == "retry" and target:
            try:
                cat.retry_job(target)
            except InvalidArgument:
                assert cat.get_job(target).status in ("queued", "running", "done")
        elif op == "expire" and target in held:
            expire(cat, target)
            cat.reap_expired()
    for job in cat.get_jobs(known).values():
        if job.status == "running":
            assert job.worker and job.lease_until is not None
        if job.ended:
            assert job.lease_until is None and job.finished is not None
        if job.status == "queued":
            assert job.worker is None
    for job_id in known:  # leave nothing for the next example to take
        if not cat.get_job(job_id).ended:
            cat.cancel_job(job_id)


@pytest.mark.skipif(not __import__("os").environ.get("STUDIOLO_TEST_POSTGRES_URL"),
                    reason="STUDIOLO_TEST_POSTGRES_URL not set")
def test_a_wrong_database_password_is_one_sentence_without_the_password():
    from sqlalchemy.engine import make_url

    from studiolo.catalog import Catalog
    from studiolo.core.errors import CatalogError

    real = make_url(__import__("os").environ["STUDIOLO_TEST_POSTGRES_URL"])
    wrong = real.set(password="not-the-password")
    with pytest.raises(CatalogError) as err:
        Catalog(wrong.render_as_string(hide_password=False))
    message = str(err.value)
    assert message.startswith(f"Cannot open the catalog at postgresql+psycopg://{real.username}"
                              f":***@{real.host}:{real.port}/{real.database}: ")
    assert "password authentication failed" in message and "not-the-password" not in message
    assert "\n" not in message.strip() and "Traceback" not in message
