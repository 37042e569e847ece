"""Latent journeys: a sequence of frames that walks from one picture to another.

Four kinds, one engine (id "journey", capability "explore"):

- `prompts`: two prompts, one seed. The text embeddings are interpolated
  linearly (and, for SDXL, the pooled embeddings too); the noise stays put.
- `seeds`: one prompt, two seeds. The initial noise latents are interpolated
  by spherical linear interpolation: Gaussian noise in many dimensions lies
  near a sphere, and a straight line between two samples passes well inside
  it (the midpoint has ~0.71 of the norm), which the denoiser reads as a
  low-contrast, washed-out picture. Slerp keeps the norm (Shoemake 1985;
  for generative models, White 2016, "Sampling Generative Networks").
- `styles`: one content image, two styles. The 100-d style bottlenecks of
  Ghiasi et al. 2017 are interpolated linearly; two Magenta styles are
  interpolated in the 26-style network's style weights instead (Dumoulin et
  al. 2017 show that space blends smoothly), so each end equals the style
  engine's picture of that style.
- `generator`: two seeds of a personal generator (`studiolo train generator`;
  `model` is its name). Its latents are slerped as in `seeds`, for the same
  reason; each end is the generator's plain sample of that seed
  (engines/generator.py makes the frames).

Frame i of N has t = i / (N - 1). Frame 0 is exactly what a plain generation
with A makes and the last frame exactly what B makes: the ends use their own
embeddings and noise, untouched by the interpolation. Noise is drawn on the
CPU from a seeded generator, so a journey gives the same pixels everywhere.
A sampler that adds fresh noise at each step (Euler a, DPM++ SDE) draws it
from the nearer end's seed, so a seeds journey with one of those jumps once,
at t = 0.5; the deterministic samplers (DDIM, Euler, DPM++ 2M) glide.
Each frame's recipe records the journey and its index, so a stored frame can
be made again on its own (`options.journey.index` set: only that frame).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Recipe

MIN_FRAMES, MAX_FRAMES = 2, 240
KINDS = ("prompts", "seeds", "styles", "generator")


class StyleInput(BaseModel):
    """An end of a style journey given as an image: the request image with role `input`."""

    model_config = ConfigDict(extra="forbid")
    input: str


End = int | str | StyleInput


class JourneySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["prompts", "seeds", "styles", "generator"]
    a: End
    b: End
    frames: int = 8
    index: int | None = Field(None, description="make only this frame (0-based)")
    t: float | None = Field(None, description="recorded on each frame; recomputed from index")


class StyleSettings(BaseModel):
    """The style engine's settings that a style journey passes on (see engines/style_transfer)."""

    model_config = ConfigDict(extra="forbid")
    strength: float = Field(1.0, ge=0.0, le=1.0)
    preserve_colors: bool = False
    style_size: int = Field(256, ge=256, le=2048)
    tile: int = Field(1024, ge=64)
    overlap: int = Field(64, ge=0)
    work_side: int | None = None


class JourneyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    journey: JourneySpec
    diffusion: dict[str, Any] = Field(default_factory=dict, description="diffusion engine options")
    style: StyleSettings = Field(default_factory=StyleSettings)
    styles: list[dict[str, Any]] = Field(default_factory=list, description="recorded, not read")


# -- the math -----------------------------------------------------------------------


def slerp(v0, v1, t: float, *, dot_threshold: float = 0.9995):
    """Spherical linear interpolation of two tensors of the same shape (torch, float32 out).

    Computed in float64; nearly parallel inputs fall back to a straight line,
    where slerp's sin(theta) denominator would lose all precision.
    """
    import torch

    if t == 0:
        return v0.clone()
    if t == 1:
        return v1.clone()
    a, b = v0.double(), v1.double()
    dot = (a * b).sum() / (a.norm() * b.norm())
    if dot.abs() > dot_threshold:
        mixed = torch.lerp(a, b, t)
    else:
        theta = torch.arccos(dot)
        sin = torch.sin(theta)
        mixed = a * (torch.sin((1 - t) * theta) / sin) + b * (torch.sin(t * theta) / sin)
    return mixed.to(v0.dtype)


