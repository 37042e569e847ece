"""The restore engine: detection, filling and colour recovery run through `Studio.run`.

Running through the Studio is what makes a restoration an artwork like any other: the
scan and the mask are kept by content hash in the recipe (so `studiolo rerun` makes it
again), the restored picture is stored as a child of the scan with the person and every
method credited, and a private scan gives a private restoration (`Studio.store`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Credit, Recipe

# Written by run() to say what happened; dropped when a recipe is replayed.
RESULT_KEYS = ("filled", "mask_source", "colour_change", "colour_method", "notes", "found",
               "state")
# Output directives: where this run writes its report, what it calls the scan. Never stored in the recipe (a local path).
OUTPUT_KEYS = ("report", "name", "grayscale", "scan_notes")

# What each fill method is credited as (role "tool"): the algorithm and its paper.
METHOD_CREDITS: dict[str, tuple[str, str, str]] = {
    "telea": ("OpenCV inpainting (Telea 2004)", "software", "filled thin cracks and small holes"),
    "ns": ("OpenCV inpainting (Bertalmio et al. 2001, Navier-Stokes)", "software",
           "filled thin cracks and small holes"),
    "patch": (("studiolo exemplar inpainting (Criminisi et al. 2004; PatchMatch, Barnes et al. "
              "2009)"), "software", "synthesised texture in large losses"),
    "smooth": ("studiolo harmonic/biharmonic fill (Pérez et al. 2003; thin plate)", "software",
               "filled small holes and losses in flat paint"),
    "learned": ("studiolo learned inpainting network (scripts/train_filler.py)", "model",
                "filled losses in textured paint"),
    "diffusion": ("diffusion inpainting (Rombach et al. 2022)", "model", "filled losses"),
}
AGEING_CREDIT = Credit(name="studiolo ageing model (Feller; Michalski, CCI; ISO Blue Wool)",
                       kind="software", role="tool",
                       evidence="simulated varnish yellowing, fading, craquelure and dust")
DETECTOR_CREDIT = Credit(name="studiolo damage network (scripts/train_damage.py)", kind="model",
                         role="tool", evidence="found the damage it filled")
COLOUR_CREDIT = Credit(name="studiolo colour recovery", kind="software", role="tool",
                       evidence="undid yellowed varnish and fading")


class RestoreOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["auto", "telea", "ns", "patch", "learned", "diffusion"] = "auto"
    colour: bool = False
    strength: float = Field(default=1.0, ge=0.0, le=1.0)
    denoise: float | None = Field(default=None, ge=0.0, le=1.0)
    model: str | None = Field(default=None, max_length=1000,
                              description="A local inpainting model for `method: diffusion`.")


class AgeOptions(BaseModel):
    """Mode `age`: the conditions of `ageing.Conditions` the web and the recipe may set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    years: float = Field(default=100.0, gt=0, le=500)
    lux: float = Field(default=150.0, ge=0, le=100_000)
    hours_per_day: float = Field(default=8.0, ge=0, le=24)
    rh: float = Field(default=50.0, ge=0, le=100)
    varnish: Literal["dammar", "mastic", "synthetic", "none"] = "dammar"
    blue_wool: int = Field(default=3, ge=1, le=8)


