"""The diffusion engine: Stable Diffusion 1.x/2.x/SDXL (and Turbo/LCM) txt2img, img2img,
inpaint and outpaint through diffusers.

`run` reads top to bottom like a diffusers pipeline. Two choices shape it:

- Noise is drawn on the CPU from one generator per image seeded seed+i, and
  the images of a batch are made one after the other, so a seed gives the same
  picture on any device and in any batch size.
- Prompts use the AUTOMATIC1111 syntax (weights, BREAK, `<lora:...>` tags) and
  the recipe keeps the prompt as written, so a shared recipe means what A1111
  would make of it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from studiolo.capabilities.diffusion import backends
from studiolo.capabilities.diffusion.backends import BACKEND_HELP, PRECISION_HELP
from studiolo.capabilities.diffusion.deepcache import set_deep_cache
from studiolo.capabilities.diffusion.denoise import denoise
from studiolo.capabilities.diffusion.images import OutpaintSides, composite, prepare_images
from studiolo.capabilities.diffusion.prompt_weighting import encode_prompt, extract_lora_tags
from studiolo.capabilities.diffusion.schedulers import (
    canonical_scheduler_name,
    make_scheduler,
    scheduler_name,
)
from studiolo.capabilities.diffusion.speed import (
    LOAD_FIELDS,
    MAX_DEEP_CACHE,
    SpeedRecord,
    load_dtype,
    rewrite_pipeline,
    speed_request,
)
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument, ModelError
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, LoraSpec, Recipe

MAX_BATCH = 16
MAX_SEED = 2**32 - 1
DEFAULT_STRENGTH = {"img2img": 0.75, "inpaint": 1.0, "outpaint": 1.0}


class DiffusionOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clip_skip: int = Field(1, ge=1, le=12, description="1 = the usual text layer, 2 = one earlier")
    # Speed: None = the measured default for the device (see capabilities/diffusion/speed.py).
    tiny_vae: bool | None = Field(None, description="decode with a tiny VAE (faster, rougher)")
    vae_tiling: bool | None = Field(None, description="decode in tiles (large images, less memory)")
    unet_dtype: Literal["float32", "bfloat16"] | None = Field(None, description="UNet precision")
    text_encoder_dtype: Literal["float32", "bfloat16"] | None = Field(
        None, description="text encoder precision (its transformer layers)")
    vae_dtype: Literal["float32", "bfloat16"] | None = Field(None, description="VAE decoder precision")
    quantize: Literal["none", "int8"] | None = Field(
        None, description="int8 weights for the UNet's linear layers (needs torchao)")
    compile: bool | None = Field(None, description="torch.compile (inductor) the UNet and VAE decoder")
    deep_cache: int | None = Field(
        None, ge=1, le=MAX_DEEP_CACHE,
        description="DeepCache: the full UNet every N steps, its shallow branch between (1: off)")
    channels_last: bool | None = Field(None, description="channels_last memory layout")
    attention_slicing: bool | None = Field(None, description="attention in slices")
    backend: Literal["torch", "openvino", "auto"] | None = Field(None, description=BACKEND_HELP)
    openvino_precision: Literal["bf16", "f32"] | None = Field(None, description=PRECISION_HELP)
    speed: SpeedRecord | None = Field(None, description="settings an earlier run used (recorded)")
    outpaint: OutpaintSides = Field(default_factory=OutpaintSides)
    mask_blur: int = Field(4, ge=0, le=64, description="feather of the mask edge, pixels")
    device: str | None = Field(None, description="cpu, cuda, mps or auto")
    config: str | None = Field(
        None, description="diffusers folder or cached repo id giving a single-file checkpoint "
                          "its configs [default: the cached base repo of its family]")


def latent_shape(pipe: Any, height: int, width: int) -> tuple[int, int, int, int]:
    """(1, C, H / f, W / f): the starting noise for an image, f the model's own VAE scale.

    SD-family VAEs downsample by 8, but not every VAE does (f = 2 ** (blocks - 1)).
    """
    factor = int(getattr(pipe, "vae_scale_factor", 0) or 2 ** (len(pipe.vae.config.block_out_channels) - 1))
    if height % factor or width % factor:
        raise InvalidArgument(
            f"`height` and `width` have to be divisible by {factor} (this model's VAE scale) "
            f"but are {height} and {width}."
        )
    return (1, pipe.unet.config.in_channels, height // factor, width // factor)


class DiffusionEngine:
    id: ClassVar[str] = "diffusion"
    # What the CLI and the web studio call each progress stage of this engine.
    stage_labels: ClassVar[dict[str, str]] = {"denoise": "Denoising", "decode": "Decoding"}
    capabilities: ClassVar[frozenset[str]] = frozenset({"txt2img", "img2img", "inpaint", "outpaint"})
    Options: ClassVar[type[BaseModel]] = DiffusionOptions

    def __init__(self) -> None:
        # One loaded model at a time: consecutive runs reuse it, a new model replaces it
        # (two SDXL models at once do not fit in most machines' memory).
        self._pipelines: dict[tuple[str, str], Any] = {}
        self._own_schedulers: dict[tuple[str, str], tuple[type, dict]] = {}
        self._full_vaes: dict[tuple, Any] = {}  # to put back after a tiny-VAE run
        self._speed: dict[tuple, tuple[tuple, Any]] = {}  # key -> (request, SpeedSettings)
        self._rewritten: dict[tuple, dict[str, Any]] = {}  # key -> int8 / compile as applied
        self._loras: dict[tuple[str, str], tuple[tuple[LoraSpec, ...], tuple[LoraSpec, ...]]] = {}
        self._hashes: dict[str, str | None] = {}

    def run(self, request: Request, progress: ProgressCallback = no_progress) -> list[Artwork]:
        import torch

        recipe = request.recipe
        # 1. Check inputs. Raise error if not correct
        options = self.check_inputs(request)
        sampler = canonical_scheduler_name(recipe.sampler) if recipe.sampler else None
        prompt, tag_loras = extract_lora_tags(recipe.prompt)
        negative, _ = extract_lora_tags(recipe.negative_prompt)
        strength = None if recipe.mode == "txt2img" else _strength(recipe)
        init, mask, width, height = prepare_images(request, options)

        # 2. Load the model (and derive the mode's pipeline without reloading weights)
        from studiolo.core.device import choose_device
        settings = request.settings
        device = choose_device(options.device or request.device)
        key, source, base, speed = self.load(recipe.model, device, options, settings, width, height)
        backends.check_request(key[-1], recipe.loras or tag_loras)
        inpainting_unet = base.unet.config.in_channels == 9
        pipe = mode_pipeline(base, "inpaint" if inpainting_unet else recipe.mode)
        pipe.set_progress_bar_config(disable=True)  # progress goes to our callback instead
        if inpainting_unet and mask is None:
            # An inpainting model repaints everything: the whole picture is "masked".
            from PIL import Image

            init = init or Image.new("RGB", (width, height), (127, 127, 127))
            mask = Image.new("L", (width, height), 255)
            strength = strength or 1.0

        # 3. LoRAs (the recipe's, plus <lora:name:w> tags from the prompt)
        loras = self.apply_loras(key, base, recipe.loras, tag_loras, settings)

        # 4. Scheduler: the named one, else the model's own
        sampler_name = self.sampler_name(key, sampler)

        # 5. Encode the prompt with weights
        embeds = encode_prompt(pipe, prompt, negative, clip_skip=options.clip_skip)

        model_hash = self.model_hash(source, settings)
        made: list[Artwork] = []
        for index in range(request.batch_size):
            seed = (recipe.seed + index) % (MAX_SEED + 1)
            pipe.scheduler = self.scheduler(key, sampler, seed)
            if getattr(base.unet, "_studiolo_deep_cache", None) is not None:
                base.unet._studiolo_deep_cache.reset()  # each image starts with a full step

            # 6. Noise on the CPU, so a seed means the same picture on every device
            generator = torch.Generator("cpu").manual_seed(seed)
            kwargs: dict[str, Any] = dict(embeds)
            if recipe.mode == "txt2img" and not inpainting_unet:
                shape = latent_shape(base, height, width)
                kwargs["latents"] = torch.randn(shape, generator=generator, dtype=torch.float32)
                # The pipeline's dtype, not the UNet's: a bf16 UNet casts at its own boundary.
                kwargs["latents"] = kwargs["latents"].to(device, load_dtype(device))
                kwargs.update(height=height, width=width)
            elif mask is None:  # img2img
                kwargs.update(image=init, strength=strength)
            else:
                kwargs.update(image=init, mask_image=mask, strength=strength, height=height, width=width)

            # 7. Denoise
            image = denoise(pipe, steps=recipe.steps, guidance=recipe.guidance, generator=generator,
                            progress=progress, image_index=index, images=request.batch_size,
                            **kwargs)

            # 8. Decode and return (unmasked pixels are the original ones, as in A1111)
            if mask is not None and recipe.mode in ("inpaint", "outpaint"):
                image = composite(init, image, mask, options.mask_blur)
            made.append(request.made(
                Artwork(
                    recipe=recipe.replace(
                        seed=seed,
                        sampler=sampler_name,
                        model_hash=model_hash,
                        loras=loras,
                        width=image.width,
                        height=image.height,
                        strength=strength if recipe.mode != "txt2img" else None,
                        generator_device="cpu",
                        options={**recipe.options, "speed": backends.record(speed, key[-1])},
                    ),
                    image=image,
                    width=image.width,
                    height=image.height,
                )
            ))
        return made

    # -- schedulers: the named one, else the model's own -------------------------------
    def scheduler(self, key: tuple[str, str], sampler: str | None, seed: int) -> Any:
        """A fresh scheduler for one image of the model loaded under `key`, seeded by `seed`."""
        own_cls, own_config = self._own_schedulers[key]
        scheduler = make_scheduler(sampler, own_config) if sampler else own_cls.from_config(own_config)
        if hasattr(scheduler, "noise_sampler_seed"):
            # DPM++ SDE's Brownian tree would otherwise be seeded at random.
            scheduler.noise_sampler_seed = seed
        return scheduler

    def sampler_name(self, key: tuple[str, str], sampler: str | None) -> str:
        """The A1111 name of the sampler a recipe records: the named one, else the model's own."""
        own_cls, own_config = self._own_schedulers[key]
        return sampler or scheduler_name(own_cls.from_config(own_config))

    # -- 1. checks --------------------------------------------------------------------
    def check_inputs(self, request: Request) -> DiffusionOptions:
        recipe = request.recipe
        if not recipe.model:
            raise InvalidArgument(
                "`model` is not set: name a diffusers folder, a .safetensors checkpoint or a "
                "Hugging Face repo id (e.g. --model stabilityai/sdxl-turbo)."
            )
        if recipe.mode not in self.capabilities:
            raise InvalidArgument(
                f"`mode` has to be one of {sorted(self.capabilities)} but is {recipe.mode!r}."
            )
        options = parse_options(recipe.options)
        width, height = recipe.width, recipe.height
        if recipe.mode == "outpaint":
            sides = options.outpaint
            if not (sides.left or sides.right or sides.top or sides.bottom):
                raise InvalidArgument(
                    "`outpaint` adds nothing: give left, right, top or bottom in pixels "
                    "(multiples of 8)."
                )
            init = request.images.get("init")
            if init is not None:
                width = init.width + sides.left + sides.right
                height = init.height + sides.top + sides.bottom
        if height % 8 or width % 8:
            raise InvalidArgument(
                f"`height` and `width` have to be divisible by 8 but are {height} and {width}."
            )
        if height <= 0 or width <= 0:
            raise InvalidArgument(
                f"`height` and `width` have to be positive but are {height} and {width}."
            )
        if not isinstance(recipe.steps, int) or recipe.steps < 1:
            raise InvalidArgument(f"`steps` has to be a positive integer but is {recipe.steps!r}.")
        if recipe.mode == "txt2img" and not extract_lora_tags(recipe.prompt)[0].strip():
            raise InvalidArgument(
                f"`prompt` is empty: describe what to make, e.g. 'a lighthouse at dusk' "
                f"(got {recipe.prompt!r})."
            )
        if recipe.guidance < 0:
            raise InvalidArgument(f"`guidance` has to be >= 0 but is {recipe.guidance}.")
        if recipe.mode != "txt2img":
            strength = _strength(recipe)
            if not 0 < strength <= 1:
                raise InvalidArgument(f"`strength` has to be in (0, 1] but is {strength}.")
            if int(recipe.steps * strength) < 1:
                raise InvalidArgument(
                    f"`strength` {strength} with {recipe.steps} `steps` leaves no denoising step: "
                    "raise steps or strength."
                )
            _check_image(request, "init", f"{recipe.mode} needs a starting image")
        if recipe.mode == "inpaint":
            _check_image(request, "mask", "inpaint needs a mask (white = repaint)")
            init, mask = request.images["init"], request.images["mask"]
            if init.size != mask.size:
                raise InvalidArgument(
                    f"`mask` is {mask.width}x{mask.height} but the init image is "
                    f"{init.width}x{init.height}: they have to be the same size."
                )
        if not 1 <= request.batch_size <= MAX_BATCH:
            raise InvalidArgument(
                f"`batch_size` has to be between 1 and {MAX_BATCH} but is {request.batch_size}."
            )
        if not 0 <= recipe.seed <= MAX_SEED:
            raise InvalidArgument(f"`seed` has to be between 0 and {MAX_SEED} but is {recipe.seed}.")
        return options

    # -- 2. loading -------------------------------------------------------------------
    def load(self, ref: str, device: str, options: DiffusionOptions, settings: Any,
             width: int | None = None, height: int | None = None):
        """(cache key, ModelSource, base pipeline on `device`, SpeedSettings used).

        Loads only for a new model or UNet dtype (bf16 and back would lose the weights'
        low bits); the other speed settings are re-applied when they change.
        """
        from studiolo.core.device import optimize_pipeline
        from studiolo.models import load_pipeline, resolve_model

        source = resolve_model(ref, settings)
        dtype = load_dtype(device)
        wanted = speed_request(options, device)
        backend = backends.choose(options, device)  # (name, OpenVINO precision or None)
        if backend[0] != "torch":  # OpenVINO runs the networks: the torch speed-ups do not apply
            wanted.update(bf16=False, text_encoder_bf16=False, vae_bf16=False, quantize="none",
                          compile=False, deep_cache=1)
        key = (str(source.path), str(dtype), tuple(wanted[f] for f in LOAD_FIELDS), options.config,
               backend)
        if key not in self._pipelines:
            self._pipelines.clear()
            self._own_schedulers.clear()
            self._full_vaes.clear()
            self._speed.clear()
            self._rewritten.clear()
            self._loras.clear()
            pipe = load_pipeline(source, dtype=dtype, config=options.config)
            backends.install(pipe, backend, settings, self.model_hash(source, settings), source.path)
            self._pipelines[key] = pipe
            self._own_schedulers[key] = (type(pipe.scheduler), dict(pipe.scheduler.config))
            self._full_vaes[key] = pipe.vae
        pipe = self._pipelines[key]
        if not wanted["tiny_vae"] and pipe.vae is not self._full_vaes[key]:
            pipe.register_modules(vae=self._full_vaes[key])
        speed_key = (device, width, height, tuple(sorted(wanted.items())))
        if key not in self._speed or self._speed[key][0] != speed_key:
            fresh = key not in self._speed
            applied = {k: v for k, v in wanted.items() if k not in ("quantize", "compile", "deep_cache")}
            used = optimize_pipeline(pipe, device, width=width, height=height, **applied)
            if fresh:  # weights and code change once per load (both are in the key)
                self._rewritten[key] = rewrite_pipeline(pipe, wanted["quantize"], wanted["compile"],
                                                        settings)
            set_deep_cache(pipe.unet, wanted["deep_cache"])
            used = dataclasses.replace(used, **self._rewritten[key], deep_cache=wanted["deep_cache"])
            self._speed[key] = (speed_key, used)
        return key, source, pipe, self._speed[key][1]

    def model_hash(self, source: Any, settings: Any = None) -> str | None:
        """sha256 of the weights, computed once per model (hashing a 7 GB file takes a while)."""
        path = str(source.path)
        if path not in self._hashes:
            if getattr(source, "sha256", None):
                self._hashes[path] = source.sha256
            else:
                try:
                    from studiolo.models.hashing import model_hash
                except ImportError:  # TODO: models/hashing.py comes from the models engineer
                    return None
                self._hashes[path] = model_hash(source, settings)
        return self._hashes[path]

    # -- 3. LoRAs ---------------------------------------------------------------------
    def apply_loras(self, key, pipe, specs, tags, settings=None) -> tuple[LoraSpec, ...]:
        """Apply the recipe's LoRAs and the prompt's tags (the recipe wins on a name clash)."""
        named = {spec.name for spec in specs}
        wanted = tuple(specs) + tuple(LoraSpec(n, w) for n, w in tags if n not in named)
        previous = self._loras.get(key, ((), ()))
        if wanted == previous[0]:
            return previous[1]
        if not wanted and not previous[0]:
            return ()
        try:
            from studiolo.models.lora import apply_loras
        except ImportError:
            raise ModelError(
                "LoRAs need studiolo.models.lora, which this install lacks; remove the LoRAs "
                f"{[s.name for s in wanted]} or update studiolo."
            ) from None
        # An empty list unloads what the cached pipeline still carries from the last run.
        applied = tuple(apply_loras(pipe, list(wanted), settings))
        self._loras[key] = (wanted, applied)
        return applied