def frame_ts(frames: int) -> list[float]:
    """t for each frame: 0, 1/(N-1), ..., 1."""
    return [i / (frames - 1) for i in range(frames)]


def lerp_embeddings(ea: dict, eb: dict, t: float, pad: dict) -> dict:
    """Pipeline embedding kwargs between `ea` (t=0) and `eb` (t=1).

    A long prompt has more 77-token chunks than a short one; the shorter side
    is padded with empty chunks (what the encoder pads a prompt's negative
    with) so the two line up. The ends are returned untouched.
    """
    import torch

    if t == 0:
        return dict(ea)
    if t == 1:
        return dict(eb)
    mixed = {}
    for key, a in ea.items():
        b = eb[key]
        if a.shape != b.shape:
            a, b = _pad_tokens(a, b.shape[1], pad[key]), _pad_tokens(b, a.shape[1], pad[key])
        mixed[key] = torch.lerp(a.float(), b.float(), t).to(a.dtype)
    return mixed


def _pad_tokens(x, length: int, empty_chunk):
    import torch

    missing = length - x.shape[1]
    if missing <= 0:
        return x
    # An all-zero tensor (SDXL's empty negative) is padded with zeros, anything else
    # with encoded empty chunks.
    chunk = torch.zeros_like(empty_chunk) if not x.any() else empty_chunk.to(x.device, x.dtype)
    return torch.cat([x, chunk.repeat(1, missing // chunk.shape[1], 1)], dim=1)


# -- the engine -----------------------------------------------------------------------


class JourneyEngine:
    id: ClassVar[str] = "journey"
    capabilities: ClassVar[frozenset[str]] = frozenset({"explore"})
    Options: ClassVar[type[BaseModel]] = JourneyOptions

    def __init__(self) -> None:
        self._diffusion: Any = None  # a DiffusionEngine of our own, made on first use

    def describe(self, recipe: Recipe) -> str:
        """A prompt-less (style) journey frame, for listings: "explore: The Kiss + magenta-2"."""
        from studiolo.features.styles import style_names

        names = style_names(recipe.options or {})
        return f"explore: {' + '.join(names)}" if names else "explore"

    def run(self, request: Request, progress: ProgressCallback = no_progress) -> list[Artwork]:
        options = self.check_inputs(request)
        spec = options.journey
        indices = [spec.index] if spec.index is not None else list(range(spec.frames))
        if spec.kind == "styles":
            from studiolo.capabilities.journey.styles import run_style_journey

            return run_style_journey(request, options, indices, progress)
        if spec.kind == "generator":
            from studiolo.capabilities.generator.engine import run_generator_journey

            return run_generator_journey(request, options, indices, progress)
        return self._run_diffusion(request, options, indices, progress)

    # -- 1. checks --------------------------------------------------------------------
    def check_inputs(self, request: Request) -> JourneyOptions:
        recipe = request.recipe
        if recipe.mode != "explore":
            raise InvalidArgument(
                f"`mode` has to be 'explore' for a journey but is {recipe.mode!r}."
            )
        options = parse_journey_options(recipe.options)
        spec = options.journey
        if isinstance(spec.frames, bool) or not MIN_FRAMES <= spec.frames <= MAX_FRAMES:
            raise InvalidArgument(
                f"`frames` has to be between {MIN_FRAMES} and {MAX_FRAMES} but is {spec.frames}."
            )
        if spec.index is not None and not 0 <= spec.index < spec.frames:
            raise InvalidArgument(
                f"`index` has to be between 0 and {spec.frames - 1} (frames - 1) but is "
                f"{spec.index}."
            )
        if request.batch_size != 1:
            raise InvalidArgument(
                f"`batch_size` has to be 1 for a journey (set `frames` instead) but is "
                f"{request.batch_size}."
            )
        if spec.kind in ("seeds", "generator"):
            for name, value in (("a", spec.a), ("b", spec.b)):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise InvalidArgument(
                        f"`{name}` of a {spec.kind} journey has to be a seed but is {value!r}."
                    )
        elif spec.kind == "prompts":
            for name, value in (("a", spec.a), ("b", spec.b)):
                if not isinstance(value, str) or not value.strip():
                    raise InvalidArgument(
                        f"`{name}` of a prompts journey has to be a non-empty prompt but is "
                        f"{value!r}."
                    )
        if spec.a == spec.b:
            raise InvalidArgument(
                f"`a` and `b` are the same ({spec.a!r}): a {spec.kind} journey needs two "
                "different ends."
            )
        if spec.kind == "generator" and not recipe.model:
            raise InvalidArgument(
                "`model` is not set: a generator journey needs the name of a trained generator "
                "(--generator NAME)."
            )
        if spec.kind != "styles" and not recipe.model:
            raise InvalidArgument(
                f"`model` is not set: a {spec.kind} journey needs a diffusion model; pass --model "
                "PATH, or make an offline style journey with --styles A B --image PHOTO."
            )
        return options

    # -- 2. diffusion journeys ---------------------------------------------------------
    def _run_diffusion(self, request: Request, options: JourneyOptions, indices: list[int],
                       progress: ProgressCallback) -> list[Artwork]:
        import torch

        from studiolo.capabilities.diffusion.backends import record as record_speed
        from studiolo.capabilities.diffusion.denoise import denoise
        from studiolo.capabilities.diffusion.engine import (
            DiffusionEngine,
            latent_shape,
            parse_options,
        )
        from studiolo.capabilities.diffusion.prompt_weighting import (
            encode_prompt,
            extract_lora_tags,
        )
        from studiolo.capabilities.diffusion.schedulers import canonical_scheduler_name
        from studiolo.capabilities.diffusion.speed import load_dtype
        from studiolo.core.device import choose_device

        recipe, spec = request.recipe, options.journey
        # 1. Check each end as the diffusion engine would check a plain generation of it.
        ends = _ends(recipe, spec)
        # The studio's own diffusion engine (one model cache), else one of our own.
        if request.engines is not None and "diffusion" in request.engines:
            diffusion = request.engines.get("diffusion")
        else:
            diffusion = self._diffusion = self._diffusion or DiffusionEngine()
        for prompt, seed in ends:
            plain = recipe.replace(engine="diffusion", mode="txt2img", prompt=prompt, seed=seed,
                                   options=options.diffusion)
            diffusion.check_inputs(Request(plain, settings=request.settings))
        dopts = parse_options(options.diffusion)
        (prompt_a, tags_a), (prompt_b, tags_b) = (extract_lora_tags(p) for p, _ in ends)
        if sorted(tags_a) != sorted(tags_b):
            raise InvalidArgument(
                f"`a` and `b` ask for different LoRAs ({tags_a} and {tags_b}): a journey applies "
                "one set, so put the same <lora:...> tags in both prompts or pass --lora."
            )
        negative, _ = extract_lora_tags(recipe.negative_prompt)
        sampler = canonical_scheduler_name(recipe.sampler) if recipe.sampler else None

        # 2. Load the model through the diffusion engine (same cache, speed settings, LoRAs)
        settings = request.settings
        device = choose_device(dopts.device or request.device)
        key, source, pipe, speed = diffusion.load(recipe.model, device, dopts, settings,
                                                  recipe.width, recipe.height)
        if pipe.unet.config.in_channels != 4:
            raise InvalidArgument(
                f"`model` {recipe.model!r} is an inpainting model ({pipe.unet.config.in_channels} "
                "input channels): a journey needs a text-to-image model."
            )
        pipe.set_progress_bar_config(disable=True)
        loras = diffusion.apply_loras(key, pipe, recipe.loras, tags_a, settings)
        sampler_name = diffusion.sampler_name(key, sampler)
        model_hash = diffusion.model_hash(source, settings)

        # 3. Both ends' embeddings and noise, once
        embeds_a = encode_prompt(pipe, prompt_a, negative, clip_skip=dopts.clip_skip)
        embeds_b = (encode_prompt(pipe, prompt_b, negative, clip_skip=dopts.clip_skip)
                    if spec.kind == "prompts" else embeds_a)
        pad = encode_prompt(pipe, "", "", clip_skip=dopts.clip_skip)
        pad = {k: pad[k.replace("negative_", "")] for k in embeds_a}
        shape = latent_shape(pipe, recipe.height, recipe.width)

        def noise(seed: int):
            return torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))

        noise_a, noise_b = noise(ends[0][1]), noise(ends[1][1])

        made: list[Artwork] = []
        for n, index in enumerate(indices):
            t = index / (spec.frames - 1)
            near = 0 if t < 0.5 else 1  # the end whose seed drives the scheduler's own noise
            prompt, seed = ends[near]
            progress({"stage": "journey", "step": n, "total": len(indices),
                      "message": f"frame {index + 1}/{spec.frames}"})
            pipe.scheduler = diffusion.scheduler(key, sampler, seed)
            # The generator goes on in the state a plain generation of `seed` leaves it in
            # (after its latents), so ancestral samplers add the same noise at the ends.
            generator = torch.Generator("cpu").manual_seed(seed)
            torch.randn(shape, generator=generator)
            latents = slerp(noise_a, noise_b, t) if spec.kind == "seeds" else noise_a
            kwargs = lerp_embeddings(embeds_a, embeds_b, t, pad)
            image = denoise(pipe, steps=recipe.steps, guidance=recipe.guidance, generator=generator,
                            progress=progress, image_index=n, images=len(indices),
                            latents=latents.to(device, load_dtype(device)),  # as a plain generation
                            height=recipe.height, width=recipe.width, **kwargs)
            frame_recipe = recipe.replace(
                prompt=prompt, seed=seed, sampler=sampler_name, model_hash=model_hash, loras=loras,
                width=image.width, height=image.height, strength=None, generator_device="cpu",
                options=frame_options(options, index, t, diffusion={
                    **options.diffusion, "speed": record_speed(speed, key[-1])}),
            )
            made.append(request.made(Artwork(recipe=frame_recipe, image=image, width=image.width,
                                             height=image.height, title=frame_title(spec, index))))
        progress({"stage": "journey", "step": len(indices), "total": len(indices)})
        return made


# -- helpers ---------------------------------------------------------------------------


def parse_journey_options(values: dict[str, Any]) -> JourneyOptions:
    """Options from a recipe, or InvalidArgument naming the option and echoing the value."""
    if not isinstance(values, dict) or "journey" not in values:
        raise InvalidArgument(
            "Option `journey` is missing: give {'kind': 'prompts'|'seeds'|'styles'|'generator', "
            "'a': ..., "
            "'b': ..., 'frames': N}."
        )
    try:
        return JourneyOptions.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        # Union members show up in the location ("journey.a.int"): leave them out.
        parts = [str(p) for p in error["loc"]]
        name = ".".join(p for p in parts if not p.startswith(("int", "str", "StyleInput")))
        message = error["msg"].removeprefix("Value error, ")
        raise InvalidArgument(f"Option `{name}` {message[0].lower()}{message[1:]}; got "
                              f"{error.get('input')!r}.") from None


def _ends(recipe: Recipe, spec: JourneySpec) -> list[tuple[str, int]]:
    """(prompt, seed) of frame 0 and of the last frame."""
    if spec.kind == "prompts":
        return [(str(spec.a), recipe.seed), (str(spec.b), recipe.seed)]
    return [(recipe.prompt, int(spec.a)), (recipe.prompt, int(spec.b))]


def frame_options(options: JourneyOptions, index: int, t: float, **extra: Any) -> dict[str, Any]:
    """A frame's recipe options: the journey with this frame's index and t (JSON values)."""
    data = options.model_dump(mode="json", exclude_defaults=True)
    data["journey"] = {**options.journey.model_dump(mode="json", exclude_none=True),
                       "index": index, "t": round(t, 6)}
    data.update(extra)
    return data


def frame_title(spec: JourneySpec, index: int) -> str:
    def name(end: Any) -> str:
        return end.input if isinstance(end, StyleInput) else str(end)

    return f"{name(spec.a)} -> {name(spec.b)}, frame {index + 1}/{spec.frames}"

