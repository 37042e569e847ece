"""The `generator` engine: pictures from a personal generator (`studiolo train generator`).

    Recipe(engine="generator", mode="sample", model="my-art", seed=7)

A sample is the EMA generator applied to the latent of its seed: N(0, I)
drawn on the CPU from `torch.Generator("cpu").manual_seed(seed)`, one latent
at a time, so a seed gives the same pixels alone or in a batch (batch_size n
makes seeds seed, seed+1, ...). The recipe records the generator's content
hash; a recipe whose generator was retrained since is refused rather than
answered with a different picture.

Generator journeys (engines/journey.py, kind "generator") walk between the
latents of two seeds by slerp and are made here too (`run_generator_journey`).

Credits: the person who trained the generator, as the artist whose own
artworks are its style (role `style_source`, the training images' hashes as
evidence), and the generator as the model (recipe.model).
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Credit, Recipe

MAX_BATCH = 64
MAX_SEED = 2**63 - 1


class GeneratorOptions(BaseModel):
    """No options: a sample is fixed by the generator and the seed."""

    model_config = ConfigDict(extra="forbid")


class GeneratorEngine:
    id: ClassVar[str] = "generator"
    capabilities: ClassVar[frozenset[str]] = frozenset({"sample"})
    Options: ClassVar[type[BaseModel]] = GeneratorOptions

    def run(self, request: Request, progress: ProgressCallback = no_progress) -> list[Artwork]:
        from studiolo.capabilities.generator.nets import latent, render

        # 1. Check inputs.
        recipe = request.recipe
        if recipe.mode != "sample":
            raise InvalidArgument(f"`mode` has to be 'sample' for the generator engine but is "
                                  f"{recipe.mode!r}.")
        try:
            GeneratorOptions.model_validate(recipe.options)
        except ValidationError as exc:
            error = exc.errors()[0]
            raise InvalidArgument(f"Option `{'.'.join(map(str, error['loc']))}` is not known to "
                                  "the generator engine, which takes no options; got "
                                  f"{error.get('input')!r}.") from None
        size = request.batch_size
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BATCH:
            raise InvalidArgument(f"`batch_size` has to be from 1 to {MAX_BATCH} but is {size!r}.")
        check_seed(recipe.seed, "seed", last=recipe.seed + size - 1 if _int(recipe.seed) else None)
        loaded = load(recipe, request.settings)

        # 2. One latent per seed, one picture per latent.
        made = []
        for i in range(size):
            seed = recipe.seed + i
            progress({"stage": "sample", "step": i, "total": size, "message": f"seed {seed}"})
            [image] = render(loaded.net, latent(seed, loaded.net.config.z_dim))
            made.append(request.made(Artwork(
                recipe=recorded(recipe, loaded, seed=seed), image=image, credits=credits(loaded),
                width=image.width, height=image.height, title=f"{loaded.name}, seed {seed}")))
        progress({"stage": "sample", "step": size, "total": size})
        return made


# -- shared with the generator journeys ---------------------------------------------------


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_seed(value: Any, name: str, last: int | None = None) -> int:
    if not _int(value) or not 0 <= value <= MAX_SEED or (last is not None and last > MAX_SEED):
        raise InvalidArgument(f"`{name}` has to be a whole number from 0 to 2**63 - 1 but is "
                              f"{value!r}.")
    return value


def load(recipe: Recipe, settings: Any) -> Any:
    """The recipe's generator, from the studio's own models folder (`settings`, never the
    environment); refused when it is not the one the recipe was made with."""
    from studiolo.capabilities.generator.nets import load_generator

    if not isinstance(recipe.model, str) or not recipe.model.strip():
        raise InvalidArgument("`model` is not set: name a generator trained with `studiolo train "
                              "generator FOLDER --name NAME`.")
    loaded = load_generator(recipe.model, settings)
    if recipe.model_hash and recipe.model_hash != loaded.sha256:
        raise InvalidArgument(
            f"The generator {recipe.model!r} is not the one this recipe was made with (hash "
            f"{recipe.model_hash[:12]}, now {loaded.sha256[:12]}): it was trained again since, so "
            "this recipe cannot make the same picture; sample it anew without the hash."
        )
    return loaded


def recorded(recipe: Recipe, loaded: Any, *, seed: int, options: dict | None = None) -> Recipe:
    """What a picture of this generator records: its hash, size, seed, CPU noise."""
    side = loaded.net.config.size
    return recipe.replace(prompt="", negative_prompt="", seed=seed, steps=1, guidance=0.0,
                          width=side, height=side, sampler=None, model_hash=loaded.sha256,
                          loras=(), strength=None, generator_device="cpu",
                          options=dict(recipe.options) if options is None else options)


def credits(loaded: Any) -> tuple[Credit, ...]:
    """The person whose artworks trained the generator, as its style source."""
    config = loaded.config
    shas = [str(s) for s in config.get("training_sha256") or []]
    digest = hashlib.sha256("\n".join(shas).encode()).hexdigest()
    who = str(config.get("trained_by") or "the person who trained it")
    evidence = (f"{len(shas)} of their own artworks trained the generator {loaded.name!r} "
                f"({config.get('steps')} steps, {str(config.get('date', ''))[:10]}); the images' "
                "sha256 are in its config.json")
    return (Credit(name=who, kind="artist", role="style_source", share=1.0, evidence=evidence,
                   ref=f"training-set:{digest[:32]}"),)


def run_generator_journey(request: Request, options: Any, indices: list[int],
                          progress: ProgressCallback) -> list[Artwork]:
    """Frames between the latents of seeds a and b (slerp); frame 0 and the last are the plain
    samples of a and b."""
    from studiolo.capabilities.generator.nets import latent, render
    from studiolo.capabilities.journey.engine import frame_options, frame_title, slerp

    recipe, spec = request.recipe, options.journey
    seeds = check_seed(spec.a, "a"), check_seed(spec.b, "b")
    loaded = load(recipe, request.settings)
    z_a, z_b = (latent(s, loaded.net.config.z_dim) for s in seeds)
    made: list[Artwork] = []
    for n, index in enumerate(indices):
        t = index / (spec.frames - 1)
        progress({"stage": "journey", "step": n, "total": len(indices),
                  "message": f"frame {index + 1}/{spec.frames}"})
        [image] = render(loaded.net, slerp(z_a, z_b, t))
        frame = recorded(recipe, loaded, seed=seeds[0 if t < 0.5 else 1],
                         options=frame_options(options, index, t))
        made.append(request.made(Artwork(recipe=frame, image=image, credits=credits(loaded),
                                         width=image.width, height=image.height,
                                         title=frame_title(spec, index))))
    progress({"stage": "journey", "step": len(indices), "total": len(indices)})
    return made

