"""The AUTOMATIC1111 `parameters` text ("infotext"), read and written as A1111 does.

Layout (A1111 `processing.create_infotext`)::

    <prompt, possibly several lines>
    Negative prompt: <negative prompt, possibly several lines>
    Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1, Size: 512x768, ...

The last line is `Key: value` pairs joined by ", "; a value holding a comma,
colon or newline is written as a JSON string. A reader takes the last line as
parameters only if it holds at least three pairs.

Sampler names follow A1111 1.9+, which writes the noise schedule apart from
the sampler: our canonical "DPM++ 2M Karras" is written
"Sampler: DPM++ 2M, Schedule type: Karras", and other samplers get
"Schedule type: Automatic". Older infotexts ("Sampler: DPM++ 2M Karras") read
the same.

Other writers vary it: keys in another case ("CFG Scale", comfy-image-saver) are
read as A1111's, and a schedule folded into the sampler's name ("Euler Ancestral
Karras", Stability Matrix) is split off. When writing, the prompt line comes first
even when empty, and an engine with no denoising loop (painter, style) writes
`Steps: 1, Sampler: studiolo <engine>` and no `CFG scale` (optional to A1111).

studiolo adds one key, `Studiolo`, holding the whole recipe as compact JSON:
other readers still see the standard keys, and studiolo gets its recipe back
exactly.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from studiolo import __version__
from studiolo.core.errors import InvalidArgument, MetadataError
from studiolo.core.types import LoraSpec, Recipe
from studiolo.provenance.samplers import join_schedule, split_sampler_name, split_schedule

STUDIOLO_KEY = "Studiolo"

# A1111 modules/infotext_utils.py reads the parameters line with `re.findall` of
#   \s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)
# a key is a word then words/spaces/-/, a value a JSON string (escapes allowed) or
# anything up to the next comma. That search is quadratic: every position of a long
# run of key characters with no colon after it is tried again, and rescans the run
# (20,000 characters took seconds). `_params` finds the same pairs in linear time
# from the pieces below, each of which scans forward without backtracking:
_KEY_RUN = re.compile(r"(?<![\w \-/])[\w \-/]*+:")  # a whole run of key characters, then ':'
_WORD = re.compile(r"\w")
_SPACES = re.compile(r"\s*+")
_QUOTED = re.compile(r'"(?:\\.|[^\\"])++"')
_PLAIN = re.compile(r"[^,]*+")
_SIZE = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*$")
# A1111's LoRA tag is `<lora:name:weight>` (extra `:...` allowed), read by
# `re.findall(r"<lora:([^:>]+)(?::([^:>]*))?(?::[^>]*)?>")` in the same way by
# `_lora_tags`, linearly: that search rescans to the end for every unclosed tag.
_LORA_OPEN = "<lora:"
_LORA_PART = re.compile(r"[^:>]*+")
_HIRES_KEYS = ("Hires upscale", "Hires steps", "Hires upscaler", "Hires resize-1")
# The keys studiolo reads, as A1111 spells them. Other writers change the case
# (comfy-image-saver writes "CFG Scale"), so keys are matched case-insensitively.
_KNOWN_KEYS = ("Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model",
               "Model hash", "Denoising strength", "Mask blur", "RNG", "Lora hashes",
               STUDIOLO_KEY, *_HIRES_KEYS)
_BY_LOWER = {key.lower(): key for key in _KNOWN_KEYS}
# Engines that run no denoising loop and take no classifier-free guidance: their
# infotext leaves out `CFG scale` (optional to A1111) and names the engine as sampler.
_DIFFUSION_ENGINES = ("diffusion",)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            return value
        return decoded if isinstance(decoded, str) else value
    return value


def _quote(value: Any) -> str:
    text = str(value)
    if any(c in text for c in ",\n:") or text.startswith('"'):
        return json.dumps(text, ensure_ascii=False)
    return text


def _params(line: str) -> list[tuple[str, str]]:
    """The (key, value) pairs A1111's `re.findall` finds in a parameters line, in linear time.

    Why it agrees with the regex: the key must be a whole run of key characters
    ending at ':' (a shorter run would need ':' where a key character is), starting
    at its first word character with at least two characters left; a quoted value
    counts only when ',' or the end follows it, else the value is plain text up to
    the next comma. Quoted scans never overlap: a value's opening quote follows ':'
    or a space, so an earlier scan would have stopped on it as its closing quote.
    """
    pairs: list[tuple[str, str]] = []
    pos, n = 0, len(line)
    while True:
        run = _KEY_RUN.search(line, pos)
        if run is None:
            return pairs
        colon = run.end() - 1
        word = _WORD.search(line, run.start(), colon)
        if word is None or colon - word.start() < 2:
            pos = run.end()  # no key before this colon: look further on
            continue
        start = _SPACES.match(line, colon + 1).end()
        quoted = _QUOTED.match(line, start) if line.startswith('"', start) else None
        if quoted is not None and (quoted.end() == n or line[quoted.end()] == ","):
            end = quoted.end()
        else:
            end = _PLAIN.match(line, start).end()
        pairs.append((line[word.start():colon], line[start:end]))
        if end >= n:
            return pairs
        pos = end + 1  # past the comma


def parse_infotext(text: str) -> tuple[str, str, dict[str, str]]:
    """(prompt, negative prompt, parameters) from an infotext, the way A1111 parses it."""
    if not isinstance(text, str):
        raise MetadataError(f"Infotext must be a string, got {type(text).__name__}.")
    *lines, last = text.strip().split("\n")
    found = _params(last)
    if len(found) < 3:
        lines.append(last)
        last, found = "", []
    prompt: list[str] = []
    negative: list[str] = []
    in_negative = False
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line[len("Negative prompt:"):].strip()
        (negative if in_negative else prompt).append(line)
    params = {key: _unquote(value) for key, value in found}
    return "\n".join(prompt), "\n".join(negative), params


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def recipe_to_infotext(recipe: Recipe) -> str:
    """The A1111 infotext for a recipe: standard keys first, then `Studiolo` with the full JSON.

    The prompt is written as it is: LoRAs appear as `<lora:name:w>` only if the
    prompt already holds them.
    """
    diffusion = recipe.engine in _DIFFUSION_ENGINES
    # A1111 always writes Steps and Sampler, and readers (sd-parsers, sd-prompt-reader)
    # find the settings line by them. An engine with no denoising loop paints in one
    # pass, which is what `Steps: 1` says; 0 would read as "nothing was done".
    params: dict[str, Any] = {"Steps": recipe.steps if diffusion else max(recipe.steps, 1)}
    if recipe.sampler:
        params["Sampler"], params["Schedule type"] = split_schedule(recipe.sampler)
    else:  # the model's own scheduler, or an engine that has none
        params["Sampler"] = "Automatic" if diffusion else f"studiolo {recipe.engine}"
    if diffusion:
        params["CFG scale"] = _number(recipe.guidance)
    params["Seed"] = recipe.seed
    params["Size"] = f"{recipe.width}x{recipe.height}"
    if recipe.model_hash:
        params["Model hash"] = recipe.model_hash[:10]
    if recipe.model:
        params["Model"] = recipe.model
    if recipe.strength is not None:
        params["Denoising strength"] = _number(recipe.strength)
    if recipe.generator_device == "cpu":
        params["RNG"] = "CPU"  # A1111 draws on the GPU unless told; our noise is CPU noise
    hashed = [f"{lo.name}: {lo.sha256[:10]}" for lo in recipe.loras if lo.sha256]
    if hashed:
        params["Lora hashes"] = ", ".join(hashed)
    params["Version"] = f"studiolo {__version__}"
    params[STUDIOLO_KEY] = recipe.to_json()
    line = ", ".join(f"{key}: {_quote(value)}" for key, value in params.items())
    negative = f"\nNegative prompt: {recipe.negative_prompt}" if recipe.negative_prompt else ""
    # The prompt line comes first even when empty: a reader that takes everything
    # before "\nNegative prompt:" / "\nSteps:" as the prompt must not get the settings.
    return f"{recipe.prompt}{negative}\n{line}"


def _studiolo_recipe(params: dict[str, str]) -> Recipe | None:
    raw = params.get(STUDIOLO_KEY)
    if raw is None:
        return None
    try:
        return Recipe.from_json(raw)
    except (InvalidArgument, TypeError, ValueError):
        return None  # damaged or from a newer studiolo: fall back to the standard keys


def _shown(value: str, limit: int = 60) -> str:
    """A value as an error echoes it: repr, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _int(params: dict[str, str], key: str, default: int) -> int:
    if key not in params:
        return default
    try:  # a recipe's integers are short; int() of thousands of digits is slow, then refuses
        return int(params[key].strip()) if len(params[key]) <= 40 else int("too long")
    except ValueError:
        raise MetadataError(f"Infotext `{key}` must be an integer, got {_shown(params[key])}; "
                            "the file's parameters are damaged, so import another copy.") from None


