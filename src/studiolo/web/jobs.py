"""The web studio's job kinds: a Create request and an artwork action, queued as JSON.

A job of the queue must be runnable by any worker from its row alone (jobs/kinds.py), so
the web studio does not queue closures: it queues the Create request (kind "create") or
the action's name and artwork (kind "action"), and these kinds find the Create mode or
artwork action the capabilities registered (`web/parts.py`) when the job runs. The studio
a job runs with acts for its owner with the job's privacy, and stores each artwork as the
job's next result, so a retried job skips what an earlier attempt stored.
"""

from __future__ import annotations

import random
from typing import Any

from pydantic import ValidationError

from studiolo.core.errors import InvalidArgument
from studiolo.core.types import MAX_SEED
from studiolo.hookspecs import hookimpl
from studiolo.jobs.kinds import JobContext, JobKind

LIGHT_MODES = frozenset({"stylize", "portrait"})


def _create_request(request: dict[str, Any]) -> Any:
    from studiolo.web.work import CreateRequest

    try:
        return CreateRequest(**request)
    except (ValidationError, TypeError) as exc:
        raise InvalidArgument(f"A create job's request is not a Create request: {exc}.") from None


def _prepare_create(request: dict[str, Any], studio: Any) -> dict[str, Any]:
    """The seed fixed now: every attempt makes the same pictures."""
    req = _create_request(request)
    if req.seed is None:
        req = req.model_copy(update={"seed": random.SystemRandom().randrange(0, MAX_SEED - 16)})
    return {**req.model_dump(), "private": bool(request.get("private", False))}


def _create_is_heavy(request: dict[str, Any], studio: Any) -> bool:
    req = _create_request(request)
    if req.mode in LIGHT_MODES:
        return False
    engine = "diffusion" if req.mode == "img2img" else (
        req.engine or studio.default_txt2img_engine(req.model))
    if engine in studio.engines:
        declared = getattr(studio.engines.get(engine), "heavy", None)
        if declared is not None:
            return bool(declared)
    return engine not in ("painter", "generator")


def _run_create(ctx: JobContext) -> None:
    from studiolo.web.parts import collect
    from studiolo.web.uploads import upload_path
    from studiolo.web.work import make_with_taste

    req = _create_request(ctx.job.request)
    seed = req.seed if req.seed is not None else 0
    if req.taste and req.mode == "txt2img":
        # One call: the candidates of the whole batch are made and ranked together.
        make_with_taste(ctx.studio, req, seed, ctx.progress)
        return
    mode = collect(ctx.studio.plugins).mode(req.mode)
    image = upload_path(ctx.studio, req.image)
    if mode.needs_image and image is None:
        raise InvalidArgument(f"Mode {req.mode!r} needs an input image: upload one first.")
    for i in range(ctx.done, req.batch):
        mode.make(ctx.from_position(i), req, image, (seed + i) % (MAX_SEED + 1),
                  ctx.part(i, req.batch))


def _run_action(ctx: JobContext) -> None:
    from studiolo.web.parts import collect
    from studiolo.web.work import ActionRequest

    request = ctx.job.request
    action = collect(ctx.studio.plugins).action(str(request.get("action")))
    artwork = ctx.studio.get(str(request.get("artwork")))
    action.make(ctx.studio, artwork, ActionRequest(style=request.get("style"),
                                                   private=bool(request.get("private"))),
                ctx.progress)


CREATE = JobKind(name="create", run=_run_create, heavy=_create_is_heavy,
                 prepare=_prepare_create,
                 expected=lambda request: int(request.get("batch", 1) or 1))
ACTION = JobKind(name="action", run=_run_action, heavy=False)


@hookimpl
def register_job_kinds(register: Any) -> None:
    register(CREATE)
    register(ACTION)