# -- helpers ---------------------------------------------------------------------------


def parse_options(values: dict[str, Any]) -> DiffusionOptions:
    """Options from a recipe, or InvalidArgument naming the option and echoing the value."""
    try:
        return DiffusionOptions.model_validate(values or {})
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"]) or "options"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            known = ", ".join(DiffusionOptions.model_fields)
            raise InvalidArgument(f"Option `{name}` is unknown to the diffusion engine; known: {known}.") from None
        raise InvalidArgument(
            f"Option `{name}` {message.lower()}; got {error.get('input')!r}."
        ) from None


def _strength(recipe: Recipe) -> float:
    return DEFAULT_STRENGTH[recipe.mode] if recipe.strength is None else recipe.strength


def _check_image(request: Request, role: str, why: str) -> None:
    image = request.images.get(role)
    if image is None:
        raise InvalidArgument(f"`images['{role}']` is missing: {why}.")
    if not (hasattr(image, "size") and hasattr(image, "convert")):
        raise InvalidArgument(
            f"`images['{role}']` has to be a PIL image but is {type(image).__name__}."
        )


def mode_pipeline(base, mode: str):
    """The pipeline for `mode`, sharing `base`'s weights (diffusers' from_pipe)."""
    if mode == "txt2img":
        return base
    from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting

    auto = AutoPipelineForImage2Image if mode == "img2img" else AutoPipelineForInpainting
    if type(base).__name__ in {c.__name__ for c in _pipeline_classes(auto)}:
        return base
    return auto.from_pipe(base)


def _pipeline_classes(auto) -> list[type]:
    from diffusers.pipelines import auto_pipeline

    mapping = (
        auto_pipeline.AUTO_IMAGE2IMAGE_PIPELINES_MAPPING
        if auto.__name__ == "AutoPipelineForImage2Image"
        else auto_pipeline.AUTO_INPAINT_PIPELINES_MAPPING
    )
    return list(mapping.values())
