"""The "make" job: one Studio verb call described by JSON (a batch file's row, say).

`MakeRequest` is the edge (pydantic): prompt, engine, seed, style, size, model, an input
image for stylize, and `count` pictures with seeds seed, seed+1, ... Each picture is one
verb call storing one artwork, so an attempt after a crash skips the pictures an earlier
attempt stored (`JobContext.done`) and makes only the rest.
"""

from __future__ import annotations

import random
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from studiolo.core.errors import InvalidArgument
from studiolo.core.types import MAX_SEED
from studiolo.jobs.kinds import JobContext, JobKind

# Engines that need no device to themselves (they run on CPU threads, in parallel); any
# other engine is heavy unless it says otherwise (`heavy = False` on the engine).
LIGHT_ENGINES = frozenset({"painter", "style", "portrait", "upscale"})


class MakeRequest(BaseModel):
    """What a "make" job makes: `count` pictures of one recipe, seeds seed, seed+1, ..."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field("", max_length=2000)
    mode: Literal["txt2img", "stylize"] = "txt2img"
    engine: str | None = Field(None, max_length=100,
                               description="txt2img: painter (default) or diffusion (with model)")
    style: str | None = Field(None, max_length=500,
                              description="The painter's or stylize's style: a built-in name")
    seed: int | None = Field(None, ge=0, le=MAX_SEED)
    width: int = Field(512, ge=64, le=2048)
    height: int = Field(512, ge=64, le=2048)
    steps: int | None = Field(None, ge=1, le=200)
    model: str | None = Field(None, max_length=1000)
    negative_prompt: str = Field("", max_length=2000)
    strength: float | None = Field(None, gt=0, le=1)
    image: str | None = Field(None, max_length=4096, description="stylize: the picture's path")
    count: int = Field(1, ge=1, le=64)
    private: bool = False

    def engine_id(self) -> str:
        if self.mode == "stylize":
            return "style"
        return self.engine or ("diffusion" if self.model else "painter")


def make_request(request: dict[str, Any]) -> MakeRequest:
    """The request checked, or `InvalidArgument` naming the first bad field."""
    try:
        return MakeRequest(**request)
    except ValidationError as exc:
        raise InvalidArgument(describe_validation(exc)) from None
    except TypeError as exc:
        raise InvalidArgument(f"A make request must be a JSON object of fields: {exc}.") from None


def describe_validation(exc: ValidationError) -> str:
    """A pydantic error as one sentence naming the field and echoing the value."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "request"
    if first.get("type") == "extra_forbidden":
        known = ", ".join(MakeRequest.model_fields)
        return f"`{where}` is not a field of a job row; the fields are {known}."
    if first.get("type") == "missing":
        return f"`{where}` is required."
    got = f", got {first['input']!r:.80}" if "input" in first else ""
    return f"`{where}` is invalid: {first.get('msg', 'bad value')}{got}."


def check_make(req: MakeRequest, studio: Any) -> None:
    """What only the studio can tell: the engine exists and can do the mode, the style is
    known, stylize has a picture. `InvalidArgument` or `UnknownName` otherwise."""
    engine_id = req.engine_id()
    engine = studio.engines.get(engine_id)  # UnknownName lists the known engines
    if req.mode == "txt2img" and "txt2img" not in engine.capabilities:
        able = ", ".join(e.id for e in studio.engines.for_capability("txt2img"))
        raise InvalidArgument(f"Engine {engine_id!r} cannot make pictures from words; use one "
                              f"of {able}.")
    if req.mode == "txt2img" and not req.prompt.strip():
        raise InvalidArgument("`prompt` is empty: describe the picture to make.")
    if req.style is not None and engine_id not in ("painter", "style"):
        raise InvalidArgument(f"`style` is for the painter and for stylize, not for engine "
                              f"{engine_id!r}; leave it out or use engine 'painter'.")
    if req.mode == "stylize":
        if not req.image:
            raise InvalidArgument("Mode 'stylize' needs `image`: the path of the picture to paint.")
        if not req.style:
            raise InvalidArgument("Mode 'stylize' needs `style`: a built-in style name.")
    if req.style is not None and not _is_file(req.style):
        from studiolo.features.styles import get_style

        get_style(req.style)


def _is_file(text: str) -> bool:
    from studiolo.features.styles import looks_like_a_file

    return looks_like_a_file(text)


def prepare(request: dict[str, Any], studio: Any) -> dict[str, Any]:
    """Checked, with the seed fixed now: every attempt of the job makes the same pictures."""
    req = make_request(request)
    check_make(req, studio)
    if req.seed is None:
        req = req.model_copy(update={"seed": random.SystemRandom().randrange(0, MAX_SEED - 64)})
    return req.model_dump(exclude_defaults=True)


def is_heavy(request: dict[str, Any], studio: Any) -> bool:
    engine_id = make_request(request).engine_id()
    if engine_id in studio.engines:
        declared = getattr(studio.engines.get(engine_id), "heavy", None)
        if declared is not None:
            return bool(declared)
    return engine_id not in LIGHT_ENGINES


def run(ctx: JobContext) -> None:
    req = make_request(ctx.job.request)
    seed = req.seed if req.seed is not None else 0
    for i in range(ctx.done, req.count):
        _one(ctx.from_position(i), req, (seed + i) % (MAX_SEED + 1), ctx.part(i, req.count),
             ctx.device)


def _one(studio: Any, req: MakeRequest, seed: int, progress: Any, device: str | None) -> None:
    if req.mode == "stylize":
        studio.stylize(req.image, req.style, strength=req.strength or 1.0, progress=progress)
        return
    engine = req.engine_id()
    if engine == "painter":
        studio.paint(req.prompt, style=req.style, strength=req.strength, seed=seed,
                     width=req.width, height=req.height, progress=progress)
        return
    studio.generate(req.prompt, engine=engine, model=req.model, seed=seed, steps=req.steps,
                    width=req.width, height=req.height, negative_prompt=req.negative_prompt,
                    progress=progress, device=device)


MAKE = JobKind(name="make", run=run, heavy=is_heavy, prepare=prepare,
               expected=lambda request: int(request.get("count", 1) or 1))
