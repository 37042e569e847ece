"""Every reader of outside data, what it may raise, and random inputs for it.

Shared by the property tests (`test_readers_total.py`, a few seconds per
reader) and the long fuzz run (`scripts/fuzz`). A reader is *total* when, for
any input, it returns a usable result or raises one of its `allowed` errors
(the project's own, with a sentence); anything else is a crash. Usable means
the result survives what studiolo does next with it (a recipe is written back
as infotext and JSON, a report is printed and dumped as JSON).

Inputs start from valid examples of each format (ComfyUI's default graph in
API and editor form, InvokeAI 3 and 4 metadata, an A1111 infotext, a
studiolo recipe, images of every accepted format and mode) and are mutated:
values swapped for the awkward ones real files and attackers hold, keys
dropped, links pointed anywhere, bytes flipped, cut and spliced.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from image_cases import image_bytes, mutate_bytes

from studiolo.core.errors import ImageError, InvalidArgument, MetadataError
from studiolo.core.types import InputRef, LoraSpec, Recipe

# -- valid examples ------------------------------------------------------------------
COMFY_PROMPT: dict[str, Any] = {
    "3": {"class_type": "KSampler", "inputs": {
        "seed": 156680208700286, "steps": 25, "cfg": 6.5, "sampler_name": "dpmpp_2m",
        "scheduler": "karras", "denoise": 1.0, "model": ["10", 0], "positive": ["11", 0],
        "negative": ["7", 0], "latent_image": ["5", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "SD1.5\\dreamshaper.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768, "batch_size": 2}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "scenery", "clip": ["10", 1]}},
    "11": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["6", 0]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "watermark", "clip": ["10", 1]}},
    "10": {"class_type": "LoraLoader", "inputs": {
        "lora_name": "ink.safetensors", "strength_model": 0.8, "model": ["13", 0]}},
    "13": {"class_type": "LoraLoader", "inputs": {"lora_name": "d", "strength_model": 0.5,
                                                 "model": ["4", 0]}},
    "14": {"class_type": "Seed (rgthree)", "inputs": {"seed": 4242}},
    "15": {"class_type": "VAEEncode", "inputs": {"pixels": ["16", 0]}},
    "16": {"class_type": "LoadImage", "inputs": {"image": "a.png"}},
    "17": {"class_type": "ControlNetApplyAdvanced", "inputs": {"positive": ["6", 0], "negative": ["7", 0]}},
}
COMFY_WORKFLOW: dict[str, Any] = {
    "last_node_id": 13, "version": 0.4,
    "nodes": [
        {"id": 3, "type": "KSampler", "mode": 0,
         "inputs": [{"name": "model", "link": 1}, {"name": "positive", "link": 4},
                    {"name": "negative", "link": 6}, {"name": "latent_image", "link": 2}],
         "widgets_values": [1566802087, "randomize", 25, 6.5, "dpmpp_2m", "karras", 1]},
        {"id": 4, "type": "CheckpointLoaderSimple", "inputs": [], "widgets_values": ["m.safetensors"]},
        {"id": 5, "type": "EmptyLatentImage", "inputs": [], "widgets_values": [512, 768, 2]},
        {"id": 6, "type": "CLIPTextEncode", "inputs": [], "widgets_values": ["scenery"]},
        {"id": 7, "type": "CLIPTextEncode", "inputs": [], "widgets_values": ["watermark"]},
        {"id": 10, "type": "LoraLoader", "inputs": [{"name": "model", "link": 9}],
         "widgets_values": ["ink.safetensors", 0.8, 1]},
        {"id": 15, "type": "KSampler", "mode": 4, "inputs": [], "widgets_values": [1, "fixed", 1]},
    ],
    "links": [[1, 10, 0, 3, 0, "MODEL"], [4, 6, 0, 3, 1, "CONDITIONING"],
              [6, 7, 0, 3, 2, "CONDITIONING"], [2, 5, 0, 3, 3, "LATENT"],
              {"id": 9, "origin_id": 4, "origin_slot": 0, "target_id": 10, "target_slot": 0}],
}
INVOKEAI: dict[str, Any] = {
    "generation_mode": "img2img", "positive_prompt": "a castle", "negative_prompt": "fog",
    "width": 1024, "height": 768, "seed": 99, "rand_device": "cuda", "cfg_scale": 5, "steps": 30,
    "scheduler": "dpmpp_2m_k", "strength": 0.55, "app_version": "4.2.9", "clip_skip": 2,
    "model": {"key": "9a8b", "hash": "blake3:1c2d3e", "name": "Juggernaut XL", "model_name": "j"},
    "loras": [{"model": {"hash": "sha256:" + "a" * 64, "name": "ink"}, "weight": 1.2},
              {"lora": {"model_name": "pixel"}, "weight": 0.75}],
}
RECIPE = Recipe(
    engine="diffusion", mode="img2img", prompt="harbour, «nocturne»", negative_prompt="blur",
    seed=77, steps=9, guidance=5.5, width=48, height=32, sampler="DPM++ 2M Karras", model="tiny",
    model_hash="d" * 64, loras=(LoraSpec("ink", 0.7, sha256="e" * 64),), strength=0.6,
    inputs=(InputRef("init", "f" * 64),), options={"eta": 0.0},
)
INFOTEXT = ("portrait of a sailor, <lora:film:0.9>\nNegative prompt: cartoon\n"
            "Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 12345, "
            "Size: 512x640, Model hash: 6ce0161689, Model: v1-5, Denoising strength: 0.4, "
            'Lora hashes: "film: 1234567890", RNG: CPU, Version: v1.9.4')

# -- awkward values ------------------------------------------------------------------
NASTY: tuple[Any, ...] = (
    None, True, False, 0, -1, 1, 2**31, 2**64, -(2**70), 10**30, 1.5, -0.0, 1e308, -1e308,
    float("inf"), float("-inf"), float("nan"), "", " ", "abc", "²", "٣", "1" * 50, "1e999",
    "nan", "512x512", "karras", "dpmpp_2m", "\x00", "\\", '"', "a\nb", "é" * 3, "💥",
    [], [1], ["9", 0], ["3", 0], [3, 0], ["3", True], ["3", 0.5], [1, 2, "x", 3, 4],
    [[1, 2]], {}, {"id": {}}, {"name": 5}, {"model": []}, {"a": [None]},
)
KEYS = ("seed", "noise_seed", "steps", "cfg", "sampler_name", "scheduler", "denoise", "model",
        "positive", "negative", "latent_image", "text", "inputs", "class_type", "lora_name",
        "strength_model", "width", "height", "batch_size", "pixels", "samples", "value",
        "links", "nodes", "widgets_values", "id", "type", "mode", "link", "name", "origin_id",
        "origin_slot", "loras", "weight", "hash", "positive_prompt", "scheduler", "strength",
        "generation_mode", "cfg_scale", "ckpt_name", "²", "3", "10")


def deep(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def _copy(value: Any) -> Any:
    """A deep copy of a JSON value (NaN kept), faster than copy.deepcopy."""
    return json.loads(json.dumps(value))


def mutate_json(value: Any, rng: random.Random, rounds: int | None = None) -> Any:
    """`value` with a few random subvalues replaced, dropped, added or linked anywhere."""
    value = _copy(value)
    for _ in range(rounds or rng.randint(1, 4)):
        value = _mutate_once(value, rng)
    return value


def _random_path(value: Any, rng: random.Random) -> tuple[Any, ...]:
    """A path into `value`, by a random walk down from the top that stops now and then."""
    path: list[Any] = []
    while isinstance(value, dict | list) and value and rng.random() < 0.8:
        key = rng.choice(list(value)) if isinstance(value, dict) else rng.randrange(len(value))
        path.append(key)
        value = value[key]
    return tuple(path)


def _random_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.6:
        return _copy(rng.choice(NASTY))
    if roll < 0.7:
        return [rng.choice(["3", "4", "5", "10", "99", 3, "²"]), rng.choice([0, 1, 2, -1, 2**40])]
    if roll < 0.8:
        return {rng.choice(KEYS): _copy(rng.choice(NASTY)) for _ in range(rng.randint(0, 3))}
    if roll < 0.85:
        return deep(rng.choice([5, 50, 200]))
    return rng.choice([rng.randint(-(2**64), 2**64), rng.random() * 10**rng.randint(0, 300),
                       "".join(rng.choice("ab1:,\"\\<>x ") for _ in range(rng.randint(0, 20)))])


def _mutate_once(value: Any, rng: random.Random) -> Any:
    path = _random_path(value, rng)
    if not path:
        return _random_value(rng) if rng.random() < 0.1 else value
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    roll = rng.random()
    if roll < 0.55:
        parent[key] = _random_value(rng)
    elif roll < 0.7 and isinstance(parent, dict):
        del parent[key]
    elif roll < 0.7:
        parent.pop(key)
    elif roll < 0.85 and isinstance(parent, dict):
        parent[rng.choice(KEYS)] = _random_value(rng)
    elif roll < 0.9 and isinstance(parent, list):
        parent.append(_copy(parent[key]))
    else:
        parent[key] = _copy(rng.choice([COMFY_PROMPT["3"], COMFY_WORKFLOW["nodes"][0],
                                                 INVOKEAI["loras"][0], ["3", 0]]))
    return value


def dumps(value: Any, rng: random.Random | None = None) -> str:
    """JSON text (NaN and Infinity kept: Python writes them); now and then cut or nested deep."""
    text = json.dumps(value, ensure_ascii=False)
    if rng is not None and rng.random() < 0.03:
        return rng.choice(["[" * 100_000, '{"a":' * 50_000, "1" * 5000, text[: len(text) // 2]])
    return text


# -- text ---------------------------------------------------------------------------
_TOKENS = ("Steps", "Sampler", "Seed", "Size", "CFG scale", "Studiolo", "Lora hashes", "Model",
           "Model hash", "Denoising strength", "Mask blur", "Hires upscale", "RNG", "Schedule type",
           ": ", ":", ", ", ",", "\n", "Negative prompt:", '"', '\\"', "\\", "<lora:", ">",
           "<lora:a:0.5>", " ", "-", "/", "a", "x", "512x512", "99999999999999999999999", "inf",
           "nan", "1e999", "Karras", "²", "\r", "\t", "é", "{", "}", "[", "]", "null")


def mutate_text(text: str, rng: random.Random) -> str:
    parts = list(text)
    for _ in range(rng.randint(1, 6)):
        roll, at = rng.random(), rng.randint(0, len(parts))
        if roll < 0.5:
            parts[at:at] = list(rng.choice(_TOKENS))
        elif roll < 0.75 and parts:
            del parts[at:at + rng.randint(1, 8)]
        elif parts:
            start = rng.randint(0, len(parts) - 1)
            parts[at:at] = parts[start:start + rng.randint(1, 40)]
    return "".join(parts)


def random_infotext(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return mutate_text(INFOTEXT, rng)
    if roll < 0.6:  # a studiolo infotext whose recipe JSON is damaged
        data = mutate_json(RECIPE.to_dict(), rng)
        return f"p\nSteps: 9, Seed: 1, Size: 8x8, Studiolo: {json.dumps(dumps(data))}"
    if roll < 0.8:
        return "".join(rng.choice(_TOKENS) for _ in range(rng.randint(0, 60)))
    return rng.choice(_TOKENS) * rng.randint(1, 400)  # long runs: the quadratic cases of old


def random_code(rng: random.Random) -> str:
    import base64
    import struct
    import zlib

    body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 2, 3, 5, 10, 12, 30, 90])))
    if rng.random() < 0.5 and body:
        body = bytes([1]) + body[1:]
    if rng.random() < 0.9:  # a checksum that matches, so the parser looks further
        body += struct.pack(">H", zlib.crc32(body) & 0xFFFF)
    code = base64.urlsafe_b64encode(body).decode().rstrip("=")
    head = rng.choice(["stv1-", "stv1-", "stv2-", "stv01-", "stv" + "9" * 30 + "-", "stv-", "x"])
    return mutate_text(head + code, rng) if rng.random() < 0.2 else head + code


# -- the readers -------------------------------------------------------------------------
@dataclass(frozen=True)
class Reader:
    name: str
    read: Callable[[Any], Any]
    make: Callable[[random.Random], Any]
    allowed: tuple[type[BaseException], ...]


def _use_recipe(recipe: Recipe) -> Recipe:
    """What studiolo does next with an imported recipe: write it back as infotext and JSON."""
    from studiolo.provenance.infotext import recipe_to_infotext

    assert isinstance(recipe, Recipe)
    recipe_to_infotext(recipe)  # writes `recipe.to_json()` too
    return recipe


def _from_texts(key: str) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        from studiolo.provenance.importers import recipe_from_texts

        return _use_recipe(recipe_from_texts({key: text}, size=(64, 48)).recipe)
    return read


def read_infotext(text: str) -> Any:
    from studiolo.provenance.infotext import infotext_to_recipe, parse_infotext

    parse_infotext(text)
    return _use_recipe(infotext_to_recipe(text))


def read_recipe_json(text: str) -> Any:
    return _use_recipe(Recipe.from_json(text))


def read_code(code: str) -> Any:
    from studiolo.capabilities.taste.codes import parse_code

    return parse_code(code)


def read_image(case: tuple[bytes, str]) -> Any:
    from studiolo.core.imageio import open_image

    data, mode = case
    image = open_image(data, mode=mode, name="case.img")
    assert image.mode == mode and image.width > 0 and image.height > 0
    return image


def read_mask(case: tuple[bytes, str]) -> Any:
    from studiolo.core.imageio import open_mask

    return open_mask(case[0], (24, 16))


def read_file_recipe(case: tuple[bytes, str]) -> Any:
    from studiolo.core.imagemeta import image_info
    from studiolo.provenance.importers import read_recipe

    image_info(case[0], name="case.img")
    return _use_recipe(read_recipe(case[0], name="case.img").recipe)


class _MemoryFiles:
    def put(self, data: bytes, ext: str) -> tuple[str, None]:
        import hashlib

        return hashlib.sha256(data).hexdigest(), None


class _UploadStudio:
    files = _MemoryFiles()
    catalog: Any = None


def _upload_studio() -> _UploadStudio:
    # The upload's row goes to a real catalog (made once, in a temporary folder): the reader
    # under test is the image check, but the row's code path must run too.
    if _UploadStudio.catalog is None:
        import tempfile

        from studiolo.catalog.store import Catalog

        folder = tempfile.mkdtemp(prefix="studiolo-fuzz-")
        _UploadStudio.catalog = Catalog(f"sqlite:///{folder}/catalog.sqlite")
    return _UploadStudio()


def read_upload(case: tuple[bytes, str]) -> Any:
    from studiolo.web.uploads import store_upload

    return store_upload(_upload_studio(), case[0], "fuzzer")


def read_manifest_store(store: Any) -> Any:
    """verify's reading of a C2PA manifest store, then the report printed and dumped."""
    from studiolo.provenance.consent import _training_uses
    from studiolo.provenance.verify import VerifyReport, _from_manifest, summary_lines

    found = _from_manifest(store, trusted_here=False, catalog=None)
    report = VerifyReport(source="case", format="PNG", width=1, height=1, **found)
    summary_lines(report)
    json.dumps(report.to_dict())
    _training_uses(store, {})
    return report


