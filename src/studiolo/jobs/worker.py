"""A worker: takes jobs from the catalog's queue, runs them, and holds each by a lease.

Slots are threads. Each device gets one heavy slot (a job that needs the device to
itself: one at a time per device); `light` slots run light jobs (the offline painter) in
parallel. A housekeeping thread renews the leases of the jobs running here and queues
again the jobs of workers that stopped renewing theirs (`Catalog.reap_expired`).

A running job's progress callback writes its fraction and stage at most every
PROGRESS_EVERY_S and learns from that write whether a cancel was asked or the job is no
longer this worker's; then it raises `JobStopped` at the engine's next step. Each artwork
is stored the moment it is made, as the job's next result (`Studio.for_job`), so a killed
job keeps what it finished and its next attempt makes only the rest.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from studiolo.catalog.queue import LEASE_S
from studiolo.core.errors import StudioloError
from studiolo.core.progress import ProgressEvent
from studiolo.core.types import Artwork, Job
from studiolo.jobs.kinds import JobContext, JobKinds, JobStopped

log = logging.getLogger("studiolo.jobs")
PROGRESS_EVERY_S = 0.5
MIN_POLL_S = 0.02


def worker_name(prefix: str = "") -> str:
    """host:pid:random, unique across the processes and machines of a studio."""
    return f"{prefix}{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


def is_transient(exc: BaseException) -> bool:
    """Errors another attempt may not meet: the machine, the network or the database, not the
    request (those are StudioloErrors, or bugs)."""
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, (OSError, MemoryError, OperationalError)):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


@dataclass
class Running:
    job: Job
    attempt: int
    cancel: bool = False
    lost: bool = False
    stored: int = 0
    written_at: float = 0.0
    stage: str | None = None
    stages: set[str] = field(default_factory=set)  # logged once per attempt


@dataclass(frozen=True)
class Slot:
    heavy: bool | None  # heavy jobs only, light ones only, or either (None)
    device: str | None
    name: str


@dataclass
class WorkerStats:
    done: int = 0
    failed: int = 0
    cancelled: int = 0
    lost: int = 0
    by_job: dict[str, str] = field(default_factory=dict)


class Worker:
    """Jobs from `studio.catalog`'s queue, run with `studio` (see the module docstring).

    `devices`: one heavy slot each (None: the studio's own device); `light`: light slots;
    `either`: slots that take the next job, heavy or light (a Ray actor holding one CPU);
    `kinds`: only these job kinds; `listeners`: objects with `publish(job_id, event)` and
    `add_result(job_id, artwork_id)` (the web studio's progress hub).
    """

    def __init__(self, studio: Any, *, name: str | None = None, light: int = 1,
                 devices: Sequence[str | None] = (None,), either: int = 0,
                 lease_s: float = LEASE_S, poll_s: float = 0.25,
                 kinds: Sequence[str] | None = None, listeners: list[Any] | None = None,
                 job_kinds: JobKinds | None = None) -> None:
        if light < 0 or either < 0 or light + either + len(devices) == 0:
            raise ValueError("a worker needs at least one slot")
        self.studio = studio
        self.catalog = studio.catalog
        self.name = name or worker_name()
        self.lease_s = float(lease_s)
        self.poll_s = float(poll_s)
        self.kinds = job_kinds or JobKinds(studio.plugins)
        self.only = list(kinds) if kinds is not None else None
        self.listeners = listeners if listeners is not None else []
        self.slots = [Slot(True, d, f"heavy-{d or 'default'}") for d in devices] + [
            Slot(False, None, f"light-{i}") for i in range(light)] + [
            Slot(None, None, f"any-{i}") for i in range(either)]
        self.stats = WorkerStats()
        self._running: dict[str, Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- life ---------------------------------------------------------------------------
    def start(self) -> Worker:
        """Run in background threads until `stop()`."""
        if self._threads:
            return self
        self._stop.clear()
        self._threads = [threading.Thread(target=self._slot_loop, args=(slot,), daemon=True,
                                          name=f"studiolo-worker-{slot.name}")
                         for slot in self.slots]
        self._threads.append(threading.Thread(target=self._housekeeping, daemon=True,
                                              name="studiolo-worker-leases"))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, wait: bool = True, timeout: float | None = None) -> None:
        """Take no more jobs; with `wait`, let the running ones finish first."""
        self._stop.set()
        self._wake.set()
        if wait:
            for thread in self._threads:
                thread.join(timeout)
        self._threads = []

    def wake(self) -> None:
        """Look at the queue now (a job was just submitted in this process)."""
        self._wake.set()

    def run_until(self, finished: Callable[[], bool], check_s: float = 0.5) -> WorkerStats:
        """Run in this thread's care until `finished()` is true (a batch done, say)."""
        self.start()
        try:
            while not finished():
                self._stop.wait(check_s)
                if self._stop.is_set():
                    break
        finally:
            self.stop(wait=True)
        return self.stats

    @property
    def running(self) -> list[str]:
        with self._lock:
            return list(self._running)

    # -- the loops ------------------------------------------------------------------------
    def _slot_loop(self, slot: Slot) -> None:
        idle = MIN_POLL_S
        while not self._stop.is_set():
            try:
                job = self.claim(slot)
            except Exception as exc:  # noqa: BLE001  (the database went away: try again soon)
                log.warning("worker %s could not reach the queue: %s", self.name, exc)
                job = None
                idle = self.poll_s * 4
            if job is None:
                self._wake.wait(idle)
                self._wake.clear()
                idle = min(self.poll_s, idle * 2)
                continue
            idle = MIN_POLL_S
            self.execute(job, slot.device)

    def claim(self, slot: Slot) -> Job | None:
        return self.catalog.claim_job(self.name, heavy=slot.heavy, lease_s=self.lease_s,
                                      kinds=self.only if self.only is not None else self.kinds.names())

    def _housekeeping(self) -> None:
        beat = max(0.05, min(self.lease_s / 4, 5.0))
        last_reap = 0.0
        while not self._stop.wait(beat):
            try:
                with self._lock:
                    held = {job_id: r.attempt for job_id, r in self._running.items()}
                if held:
                    for job_id, control in self.catalog.heartbeat(self.name, held,
                                                                  self.lease_s).items():
                        self._note(job_id, control.ours, control.cancel)
                if time.monotonic() - last_reap >= self.lease_s / 2:
                    last_reap = time.monotonic()
                    if self.catalog.reap_expired():
                        self._wake.set()
            except Exception as exc:  # noqa: BLE001  (keep beating: the database may come back)
                log.warning("worker %s could not renew its leases: %s", self.name, exc)

    def _note(self, job_id: str, ours: bool, cancel: bool) -> None:
        with self._lock:
            running = self._running.get(job_id)
            if running is not None:
                running.lost = running.lost or not ours
                running.cancel = running.cancel or cancel

    # -- one job ----------------------------------------------------------------------------
    def execute(self, job: Job, device: str | None = None) -> str:
        """Run a job this worker holds to its end; the status it ended with ("lost" when the
        job stopped being this worker's)."""
        running = Running(job=job, attempt=job.attempts)
        with self._lock:
            self._running[job.id] = running
        try:
            status = self._execute(running, device)
        finally:
            with self._lock:
                self._running.pop(job.id, None)
        setattr(self.stats, status, getattr(self.stats, status) + 1)
        self.stats.by_job[job.id] = status
        return status

    def _execute(self, running: Running, device: str | None) -> str:
        job = running.job
        done = len(self.catalog.job_results(job.id))
        try:
            kind = self.kinds.get(job.kind)
            expected = max(1, kind.expected(job.request))
            ctx = JobContext(job=job, studio=self._studio_for(job, 0, running),
                             progress=self._progress(running, expected, done), device=device,
                             done=done, expected=expected,
                             at=lambda position: self._studio_for(job, position, running))
            kind.run(ctx)
        except JobStopped as stop:
            if stop.reason == "lost":
                log.warning("worker %s lost job %s (another worker has it now)", self.name, job.id)
                return "lost"
            kept = running.stored + done
            self._finish(running, "cancelled",
                         f"Cancelled while it ran; the {kept} artwork(s) it finished are kept.")
            return "cancelled"
        except StudioloError as exc:
            return self._finish(running, "failed", str(exc))
        except Exception as exc:  # noqa: BLE001  (the job fails with its reason; the worker lives)
            log.debug("job %s failed:\n%s", job.id, traceback.format_exc())
            text = str(exc) or type(exc).__name__
            error = text if is_transient(exc) else f"{type(exc).__name__}: {text}"
            return self._finish(running, "failed", error, retry=is_transient(exc))
        if running.cancel:  # asked while the last picture was being stored: it is done anyway
            self.catalog.log_job(job.id, "finished before the cancel reached it")
        return self._finish(running, "done")

    def _finish(self, running: Running, status: str, error: str | None = None,
                retry: bool = False) -> str:
        try:
            ours = self.catalog.finish_job(running.job.id, self.name, running.attempt,
                                           status=status, error=error, retry=retry)
        except Exception as exc:  # noqa: BLE001  (its lease will end and it is run again)
            log.warning("worker %s could not record job %s as %s: %s", self.name,
                        running.job.id, status, exc)
            return "lost"
        return status if ours else "lost"

    def _studio_for(self, job: Job, position: int, running: Running) -> Any:
        private = bool(job.request.get("private", False))
        person = job.owner or self.studio.settings.person
        view = self.studio.acting_as(person, private=private)

        def stored(artwork: Artwork) -> None:
            running.stored += 1
            self.catalog.log_job(job.id, f"stored artwork {str(artwork.id)[:12]}")
            for listener in list(self.listeners):
                listener.add_result(job.id, str(artwork.id))

        return view.for_job(job.id, start=position, on_stored=stored)

    def _progress(self, running: Running, expected: int,
                  done: int) -> Callable[[ProgressEvent], None]:
        job = running.job

        def progress(event: ProgressEvent) -> None:
            if running.cancel:
                raise JobStopped("cancelled")
            if running.lost:
                raise JobStopped("lost")
            for listener in list(self.listeners):
                listener.publish(job.id, event)
            stage = event.get("stage")
            began = stage != running.stage
            now = time.monotonic()
            if not began and now - running.written_at < PROGRESS_EVERY_S:
                return
            running.written_at, running.stage = now, stage
            total = event.get("total") or 0
            part = 0.0 if stage == "store" or not total else min(1.0, (event.get("step") or 0) / total)
            fraction = min(0.99, (done + running.stored + part) / expected)
            first = bool(stage) and stage not in running.stages and stage != "store"
            running.stages.add(str(stage))
            control = self.catalog.report_progress(
                job.id, self.name, running.attempt, progress=fraction,
                stage=str(stage) if stage else None, message=event.get("message"),
                log=f"stage {stage}" if first else None, lease_s=self.lease_s)
            self._note(job.id, control.ours, control.cancel)
            if running.lost:
                raise JobStopped("lost")
            if running.cancel:
                raise JobStopped("cancelled")

        return progress