class DamageModeOptions(BaseModel):
    """Mode `damage`: nothing to choose yet (the detector's default thresholds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


MODES: dict[str, type[BaseModel]] = {"restore": RestoreOptions, "damage": DamageModeOptions,
                                     "age": AgeOptions}


def check_options(raw: dict[str, Any], mode: str = "restore") -> Any:
    if mode not in MODES:
        raise InvalidArgument(f"The restore engine has no mode {mode!r}; use one of: "
                              f"{', '.join(MODES)}.")
    try:
        return MODES[mode].model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidArgument(
            f"Restore option `{where}` is invalid ({first['msg']}); got {first.get('input')!r}."
        ) from None


def credits_for(filled: dict[str, Any], detected: bool, colour: bool) -> tuple[Credit, ...]:
    """One tool credit per method that changed pixels (the person is credited by the ledger)."""
    out = [DETECTOR_CREDIT] if detected else []
    for method in filled:
        name, kind, evidence = METHOD_CREDITS.get(method, (method, "software", "filled losses"))
        out.append(Credit(name=name, kind=kind, role="tool", evidence=evidence))
    if colour:
        out.append(COLOUR_CREDIT)
    return tuple(out)


DIFFUSION_SIDE = 512  # px: crops are painted at the inpainting model's own size, then resized back


def diffusion_inpainter(request: Request, model: str, seed: int) -> Any:
    """An `fill.Inpainter` that repaints each hole with the diffusion engine's inpainting
    (Rombach et al. 2022, "High-Resolution Image Synthesis with Latent Diffusion Models"),
    run through the registered `diffusion` engine so its model cache and device are shared."""
    engine = request.engines.get("diffusion")

    def paint(crop: np.ndarray, hole: np.ndarray) -> np.ndarray:
        h, w = hole.shape
        size = (DIFFUSION_SIDE, DIFFUSION_SIDE)
        recipe = Recipe(engine="diffusion", mode="inpaint", seed=seed, model=model,
                        width=size[0], height=size[1], strength=1.0, steps=20, guidance=7.0)
        images = {"init": Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS),
                  "mask": Image.fromarray(hole.astype(np.uint8) * 255).resize(
                      size, Image.Resampling.NEAREST)}
        [made] = engine.run(Request(recipe=recipe, images=images, settings=request.settings,
                                    engines=request.engines, device=request.device))
        return np.asarray(made.image.convert("RGB").resize((w, h), Image.Resampling.LANCZOS))

    return paint


class RestoreEngine:
    """Find the damage (or take a mask), fill it by method, optionally recover colour."""

    id: ClassVar[str] = "restore"
    stage_labels: ClassVar[dict[str, str]] = {"detect": "Finding damage", "fill": "Filling",
                                              "age": "Ageing"}
    capabilities: ClassVar[frozenset[str]] = frozenset({"restore", "damage", "age"})
    Options: ClassVar[type[BaseModel]] = RestoreOptions

    def describe(self, recipe: Recipe) -> str:
        if recipe.mode == "damage":
            return "damage map"
        if recipe.mode == "age":
            return f"aged {(recipe.options or {}).get('years', 100):g} years"
        method = (recipe.options or {}).get("method", "auto")
        return f"restore ({method})"

    def run(self, request: Request, progress: ProgressCallback = no_progress) -> list[Artwork]:
        from . import api

        # 1. Check inputs.
        recipe = request.recipe
        image = request.images.get("init")
        if image is None:
            raise InvalidArgument(
                f"The restore engine needs an `init` image; got images {sorted(request.images)}.")
        raw = {k: v for k, v in recipe.options.items() if k not in RESULT_KEYS + OUTPUT_KEYS}
        mode = recipe.mode or "restore"
        options = check_options(raw, mode)
        if mode == "damage":
            return [request.made(self._damage_map(request, image, progress))]
        if mode == "age":
            return [request.made(self._aged(request, image, options, progress))]
        mask = request.images.get("mask")
        report = recipe.options.get("report")

        # 2. Restore (api.restore checks the mask's size and coverage before any work).
        pixels = np.asarray(image.convert("RGB"))
        if recipe.options.get("grayscale"):  # a grey scan: no colour to correct (api says so)
            pixels = np.ascontiguousarray(pixels[..., 0])
        result = api.restore(
            pixels, np.asarray(mask) if mask is not None else None,
            method=options.method, colour_correction=options.colour, strength=options.strength,
            denoise=options.denoise, report_path=Path(report) if report else None,
            diffusion=(diffusion_inpainter(request, options.model, recipe.seed)
                       if options.model and request.engines is not None else None),
            seed=recipe.seed, progress=progress, name=recipe.options.get("name"))

        # 3. Record what really happened (never the report's local path).
        filled = result.fill.by_method() if result.fill else {}
        recorded: dict[str, Any] = {
            **options.model_dump(exclude_none=True), "filled": filled,
            "mask_source": result.mask_source, "colour_change": round(result.colour_change, 3),
            "notes": list(dict.fromkeys([*recipe.options.get("scan_notes", []),
                                         *result.notes]))}
        if result.colour is not None:
            recorded["colour_method"] = result.colour.method
        detected = result.damage is not None and "net" in result.damage.method
        out = Image.fromarray(result.restored)
        out_recipe = recipe.replace(mode="restore", width=out.width, height=out.height,
                                    options=recorded, model=options.model)
        parent = recipe.input("init")
        artwork = Artwork(recipe=out_recipe, image=out,
                          credits=credits_for(filled, detected, result.colour is not None),
                          parents=(parent,) if parent else (), width=out.width,
                          height=out.height)
        return [request.made(artwork)]

    def _child(self, request: Request, image: Image.Image, options: dict[str, Any],
               credits: tuple[Credit, ...]) -> Artwork:
        recipe = request.recipe
        parent = recipe.input("init")
        return Artwork(recipe=recipe.replace(width=image.width, height=image.height,
                                             options=options),
                       image=image, credits=credits, parents=(parent,) if parent else (),
                       width=image.width, height=image.height)

    def _damage_map(self, request: Request, image: Image.Image,
                    progress: ProgressCallback) -> Artwork:
        """The scan, dimmed, with each kind of damage found drawn over it in its colour."""
        from . import api

        pixels = np.asarray(image.convert("RGB"))
        found = api.damage(pixels, progress=progress, name=request.recipe.options.get("name"))
        overlay = damage_overlay(pixels, {k.kind: found.damage.mask(k.kind)
                                          for k in found.kinds})
        recorded = {"found": {k.kind: round(k.fraction, 6) for k in found.kinds},
                    "notes": list(found.notes)}
        return self._child(request, Image.fromarray(overlay), recorded, (DETECTOR_CREDIT,))

    def _aged(self, request: Request, image: Image.Image, options: Any,
              progress: ProgressCallback) -> Artwork:
        """The picture as it will look after `years` under the stated conditions."""
        from . import ageing

        conditions = ageing.Conditions(**options.model_dump(), seed=request.recipe.seed)
        pixels = np.ascontiguousarray(np.asarray(image.convert("RGB")))
        frame, st = ageing.age_frame(pixels, conditions, conditions.years)
        progress({"stage": "age", "step": 1, "total": 1, "preview": None, "message": None})
        recorded = {**options.model_dump(), "state": st.to_json()}
        return self._child(request, Image.fromarray(frame), recorded, (AGEING_CREDIT,))


def damage_overlay(pixels: np.ndarray, masks: dict[str, np.ndarray]) -> np.ndarray:
    """The picture greyed and dimmed, each kind's mask painted over it in the report's colour."""
    from .report import KIND_COLOURS

    grey = pixels.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    base = 0.55 * pixels.astype(np.float32) + 0.45 * grey[..., None]
    out = base * 0.8
    for kind, mask in masks.items():
        if mask.any():
            colour = np.array(KIND_COLOURS.get(kind, (255, 60, 200)), np.float32)
            out[mask] = 0.2 * out[mask] + 0.8 * colour
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
