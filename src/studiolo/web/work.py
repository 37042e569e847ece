"""Long work for the web studio: each request becomes a job on the Studio's runner.

The request returns at once with the job; the work calls the Studio's own
verbs (paint, generate, img2img, stylize, portrait, upscale, rerun) as the
person logged in, tells the progress hub each step and each stored artwork,
and the page follows `/api/jobs/{id}/events`. No image logic lives here.
"""

from __future__ import annotations

import random
import threading
import warnings
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback
from studiolo.core.types import Artwork, Job
from studiolo.web.progress import ProgressHub

MAX_SEED = 2**32 - 1


class CreateRequest(BaseModel):
    """What the Create page (or a script) asks for."""

    prompt: str = Field("", max_length=2000)
    mode: Literal["txt2img", "img2img", "stylize", "portrait"] = "txt2img"
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


class RestyleRequest(BaseModel):
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


def make_create(req: CreateRequest, image_path: Any) -> Make:
    """The work for a Create request: one verb call per image, so each appears when done."""
    seed = _seed(req.seed)

    def make(studio: Any, progress: ProgressCallback, stored: Callable[[list[Artwork]], None]) -> None:
        if req.taste and req.mode == "txt2img":
            # One call: the candidates of the whole batch are made and ranked together.
            stored(_with_taste(studio, req, seed, progress))
            return
        for i in range(req.batch):
            def counted(event: dict[str, Any], i: int = i) -> None:
                if req.batch > 1:
                    event = {**event, "message": f"image {i + 1} of {req.batch}"}
                progress(event)

            stored(_one(studio, req, image_path, seed + i, counted))

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


def _one(studio: Any, req: CreateRequest, image: Any, seed: int, progress: ProgressCallback) -> list[Artwork]:
    if req.mode == "txt2img":
        engine = req.engine or studio.default_txt2img_engine(req.model)
        if engine == "painter":
            return studio.paint(req.prompt, style=req.style or None, seed=seed, width=req.width,
                                height=req.height, strength=req.strength, progress=progress)
        return studio.generate(req.prompt, engine=engine, model=req.model, seed=seed,
                               steps=req.steps, width=req.width, height=req.height,
                               negative_prompt=req.negative_prompt, progress=progress)
    if image is None:
        raise InvalidArgument(f"Mode {req.mode!r} needs an input image: upload one first.")
    if req.mode == "img2img":
        if not req.model:
            raise InvalidArgument("Image to image needs a `model` (a diffusion model folder or id); "
                                  "without one, use mode 'stylize'.")
        return studio.img2img(image, req.prompt, model=req.model, seed=seed,
                              strength=req.strength or 0.6, steps=req.steps, progress=progress)
    style = req.style or random_style()
    if req.mode == "stylize":
        return studio.stylize(image, style, strength=req.strength or 1.0, progress=progress)
    return studio.portrait(image, style, progress=progress)


def random_style() -> str:
    from studiolo.features.styles import list_styles

    paintings = [s.id for s in list_styles() if s.kind == "painting"]
    return random.SystemRandom().choice(paintings)


def make_action(action: str, artwork: Artwork, style: str | None = None) -> Make:
    """Work on a stored artwork: rerun, variation, restyle or upscale."""
    path = artwork.path

    def make(studio: Any, progress: ProgressCallback, stored: Callable[[list[Artwork]], None]) -> None:
        recipe = artwork.recipe
        if action == "rerun":
            stored(studio.rerun(artwork.id, progress=progress))
        elif action == "variation" and recipe.model:
            stored(studio.img2img(path, recipe.prompt, model=recipe.model, strength=0.5,
                                  seed=_seed(None), progress=progress))
        elif action in ("variation", "restyle"):
            stored(studio.stylize(path, style or random_style(), progress=progress))
        elif action == "upscale":
            stored(studio.upscale(path, scale=2, progress=progress))
        else:
            raise InvalidArgument(f"Unknown action {action!r}; use rerun, variation, restyle or upscale.")

    return make
