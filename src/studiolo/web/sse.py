"""`GET /api/jobs/{id}/events`: a job's progress as server-sent events, until it ends.

Events (each `data` is JSON):
- `progress`: {status, fraction, stage, step, total, message, preview} whenever it changes;
  `preview` is a small JPEG data URL when the engine sent a preview image;
- `result`: {id, page, thumbnail} for each artwork as soon as it is stored;
- `done` (with result_ids, and `page` when the job made something with a page of its own,
  such as an exhibition) or `failed` (with the error sentence), then the stream ends.

The stream reads the progress hub (steps, previews, results of jobs this server
runs) and the job row (status, for any job), a few times a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from studiolo.catalog import accounts
from studiolo.core.errors import UnknownName
from studiolo.web.auth import CurrentViewer

POLL_S = 0.15
FINISHED = ("done", "failed", "cancelled")

router = APIRouter()


def _result(artwork_id: str) -> dict[str, str]:
    return {"id": artwork_id, "page": f"/artwork/{artwork_id}",
            "thumbnail": f"/api/artworks/{artwork_id}/thumbnail"}


def owned_job(request: Request, viewer: CurrentViewer, job_id: str) -> str:
    """The job id when the viewer submitted it (checked before the stream starts)."""
    if accounts.job_owner(request.app.state.studio.catalog, job_id) != viewer.name:
        raise UnknownName("job", job_id)
    return job_id


@router.get("/jobs/{job_id}/events", response_class=EventSourceResponse,
            summary="Follow a job: progress, results as they finish, then done or failed")
async def job_events(request: Request, job_id: Annotated[str, Depends(owned_job)]
                     ) -> AsyncIterator[ServerSentEvent]:
    catalog = request.app.state.studio.catalog
    hub = request.app.state.hub
    last: dict[str, Any] | None = None
    seen_version = 0
    sent: set[str] = set()
    while not await request.is_disconnected():
        job = await run_in_threadpool(catalog.get_job, job_id)
        state = hub.snapshot(job_id)
        # Stages that began and ended since the last poll are still shown, briefly, in order.
        for version, stage, step, total, message in state.history if state else ():
            if seen_version < version < state.version:
                yield ServerSentEvent(event="progress", data={
                    "status": job.status, "fraction": job.progress, "stage": stage, "step": step,
                    "total": total, "message": message, "preview": state.preview})
        seen_version = state.version if state else seen_version
        progress = {
            "status": job.status, "fraction": job.progress,
            "stage": state.stage if state else job.status, "step": state.step if state else 0,
            "total": state.total if state else 0, "message": state.message if state else None,
            "preview": state.preview if state else None,
        }
        if progress != last:
            last = progress
            yield ServerSentEvent(data=progress, event="progress")
        finished = job.status in FINISHED
        results = list(state.results if state else ()) + (list(job.result_ids) if finished else [])
        for artwork_id in results:
            if artwork_id not in sent:
                sent.add(artwork_id)
                yield ServerSentEvent(data=_result(artwork_id), event="result")
        if finished:
            yield ServerSentEvent(
                data={"status": job.status, "result_ids": list(job.result_ids), "error": job.error,
                      "page": state.page if state else None},
                event="done" if job.status == "done" else "failed")
            return
        await asyncio.sleep(POLL_S)
