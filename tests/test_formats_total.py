"""Property-based tests: the readers of other tools' formats are total, in linear time.

Mutated valid examples of each format run in test_readers_total.py (format_cases.py adds
these readers to `READERS`); here hypothesis builds the inputs itself from each format's
keys and awkward values, and shrinks what fails.
"""

from __future__ import annotations

import io
import json

import numpy as np
from format_cases import read_stealth_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from reader_cases import NASTY, READERS, run_case

BOUNDED = settings(max_examples=40, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def total(name: str, case: object) -> None:
    exc = run_case(READERS[name], case)
    assert exc is None, f"{name} crashed with {type(exc).__name__}: {exc}"


scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
           | st.sampled_from([v for v in NASTY if not isinstance(v, list | dict)]))


def objects(keys: list[str]) -> st.SearchStrategy:
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.sampled_from(keys) | st.text(max_size=5), inner,
                                            max_size=4), max_leaves=8)
    return st.dictionaries(st.sampled_from(keys), values, min_size=1, max_size=10)


NAI_KEYS = ["prompt", "uc", "seed", "steps", "scale", "sampler", "width", "height", "strength",
            "noise_schedule", "request_type", "v4_prompt", "v4_negative_prompt", "caption",
            "base_caption", "char_captions", "char_caption"]
SWARM_KEYS = ["prompt", "negativeprompt", "seed", "steps", "cfgscale", "width", "height", "sampler",
              "scheduler", "comfyuisampler", "autowebuisampler", "model", "loras", "loraweights",
              "initimage", "initimagecreativity"]
FOOOCUS_KEYS = ["prompt", "negative_prompt", "Negative Prompt", "steps", "resolution", "guidance_scale",
                "sampler", "scheduler", "seed", "base_model", "base_model_hash", "loras", "LoRA 1",
                "lora_combined_2", "performance", "width", "height"]
RUINED_KEYS = ["Prompt", "Negative", "steps", "cfg", "width", "height", "seed", "sampler_name",
               "scheduler", "base_model_name", "base_model_hash", "loras", "denoise", "software"]
CIVITAI_KEYS = ["prompt", "negativePrompt", "steps", "cfgScale", "sampler", "seed", "width", "height",
                "resources", "civitaiResources", "type", "modelName", "weight", "strength", "denoise"]
INVOKE2_KEYS = ["image", "prompt", "weight", "seed", "steps", "cfg_scale", "sampler", "width",
                "height", "type", "strength", "model_weights"]


@BOUNDED
@given(comment=objects(NAI_KEYS), source=st.text(max_size=20))
def test_novelai_is_total(comment, source):
    total("novelai", {"Software": "NovelAI", "Description": "d", "Source": source,
                      "Comment": json.dumps(comment)})


@BOUNDED
@given(params=objects(SWARM_KEYS), models=objects(["param", "hash", "name"]))
def test_swarmui_is_total(params, models):
    total("swarmui", {"parameters": json.dumps({"sui_image_params": params, "sui_models": [models]})})


@BOUNDED
@given(data=objects(FOOOCUS_KEYS))
def test_fooocus_is_total(data):
    total("fooocus", {"parameters": json.dumps(data), "fooocus_scheme": "fooocus"})


@BOUNDED
@given(data=objects(RUINED_KEYS))
def test_ruinedfooocus_is_total(data):
    total("ruinedfooocus", {"parameters": json.dumps({**data, "software": "RuinedFooocus"})})


@BOUNDED
@given(data=objects(CIVITAI_KEYS), wrap=st.sampled_from(["plain", "graph", "chunk"]))
def test_civitai_json_is_total(data, wrap):
    data = {"cfgScale": 1, **data}
    texts = {"plain": {"parameters": json.dumps(data)},
             "graph": {"parameters": json.dumps({"extraMetadata": json.dumps(data)})},
             "chunk": {"prompt": "{}", "extraMetadata": json.dumps(data)}}[wrap]
    total("civitai", texts)


CIVITAI_TEXT = st.sampled_from(list('ab1 :,[]{}"\\\n') + ["Steps: 1", "Civitai resources: ",
                               "Civitai metadata: ", '{"type":"lora"', '"modelName":', "Size: 8x8"])


@BOUNDED
@given(parts=st.lists(CIVITAI_TEXT, max_size=40))
def test_civitai_infotext_is_total(parts):
    total("civitai", {"parameters": "p\nSteps: 2, Civitai resources: " + "".join(parts)})


@BOUNDED
@given(meta=objects(INVOKE2_KEYS), image=objects(INVOKE2_KEYS))
def test_invokeai2_sd_metadata_is_total(meta, image):
    total("invokeai2", {"sd-metadata": json.dumps({**meta, "image": image})})


DREAM_TEXT = st.sampled_from(list('ab1 "\\[]-.') + [" -s ", " -S ", " -W ", " -H ", " -C ", " -A ",
                                                    " -f ", " -I ", "k_lms", "99999999999999999999999"])


@BOUNDED
@given(parts=st.lists(DREAM_TEXT, max_size=40))
def test_invokeai2_dream_is_total(parts):
    total("invokeai2", {"Dream": "".join(parts)})
    total("invokeai2", {"Dream": '"p"' + "".join(parts)})


SIGNATURES = st.sampled_from([b"stealth_pnginfo", b"stealth_pngcomp", b"stealth_rgbinfo",
                              b"stealth_rgbcomp", b"stealth_pngXXXX", b""])


def _hide(bits: np.ndarray, size: tuple[int, int], per_pixel: int, rng: np.random.Generator) -> bytes:
    width, height = size
    mode = "RGBA" if per_pixel == 1 else "RGB"
    array = rng.integers(0, 256, (height, width, 4 if per_pixel == 1 else 3), dtype=np.uint8)
    channels = [3] if per_pixel == 1 else [0, 1, 2]
    flat = np.transpose(array, (1, 0, 2)).reshape(-1, array.shape[2]).copy()  # column order
    n = min(len(bits) // per_pixel, len(flat))
    flat[:n, channels] = (flat[:n, channels] & 0xFE) | bits[: n * per_pixel].reshape(n, per_pixel)
    array = np.ascontiguousarray(np.transpose(flat.reshape(width, height, -1), (1, 0, 2)))
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, "PNG")
    return buffer.getvalue()


@BOUNDED
@given(signature=SIGNATURES, length=st.integers(0, 2**32 - 1) | st.sampled_from([0, 8, 64, 800]),
       body=st.binary(max_size=120), per_pixel=st.sampled_from([1, 3]),
       size=st.tuples(st.integers(1, 40), st.integers(1, 40)), seed=st.integers(0, 2**16))
def test_stealth_is_total(signature, length, body, per_pixel, size, seed):
    stream = signature + length.to_bytes(4, "big") + body
    bits = np.unpackbits(np.frombuffer(stream, dtype=np.uint8))
    data = _hide(bits, size, per_pixel, np.random.default_rng(seed))
    exc = run_case(READERS["stealth"], data)
    assert exc is None, f"stealth crashed with {type(exc).__name__}: {exc}"
    assert read_stealth_file is READERS["stealth"].read