def _float(params: dict[str, str], key: str) -> float | None:
    if key not in params:
        return None
    try:
        value = float(params[key].strip()) if len(params[key]) <= 60 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise MetadataError(f"Infotext `{key}` must be a number, got {_shown(params[key])}, which "
                            "is not a finite number; the file's parameters are damaged, so import "
                            "another copy.")
    return value


def parse_lora_hashes(value: str) -> dict[str, str]:
    """"name: abc123, other: def456" -> {"name": "abc123", "other": "def456"}."""
    hashes: dict[str, str] = {}
    for part in value.split(","):
        name, sep, digest = part.rpartition(":")
        if not sep or not name.strip() or not digest.strip():
            raise MetadataError(f"Infotext `Lora hashes` must be 'name: hash, ...', got {value!r}.")
        hashes[name.strip()] = digest.strip()
    return hashes


def _lora_tags(prompt: str) -> list[tuple[str, str]]:
    """(name, weight text) of each `<lora:...>` tag, as that `re.findall` finds them.

    A tag needs a '>' after it, so once none is left there is nothing more to find;
    each match ends at the '>' it found, so every character is scanned once.
    """
    found: list[tuple[str, str]] = []
    n, last_close, pos = len(prompt), prompt.rfind(">"), 0
    while True:
        start = prompt.find(_LORA_OPEN, pos)
        if start < 0 or start > last_close:
            return found
        name_at = start + len(_LORA_OPEN)
        colon = _LORA_PART.match(prompt, name_at).end()
        if colon == name_at:
            pos = start + 1  # `<lora::` or `<lora:>`: no name
            continue
        if colon == n:
            return found
        weight_end = colon
        if prompt[colon] == ":":
            weight_end = _LORA_PART.match(prompt, colon + 1).end()
        if weight_end < n and prompt[weight_end] == ">":
            close = weight_end
        elif weight_end < last_close:  # another ':' part, up to the next '>'
            close = prompt.find(">", weight_end)
        else:
            return found
        found.append((prompt[name_at:colon], prompt[colon + 1:weight_end]))
        pos = close + 1