def _manifest_store(rng: random.Random) -> Any:
    from studiolo.core.types import Credit
    from studiolo.provenance.c2pa_manifest import manifest_definition

    manifest = manifest_definition(
        recipe=RECIPE, credits=[Credit("ana", "person", "prompt_author", 1.0, "asked")],
        person="ana", parents=["studiolo:artwork:" + "a" * 64])
    manifest["signature_info"] = {"common_name": "ana", "issuer": "x", "alg": "Es256"}
    manifest["ingredients"] = [{"title": "p", "instance_id": "studiolo:artwork:" + "a" * 64,
                                "validation_results": {"activeManifest": {"failure": [{"code": "x"}]}}}]
    store = {"active_manifest": "m", "manifests": {"m": manifest}, "validation_state": "Valid",
             "validation_results": {"activeManifest": {"success": [{"code": "a"}], "failure": []}}}
    return mutate_json(store, rng, rng.randint(1, 8))


@functools.cache
def _signed_png() -> bytes:
    """A PNG with its infotext and a C2PA manifest signed by a throw-away studio key."""
    import tempfile

    from PIL import Image

    from studiolo.core.imagemeta import encode_png
    from studiolo.core.settings import Settings
    from studiolo.core.types import Credit
    from studiolo.provenance.c2pa_manifest import sign_png
    from studiolo.provenance.infotext import recipe_to_infotext

    home = Path(tempfile.mkdtemp(prefix="studiolo-fuzz-"))
    settings = Settings(home=home, database_url="sqlite://", person="ana")
    png = encode_png(Image.new("RGB", (40, 30), (200, 90, 40)), {"parameters": recipe_to_infotext(RECIPE)})
    return sign_png(png, recipe=RECIPE, credits=[Credit("ana", "person", "prompt_author", 1.0, "")],
                    person="ana", settings=settings)


