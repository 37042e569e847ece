"""Long work for the web studio: each request becomes a job on the Studio's runner.

The request returns at once with the job; the work calls the Create mode or
artwork action the capabilities registered (`studiolo.web.parts`) as the
person logged in, tells the progress hub each step and each stored artwork,
and the page follows `/api/jobs/{id}/events`. No image logic lives here.
"""

from __future__ import annotations

import random
import threading
import warnings
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback
from studiolo.core.types import Artwork, Job
from studiolo.web.parts import ArtworkAction, WebParts
from studiolo.web.progress import ProgressHub

MAX_SEED = 2**32 - 1


class CreateRequest(BaseModel):
    """What the Create page (or a script) asks for."""

    prompt: str = Field("", max_length=2000)
    mode: str = Field("txt2img", pattern=r"^[a-z0-9_-]{1,40}$",
                      description="A Create mode: txt2img, stylize, portrait, img2img or a "
                                  "plugin's (GET /api/modes lists them).")
    engine: str | None = Field(None, max_length=100,
                               description="None: the painter, or diffusion when a model is given.")
    model: str | None = Field(None, max_length=500)
    style: str | None = Field(None, max_length=200, description="A built-in style name.")
    seed: int | None = Field(None, ge=0, le=MAX_SEED)
    width: int = Field(512, ge=64, le=2048)
    height: int = Field(512, ge=64, le=2048)
    steps: int | None = Field(None, ge=1, le=200)
    negative_prompt: str = Field("", max_length=2000)
    strength: float | None = Field(None, gt=0, le=1)
    batch: int = Field(1, ge=1, le=8)
    image: str | None = Field(None, pattern=r"^[0-9a-f]{64}$",
                              description="An upload's (or artwork's) sha256, for the other modes.")
    private: bool = False
    taste: str | None = Field(None, max_length=100,
                              description="One of your taste profiles: keep the candidates it likes best.")
    candidates: int | None = Field(None, ge=1, le=16,
                                   description="With `taste`: how many to make and choose from (8).")
    taste_search: bool = Field(True, description="With `taste` and the painter: first search its "
                               "style blend, palette and composition toward the taste.")


class ActionRequest(BaseModel):
    """The body of an artwork action (optional): the style of a restyle, and privacy."""

    style: str | None = Field(None, max_length=200, description="None: a built-in painting at random.")
    private: bool = False


def studio_as(studio: Any, person: str, *, private: bool | None = None) -> Any:
    """The same studio (catalog, files, engines, jobs) acting for `person`."""
    return studio.acting_as(person, private=private)


Make = Callable[[Any, ProgressCallback, Callable[[list[Artwork]], None]], None]


def submit(studio: Any, hub: ProgressHub, person: str, kind: str, request: dict[str, Any],
           make: Make, *, private: bool = False) -> Job:
    """Queue `make(studio_as_person, progress, stored)` as a job; return the job at once."""
    ready = threading.Event()
    box: dict[str, str] = {}
    # Private work is stored private: never public, not for a moment.
    view = studio_as(studio, person, private=private)
    made: list[Artwork] = []

    def work(job_progress: ProgressCallback) -> list[Artwork]:
        ready.wait(10)
        job_id = box["id"]

        def progress(event: dict[str, Any]) -> None:
            job_progress(event)
            hub.publish(job_id, event)

        def stored(artworks: list[Artwork]) -> None:
            for artwork in artworks:
                made.append(artwork)
                hub.add_result(job_id, str(artwork.id))

        make(view, progress, stored)
        return made

    job = studio.jobs.submit(kind, request, work, owner=person)
    box["id"] = job.id
    hub.publish(job.id, {"stage": "queued", "step": 0, "total": 0})
    ready.set()
    return job


def _seed(seed: int | None) -> int:
    return random.SystemRandom().randrange(0, MAX_SEED) if seed is None else seed


def make_create(req: CreateRequest, image_path: Any, parts: WebParts) -> Make:
    """The work for a Create request: one call of its mode per image, so each appears when
    done. An unknown mode is refused now; a missing input image fails the job."""
    mode = parts.mode(req.mode)
    seed = _seed(req.seed)

    def make(studio: Any, progress: ProgressCallback, stored: Callable[[list[Artwork]], None]) -> None:
        if mode.needs_image and image_path is None:
            raise InvalidArgument(f"Mode {req.mode!r} needs an input image: upload one first.")
        if req.taste and req.mode == "txt2img":
            # One call: the candidates of the whole batch are made and ranked together.
            stored(_with_taste(studio, req, seed, progress))
            return
        for i in range(req.batch):
            def counted(event: dict[str, Any], i: int = i) -> None:
                if req.batch > 1:
                    event = {**event, "message": f"image {i + 1} of {req.batch}"}
                progress(event)

            stored(mode.make(studio, req, image_path, seed + i, counted))

    return make


def _with_taste(studio: Any, req: CreateRequest, seed: int, progress: ProgressCallback) -> list[Artwork]:
    """Text to image steered by the viewer's taste profile; a too-young profile's warning is
    shown as the job's message."""
    from studiolo.core.errors import TasteWarning

    engine = req.engine or studio.default_txt2img_engine(req.model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TasteWarning)
        kwargs = {"taste": req.taste, "candidates": req.candidates, "seed": seed,
                  "width": req.width, "height": req.height, "batch_size": req.batch,
                  "progress": progress}
        if engine == "painter":
            made = studio.paint(req.prompt, style=req.style or None, strength=req.strength,
                                taste_search=req.taste_search, **kwargs)
        else:
            made = studio.generate(req.prompt, engine=engine, model=req.model, steps=req.steps,
                                   negative_prompt=req.negative_prompt, **kwargs)
    note = [str(w.message) for w in caught if issubclass(w.category, TasteWarning)]
    if note:
        progress({"stage": "taste", "step": 1, "total": 1, "message": note[0]})
    return made


def make_action(action: ArtworkAction, artwork: Artwork, req: ActionRequest) -> Make:
    """Work on a stored artwork: one of the registered artwork actions."""

    def make(studio: Any, progress: ProgressCallback, stored: Callable[[list[Artwork]], None]) -> None:
        stored(action.make(studio, artwork, req, progress))

    return make
