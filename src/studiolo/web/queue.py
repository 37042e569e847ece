"""The queue in the web studio: the Jobs page and its cancel and retry routes.

Like `studiolo jobs ls|cancel|retry` (cli/jobs_cmds.py), but a viewer sees and touches
only their own jobs: another person's job, private or not, is unknown (404) here, exactly
as `GET /api/jobs/{id}` answers (`web.api.own_job`), so neither its id nor its prompt ever
reaches the page. The counts are the viewer's own per status, and how busy the whole
queue is (numbers only: nothing of anyone's job). Registered as a plugin in
`plugins.DEFAULT_PLUGINS` (jobs/ is the runner, not a capability folder); its template is
the web studio's own `templates/jobs.html`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from studiolo.core.types import JOB_STATUSES, Job
from studiolo.hookspecs import hookimpl
from studiolo.web.api import job_json, own_job
from studiolo.web.auth import CurrentViewer

api = APIRouter(prefix="/api/jobs", tags=["jobs"])
pages = APIRouter(include_in_schema=False)
PAGE_LIMIT = 100
RESULT_LINKS = 8  # a batch of 8 is the Create page's largest


def row_json(job: Job) -> dict[str, Any]:
    """One line of the Jobs page: the API's job plus the queue's side of it."""
    request = job.request
    what = str(request.get("prompt") or request.get("theme") or request.get("action") or "")
    running = job.status == "running"
    return {
        **job_json(job),
        "what": what if len(what) <= 80 else what[:77] + "...",
        "attempts": job.attempts, "max_attempts": job.max_attempts,
        "stage": job.stage, "message": job.message,
        "cancelling": running and job.cancel_requested,
        "can_cancel": job.status == "queued" or (running and not job.cancel_requested),
        "can_retry": job.status in ("failed", "cancelled"),
        "results": [f"/artwork/{a}" for a in job.result_ids[:RESULT_LINKS]],
        "urls": {"cancel": f"/api/jobs/{job.id}/cancel", "retry": f"/api/jobs/{job.id}/retry"},
    }


def counts_json(request: Request, person: str) -> dict[str, Any]:
    catalog = request.app.state.studio.catalog
    everyone = catalog.queue_counts()
    return {"mine": catalog.queue_counts(owner=person),
            "queue": {"queued": everyone["queued"], "running": everyone["running"]}}


@api.post("/{job_id}/cancel", summary="Cancel your job: a queued one now, a running one at "
          "its next step (nothing half-made is stored)")
def cancel(request: Request, viewer: CurrentViewer, job_id: str) -> dict[str, Any]:
    job = own_job(request, viewer, job_id)  # someone else's: 404, as if it were not there
    return row_json(request.app.state.studio.jobs.cancel(job.id, by=viewer.name))


@api.post("/{job_id}/retry", summary="Queue your failed or cancelled job again (what it "
          "stored before is not made twice)")
def retry(request: Request, viewer: CurrentViewer, job_id: str) -> dict[str, Any]:
    job = own_job(request, viewer, job_id)
    studio = request.app.state.studio
    studio.jobs.add_listener(request.app.state.hub)  # its events reach the page again
    return row_json(studio.jobs.retry(job.id, by=viewer.name))


@pages.get("/jobs")
def jobs_page(request: Request, viewer: CurrentViewer) -> Response:
    catalog = request.app.state.studio.catalog
    rows = [row_json(j) for j in catalog.list_jobs(limit=PAGE_LIMIT, owner=viewer.name)]
    return request.app.state.templates.TemplateResponse(request, "jobs.html", {
        "viewer": viewer, "nav": "jobs", "title": "Jobs", "jobs": rows,
        "counts": counts_json(request, viewer.name), "statuses": JOB_STATUSES})


@hookimpl
def register_routes(app: Any) -> None:
    app.include_router(api)
    app.include_router(pages)


@hookimpl
def nav_links(viewer: Any) -> list[dict[str, str]]:
    return [{"href": "/jobs", "label": "Jobs"}]
