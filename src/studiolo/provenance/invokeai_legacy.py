"""InvokeAI 2.x: the `sd-metadata` JSON chunk and the older `Dream` command line.

`sd-metadata`: `{"model_weights": "stable-diffusion-1.5", "model_hash": "...",
"app_version": "2.3.0", "image": {"prompt": [{"prompt": "...", "weight": 1}] (or one
string), "seed", "steps", "cfg_scale", "sampler", "width", "height", "type":
"txt2img"|"img2img", "strength", "init_image_path", ...}}`. The negative prompt is
written inside the prompt in square brackets: "a castle [fog, blur]".

`Dream`: the dream.py command that makes the image again,
`"a castle [fog]" -s 50 -S 12345 -W 512 -H 512 -C 7.5 -A k_lms` (-s steps, -S seed,
-W/-H size, -C cfg scale, -A sampler, -f strength, -I init image, -m model).
"""

from __future__ import annotations

import re
from typing import Any

from studiolo.core.errors import MetadataError
from studiolo.core.types import Recipe
from studiolo.provenance.foreign import Fields, kept, no_recipe
from studiolo.provenance.metadata_values import ADVICE, shown
from studiolo.provenance.samplers import normalise_sampler

WHERE = "InvokeAI 2 metadata"
_MAX_PROMPT_PARTS = 64


def split_negative(prompt: str) -> tuple[str, str]:
    """"a castle [fog] at night [blur]" -> ("a castle at night", "fog, blur") (one pass)."""
    positive: list[str] = []
    negative: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(prompt):
        if char == "[":
            if depth == 0:
                positive.append(prompt[start:i])
                start = i + 1
            depth += 1
        elif char == "]" and depth:
            depth -= 1
            if depth == 0:
                negative.append(prompt[start:i])
                start = i + 1
    (negative if depth else positive).append(prompt[start:])
    clean = [" ".join(p.split()) for p in positive]
    return (" ".join(p for p in clean if p).strip(" ,"),
            ", ".join(n.strip(" ,") for n in negative if n.strip(" ,")))


def _sampler(name: str | None) -> str | None:
    return normalise_sampler(name) if name else None


def sd_metadata_recipe(meta: dict[str, Any]) -> Recipe:
    image = meta.get("image")
    if not isinstance(image, dict):
        raise no_recipe(WHERE, meta, "`image` object")
    f = Fields(image, WHERE)
    prompt = image.get("prompt", "")
    if isinstance(prompt, list):  # [{"prompt": ..., "weight": ...}]: weighted sub-prompts
        texts = [p.get("prompt") for p in prompt[:_MAX_PROMPT_PARTS] if isinstance(p, dict)]
        if not all(isinstance(t, str) for t in texts):
            raise MetadataError(f"{WHERE} has a value of the wrong type: `image.prompt[].prompt` "
                                f"must be text, got {shown(prompt)}; {ADVICE}.")
        prompt = " ".join(texts)
    elif not isinstance(prompt, str):
        raise MetadataError(f"{WHERE} has a value of the wrong type: `image.prompt` must be text "
                            f"or a list, got {shown(prompt)}; {ADVICE}.")
    positive, negative = split_negative(prompt)
    kind = str(image.get("type", "txt2img"))
    mode = "img2img" if kind == "img2img" else "inpaint" if "inpaint" in kind else "txt2img"
    options = f.rest({"prompt", "seed", "steps", "cfg_scale", "sampler", "width", "height",
                      "strength"})
    options.update({k: kept(v) for k, v in meta.items() if k not in ("image", "model_weights")})
    return Recipe(
        engine="diffusion", mode=mode, prompt=positive, negative_prompt=negative,
        seed=f.int("seed", default=0), steps=f.int("steps", default=50),
        guidance=f.float("cfg_scale", default=7.5), width=f.int("width", default=512),
        height=f.int("height", default=512), sampler=_sampler(f.name("sampler")),
        model=Fields(meta, WHERE).name("model_weights"),
        strength=f.float("strength", default=None) if mode != "txt2img" else None,
        options={"invokeai": options} if options else {},
    )


_DREAM = re.compile(r'^\s*"((?:[^"\\]|\\.)*)"(.*)$', re.DOTALL)
_SWITCH = re.compile(r"-{1,2}([A-Za-z_]+)(?:\s+([^\s-][^\s]*|-?\d[^\s]*))?")
_DREAM_KEYS = {"s": "steps", "steps": "steps", "S": "seed", "seed": "seed", "W": "width",
               "width": "width", "H": "height", "height": "height", "C": "cfg_scale",
               "cfg_scale": "cfg_scale", "A": "sampler", "sampler": "sampler", "f": "strength",
               "strength": "strength", "I": "init_img", "init_img": "init_img", "m": "model",
               "model": "model"}


def dream_recipe(text: str) -> Recipe:
    match = _DREAM.match(text[:100_000])
    if match is None:
        raise MetadataError(f"{WHERE}: the `Dream` command must start with the prompt in double "
                            f"quotes (like '\"a castle\" -s 50 -S 1'), got {shown(text, 80)}; "
                            f"{ADVICE}.")
    prompt = match.group(1).replace('\\"', '"')
    values: dict[str, Any] = {}
    for switch in _SWITCH.finditer(match.group(2)):
        key, value = switch.group(1), switch.group(2)
        values[_DREAM_KEYS.get(key, key)] = True if value is None else value
    f = Fields(values, "InvokeAI `Dream` command")
    positive, negative = split_negative(prompt)
    strength = f.float("strength", default=None) if "init_img" in values else None
    return Recipe(
        engine="diffusion", mode="img2img" if strength is not None else "txt2img",
        prompt=positive, negative_prompt=negative,
        seed=f.int("seed", default=0), steps=f.int("steps", default=50),
        guidance=f.float("cfg_scale", default=7.5), width=f.int("width", default=512),
        height=f.int("height", default=512), sampler=_sampler(f.name("sampler")),
        model=f.name("model"), strength=strength,
        options={"invokeai": {"dream": kept(text)}},
    )
