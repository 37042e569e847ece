"""The job table: what was asked, how far it got, what it made or why it failed.

A mixin of `Catalog` (it needs only `self.engine`), kept apart so each file
reads as one subject.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine, Row

from studiolo.catalog._common import now, text_arg
from studiolo.catalog.schema import jobs
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import JOB_STATUSES, Job


def _job(row: Row[Any]) -> Job:
    return Job(
        id=row.id, kind=row.kind, request=json.loads(row.request), status=row.status,
        progress=row.progress, result_ids=tuple(json.loads(row.result_ids)), error=row.error,
        created=row.created, updated=row.updated,
    )


def _check_status(status: Any) -> str:
    if status not in JOB_STATUSES:
        raise InvalidArgument(f"`status` must be one of {JOB_STATUSES}, got {status!r}.")
    return str(status)


class JobTable:
    engine: Engine

    def create_job(self, kind: str, request: dict[str, Any], owner: str | None = None) -> Job:
        """A new queued job; `request` must be JSON (it is what a worker will run)."""
        kind = text_arg("kind", kind, max_len=40)
        if not isinstance(request, dict):
            raise InvalidArgument(f"`request` must be a dict, got {type(request).__name__}.")
        try:
            request_json = json.dumps(request, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(f"`request` must hold JSON values only: {exc}.") from None
        if owner is not None:
            owner = text_arg("owner", owner)
        when = now()
        job_id = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(
                insert(jobs).values(
                    id=job_id, kind=kind, request=request_json, status="queued", progress=0.0,
                    result_ids="[]", error=None, created=when, updated=when, owner=owner,
                )
            )
        return self.get_job(job_id)

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
            values["status"] = _check_status(status)
        if progress is not None:
            if (not isinstance(progress, (int, float)) or isinstance(progress, bool)
                    or not math.isfinite(progress) or not 0.0 <= progress <= 1.0):
                raise InvalidArgument(f"`progress` must be a number in [0, 1], got {progress!r}.")
            values["progress"] = float(progress)
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
        return _job(row)

    def list_jobs(
        self, status: str | None = None, limit: int = 50, *, owner: str | None = None
    ) -> list[Job]:
        """Jobs, newest first, optionally only those with this status or owner."""
        if not isinstance(limit, int) or limit < 1:
            raise InvalidArgument(f"`limit` must be a positive integer, got {limit!r}.")
        stmt = select(jobs)
        if status is not None:
            stmt = stmt.where(jobs.c.status == _check_status(status))
        if owner is not None:
            stmt = stmt.where(jobs.c.owner == owner)
        stmt = stmt.order_by(jobs.c.created.desc(), jobs.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [_job(r) for r in conn.execute(stmt)]
