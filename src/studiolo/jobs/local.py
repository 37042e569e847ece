"""Run work now, on this machine, with its status kept in the catalog's job table.

`LocalRunner.submit` runs a function in a background thread and records the
job's progress, result ids or error, so a web page (or another process) can
follow it. The CLI runs in the foreground and needs no job row.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from studiolo.core.progress import ProgressEvent
from studiolo.core.types import Artwork, Job


class LocalRunner:
    def __init__(self, catalog: Any, workers: int = 1) -> None:
        self.catalog = catalog
        self._pool: ThreadPoolExecutor | None = None
        self._workers = workers
        self._futures: dict[str, Future[list[Artwork]]] = {}
        self._lock = threading.Lock()

    def submit(
        self,
        kind: str,
        request: dict[str, Any],
        work: Callable[[Callable[[ProgressEvent], None]], list[Artwork]],
        owner: str | None = None,
    ) -> Job:
        """Queue `work(progress)`; return the job at once."""
        job = self.catalog.create_job(kind, request, owner=owner)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="studiolo-job")
            self._futures[job.id] = self._pool.submit(self._run, job.id, work)
        return job

    def _run(self, job_id: str, work: Callable[..., list[Artwork]]) -> list[Artwork]:
        self.catalog.update_job(job_id, status="running", progress=0.0)

        def progress(event: ProgressEvent) -> None:
            total = event.get("total") or 0
            if total and event.get("stage") != "store":
                self.catalog.update_job(job_id, progress=min(1.0, event.get("step", 0) / total))

        try:
            made = work(progress)
        except Exception as exc:  # the job table keeps the reason; the thread must not die silently
            text = str(exc) or traceback.format_exc(limit=3)
            self.catalog.update_job(job_id, status="failed", error=text)
            raise
        self.catalog.update_job(
            job_id, status="done", progress=1.0, result_ids=[a.id for a in made if a.id]
        )
        return made

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        future = self._futures.get(job_id)
        if future is not None:
            # A failed job's error is recorded on its row; the row is the answer.
            with contextlib.suppress(Exception):
                future.result(timeout)
        return self.catalog.get_job(job_id)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
