"""NovelAI images: PNG text chunks, or the same chunks as JSON hidden in the alpha channel.

NovelAI writes `Software: NovelAI`, `Description` (the prompt), `Source` (the
model and a short hash, "NovelAI Diffusion V4 4BDE2A90", "Stable Diffusion
1D44365E"), `Generation time` and `Comment`: JSON with seed, steps, scale,
sampler, uc (the negative prompt), width, height, noise_schedule, strength,
noise and more. NovelAI 4 adds `v4_prompt` / `v4_negative_prompt`, each
`{"caption": {"base_caption": ..., "char_captions": [{"char_caption": ...}]}}`.
The stealth copy in the alpha channel (see `stealth`) is a gzip JSON object of
these same chunks, with `Comment` as a string (or, in some writers, an object).
"""

from __future__ import annotations

import re
from typing import Any

from studiolo.core.errors import MetadataError
from studiolo.core.types import Recipe
from studiolo.provenance.foreign import Fields, kept, loads
from studiolo.provenance.metadata_values import ADVICE, shown
from studiolo.provenance.samplers import join_schedule, normalise_sampler

WHERE = "NovelAI metadata"
_SOURCE = re.compile(r"^(.*?)\s+([0-9A-Fa-f]{8,16})$")
_USED = frozenset({"prompt", "uc", "seed", "steps", "scale", "sampler", "width", "height",
                   "v4_prompt", "v4_negative_prompt", "noise_schedule"})


def is_novelai(texts: dict[str, str]) -> bool:
    return texts.get("Software", "").strip().lower().startswith("novelai") or (
        "Comment" in texts and "Description" in texts and "Source" in texts)


def texts_from_stealth(data: dict[str, Any]) -> dict[str, str]:
    """The stealth JSON object as text chunks (`Comment` as JSON text)."""
    import json

    texts: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict | list):
            try:
                value = json.dumps(value)
            except (ValueError, RecursionError):
                continue
        texts[str(key)] = value if isinstance(value, str) else str(value)
    texts.setdefault("Software", "NovelAI")
    return texts


def _caption(value: Any, key: str) -> tuple[str | None, list[str]]:
    """(base caption, character captions) of a v4 prompt object."""
    if not isinstance(value, dict):
        return None, []
    caption = value.get("caption")
    if not isinstance(caption, dict):
        return None, []
    base = caption.get("base_caption")
    if base is not None and not isinstance(base, str):
        raise MetadataError(f"{WHERE} has a value of the wrong type: `{key}.caption.base_caption` "
                            f"must be text, got {shown(base)}; {ADVICE}.")
    chars = caption.get("char_captions")
    found = [c["char_caption"] for c in chars[:64] if isinstance(c, dict)
             and isinstance(c.get("char_caption"), str)] if isinstance(chars, list) else []
    return base, found


def _sampler(name: str | None, schedule: str | None) -> str | None:
    if not name:
        return None
    base = name[2:] if name.lower().startswith("k_") else name  # k_euler_ancestral -> euler_ancestral
    sampler = normalise_sampler(base)
    return join_schedule(sampler, schedule) if schedule else sampler


def novelai_recipe(texts: dict[str, str], *, size: tuple[int, int], name: str) -> Recipe:
    """A Recipe from NovelAI's text chunks (`Comment` JSON, `Description`, `Source`)."""
    comment_text = texts.get("Comment", "")
    comment = loads(comment_text, "NovelAI `Comment` metadata", name) if comment_text.strip() else {}
    if not isinstance(comment, dict):
        raise MetadataError(f"{name}: the NovelAI `Comment` metadata must be a JSON object, got "
                            f"{type(comment).__name__}; {ADVICE}.")
    fields = Fields(comment, WHERE)
    base, characters = _caption(comment.get("v4_prompt"), "v4_prompt")
    negative_base, negative_chars = _caption(comment.get("v4_negative_prompt"), "v4_negative_prompt")
    prompt = base if base is not None else fields.text("prompt", default=texts.get("Description", ""))
    negative = negative_base if negative_base is not None else fields.text("uc")
    schedule = fields.name("noise_schedule")
    sampler = _sampler(fields.name("sampler"), schedule)
    options: dict[str, Any] = fields.rest(_USED)
    if schedule and sampler and not sampler.endswith(" Karras"):
        options["noise_schedule"] = schedule
    if characters:
        options["character_prompts"] = characters
    if negative_chars:
        options["character_negative_prompts"] = negative_chars
    model = None
    source = texts.get("Source", "").strip()
    if source:
        match = _SOURCE.match(source[:200])
        model = match.group(1) if match else source[:200]
        if match:
            options["model_hash"] = match.group(2)
    for key in ("Title", "Generation time", "Software"):
        if texts.get(key):
            options[key.lower().replace(" ", "_")] = kept(texts[key])
    request = str(comment.get("request_type", ""))
    mode = "img2img" if "img2img" in request.lower() else "txt2img"
    strength = fields.float("strength", default=None) if mode == "img2img" else None
    return Recipe(
        engine="diffusion", mode=mode, prompt=prompt, negative_prompt=negative,
        seed=fields.int("seed", default=0), steps=fields.int("steps", default=28),
        guidance=fields.float("scale", default=5.0) or 0.0,
        width=fields.int("width", default=size[0]), height=fields.int("height", default=size[1]),
        sampler=sampler, model=model, strength=strength,
        options={"novelai": options} if options else {},
    )