def loras_from_prompt(prompt: str) -> list[tuple[str, float]]:
    """The `<lora:name:weight>` tags of an A1111 prompt (weight 1.0 when absent or not a number)."""
    found = []
    for name, weight in _lora_tags(prompt):
        try:
            value = float(weight) if weight and len(weight) <= 60 else 1.0
        except ValueError:
            value = 1.0  # named forms like `unet=0.5` are not a single weight
        if not math.isfinite(value):
            value = 1.0
        found.append((name.strip(), value))
    return found


def _canonical_keys(params: dict[str, str]) -> dict[str, str]:
    """The parameters with the keys studiolo reads spelled as A1111 does ("CFG Scale" ->
    "CFG scale"). A key already in A1111's spelling wins; unknown keys, and a second
    spelling of a key already present, stay as found (in `options["a1111"]`)."""
    out = {key: value for key, value in params.items() if key in _BY_LOWER.values()}
    for key, value in params.items():
        if key not in out:
            known = _BY_LOWER.get(key.lower(), key)
            out[known if known not in out else key] = value
    return out


def infotext_to_recipe(text: str) -> Recipe:
    """A Recipe from an infotext: the `Studiolo` recipe when present, else the A1111 keys mapped."""
    if not isinstance(text, str) or not text.strip():
        raise MetadataError(f"Infotext is empty: got {text!r:.40}.")
    prompt, negative, found = parse_infotext(text)
    params = _canonical_keys(found)
    exact = _studiolo_recipe(params)
    if exact is not None:
        return exact
    if "Steps" not in params:
        raise MetadataError(
            "Infotext has no parameters line (expected a last line like 'Steps: 20, Sampler: Euler a,"
            f" CFG scale: 7, Seed: 1, Size: 512x512'); got {text[-80:]!r}."
        )
    rest = dict(params)
    for key in ("Steps", "Seed", "CFG scale", "Size", "Model", "Model hash", "Sampler"):
        rest.pop(key, None)

    size = params.get("Size", "512x512")
    match = _SIZE.match(size) if len(size) <= 40 else None
    if match is None:
        raise MetadataError(f"Infotext `Size` must be WIDTHxHEIGHT, got {_shown(size)}.")
    sampler = None
    written = params.get("Sampler", "")
    if written == "Automatic" or written.startswith("studiolo "):
        if written != "Automatic":
            rest["Sampler"] = written  # which engine made it: kept, as no sampler names it
    elif written:
        schedule = rest.pop("Schedule type", None)
        base, folded = split_sampler_name(written)  # "Euler Ancestral Karras"
        schedule = schedule if schedule and schedule != "Automatic" else folded
        sampler = join_schedule(base, schedule)
        if schedule and schedule != "Automatic" and not sampler.endswith(schedule):
            rest["Schedule type"] = schedule  # a schedule our sampler names cannot express

    strength = _float(params, "Denoising strength")
    if "Mask blur" in params:
        mode = "inpaint"
    elif strength is not None and not any(k in params for k in _HIRES_KEYS):
        mode = "img2img"
    else:
        mode, strength = "txt2img", None  # hires fix writes a strength for its second pass
    if mode != "txt2img":
        rest.pop("Denoising strength", None)

    hashes = parse_lora_hashes(rest.pop("Lora hashes")) if "Lora hashes" in rest else {}
    weights = dict(loras_from_prompt(prompt))
    names = list(weights) + [n for n in hashes if n not in weights]
    loras = tuple(LoraSpec(name=n, weight=weights.get(n, 1.0), sha256=hashes.get(n)) for n in names)

    rng = rest.pop("RNG", None)
    device = "cpu" if rng == "CPU" else "cuda"
    if rng not in (None, "CPU", "GPU"):
        rest["RNG"] = rng
    cfg = _float(params, "CFG scale")
    return Recipe(
        engine="diffusion",
        mode=mode,
        prompt=prompt,
        negative_prompt=negative,
        seed=_int(params, "Seed", 0),
        steps=_int(params, "Steps", 20),
        guidance=7.0 if cfg is None else cfg,
        width=int(match.group(1)),
        height=int(match.group(2)),
        sampler=sampler,
        model=params.get("Model") or None,
        model_hash=params.get("Model hash") or None,
        loras=loras,
        strength=strength,
        generator_device=device,
        options={"a1111": rest} if rest else {},
    )
