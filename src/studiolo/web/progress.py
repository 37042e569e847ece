"""What the web studio knows of its running jobs beyond the job row: steps, previews, results.

The job table keeps status and a fraction (any process can read it); this hub
keeps, in memory, the engine's last progress event per job (stage, step,
total, message, a small JPEG preview) and the artworks stored so far, so the
events stream can show steps and results as they come. A job run by another
process simply has no hub entry, and the stream falls back to the row.
"""

from __future__ import annotations

import base64
import io
import threading
import time
from dataclasses import dataclass, field
from typing import Any

PREVIEW_SIDE = 256
HISTORY = 64  # stage changes kept per job, so a stream polling between two never skips a stage
PREVIEW_EVERY_S = 0.5  # encoding a preview costs; the page needs two a second at most
KEEP_S = 3600.0


@dataclass
class JobState:
    stage: str = "queued"
    step: int = 0
    total: int = 0
    message: str | None = None
    preview: str | None = None  # a data: URL
    results: list[str] = field(default_factory=list)
    page: str | None = None  # where the job's result is shown (an exhibition's page)
    version: int = 0
    touched: float = field(default_factory=time.monotonic)
    preview_at: float = 0.0
    # (version, stage, step, total, message) of each event that began a new stage.
    history: list[tuple[int, str, int, int, str | None]] = field(default_factory=list)


def preview_url(image: Any) -> str | None:
    """A small JPEG data URL of a PIL image (None if it cannot be encoded)."""
    try:
        small = image.convert("RGB")
        small.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
        buf = io.BytesIO()
        small.save(buf, "JPEG", quality=70)
    except (AttributeError, OSError, ValueError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class ProgressHub:
    """Thread-safe: job threads publish, the event streams read snapshots."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, JobState] = {}

    def publish(self, job_id: str, event: dict[str, Any]) -> None:
        """Record an engine progress event (the plain dict of engines/base.py).

        An event may carry `page`: the path that shows the job's result once done.
        """
        with self._lock:
            state = self._jobs.setdefault(job_id, JobState())
            stage = str(event.get("stage") or state.stage)
            began = stage != state.stage
            state.stage = stage
            state.step = int(event.get("step") or 0)
            state.total = int(event.get("total") or 0)
            state.message = event.get("message")
            state.page = str(event["page"]) if event.get("page") else state.page
            image = event.get("preview")
            now = time.monotonic()
            encode = image is not None and now - state.preview_at >= PREVIEW_EVERY_S
            if encode:
                state.preview_at = now
            state.version += 1
            state.touched = now
            if began:
                state.history.append((state.version, stage, state.step, state.total, state.message))
                del state.history[:-HISTORY]
        if encode:
            url = preview_url(image)
            with self._lock:
                state.preview = url or state.preview
                state.version += 1

    def add_result(self, job_id: str, artwork_id: str) -> None:
        with self._lock:
            state = self._jobs.setdefault(job_id, JobState())
            state.results.append(artwork_id)
            state.version += 1
            state.touched = time.monotonic()

    def snapshot(self, job_id: str) -> JobState | None:
        with self._lock:
            state = self._jobs.get(job_id)
            if state is None:
                return None
            return JobState(stage=state.stage, step=state.step, total=state.total,
                            message=state.message, preview=state.preview,
                            results=list(state.results), page=state.page,
                            version=state.version, history=list(state.history))

    def forget_old(self, keep_s: float = KEEP_S) -> None:
        cutoff = time.monotonic() - keep_s
        with self._lock:
            for job_id in [j for j, s in self._jobs.items() if s.touched < cutoff]:
                del self._jobs[job_id]