def read_verify(data: bytes) -> Any:
    """`studiolo verify` of a file: the report, its sentences and its JSON."""
    from studiolo.provenance.verify import summary_lines, verify_bytes

    report = verify_bytes(data, name="case.png")
    summary_lines(report)
    json.dumps(report.to_dict())
    return report


def _verify_case(rng: random.Random) -> bytes:
    return mutate_bytes(_signed_png(), rng) if rng.random() < 0.9 else _signed_png()


def _image_case(rng: random.Random) -> tuple[bytes, str]:
    data = image_bytes(rng)
    if rng.random() < 0.85:
        data = mutate_bytes(data, rng)
    return data, rng.choice(["RGB", "RGB", "RGBA", "L"])


def _metadata_image_case(rng: random.Random) -> tuple[bytes, str]:
    """A PNG or JPEG whose metadata holds a (damaged) recipe of some tool."""
    from PIL import Image

    from studiolo.core.imagemeta import encode_jpeg, encode_png

    key, text = rng.choice([
        ("parameters", lambda: random_infotext(rng)),
        ("prompt", lambda: dumps(mutate_json(COMFY_PROMPT, rng))),
        ("workflow", lambda: dumps(mutate_json(COMFY_WORKFLOW, rng))),
        ("invokeai_metadata", lambda: dumps(mutate_json(INVOKEAI, rng))),
    ])
    image = Image.new("RGB", (rng.randint(1, 40), rng.randint(1, 40)), (10, 20, 30))
    value = text()
    if key == "parameters" and rng.random() < 0.3:
        data = encode_jpeg(image, comment=value)
    else:
        data = encode_png(image, {key: value})
    if rng.random() < 0.2:
        data = mutate_bytes(data, rng)
    return data, "RGB"


