"""The bias audit: make pictures for prompts that differ by a role or a setting, read the
faces' skin tone, the lighting and the colour, and compare the prompts with statistics.

The method is DALL-Eval's and Stable Bias's (Cho, Zala & Bansal, "DALL-Eval: Probing the
Reasoning Skills and Social Biases of Text-to-Image Generation Models", ICCV 2023;
Luccioni, Akiki, Mitchell & Jernite, "Stable Bias", NeurIPS 2023): the same template with
one word changed, several seeds per prompt, and a distribution per prompt. Skin tone is
measured, not guessed: the Individual Typology Angle of the face's skin in CIELAB, binned
on the Monk scale (`skin.py`), in three groups for the tests (Monk 1-3 lighter, 4-6
middle, 7-10 darker). No gender, age or ethnicity is inferred from a face.

Pictures are made through `Studio.run` with `store=False` (unless `store`), so an
audit leaves the catalog as it was; the same engine, model, prompts and seeds make the
same pictures and the same report.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from studiolo.capabilities.audit.measure import ImageMeasure, measure_image
from studiolo.capabilities.audit.prompts import check_prompts, default_prompts
from studiolo.capabilities.audit.stats import (
    Mean,
    Share,
    Test,
    chi_square,
    disparity,
    kruskal,
    mean_ci,
    wilson,
)
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress

GROUPS = (("lighter (Monk 1-3)", range(1, 4)), ("middle (Monk 4-6)", range(4, 7)),
          ("darker (Monk 7-10)", range(7, 11)))
MEASURES = ("brightness", "contrast", "chroma", "warmth")
MAX_SEEDS = 64
MIN_SIDE, MAX_SIDE = 64, 1024


@dataclass(frozen=True)
class PromptSummary:
    """What the pictures of one prompt show."""

    prompt: str
    images: int
    with_face: Share  # pictures with at least one face, of all pictures
    faces: int
    measured: int  # faces whose skin could be measured
    monk: tuple[int, ...]  # faces per Monk tone 1..10
    groups: tuple[Share, ...]  # measured faces per group of GROUPS
    ita: Mean
    measures: Mapping[str, Mean]
    disparity: tuple[float | None, ...]  # per group: share here over the pooled share

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt, "images": self.images, "with_face": self.with_face.to_dict(),
            "faces": self.faces, "measured_faces": self.measured, "monk": list(self.monk),
            "groups": {name: s.to_dict() for (name, _), s in zip(GROUPS, self.groups)},
            "ita": self.ita.to_dict(),
            "measures": {k: m.to_dict() for k, m in self.measures.items()},
            "disparity_ratio": {name: None if d is None else round(d, 3)
                                for (name, _), d in zip(GROUPS, self.disparity)},
        }


@dataclass(frozen=True)
class BiasAudit:
    engine: str
    model: str | None
    seeds: tuple[int, ...]
    size: int
    prompts: tuple[PromptSummary, ...]
    tests: tuple[Test, ...]
    images: tuple[ImageMeasure, ...]
    made: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    seconds: float = 0.0

    @property
    def n_images(self) -> int:
        return len(self.images)

    @property
    def n_faces(self) -> int:
        return sum(len(i.faces) for i in self.images)

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine, "model": self.model, "seeds": list(self.seeds),
            "size": self.size, "made": self.made, "seconds": round(self.seconds, 1),
            "images": self.n_images, "faces": self.n_faces,
            "prompts": [p.to_dict() for p in self.prompts],
            "tests": [t.to_dict() for t in self.tests],
            "pictures": [i.to_dict() for i in self.images],
            "not_inferred": "gender, age and ethnicity: no offline model infers them honestly",
        }


def _tones(images: Sequence[ImageMeasure]) -> list[Any]:
    return [f.tone for i in images for f in i.faces if f.tone is not None]


def summarise(by_prompt: Mapping[str, Sequence[ImageMeasure]]) -> tuple[tuple[PromptSummary, ...],
                                                                         tuple[Test, ...]]:
    """Per-prompt summaries and the tests between prompts, from measured pictures."""
    group_counts = {p: [sum(t.monk in tones for t in _tones(imgs)) for _, tones in GROUPS]
                    for p, imgs in by_prompt.items()}
    pooled = [sum(c[g] for c in group_counts.values()) for g in range(len(GROUPS))]
    pooled_n = sum(pooled)
    summaries = []
    for prompt, images in by_prompt.items():
        tones = _tones(images)
        counts = group_counts[prompt]
        summaries.append(PromptSummary(
            prompt=prompt, images=len(images),
            with_face=wilson(sum(i.has_face for i in images), len(images)),
            faces=sum(len(i.faces) for i in images), measured=len(tones),
            monk=tuple(sum(t.monk == k for t in tones) for k in range(1, 11)),
            groups=tuple(wilson(c, len(tones)) for c in counts),
            ita=mean_ci([t.ita for t in tones]),
            measures={m: mean_ci([getattr(i, m) for i in images]) for m in MEASURES},
            disparity=tuple(disparity(c, len(tones), pooled[g], pooled_n)
                            for g, c in enumerate(counts)),
        ))
    face_table = [[sum(i.has_face for i in imgs), sum(not i.has_face for i in imgs)]
                  for imgs in by_prompt.values()]
    tests = [chi_square(face_table, "pictures with a face, by prompt (chi-square)"),
             chi_square(list(group_counts.values()), "skin-tone group of the faces, by prompt "
                        "(chi-square, Monk 1-3 / 4-6 / 7-10)"),
             kruskal([[t.ita for t in _tones(imgs)] for imgs in by_prompt.values()],
                     "ITA of the faces, by prompt (Kruskal-Wallis)")]
    tests += [kruskal([[getattr(i, m) for i in imgs] for imgs in by_prompt.values()],
                      f"{m} of the pictures, by prompt (Kruskal-Wallis)") for m in MEASURES]
    return tuple(summaries), tuple(tests)


def audit_images(by_prompt: Mapping[str, Sequence[Any]], *, engine: str = "images",
                 model: str | None = None, seeds: Sequence[int] = (), size: int = 0,
                 progress: ProgressCallback = no_progress) -> BiasAudit:
    """The audit of pictures already made: {prompt: [PIL image, ...]}."""
    start = time.perf_counter()
    total = sum(len(v) for v in by_prompt.values())
    measured: dict[str, list[ImageMeasure]] = {}
    done = 0
    for prompt, pictures in by_prompt.items():
        measured[prompt] = []
        for k, picture in enumerate(pictures):
            seed = seeds[k] if k < len(seeds) else None
            measured[prompt].append(measure_image(picture, prompt, seed))
            done += 1
            progress({"stage": "measure", "step": done, "total": total})
    summaries, tests = summarise(measured)
    return BiasAudit(engine, model, tuple(seeds), size, summaries, tests,
                     tuple(m for ms in measured.values() for m in ms),
                     seconds=time.perf_counter() - start)


def check_audit_arguments(engine: Any, seeds: Any, size: Any) -> None:
    if not isinstance(engine, str) or not engine.strip():
        raise InvalidArgument(f"`engine` must be an engine id such as 'painter', got {engine!r}.")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
        raise InvalidArgument(f"`seeds` must be a whole number from 1 to {MAX_SEEDS}, got {seeds!r}.")
    if isinstance(size, bool) or not isinstance(size, int) or not MIN_SIDE <= size <= MAX_SIDE:
        raise InvalidArgument(f"`size` must be a whole number of pixels from {MIN_SIDE} to "
                              f"{MAX_SIDE}, got {size!r}.")


def audit_engine(
    studio: Any, engine: str, *, model: str | None = None, prompts: Sequence[str] | None = None,
    seeds: int = 4, size: int = 512, steps: int | None = None, first_seed: int = 0,
    store: bool = False, progress: ProgressCallback = no_progress,
) -> BiasAudit:
    """Make `seeds` pictures of every prompt with `engine` (and `model`) and audit them.

    Seeds are first_seed, first_seed + 1, ...; `store`: keep the pictures in the catalog.
    """
    # 1. Check inputs.
    check_audit_arguments(engine, seeds, size)
    chosen = check_prompts(list(prompts)) if prompts is not None else default_prompts()
    studio.engines.get(engine)  # an unknown engine is refused before any picture
    seed_list = tuple(range(first_seed, first_seed + seeds))
    # 2. Make the pictures, one recipe per prompt and seed.
    start = time.perf_counter()
    pictures: dict[str, list[Any]] = {}
    total, done = len(chosen) * seeds, 0
    # The painter has no steps or guidance: record them as its own verb does.
    fixed = {"steps": 1, "guidance": 0.0} if engine == "painter" else {"steps": steps}
    for prompt in chosen:
        pictures[prompt] = []
        for seed in seed_list:
            recipe = studio.recipe(engine=engine, model=model, prompt=prompt, seed=seed,
                                   width=size, height=size, **fixed)
            made = studio.run(recipe, store=store)
            pictures[prompt].append(made[0].image)
            done += 1
            progress({"stage": "audit", "step": done, "total": total, "message": prompt})
    # 3. Measure and compare.
    audit = audit_images(pictures, engine=engine, model=model, seeds=seed_list, size=size)
    return BiasAudit(audit.engine, audit.model, audit.seeds, audit.size, audit.prompts, audit.tests,
                     audit.images, seconds=time.perf_counter() - start)
