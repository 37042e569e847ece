"""The queue's side of the job table: workers take jobs, hold them by a lease, finish them.

A mixin of `Catalog`. A worker takes the next job (`claim_job`) in one statement:
`UPDATE ... WHERE id = (SELECT ... ORDER BY fair_tag LIMIT 1 FOR UPDATE SKIP LOCKED)` on
PostgreSQL, so workers racing for jobs each get a different one and none waits on another's
lock; SQLite runs the same statement under its single writer lock. The job is then the
worker's until `lease_until`, which the worker renews while it runs (`heartbeat`); a worker
that dies stops renewing, and `reap_expired` (any worker calls it) queues the job again, or
fails it once it has used its attempts. Every write a worker makes names the worker and the
attempt (a fencing token), so a worker that lost its lease cannot overwrite the job's new
attempt, and cannot mark it done.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from studiolo.catalog._common import now, text_arg
from studiolo.catalog.jobs import check_progress, job_from_row, next_tag
from studiolo.catalog.schema import job_artworks, job_log, jobs
from studiolo.core.errors import CatalogError, InvalidArgument
from studiolo.core.types import JOB_STATUSES, Job

LEASE_S = 30.0
MAX_LOG_LINES = 400
MAX_LINE = 2000


class ItemAlreadyMade(CatalogError):
    """The job already stored an artwork at this position (an earlier attempt finished it)."""

    def __init__(self, job_id: str, position: int, artwork_id: str) -> None:
        self.job_id, self.position, self.artwork_id = job_id, position, artwork_id
        super().__init__(f"Job {job_id[:8]} already stored artwork {artwork_id[:12]} as its "
                         f"result {position + 1}.")


@dataclass(frozen=True)
class Control:
    """What a running job's worker learns when it writes: is the job still its, and was a
    cancel asked?"""

    ours: bool
    cancel: bool = False


@dataclass(frozen=True)
class LogLine:
    at: datetime
    line: str


def _held(job_id: str, worker: str, attempt: int) -> Any:
    """The job, if it is still running under this worker's attempt."""
    return and_(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.attempts == attempt,
                jobs.c.status == "running")


def _lease(lease_s: float) -> datetime:
    if not isinstance(lease_s, (int, float)) or not 0 < lease_s <= 86_400:
        raise InvalidArgument(f"`lease_s` must be a number of seconds in (0, 86400], got {lease_s!r}.")
    return now() + timedelta(seconds=float(lease_s))


def add_log(conn: Connection, job_id: str, line: str) -> None:
    """Append a line to the job's log (at most MAX_LOG_LINES kept: the first ones)."""
    last = conn.scalar(select(func.max(job_log.c.position)).where(job_log.c.job_id == job_id))
    position = 0 if last is None else last + 1
    if position >= MAX_LOG_LINES:
        return
    text = " ".join(str(line).split())[:MAX_LINE]
    try:
        with conn.begin_nested():  # two writers logging at once: the later one tries again
            conn.execute(insert(job_log).values(job_id=job_id, position=position, at=now(),
                                                line=text))
    except IntegrityError:
        with conn.begin_nested():
            last = conn.scalar(select(func.max(job_log.c.position)).where(
                job_log.c.job_id == job_id))
            conn.execute(insert(job_log).values(job_id=job_id, position=(last or 0) + 1,
                                                at=now(), line=text))


def link_artwork(conn: Connection, job_id: str, position: int, sha: str) -> None:
    """Record that the job stored `sha` as its result at `position` (in the artwork's own
    transaction); `ItemAlreadyMade` if another artwork holds that position."""
    held = conn.scalar(select(job_artworks.c.artwork_id).where(
        job_artworks.c.job_id == job_id, job_artworks.c.position == position))
    if held is not None:
        if held != sha:
            raise ItemAlreadyMade(job_id, position, held)
        return
    conn.execute(insert(job_artworks).values(job_id=job_id, position=position, artwork_id=sha))
    ids = list(conn.scalars(select(job_artworks.c.artwork_id).where(
        job_artworks.c.job_id == job_id).order_by(job_artworks.c.position)))
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(
        result_ids=json.dumps(ids), updated=now()))


