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

studiolo adds one key, `Studiolo`, holding the whole recipe as compact JSON:
other readers still see the standard keys, and studiolo gets its recipe back
exactly.
"""

from __future__ import annotations

import json
import re
from typing import Any

from studiolo import __version__
from studiolo.core.errors import InvalidArgument, MetadataError
from studiolo.core.types import LoraSpec, Recipe
from studiolo.provenance.samplers import join_schedule, split_schedule

STUDIOLO_KEY = "Studiolo"

# A1111 modules/infotext_utils.py: a key is a word then words/spaces/-/; a value
# is a JSON string (escapes allowed) or anything up to the next comma.
_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_SIZE = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*$")
_LORA_TAG = re.compile(r"<lora:([^:>]+)(?::([^:>]*))?(?::[^>]*)?>")
_HIRES_KEYS = ("Hires upscale", "Hires steps", "Hires upscaler", "Hires resize-1")


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


def parse_infotext(text: str) -> tuple[str, str, dict[str, str]]:
    """(prompt, negative prompt, parameters) from an infotext, the way A1111 parses it."""
    if not isinstance(text, str):
        raise MetadataError(f"Infotext must be a string, got {type(text).__name__}.")
    *lines, last = text.strip().split("\n")
    if len(_PARAM.findall(last)) < 3:
        lines.append(last)
        last = ""
    prompt: list[str] = []
    negative: list[str] = []
    in_negative = False
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line[len("Negative prompt:"):].strip()
        (negative if in_negative else prompt).append(line)
    params = {key: _unquote(value) for key, value in _PARAM.findall(last)}
    return "\n".join(prompt), "\n".join(negative), params


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def recipe_to_infotext(recipe: Recipe) -> str:
    """The A1111 infotext for a recipe: standard keys first, then `Studiolo` with the full JSON.

    The prompt is written as it is: LoRAs appear as `<lora:name:w>` only if the
    prompt already holds them.
    """
    params: dict[str, Any] = {"Steps": recipe.steps}
    if recipe.sampler:
        params["Sampler"], params["Schedule type"] = split_schedule(recipe.sampler)
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
    return f"{recipe.prompt}{negative}\n{line}".strip()


def _studiolo_recipe(params: dict[str, str]) -> Recipe | None:
    raw = params.get(STUDIOLO_KEY)
    if raw is None:
        return None
    try:
        return Recipe.from_json(raw)
    except (InvalidArgument, TypeError, ValueError):
        return None  # damaged or from a newer studiolo: fall back to the standard keys


def _int(params: dict[str, str], key: str, default: int) -> int:
    if key not in params:
        return default
    try:
        return int(params[key].strip())
    except ValueError:
        raise MetadataError(f"Infotext `{key}` must be an integer, got {params[key]!r}.") from None


def _float(params: dict[str, str], key: str) -> float | None:
    if key not in params:
        return None
    try:
        return float(params[key].strip())
    except ValueError:
        raise MetadataError(f"Infotext `{key}` must be a number, got {params[key]!r}.") from None


def parse_lora_hashes(value: str) -> dict[str, str]:
    """"name: abc123, other: def456" -> {"name": "abc123", "other": "def456"}."""
    hashes: dict[str, str] = {}
    for part in value.split(","):
        name, sep, digest = part.rpartition(":")
        if not sep or not name.strip() or not digest.strip():
            raise MetadataError(f"Infotext `Lora hashes` must be 'name: hash, ...', got {value!r}.")
        hashes[name.strip()] = digest.strip()
    return hashes


def loras_from_prompt(prompt: str) -> list[tuple[str, float]]:
    """The `<lora:name:weight>` tags of an A1111 prompt (weight 1.0 when absent or not a number)."""
    found = []
    for name, weight in _LORA_TAG.findall(prompt):
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            value = 1.0  # named forms like `unet=0.5` are not a single weight
        found.append((name.strip(), value))
    return found


def infotext_to_recipe(text: str) -> Recipe:
    """A Recipe from an infotext: the `Studiolo` recipe when present, else the A1111 keys mapped."""
    if not isinstance(text, str) or not text.strip():
        raise MetadataError(f"Infotext is empty: got {text!r:.40}.")
    prompt, negative, params = parse_infotext(text)
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
    match = _SIZE.match(size)
    if match is None:
        raise MetadataError(f"Infotext `Size` must be WIDTHxHEIGHT, got {size!r}.")
    sampler = None
    if params.get("Sampler"):
        schedule = rest.pop("Schedule type", None)
        sampler = join_schedule(params["Sampler"], schedule)
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
