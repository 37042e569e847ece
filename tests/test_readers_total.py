"""Property-based tests: every reader of outside data is total, in linear time.

For any input a reader returns a usable result or raises the project's own error
with a short sentence (`reader_cases.run_case`). Two kinds of input: mutated valid
examples (`reader_cases`, the same the long `scripts/fuzz` run draws) and inputs
hypothesis builds and shrinks itself. Bounded to a few seconds per reader; the
fuzz run is the long version.
"""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from reader_cases import COMFY_PROMPT, KEYS, NASTY, READERS, run_case

from studiolo.core.imageio import open_image
from studiolo.provenance.comfyui import comfy_recipe
from studiolo.provenance.infotext import _lora_tags, _params, loras_from_prompt, parse_infotext

BOUNDED = settings(max_examples=40, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def total(name: str, case: object) -> None:
    exc = run_case(READERS[name], case)
    assert exc is None, f"{name} crashed with {type(exc).__name__}: {exc}"


# -- mutated valid examples, every reader ------------------------------------------------
@pytest.mark.parametrize("name", sorted(set(READERS) - {"verify"}))
@BOUNDED
@given(rnd=st.randoms(use_true_random=False))
def test_reader_is_total_on_mutated_examples(name, rnd):
    total(name, READERS[name].make(rnd))


@pytest.mark.slow
@settings(BOUNDED, max_examples=15)
@given(rnd=st.randoms(use_true_random=False))
def test_verify_is_total_on_damaged_signed_files(rnd):
    total("verify", READERS["verify"].make(rnd))


# -- inputs hypothesis builds ------------------------------------------------------------
scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
           | st.sampled_from([v for v in NASTY if not isinstance(v, list | dict)]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner,
                                             max_size=4), max_leaves=8)
node_ids = st.sampled_from(["1", "3", "10", "²", "007", "12:5"]) | st.text(max_size=4)
links = st.lists(node_ids | st.integers(), min_size=2, max_size=2).map(lambda v: [v[0], 0])
kinds = st.sampled_from(["KSampler", "KSamplerAdvanced", "CheckpointLoaderSimple", "LoraLoader",
                         "EmptyLatentImage", "CLIPTextEncode", "VAEEncode", "LoadImage",
                         "ControlNetApplyAdvanced", "PrimitiveNode"])
comfy_nodes = st.fixed_dictionaries(
    {"class_type": kinds | json_values,
     "inputs": st.dictionaries(st.sampled_from(KEYS), links | json_values, max_size=6) | json_values})
comfy_graphs = st.dictionaries(node_ids, comfy_nodes | json_values, max_size=6)
workflows = st.fixed_dictionaries({
    "nodes": st.lists(st.fixed_dictionaries({
        "id": st.integers(0, 12) | json_values, "type": kinds | json_values,
        "mode": st.sampled_from([0, 2, 4]) | json_values,
        "inputs": st.lists(st.fixed_dictionaries({"name": st.sampled_from(KEYS) | json_values,
                                                  "link": st.integers(0, 12) | json_values}),
                           max_size=4) | json_values,
        "widgets_values": st.lists(json_values, max_size=8) | json_values}), max_size=6),
    "links": st.lists(st.lists(st.integers(0, 12) | json_values, min_size=5, max_size=6)
                      | json_values, max_size=8) | json_values})
invoke_keys = st.sampled_from(["positive_prompt", "negative_prompt", "seed", "steps", "cfg_scale",
                               "width", "height", "scheduler", "model", "loras", "strength",
                               "generation_mode", "rand_device", "vae", "clip_skip"])
invoke_meta = st.dictionaries(invoke_keys, json_values, min_size=1, max_size=10)


@settings(BOUNDED, max_examples=25)
@given(graph=comfy_graphs)
def test_comfyui_prompt_is_total(graph):
    total("comfyui", json.dumps(graph))


@settings(BOUNDED, max_examples=25)
@given(workflow=workflows)
def test_comfyui_workflow_is_total(workflow):
    total("workflow", json.dumps(workflow))


@BOUNDED
@given(meta=invoke_meta)
def test_invokeai_metadata_is_total(meta):
    total("invokeai", json.dumps(meta))


@BOUNDED
@given(data=json_values)
def test_recipe_json_and_manifest_store_are_total(data):
    total("recipe_json", json.dumps({"engine": "painter", "seed": 1, "options": data})
          if isinstance(data, dict) else json.dumps(data))
    total("manifest", {"active_manifest": "m", "manifests": {"m": {"assertions": data}}})
    total("manifest", data)