class QueueTable:
    engine: Engine
    get_job: Any  # JobTable's (both are mixins of Catalog)

    # -- workers ----------------------------------------------------------------------
    def claim_job(self, worker: str, *, heavy: bool | None = None,
                  kinds: Sequence[str] | None = None, lease_s: float = LEASE_S) -> Job | None:
        """Take the next queued job in fair order (or None): it is `worker`'s until its lease
        ends. `heavy`: only jobs that need a device to themselves (True), only light ones
        (False), or either (None); `kinds`: only these kinds."""
        worker = text_arg("worker", worker)
        until = _lease(lease_s)
        pick = select(jobs.c.id).where(jobs.c.status == "queued")
        if heavy is not None:
            pick = pick.where(jobs.c.heavy == bool(heavy))
        if kinds is not None:
            pick = pick.where(jobs.c.kind.in_(list(kinds)))
        pick = pick.order_by(jobs.c.fair_tag, jobs.c.created, jobs.c.id).limit(1)
        when = now()
        stmt = (update(jobs)
                .where(jobs.c.id == pick.with_for_update(skip_locked=True).scalar_subquery(),
                       jobs.c.status == "queued")
                .values(status="running", worker=worker, lease_until=until, updated=when,
                        attempts=jobs.c.attempts + 1,
                        started=func.coalesce(jobs.c.started, when), stage="started")
                .returning(*jobs.c))
        with self.engine.begin() as conn:
            row = conn.execute(stmt).first()
            if row is None:
                return None
            add_log(conn, row.id, f"attempt {row.attempts} of {row.max_attempts} began on {worker}")
        return job_from_row(row)

    def heartbeat(self, worker: str, job_attempts: dict[str, int],
                  lease_s: float = LEASE_S) -> dict[str, Control]:
        """Renew the leases of the jobs this worker runs ({job id: attempt}); what each is."""
        until = _lease(lease_s)
        out: dict[str, Control] = {}
        with self.engine.begin() as conn:
            for job_id, attempt in job_attempts.items():
                row = conn.execute(update(jobs).where(_held(job_id, worker, attempt))
                                   .values(lease_until=until)
                                   .returning(jobs.c.cancel_requested)).first()
                out[job_id] = Control(ours=row is not None, cancel=bool(row and row[0]))
        return out

    def report_progress(self, job_id: str, worker: str, attempt: int, *,
                        progress: float | None = None, stage: str | None = None,
                        message: str | None = None, log: str | None = None,
                        lease_s: float = LEASE_S) -> Control:
        """Record how far a running job got (and renew its lease); whether it is still ours."""
        values: dict[str, Any] = {"updated": now(), "lease_until": _lease(lease_s)}
        if progress is not None:
            values["progress"] = check_progress(progress)
        if stage is not None:
            values["stage"] = str(stage)[:40]
        if message is not None:
            values["message"] = str(message)[:MAX_LINE]
        with self.engine.begin() as conn:
            row = conn.execute(update(jobs).where(_held(job_id, worker, attempt)).values(**values)
                               .returning(jobs.c.cancel_requested)).first()
            if row is not None and log:
                add_log(conn, job_id, log)
        return Control(ours=row is not None, cancel=bool(row and row[0]))

    def finish_job(self, job_id: str, worker: str, attempt: int, *, status: str,
                   error: str | None = None, retry: bool = False) -> bool:
        """End a running job that is still this worker's: "done", "failed" or "cancelled".

        `retry` (with "failed"): queue it again instead while it has attempts left.
        False when the job was no longer the worker's (nothing is written then).
        """
        if status not in ("done", "failed", "cancelled"):
            raise InvalidArgument(f"`status` must be 'done', 'failed' or 'cancelled', got {status!r}.")
        when = now()
        with self.engine.begin() as conn:
            row = conn.execute(select(jobs).where(_held(job_id, worker, attempt))
                               .with_for_update()).first()
            if row is None:
                return False
            values: dict[str, Any] = {"updated": when, "lease_until": None}
            if status == "failed" and retry and row.attempts < row.max_attempts \
                    and not row.cancel_requested:
                values.update(status="queued", worker=None, error=error, stage="queued")
                line = f"attempt {attempt} failed ({error}); queued again"
            else:
                values.update(status=status, finished=when, error=error, stage=status)
                if status == "done":
                    values["progress"] = 1.0
                line = f"{status}" + (f": {error}" if error else "")
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))
            add_log(conn, job_id, line)
        return True

    def reap_expired(self) -> list[str]:
        """Queue again (or fail, once out of attempts) every running job whose lease ended:
        its worker stopped. The ids of the jobs reaped."""
        when = now()
        reaped: list[str] = []
        with self.engine.begin() as conn:
            stale = conn.execute(
                select(jobs).where(jobs.c.status == "running",
                                   or_(jobs.c.lease_until < when, jobs.c.lease_until.is_(None)))
                .with_for_update(skip_locked=True)).all()
            for row in stale:
                gone = f"worker {row.worker} stopped answering (its lease ended)"
                if row.cancel_requested:
                    values = {"status": "cancelled", "finished": when,
                              "error": f"Cancelled; {gone} before it stopped."}
                elif row.attempts < row.max_attempts:
                    values = {"status": "queued", "worker": None}
                else:
                    values = {"status": "failed", "finished": when,
                              "error": f"The job was begun {row.attempts} times and each time "
                                       f"its worker stopped ({gone}); see `studiolo jobs show "
                                       f"{row.id[:8]}`, then `studiolo jobs retry "
                                       f"{row.id[:8]}`."}
                conn.execute(update(jobs).where(jobs.c.id == row.id, jobs.c.status == "running",
                                                jobs.c.attempts == row.attempts)
                             .values(lease_until=None, updated=when, stage=values["status"],
                                     **values))
                add_log(conn, row.id, f"attempt {row.attempts}: {gone}; now {values['status']}")
                reaped.append(row.id)
        return reaped

    # -- people -----------------------------------------------------------------------
    def cancel_job(self, job_id: str, *, by: str | None = None) -> Job:
        """Cancel a queued job now, or ask a running one to stop at its next step."""
        who = f" by {by}" if by else ""
        with self.engine.begin() as conn:
            row = self._locked(conn, job_id)
            if row.status == "queued":
                conn.execute(update(jobs).where(jobs.c.id == row.id).values(
                    status="cancelled", finished=now(), updated=now(), stage="cancelled",
                    error=f"Cancelled{who} before it began."))
                add_log(conn, row.id, f"cancelled{who} while queued")
            elif row.status == "running":
                conn.execute(update(jobs).where(jobs.c.id == row.id).values(
                    cancel_requested=True, updated=now()))
                add_log(conn, row.id, f"cancel asked{who}; it stops at its next step")
            else:
                raise InvalidArgument(f"Job {row.id[:8]} has already ended ({row.status}); "
                                      "there is nothing to cancel.")
        return self.get_job(row.id)

    def retry_job(self, job_id: str, *, by: str | None = None) -> Job:
        """Queue a failed or cancelled job again, with its attempts counted afresh; what it
        stored before is kept and not made twice."""
        with self.engine.begin() as conn:
            row = self._locked(conn, job_id)
            if row.status not in ("failed", "cancelled"):
                raise InvalidArgument(f"Job {row.id[:8]} is {row.status}; only a failed or "
                                      "cancelled job can be retried.")
            conn.execute(update(jobs).where(jobs.c.id == row.id).values(
                status="queued", attempts=0, error=None, cancel_requested=False, worker=None,
                lease_until=None, finished=None, updated=now(), stage="queued", message=None,
                fair_tag=next_tag(conn, row.owner)))
            add_log(conn, row.id, "queued again" + (f" by {by}" if by else ""))
        return self.get_job(row.id)

    def _locked(self, conn: Connection, job_id: str) -> Any:
        row = conn.execute(select(jobs).where(jobs.c.id == str(job_id)).with_for_update()).first()
        if row is None:
            self.get_job(str(job_id))  # raises UnknownName
        return row

    # -- reading ----------------------------------------------------------------------
    def log_job(self, job_id: str, line: str) -> None:
        with self.engine.begin() as conn:
            add_log(conn, job_id, line)

    def job_log(self, job_id: str) -> list[LogLine]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(job_log.c.at, job_log.c.line).where(
                job_log.c.job_id == job_id).order_by(job_log.c.position))
            return [LogLine(at, line) for at, line in rows]

    def job_results(self, job_id: str) -> list[str]:
        """The artworks the job stored, in the order it stored them (across attempts)."""
        with self.engine.connect() as conn:
            return list(conn.scalars(select(job_artworks.c.artwork_id).where(
                job_artworks.c.job_id == job_id).order_by(job_artworks.c.position)))

    def job_result_at(self, job_id: str, position: int) -> str | None:
        """The artwork the job stored at `position`, if it did."""
        with self.engine.connect() as conn:
            return conn.scalar(select(job_artworks.c.artwork_id).where(
                job_artworks.c.job_id == job_id, job_artworks.c.position == position))

    def queue_counts(self, owner: str | None = None) -> dict[str, int]:
        """Jobs in each status (all of them, or one owner's)."""
        counts = dict.fromkeys(JOB_STATUSES, 0)
        stmt = select(jobs.c.status, func.count()).group_by(jobs.c.status)
        if owner is not None:
            stmt = stmt.where(jobs.c.owner == owner)
        with self.engine.connect() as conn:
            for status, n in conn.execute(stmt):
                counts[status] = int(n)
        return counts

    def queue_position(self, job_id: str) -> int | None:
        """How many queued jobs (of anyone) are ahead of this one; None unless it is queued."""
        job = self.get_job(job_id)
        if job.status != "queued":
            return None
        with self.engine.connect() as conn:
            tag = conn.scalar(select(jobs.c.fair_tag).where(jobs.c.id == job.id))
            ahead = conn.scalar(select(func.count()).select_from(jobs).where(
                jobs.c.status == "queued", jobs.c.heavy == job.heavy,
                or_(jobs.c.fair_tag < tag,
                    and_(jobs.c.fair_tag == tag, jobs.c.created < job.created))))
        return int(ahead or 0)
