"""Running a batch file: its rows queued as "make" jobs, followed to the end, summed up.

Each row gets a key made of who submits, the batch's name (the file's path unless named)
and the row's request as written (before a random seed is fixed), so submitting the same
file again queues nothing new for rows that are done or on their way, and queues again
the rows that failed. A row the studio refuses (an unknown engine, an unknown style) is a
problem with its line number; the other rows still run.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from studiolo.core.errors import StudioloError
from studiolo.jobs.batchfile import BatchFile, RowProblem


def batch_id(owner: str, name: str) -> str:
    return "b-" + hashlib.sha256(f"{owner}\0{name}".encode()).hexdigest()[:30]


def row_key(owner: str, name: str, request: dict[str, Any], occurrence: int) -> str:
    text = json.dumps([owner, name, request, occurrence], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class SubmittedBatch:
    batch: str
    name: str
    lines: dict[str, int]  # job id -> its row's line
    outcomes: dict[str, int] = field(default_factory=dict)  # new, requeued, pending, done
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def job_ids(self) -> list[str]:
        return list(self.lines)


@dataclass(frozen=True)
class BatchReport:
    """What a batch did: counts, each bad row and each failed job by line, time taken."""

    batch: str
    name: str
    jobs: int
    done: int
    failed: int
    cancelled: int
    unfinished: int
    done_before: int
    artworks: int
    seconds: float
    problems: tuple[RowProblem, ...]
    failures: tuple[tuple[int, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {"batch": self.batch, "name": self.name, "jobs": self.jobs, "done": self.done,
                "failed": self.failed, "cancelled": self.cancelled,
                "unfinished": self.unfinished, "done_before": self.done_before,
                "artworks": self.artworks, "seconds": round(self.seconds, 3),
                "problems": [{"line": p.line, "message": p.message} for p in self.problems],
                "failures": [{"line": line, "error": error} for line, error in self.failures]}

    def lines(self) -> list[str]:
        """The summary a person reads."""
        head = (f"{self.jobs} job(s): {self.done} done ({self.done_before} of them before this "
                f"run), {self.failed} failed, {self.cancelled} cancelled"
                + (f", {self.unfinished} not finished" if self.unfinished else "")
                + f"; {self.artworks} artwork(s); {self.seconds:.1f} s.")
        out = [head]
        if self.problems:
            out.append(f"{len(self.problems)} row(s) not run:")
            out += [f"  {p.sentence()}" for p in self.problems]
        if self.failures:
            out.append(f"{len(self.failures)} job(s) failed:")
            out += [f"  line {line}: {error}" for line, error in self.failures]
        return out


def submit_batch(studio: Any, batch_file: BatchFile, *, owner: str | None = None,
                 name: str | None = None, max_attempts: int | None = None) -> SubmittedBatch:
    """Queue the file's rows (a refused row becomes a problem); the jobs and what happened."""
    owner = owner or studio.settings.person
    name = name or str(batch_file.path.resolve())
    bid = batch_id(owner, name)
    out = SubmittedBatch(batch=bid, name=name, lines={}, problems=list(batch_file.problems))
    specs, lines = [], []
    for row in batch_file.rows:
        try:
            spec = studio.jobs.spec("make", row.request, owner=owner, batch=bid,
                                    dedupe_key=row_key(owner, name, row.request, row.occurrence),
                                    max_attempts=max_attempts)
        except StudioloError as exc:
            out.problems.append(RowProblem(row.line, str(exc)))
            continue
        specs.append(spec)
        lines.append(row.line)
    out.problems.sort(key=lambda p: p.line)
    for start in range(0, len(specs), 1000):  # one transaction a thousand rows
        chunk = specs[start:start + 1000]
        for submitted, line in zip(studio.jobs.submit_specs(chunk), lines[start:start + 1000]):
            out.lines[submitted.job.id] = line
            out.outcomes[submitted.outcome] = out.outcomes.get(submitted.outcome, 0) + 1
    return out


def follow_batch(studio: Any, submitted: SubmittedBatch, *,
                 progress: Callable[[int, int], None] | None = None,
                 timeout: float | None = None, poll_s: float = 0.5,
                 started: float | None = None) -> BatchReport:
    """Wait for the batch's jobs to end (calling `progress(ended, total)` as they do), then
    report. With `timeout`, report what has ended by then."""
    began = time.monotonic() if started is None else started
    ids = submitted.job_ids
    total = len(ids)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        ended = batch_ended(studio, submitted)
        if progress is not None:
            progress(ended, total)
        if ended >= total or (deadline is not None and time.monotonic() >= deadline):
            break
        time.sleep(poll_s)
    return report(studio, submitted, time.monotonic() - began)


def batch_ended(studio: Any, submitted: SubmittedBatch) -> int:
    counts = studio.catalog.batch_counts(submitted.batch)
    ended = counts["done"] + counts["failed"] + counts["cancelled"]
    return min(len(submitted.lines), ended)


def report(studio: Any, submitted: SubmittedBatch, seconds: float) -> BatchReport:
    jobs = studio.catalog.get_jobs(submitted.job_ids)
    statuses = [j.status for j in jobs.values()]
    failures = sorted((submitted.lines[j.id], j.error or "failed") for j in jobs.values()
                      if j.status == "failed")
    return BatchReport(
        batch=submitted.batch, name=submitted.name, jobs=len(jobs),
        done=statuses.count("done"), failed=statuses.count("failed"),
        cancelled=statuses.count("cancelled"),
        unfinished=statuses.count("queued") + statuses.count("running"),
        done_before=submitted.outcomes.get("done", 0),
        artworks=sum(len(j.result_ids) for j in jobs.values()), seconds=seconds,
        problems=tuple(submitted.problems), failures=tuple(failures))