INFOTEXT_ALPHABET = st.sampled_from(list('ab1 :,-/"\\\n\t²é<>x') + ["Steps", "Seed", "Size",
                                     "<lora:", "Negative prompt:", "Studiolo", "512x512"])


@BOUNDED
@given(parts=st.lists(INFOTEXT_ALPHABET, max_size=40))
def test_infotext_is_total(parts):
    total("infotext", "".join(parts))


@BOUNDED
@given(body=st.binary(max_size=40), checksum=st.booleans(), version=st.sampled_from(["1", "2", "01"]))
def test_taste_code_is_total(body, checksum, version):
    if checksum:
        body += struct.pack(">H", zlib.crc32(body) & 0xFFFF)
    total("taste_code", f"stv{version}-" + base64.urlsafe_b64encode(body).decode().rstrip("="))


MAGIC = st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM", b"II*\x00",
                         b"MM\x00*", b"RIFF\x00\x00\x00\x00WEBPVP8 "])


@BOUNDED
@given(magic=MAGIC, body=st.binary(max_size=200), mode=st.sampled_from(["RGB", "RGBA", "L"]))
def test_images_masks_uploads_and_their_metadata_are_total(magic, body, mode):
    for name in ("image", "mask", "upload", "file_recipe"):
        total(name, (magic + body, mode))


# -- linear time -------------------------------------------------------------------------
# A1111's own parameters regex, the reference `_params` must agree with.
A1111_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
A1111_LORA = re.compile(r"<lora:([^:>]+)(?::([^:>]*))?(?::[^>]*)?>")
LINE = st.lists(st.sampled_from(list('ab1_ -/:,"\\\t\ré²<>') + ["<lora:"]), max_size=40).map("".join)


@settings(BOUNDED, max_examples=300)
@given(line=LINE)
def test_parameters_and_lora_tags_read_as_a1111_reads_them(line):
    assert _params(line) == A1111_PARAM.findall(line)
    assert _lora_tags(line) == A1111_LORA.findall(line)


@settings(BOUNDED, max_examples=25)
@given(pattern=st.lists(st.sampled_from(list('a1 -:,"\\<>') + ["<lora:", "<lora:a:"]),
                        min_size=1, max_size=6).map("".join))
def test_infotext_time_is_bounded_on_long_repetitive_text(pattern):
    """200,000 characters of any repeated pattern: the old regexes took minutes on some."""
    text = pattern * (200_000 // len(pattern))
    started = time.perf_counter()
    parse_infotext(text)
    parse_infotext("prompt\n" + text)
    loras_from_prompt(text)
    assert time.perf_counter() - started < 3.0


def test_comfyui_time_is_bounded_on_big_linked_graphs():
    """A cycle of 20,000 pass-through nodes, each linking the next: every walk visits each once."""
    n = 20_000
    graph = {str(i): {"class_type": "Reroute", "inputs": {
        "model": [str((i + 1) % n), 0], "positive": [str((i + 1) % n), 0],
        "samples": [str((i + 1) % n), 0], "seed": [str((i + 1) % n), 0]}} for i in range(1, n)}
    graph["0"] = {"class_type": "KSampler", "inputs": {k: ["1", 0] for k in (
        "model", "positive", "negative", "latent_image", "seed", "steps", "cfg")}}
    started = time.perf_counter()
    with pytest.raises(Exception, match="seed|steps"):
        comfy_recipe(graph)
    # a pass-through with 100,000 inputs, all linking back to itself
    wide = dict(COMFY_PROMPT, **{"11": {"class_type": "ConditioningCombine", "inputs": {
        f"k{i}": ["11", 0] for i in range(100_000)}}})
    assert comfy_recipe(wide).prompt == ""
    assert time.perf_counter() - started < 3.0


# -- good files read exactly as before ---------------------------------------------------
@settings(BOUNDED, max_examples=30)
@given(seed=st.integers(0, 2**16), width=st.integers(1, 70), height=st.integers(1, 70),
       quality=st.integers(5, 100), subsampling=st.sampled_from([0, 1, 2]),
       progressive=st.booleans(), optimize=st.booleans(), grey=st.booleans())
def test_complete_jpegs_decode_to_the_same_pixels(seed, width, height, quality, subsampling,
                                                  progressive, optimize, grey):
    """The end-marker padding (core/jpeg.py) never changes the pixels of a complete file."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).convert("L" if grey else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, subsampling=subsampling,
               progressive=progressive, optimize=optimize)
    data = buffer.getvalue()
    expected = np.asarray(Image.open(io.BytesIO(data)).convert(image.mode))
    assert np.array_equal(np.asarray(open_image(data, mode=image.mode)), expected)
