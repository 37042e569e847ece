"""The job table: what was asked, how far it got, what it made or why it failed.

A mixin of `Catalog` (it needs only `self.engine`), kept apart so each file
reads as one subject. Jobs enter here (`create_job`, `create_jobs`); the queue's
side, how workers take and hold them, is `catalog/queue.py`.

Fair order between owners is start-time fair queueing (Goyal, Vin and Cheng, "Start-time
Fair Queuing: a scheduling algorithm for integrated services packet switching networks",
SIGCOMM 1996) with every job costing one: a new job's tag is the larger of the queue's
virtual time (the smallest tag still queued) and one past the owner's last pending tag,
and workers take the smallest tag first. One person's 1,000-job batch takes tags t..t+999;
another's single job, submitted later, gets about the virtual time of that moment and runs
next, not after the thousand.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from studiolo.catalog._common import now, text_arg
from studiolo.catalog.schema import jobs
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import JOB_STATUSES, Job

PENDING = ("queued", "running")
MAX_ATTEMPTS = 3
_IN_CHUNK = 500  # ids per IN (...) list: well under every backend's parameter limit


@dataclass(frozen=True)
class JobSpec:
    """One job to submit: its kind, its JSON request, and the queue's facts about it."""

    kind: str
    request: dict[str, Any]
    owner: str | None = None
    heavy: bool = False
    max_attempts: int = MAX_ATTEMPTS
    batch: str | None = None
    # Submitting a spec whose key a job already has changes nothing (unless that job
    # failed or was cancelled: then it is queued again).
    dedupe_key: str | None = None


@dataclass(frozen=True)
class Submitted:
    """What `create_jobs` did with one spec: "new", "requeued", "pending" or "done"."""

    job: Job
    outcome: str


def job_from_row(row: Row[Any]) -> Job:
    return Job(
        id=row.id, kind=row.kind, request=json.loads(row.request), status=row.status,
        progress=row.progress, result_ids=tuple(json.loads(row.result_ids)), error=row.error,
        created=row.created, updated=row.updated, owner=row.owner, attempts=row.attempts,
        max_attempts=row.max_attempts, worker=row.worker, lease_until=row.lease_until,
        started=row.started, finished=row.finished, heavy=bool(row.heavy),
        cancel_requested=bool(row.cancel_requested), batch=row.batch, stage=row.stage,
        message=row.message,
    )


def check_status(status: Any) -> str:
    if status not in JOB_STATUSES:
        raise InvalidArgument(f"`status` must be one of {JOB_STATUSES}, got {status!r}.")
    return str(status)


def _request_json(request: Any) -> str:
    if not isinstance(request, dict):
        raise InvalidArgument(f"`request` must be a dict, got {type(request).__name__}.")
    try:
        return json.dumps(request, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"`request` must hold JSON values only: {exc}.") from None


def _check_spec(spec: JobSpec) -> dict[str, Any]:
    """The row values of a spec that can be checked before any transaction."""
    if not isinstance(spec.max_attempts, int) or not 1 <= spec.max_attempts <= 100:
        raise InvalidArgument(
            f"`max_attempts` must be an integer from 1 to 100, got {spec.max_attempts!r}.")
    for name in ("batch", "dedupe_key"):
        value = getattr(spec, name)
        if value is not None:
            text_arg(name, value, max_len=64)
    return {
        "kind": text_arg("kind", spec.kind, max_len=40), "request": _request_json(spec.request),
        "owner": None if spec.owner is None else text_arg("owner", spec.owner),
        "heavy": bool(spec.heavy), "max_attempts": spec.max_attempts, "batch": spec.batch,
        "dedupe_key": spec.dedupe_key,
    }