READERS: dict[str, Reader] = {r.name: r for r in (
    Reader("infotext", read_infotext, random_infotext, (MetadataError,)),
    Reader("recipe_json", read_recipe_json,
           lambda rng: dumps(mutate_json(RECIPE.to_dict(), rng), rng), (InvalidArgument,)),
    Reader("comfyui", _from_texts("prompt"), lambda rng: dumps(mutate_json(COMFY_PROMPT, rng), rng),
           (MetadataError,)),
    Reader("workflow", _from_texts("workflow"),
           lambda rng: dumps(mutate_json(COMFY_WORKFLOW, rng), rng), (MetadataError,)),
    Reader("invokeai", _from_texts("invokeai_metadata"),
           lambda rng: dumps(mutate_json(INVOKEAI, rng), rng), (MetadataError,)),
    Reader("taste_code", read_code, random_code, (InvalidArgument,)),
    Reader("image", read_image, _image_case, (ImageError,)),
    Reader("mask", read_mask, _image_case, (ImageError,)),
    Reader("upload", read_upload, _image_case, (ImageError,)),
    Reader("file_recipe", read_file_recipe, _metadata_image_case, (ImageError, MetadataError)),
    Reader("manifest", read_manifest_store, _manifest_store, ()),
    Reader("verify", read_verify, _verify_case, (ImageError,)),
)}


MAX_MESSAGE = 700


def run_case(reader: Reader, case: Any) -> BaseException | None:
    """None when `reader` is total on `case`; else the exception that escaped."""
    try:
        reader.read(case)
    except reader.allowed as exc:
        text = str(exc)
        if not text or len(text) > MAX_MESSAGE:  # one sentence, long inputs echoed short
            return AssertionError(f"{type(exc).__name__} message of {len(text)} characters: "
                                  f"{text[:200]!r}")
        return None
    except Exception as exc:  # noqa: BLE001 - what escapes is the finding
        return exc
    return None


# The readers of other tools' formats (NovelAI, stealth, SwarmUI, Fooocus, ...): format_cases.py
# adds them to READERS (imported last: it uses the helpers above).
import format_cases  # noqa: F401
