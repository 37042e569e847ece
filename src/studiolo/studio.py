"""The Studio: the one object both faces (CLI, web) build.

It holds the settings, the catalog, the file store, the plugins and the job
runner as explicit fields, and offers one path for making artworks:
`Studio.run(recipe, images)`, then `store`, `get`, `list`, `rerun` and
`acting_as(person)`. The public verbs (`generate`, `paint`, `stylize`, ...) are
functions of their capabilities, taking the Studio as a `studiolo.core.maker.Maker`,
bound here as methods: this file names them, their bodies live with their
engines. Data flows one way: face -> Studio -> engine -> provenance -> catalog.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studiolo.capabilities.analyse import verbs as analyse_verbs
from studiolo.capabilities.curate import verbs as curate
from studiolo.capabilities.diffusion import verbs as diffusion
from studiolo.capabilities.generator import verbs as generator
from studiolo.capabilities.journey import verbs as journey
from studiolo.capabilities.painter import verbs as painter
from studiolo.capabilities.portrait import verbs as portrait
from studiolo.capabilities.restore import verbs as restoration
from studiolo.capabilities.style import verbs as style
from studiolo.capabilities.taste import verbs as taste_verbs
from studiolo.capabilities.taste.verbs import TASTE_NOTE, check_taste_arguments
from studiolo.capabilities.upscale import verbs as upscale
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.settings import Settings
from studiolo.core.types import (
    Artwork,
    InputRef,
    LoraSpec,
    Recipe,
    check_seed_and_batch,
    random_seed,
)

ImageInput = "str | os.PathLike[str] | bytes | PIL.Image.Image"

# Engines tried, in order, when `generate` is asked for no engine in particular.
DEFAULT_TXT2IMG_ENGINES = ("diffusion", "painter")


class Studio:
    """A studio on disk: `Studio()` uses STUDIOLO_HOME (default ~/.studiolo)."""

    # The job whose results this view stores (see `for_job`): its id and next positions.
    _job: tuple[str, Iterator[int], Callable[[Artwork], None] | None] | None = None

    # -- the verbs: each capability's, bound as methods (see the module docstring) ----
    generate = diffusion.generate
    img2img = diffusion.img2img
    inpaint = diffusion.inpaint
    outpaint = diffusion.outpaint
    paint = painter.paint
    stylize = style.stylize
    portrait = portrait.portrait
    upscale = upscale.upscale
    restore = restoration.restore
    explore = journey.explore
    train_generator = generator.train_generator
    sample = generator.sample
    generators = generator.generators
    taste_profile = taste_verbs.taste_profile
    make_exhibition = curate.make_exhibition
    list_exhibitions = curate.list_exhibitions
    exhibition_view = curate.exhibition_view
    shared_exhibition_view = curate.shared_exhibition_view
    analyse = analyse_verbs.analyse_artwork
    export_exhibition = curate.export_exhibition
    delete_exhibition = curate.delete_exhibition

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        settings: Settings | None = None,
        load_entry_points: bool = True,
    ) -> None:
        from studiolo.catalog import open_catalog
        from studiolo.core.remote_files import open_store
        from studiolo.jobs.local import JobRunner
        from studiolo.plugins import EngineRegistry, make_plugin_manager

        self.settings = settings or Settings.from_env(home)
        self.settings.home.mkdir(parents=True, exist_ok=True)
        self.files = open_store(self.settings.files_dir, self.settings.files_url)
        self.catalog = open_catalog(self.settings)
        self.plugins = make_plugin_manager(load_entry_points=load_entry_points)
        self.engines = EngineRegistry(self.plugins)
        self.jobs = JobRunner(self)
        self._recover()

    def _recover(self) -> None:
        """Clean up what a killed process left half-done, and say so (core/recovery.py)."""
        import warnings

        from studiolo.core.errors import StudioloWarning
        from studiolo.core.recovery import recover

        cleaned = recover(self.settings.home, self.files, self.catalog.references_file)
        if cleaned:
            warnings.warn(StudioloWarning(cleaned.sentence()), stacklevel=3)

    # -- making -------------------------------------------------------------
    def run(
        self,
        recipe: Recipe,
        images: Mapping[str, Any] | None = None,
        *,
        batch_size: int = 1,
        parents: Sequence[str] = (),
        progress: ProgressCallback = no_progress,
        device: str | None = None,
        store: bool = True,
        person: str | None = None,
        select: Callable[[list[Artwork]], list[Artwork]] | None = None,
        taste: Any = None,
        candidates: int | None = None,
        taste_search: bool | Mapping[str, Any] | None = None,
    ) -> list[Artwork]:
        """Make artworks from a recipe and input images (by role), store and return them.

        Input images are read safely, kept in the file store by content hash
        and named in the recipe, so the recipe alone can make the image again.
        `select` picks which of the made artworks are stored. `taste` (a taste
        profile's name): make `candidates` and keep the `batch_size` it rates highest
        (the taste capability's `steered`; `taste_search` for the painter's search).
        """
        check_seed_and_batch(recipe.seed, batch_size)  # before any work: no engine keeps more
        check_taste_arguments(taste, candidates, taste_search)
        if taste is not None:
            return taste_verbs.steered(self, recipe, taste, candidates=candidates, keep=batch_size,
                                       search=taste_search, progress=progress, device=device)
        from studiolo.core.recovery import run_marker

        with run_marker(self.settings.home):
            return self._run(recipe, images, batch_size=batch_size, parents=parents,
                             progress=progress, device=device, store=store, person=person,
                             select=select)

    def _run(self, recipe: Recipe, images: Mapping[str, Any] | None, *, batch_size: int,
             parents: Sequence[str], progress: ProgressCallback, device: str | None, store: bool,
             person: str | None, select: Callable[[list[Artwork]], list[Artwork]] | None,
             ) -> list[Artwork]:
        # The "taste" note records how a recipe was chosen; no engine reads it.
        note = recipe.options.get(TASTE_NOTE)
        if note is not None:
            recipe = recipe.replace(options={k: v for k, v in recipe.options.items() if k != TASTE_NOTE})
        engine = self.engines.get(recipe.engine)
        if recipe.mode not in engine.capabilities:
            raise InvalidArgument(
                f"Engine {recipe.engine!r} cannot do {recipe.mode!r}; it can do "
                f"{', '.join(sorted(engine.capabilities))}."
            )
        from studiolo.provenance.collect import credits_from_source
        from studiolo.provenance.consent import check_request

        # Consent first (raises ConsentRefused under the "refuse" policy), then what a
        # style image says of its own makers, read before re-encoding strips it.
        influences = check_request(recipe, self.catalog, self.settings)
        style_credits = credits_from_source((images or {}).get("style"))
        opened, refs, blobs = self._read_inputs(images or {})
        recipe = recipe.replace(inputs=tuple(refs) or recipe.inputs)
        from studiolo.core.imageio import sha256_bytes

        person = person or self.settings.person

        def noted(artwork: Artwork) -> Artwork:
            if note is None:
                return artwork
            options = {**artwork.recipe.options, TASTE_NOTE: note}
            return artwork.replace(recipe=artwork.recipe.replace(options=options))

        kept: list[Artwork] = []

        def keep(artwork: Artwork) -> Artwork:
            """Store one artwork the moment it is made: a killed batch keeps what it finished."""
            fresh: list[str] = []
            if not kept:  # inputs are kept only once something was made from them
                for data in blobs:
                    sha = sha256_bytes(data)
                    if not self.files.exists(sha):
                        fresh.append(sha)
                    self.files.put(data, "png")
            try:
                stored = self.store(noted(artwork), parents=parents, person=person,
                                    influences=influences, style_credits=style_credits,
                                    private=self.settings.private_works,
                                    progress=progress)
            except BaseException:
                for sha in fresh:  # nothing was made from them after all
                    if not self.catalog.references_file(sha):
                        self.files.delete(sha)
                raise
            kept.append(stored)
            progress({"stage": "store", "step": len(kept), "total": max(batch_size, len(kept))})
            return stored

        streaming = store and select is None
        request = Request(
            recipe=recipe,
            images=opened,
            batch_size=batch_size,
            device=device or self.settings.device,
            settings=self.settings,
            engines=self.engines,
            on_made=keep if streaming else None,
        )
        made = engine.run(request, progress)
        if streaming:
            # An engine that does not hand its artworks on as it makes them: store them now.
            stored_now = {id(a) for a in kept}
            return [a if id(a) in stored_now else keep(a) for a in made]
        made = [noted(a) for a in made]
        if select is not None:
            made = select(made)
        if not store:
            return made
        return [keep(a) for a in made]

    def _read_inputs(
        self, images: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[InputRef], list[bytes]]:
        """Open each input safely; return the images, their refs and their PNG bytes."""
        from studiolo.core.imageio import open_image, sha256_bytes
        from studiolo.core.imagemeta import encode_png

        opened: dict[str, Any] = {}
        refs: list[InputRef] = []
        blobs: list[bytes] = []
        for role, source in images.items():
            if source is None:
                continue
            mode = "L" if role == "mask" else "RGB"
            if hasattr(source, "save") and hasattr(source, "size"):  # a PIL image
                image = source.convert(mode) if source.mode != mode else source
            else:
                image = open_image(source, mode=mode)
            data = encode_png(image)
            opened[role] = image
            refs.append(InputRef(role=role, sha256=sha256_bytes(data)))
            blobs.append(data)
        return opened, refs, blobs

    def store(
        self,
        artwork: Artwork,
        *,
        parents: Sequence[str] = (),
        person: str | None = None,
        influences: Sequence[Any] = (),
        style_credits: Sequence[Any] | None = None,
        include_prompt: bool | None = None,
        training_mining: str | None = None,
        private: bool | None = None,
        progress: ProgressCallback = no_progress,
    ) -> Artwork:
        """Store an engine's artwork: ledger, watermark, recipe chunk, C2PA signature, record.

        `include_prompt` / `training_mining` override the studio's settings for this artwork.
        `private` (default: the settings' `private_works`) is recorded with the row itself,
        so the artwork is never public, not even for a moment. Then the capabilities'
        store-time checks run (the safety filter); what they say goes to `progress`.
        """
        from studiolo.catalog.queue import ItemAlreadyMade
        from studiolo.provenance.pipeline import prepare

        if artwork.image is None:
            raise InvalidArgument("Artwork has no image to store.")
        job = (self._job[0], next(self._job[1])) if self._job is not None else None
        if job is not None:
            held = self.catalog.job_result_at(*job)
            if held is not None:  # an earlier attempt of the job stored this one already
                return self._stored_for_job(self.get(held))
        # Store-time checks start now, on the engine's pixels, and run beside the rest of the
        # store (capabilities/safety scores them in a thread); they finish once the row is in.
        checks = [done for done in self.plugins.hook.artwork_storing(studio=self, artwork=artwork)
                  if done is not None]
        person = person or self.settings.person
        parent_ids = tuple(parents) or self._known(artwork.parents)
        prepared = prepare(
            artwork, person=person, parents=parent_ids, catalog=self.catalog, files=self.files,
            settings=self.settings, influences=influences, style_credits=style_credits,
            include_prompt=include_prompt, training_mining=training_mining,
        )
        sha, path = self.files.put(prepared.data, "png")
        image = prepared.image
        stored = artwork.replace(
            id=sha,
            path=path,
            owner=person,
            credits=prepared.credits,
            parents=parent_ids,
            created=artwork.created or datetime.now(UTC),
            width=image.width,
            height=image.height,
            image=prepared.image,
        )
        existed = self.catalog.has_artwork(sha)
        private = bool(self.settings.private_works if private is None else private)
        if not private and parent_ids:  # a work made from a private one is private too
            from studiolo.catalog import visibility

            private = any(visibility.is_private(self.catalog, p) for p in parent_ids)
        try:
            # The mark is fixed by recipe, person and pixels, so a rerun that makes the same
            # pixels carries the same mark: it keeps naming the first record, whose recipe is
            # the same. Row and mark are written in one transaction.
            self.catalog.add_artwork(stored, ext="png", private=private, mark=prepared.mark,
                                     job=job)
            if existed and private:  # the same pixels made again, privately
                from studiolo.catalog import visibility

                visibility.set_private(self.catalog, sha, True)
        except ItemAlreadyMade as made:  # another attempt of the job won the race for it
            if not existed and not self.catalog.references_file(sha):
                self.files.delete(sha)
            return self._stored_for_job(self.get(made.artwork_id))
        except BaseException:
            # The row did not land: do not leave a file nobody points at, unless
            # an older record already owns the same content.
            if not existed:
                if self.catalog.has_artwork(sha):
                    self.catalog.delete_artwork(sha)
                self.files.delete(sha)
            raise
        # -- store-time checks (capabilities/safety: the safety filter) -------------------
        # Each check started above may record rows about the artwork; a sentence it returns
        # (why an artwork was flagged) is a progress message for the person.
        for done in checks:
            note = done(stored)
            if note:
                progress({"stage": "check", "step": 1, "total": 1, "message": note})
        return self._stored_for_job(stored)

    def _stored_for_job(self, artwork: Artwork) -> Artwork:
        if self._job is not None and self._job[2] is not None:
            self._job[2](artwork)
        return artwork

    def rerun(self, artwork_id: str, *, progress: ProgressCallback = no_progress) -> list[Artwork]:
        """Make an artwork again from its stored recipe and input images."""
        original = self.get(artwork_id)
        images = {ref.role: self.files.path(ref.sha256) for ref in original.recipe.inputs}
        return self.run(original.recipe, images, progress=progress, parents=original.parents)

    # -- reading ------------------------------------------------------------
    def get(self, id_or_prefix: str) -> Artwork:
        artwork = self.catalog.get_artwork(id_or_prefix)
        return artwork.replace(path=self.files.path(artwork.id))

    def image(self, artwork_id: str) -> Any:
        """The stored picture of an artwork, opened safely (a PIL image)."""
        from studiolo.core.files import is_sha256
        from studiolo.core.imageio import open_image

        sha = artwork_id if is_sha256(artwork_id) else self.catalog.resolve_id(artwork_id)
        return open_image(self.files.path(sha))

    def list(self, **filters: Any) -> list[Artwork]:
        return [a.replace(path=self.files.path(a.id)) for a in self.catalog.list_artworks(**filters)]

    def import_files(self, paths: Sequence[str | os.PathLike[str]]) -> Any:
        """Read recipes from images made by AUTOMATIC1111, ComfyUI, InvokeAI or studiolo.

        An `ImportBatch`, file by file in the order given: `.imported` holds each good
        file's recipe, `.failed` names each bad one with the sentence saying why; one bad
        file does not stop the rest.
        """
        from studiolo.provenance.importers import import_recipes

        return import_recipes([str(Path(p)) for p in paths])

    def default_txt2img_engine(self, model: str | None) -> str:
        if model:
            return "diffusion"
        for engine_id in DEFAULT_TXT2IMG_ENGINES[1:]:
            if engine_id in self.engines:
                return engine_id
        return "diffusion"

    def for_job(self, job_id: str, start: int = 0,
                on_stored: Callable[[Artwork], None] | None = None) -> Studio:
        """The same studio storing each artwork as job `job_id`'s next result (positions
        start, start + 1, ...), linked in the artwork's own transaction: an attempt after a
        crash gets back what the killed one stored instead of storing it twice.
        `on_stored` hears of each result as it is stored."""
        view = copy.copy(self)
        view._job = (job_id, itertools.count(start), on_stored)
        return view

    def acting_as(self, person: str, *, private: bool | None = None) -> Studio:
        """The same studio (catalog, files, engines, jobs) working for `person`.

        `private`: whether what this view stores is private (default: as the settings say).
        """
        view = copy.copy(self)
        changes: dict[str, Any] = {"person": person}
        if private is not None:
            changes["private_works"] = bool(private)
        view.settings = dataclasses.replace(self.settings, **changes)
        return view

    # -- helpers for the verbs ---------------------------------------------------
    def recipe(
        self,
        *,
        engine: str,
        mode: str = "txt2img",
        prompt: str = "",
        negative_prompt: str = "",
        seed: int | None = None,
        steps: int | None = None,
        guidance: float | None = None,
        width: int = 512,
        height: int = 512,
        sampler: str | None = None,
        model: str | None = None,
        loras: Sequence[LoraSpec | str] = (),
        strength: float | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Recipe:
        """A recipe from keywords: a random seed when none is given, LoRA texts parsed."""
        from studiolo.models.lora import parse_lora_arg

        if seed is not None:
            check_seed_and_batch(seed)  # a verb's recipe: refuse the seed before the verb works
        specs = tuple(lo if isinstance(lo, LoraSpec) else parse_lora_arg(lo) for lo in loras)
        defaults = {"steps": 20, "guidance": 7.0}
        return Recipe(
            engine=engine,
            mode=mode,
            prompt=prompt,
            negative_prompt=negative_prompt or "",
            seed=random_seed() if seed is None else seed,
            steps=defaults["steps"] if steps is None else steps,
            guidance=defaults["guidance"] if guidance is None else guidance,
            width=width,
            height=height,
            sampler=sampler,
            model=model,
            loras=specs,
            strength=strength,
            options=dict(options or {}),
        )

    def _known(self, ids: Sequence[str]) -> tuple[str, ...]:
        return tuple(i for i in ids if self.catalog.has_artwork(i))

    def parents_of(self, image: Any) -> tuple[str, ...]:
        """An input that is itself a stored artwork becomes a parent (credit flows through edits)."""
        if not isinstance(image, (str, os.PathLike)):
            return ()
        from studiolo.core.imageio import sha256_bytes

        path = Path(image)
        if not path.is_file():
            return ()
        sha = sha256_bytes(path.read_bytes())
        return (sha,) if self.catalog.has_artwork(sha) else ()
