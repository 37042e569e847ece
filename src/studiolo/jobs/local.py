"""The Studio's jobs (`Studio.jobs`): submit to the catalog's queue, and run them here.

`JobRunner.submit(kind, request)` checks the request with its kind, fixes what must not
change between attempts (`JobKind.prepare`), and queues it in the catalog, where any
worker may take it: this process's own (the local backend: a `Worker` in background
threads, started on the first submission unless `run_here` is off), a `studiolo worker`
process, or the actors of a Ray cluster (jobs/ray_backend.py). A job that was running
when its process died is taken up again by the next worker once its lease ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from studiolo.catalog.jobs import JobSpec, Submitted
from studiolo.core.errors import InvalidArgument
from studiolo.core.types import Job
from studiolo.jobs.kinds import JobKinds
from studiolo.jobs.worker import Worker


class JobRunner:
    def __init__(self, studio: Any, *, run_here: bool = True) -> None:
        self.studio = studio
        self.catalog = studio.catalog
        self.run_here = run_here
        self.listeners: list[Any] = []
        self._kinds: JobKinds | None = None
        self._worker: Worker | None = None
        self._worker_options: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def kinds(self) -> JobKinds:
        if self._kinds is None:
            self._kinds = JobKinds(self.studio.plugins)
        return self._kinds

    # -- submitting ---------------------------------------------------------------------
    def spec(self, kind: str, request: dict[str, Any], *, owner: str | None = None,
             batch: str | None = None, dedupe_key: str | None = None,
             max_attempts: int | None = None) -> JobSpec:
        """A checked job spec: the kind's `prepare` has run (seeds are fixed)."""
        found = self.kinds.get(kind)
        if not isinstance(request, dict):
            raise InvalidArgument(f"`request` must be a dict, got {type(request).__name__}.")
        prepared = found.prepare(request, self.studio) if found.prepare else dict(request)
        extra = {"max_attempts": max_attempts} if max_attempts is not None else {}
        return JobSpec(kind=kind, request=prepared, owner=owner,
                       heavy=found.is_heavy(prepared, self.studio), batch=batch,
                       dedupe_key=dedupe_key, **extra)

    def submit(self, kind: str, request: dict[str, Any], *, owner: str | None = None,
               batch: str | None = None, dedupe_key: str | None = None,
               max_attempts: int | None = None) -> Job:
        """Queue one job; return it at once (follow it with `wait` or the catalog)."""
        spec = self.spec(kind, request, owner=owner, batch=batch, dedupe_key=dedupe_key,
                         max_attempts=max_attempts)
        return self.submit_specs([spec])[0].job

    def submit_specs(self, specs: Sequence[JobSpec]) -> list[Submitted]:
        """Queue checked specs in one transaction (a batch): one `Submitted` each."""
        submitted = self.catalog.create_jobs(list(specs))
        if self.run_here and any(s.outcome in ("new", "requeued") for s in submitted):
            self.worker().wake()
        return submitted

    # -- running here -------------------------------------------------------------------
    def configure(self, **options: Any) -> None:
        """Options of this process's worker (light, devices, lease_s, poll_s), before it starts."""
        self._worker_options.update(options)

    def worker(self) -> Worker:
        """This process's worker, started on first use (background threads)."""
        with self._lock:
            if self._worker is None:
                self._worker = Worker(self.studio, listeners=self.listeners,
                                      job_kinds=self.kinds, **self._worker_options)
                self._worker.start()
            return self._worker

    def add_listener(self, listener: Any) -> None:
        """Tell `listener` (publish(job_id, event), add_result(job_id, artwork_id)) about the
        jobs this process runs; adding the same one twice changes nothing."""
        if not any(existing is listener for existing in self.listeners):
            self.listeners.append(listener)

    def wait(self, job_id: str, timeout: float | None = None, poll_s: float = 0.05) -> Job:
        """The job once it has ended (or as it is when `timeout` seconds have passed)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = poll_s
        while True:
            job = self.catalog.get_job(job_id)
            if job.ended or (deadline is not None and time.monotonic() >= deadline):
                return job
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def cancel(self, job_id: str, by: str | None = None) -> Job:
        return self.catalog.cancel_job(self.catalog.resolve_job(job_id), by=by)

    def retry(self, job_id: str, by: str | None = None) -> Job:
        job = self.catalog.retry_job(self.catalog.resolve_job(job_id), by=by)
        if self.run_here:
            self.worker().wake()
        return job

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop(wait=wait)
