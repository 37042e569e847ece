"""Kinds of job: what a worker does with a job's JSON request, found by the job's `kind`.

A job must be runnable by any worker, in any process, from its row alone: so a kind is a
registered function of the request, never a closure. The studio's own kind is "make" (a
verb call described by JSON: jobs/make.py, what batch files and `studiolo jobs submit`
queue); capabilities and the web studio add theirs through the `register_job_kinds` hook.

A kind says whether a request needs a device to itself (`heavy`: a diffusion model on a
GPU, one at a time per device) or is light (the offline painter, in parallel), and what a
heavy one asks of a Ray cluster (`num_gpus`). `prepare` runs once, at submission, to fix
what must not change between attempts (a random seed), so a retried job makes the same
pictures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from studiolo.core.errors import UnknownName
from studiolo.core.progress import ProgressCallback
from studiolo.core.types import Job


class JobStopped(Exception):
    """Raised in a running job's progress callback: it was cancelled, or its worker lost it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason  # "cancelled" or "lost"
        super().__init__(reason)


@dataclass
class JobContext:
    """What a kind's `run` gets: the job, a studio acting for its owner that stores each
    artwork as the job's next result, the progress callback (it raises `JobStopped` when the
    job is cancelled) and the device of the worker's slot."""

    job: Job
    studio: Any  # stores the job's results from position 0
    progress: ProgressCallback
    device: str | None = None
    # Results an earlier attempt stored (positions 0 .. done-1): a kind whose items make one
    # artwork each may skip them (`at(done)`); any other kind that makes them again gets the
    # stored ones back from the catalog instead of second copies.
    done: int = 0
    expected: int = 1  # how many results the job is expected to store (for its fraction)
    at: Callable[[int], Any] | None = None  # the studio storing from this position on

    def from_position(self, position: int) -> Any:
        return self.studio if self.at is None or position == 0 else self.at(position)

    def part(self, index: int, count: int) -> ProgressCallback:
        """The progress callback for item `index` of `count`, with an "n of N" message."""
        if count <= 1:
            return self.progress

        def progress(event: dict[str, Any]) -> None:
            message = event.get("message")
            words = f"image {index + 1} of {count}"
            self.progress({**event, "message": f"{words}: {message}" if message else words})

        return progress


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[[JobContext], None]
    # Whether a request needs a device to itself: a bool, or a function of (request, studio).
    heavy: bool | Callable[[dict[str, Any], Any], bool] = False
    num_gpus: float = 1.0  # what a heavy job of this kind asks of a Ray cluster with GPUs
    prepare: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None
    expected: Callable[[dict[str, Any]], int] = field(default=lambda request: 1)

    def is_heavy(self, request: dict[str, Any], studio: Any) -> bool:
        return bool(self.heavy(request, studio) if callable(self.heavy) else self.heavy)


class JobKinds:
    """Kinds by name: the studio's own, then each plugin's (`register_job_kinds`)."""

    def __init__(self, pm: Any = None) -> None:
        self._kinds: dict[str, JobKind] = {}
        from studiolo.jobs.make import MAKE

        self.register(MAKE)
        if pm is not None:
            pm.hook.register_job_kinds(register=self.register)

    def register(self, kind: JobKind) -> None:
        if not isinstance(kind, JobKind):
            raise TypeError(f"{kind!r} is not a JobKind.")
        if kind.name in self._kinds:
            raise ValueError(f"Two plugins register a job kind named {kind.name!r}.")
        self._kinds[kind.name] = kind

    def get(self, name: str) -> JobKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise UnknownName("job kind", name, sorted(self._kinds)) from None

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def __contains__(self, name: str) -> bool:
        return name in self._kinds