def next_tag(conn: Connection, owner: str | None) -> int:
    """The fair tag a new job of `owner` gets now (see the module docstring)."""
    virtual = conn.scalar(select(func.min(jobs.c.fair_tag)).where(jobs.c.status == "queued"))
    if virtual is None:
        virtual = conn.scalar(select(func.max(jobs.c.fair_tag))) or 0
    mine = jobs.c.owner.is_(None) if owner is None else jobs.c.owner == owner
    last = conn.scalar(select(func.max(jobs.c.fair_tag)).where(mine, jobs.c.status.in_(PENDING)))
    return int(virtual if last is None else max(virtual, last + 1))


class JobTable:
    engine: Engine

    def create_job(self, kind: str, request: dict[str, Any], owner: str | None = None, *,
                   heavy: bool = False, max_attempts: int = MAX_ATTEMPTS) -> Job:
        """A new queued job; `request` must be JSON (it is what a worker will run)."""
        spec = JobSpec(kind=kind, request=request, owner=owner, heavy=heavy,
                       max_attempts=max_attempts)
        return self.create_jobs([spec])[0].job

    def create_jobs(self, specs: Sequence[JobSpec]) -> list[Submitted]:
        """Queue many jobs in one transaction, in fair order; one `Submitted` per spec.

        A spec whose `dedupe_key` a job already has is not queued twice: that job is
        "pending" (queued or running), "done", or queued again ("requeued") when it failed
        or was cancelled. Two processes submitting the same key at once: one wins, the
        other sees its job.
        """
        values = [_check_spec(s) for s in specs]
        for attempt in range(3):
            try:
                return self._create_jobs(values)
            except IntegrityError:  # another submitter took a dedupe key first: look again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _create_jobs(self, values: list[dict[str, Any]]) -> list[Submitted]:
        when = now()
        out: list[tuple[str, str]] = []
        with self.engine.begin() as conn:
            known = _by_key(conn, [v["dedupe_key"] for v in values if v["dedupe_key"]])
            tags: dict[str | None, int] = {}
            rows = []
            for v in values:
                found = known.get(v["dedupe_key"]) if v["dedupe_key"] else None
                if found is not None:
                    out.append((found.id, self._resubmit(conn, found, when, tags)))
                    continue
                owner = v["owner"]
                tag = tags[owner] = tags[owner] + 1 if owner in tags else next_tag(conn, owner)
                job_id = str(uuid.uuid4())
                rows.append({**v, "id": job_id, "status": "queued", "progress": 0.0,
                             "result_ids": "[]", "error": None, "created": when,
                             "updated": when, "attempts": 0, "fair_tag": tag,
                             "cancel_requested": False})
                if v["dedupe_key"]:
                    known[v["dedupe_key"]] = _Known(job_id, "queued", owner)
                out.append((job_id, "new"))
            if rows:
                conn.execute(insert(jobs), rows)
        loaded = self.get_jobs([job_id for job_id, _ in out])
        return [Submitted(loaded[job_id], outcome) for job_id, outcome in out]

    @staticmethod
    def _resubmit(conn: Connection, found: _Known, when: Any,
                  tags: dict[str | None, int]) -> str:
        if found.status in PENDING:
            return "pending"
        if found.status == "done":
            return "done"
        owner = found.owner
        tag = tags[owner] = tags[owner] + 1 if owner in tags else next_tag(conn, owner)
        conn.execute(update(jobs).where(jobs.c.id == found.id).values(
            status="queued", attempts=0, error=None, cancel_requested=False, worker=None,
            lease_until=None, finished=None, fair_tag=tag, updated=when, message=None))
        found.status = "queued"
        return "requeued"

    def update_job(
        self,
        job_id: str,
        *,
        status: str | None = None,
        progress: float | None = None,
        result_ids: Sequence[str] | None = None,
        error: str | None = None,
    ) -> Job:
        """Change what is given, keep the rest; return the job as it now is."""
        values: dict[str, Any] = {"updated": now()}
        if status is not None:
            values["status"] = check_status(status)
        if progress is not None:
            values["progress"] = check_progress(progress)
        if result_ids is not None:
            if isinstance(result_ids, str) or not all(isinstance(r, str) for r in result_ids):
                raise InvalidArgument(
                    f"`result_ids` must be a list of artwork ids, got {result_ids!r}."
                )
            values["result_ids"] = json.dumps(list(result_ids))
        if error is not None:
            values["error"] = str(error)
        with self.engine.begin() as conn:
            changed = conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))
            if changed.rowcount == 0:
                raise UnknownName("job", str(job_id))
        return self.get_job(job_id)

    def get_job(self, job_id: str) -> Job:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == str(job_id))).first()
        if row is None:
            raise UnknownName("job", str(job_id))
        return job_from_row(row)

    def get_jobs(self, job_ids: Sequence[str]) -> dict[str, Job]:
        """The jobs with these ids (those that exist), by id."""
        found: dict[str, Job] = {}
        ids = list(dict.fromkeys(job_ids))
        with self.engine.connect() as conn:
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start:start + _IN_CHUNK]
                for row in conn.execute(select(jobs).where(jobs.c.id.in_(chunk))):
                    found[row.id] = job_from_row(row)
        return found

    def resolve_job(self, id_or_prefix: str) -> str:
        """The full id of a job given its id or a unique start of it (8 characters or more)."""
        text = str(id_or_prefix).strip().lower()
        if len(text) == 36:
            return self.get_job(text).id
        if len(text) < 8:
            raise InvalidArgument(
                f"`job` must be a job id or at least its first 8 characters, got {id_or_prefix!r}.")
        with self.engine.connect() as conn:
            found = list(conn.scalars(select(jobs.c.id).where(
                jobs.c.id >= text, jobs.c.id < text + "~").limit(2)))
        if not found:
            raise UnknownName("job", str(id_or_prefix))
        if len(found) > 1:
            raise InvalidArgument(f"Job {id_or_prefix!r} is ambiguous: it starts {found[0]} and "
                                  f"{found[1]}; give more characters.")
        return found[0]

    def list_jobs(
        self, status: str | None = None, limit: int = 50, *, owner: str | None = None,
        batch: str | None = None, offset: int = 0,
    ) -> list[Job]:
        """Jobs, newest first, optionally only those with this status, owner or batch."""
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise InvalidArgument(f"`limit` must be a positive integer, got {limit!r}.")
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise InvalidArgument(f"`offset` must be an integer >= 0, got {offset!r}.")
        stmt = select(jobs)
        if status is not None:
            stmt = stmt.where(jobs.c.status == check_status(status))
        if owner is not None:
            stmt = stmt.where(jobs.c.owner == owner)
        if batch is not None:
            stmt = stmt.where(jobs.c.batch == batch)
        stmt = stmt.order_by(jobs.c.created.desc(), jobs.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [job_from_row(r) for r in conn.execute(stmt)]

    def batch_counts(self, batch: str) -> dict[str, int]:
        """How many of a batch's jobs are in each status (every status is a key)."""
        counts = dict.fromkeys(JOB_STATUSES, 0)
        with self.engine.connect() as conn:
            for status, n in conn.execute(select(jobs.c.status, func.count()).where(
                    jobs.c.batch == batch).group_by(jobs.c.status)):
                counts[status] = int(n)
        return counts


def check_progress(progress: Any) -> float:
    if (not isinstance(progress, (int, float)) or isinstance(progress, bool)
            or not math.isfinite(progress) or not 0.0 <= progress <= 1.0):
        raise InvalidArgument(f"`progress` must be a number in [0, 1], got {progress!r}.")
    return float(progress)


@dataclass
class _Known:
    id: str
    status: str
    owner: str | None


def _by_key(conn: Connection, keys: list[str]) -> dict[str, _Known]:
    found: dict[str, _Known] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _IN_CHUNK):
        chunk = unique[start:start + _IN_CHUNK]
        stmt = select(jobs.c.dedupe_key, jobs.c.id, jobs.c.status, jobs.c.owner).where(
            jobs.c.dedupe_key.in_(chunk))
        for key, job_id, status, owner in conn.execute(stmt):
            found[key] = _Known(job_id, status, owner)
    return found
