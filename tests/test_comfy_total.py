"""The ComfyUI reader stays total on the new paths (issue 16): output nodes, chains of
passes, SamplerCustomAdvanced parts, switches, combine and text nodes, pipes, LoRA
stackers, graphs in EXIF. For any input: a recipe or one `MetadataError` sentence
(`reader_cases.run_case`), in time linear in the graph's size.
"""

from __future__ import annotations

import io
import json
import time

import pytest
from comfy_cases import (
    EFFICIENT,
    IMG2IMG,
    LORAS,
    PIPES,
    UNCLIP,
    _capital_text,
    _cfg_guider_workflow,
    _default_workflow,
    _five_prompts,
    _flux_custom_advanced,
    _hires_latent,
    _hires_pixels_workflow,
    _primitive_seed_workflow,
    _reroutes_workflow,
    _sdxl_refiner,
    _styler,
    _switches,
    _text_nodes,
    base_graph,
    node,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from reader_cases import KEYS, NASTY, READERS, dumps, mutate_json, run_case

from studiolo.provenance.comfyui import comfy_recipe

BOUNDED = settings(max_examples=40, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
API_GRAPHS = [base_graph(), _hires_latent(), _flux_custom_advanced(), _switches(), _five_prompts(),
              _text_nodes(), _capital_text(), _sdxl_refiner(), _styler(), LORAS, IMG2IMG, EFFICIENT, UNCLIP, PIPES]
WORKFLOWS = [_default_workflow(), _primitive_seed_workflow(), _reroutes_workflow(),
             _hires_pixels_workflow(), _cfg_guider_workflow()]


def total(name: str, case: object) -> None:
    exc = run_case(READERS[name], case)
    assert exc is None, f"{name} crashed with {type(exc).__name__}: {exc}"


# -- mutated sample graphs ------------------------------------------------------------------
@settings(BOUNDED, max_examples=60)
@given(rnd=st.randoms(use_true_random=False), index=st.integers(0, len(API_GRAPHS) - 1))
def test_mutated_sample_graphs_are_read_or_refused(rnd, index):
    total("comfyui", dumps(mutate_json(API_GRAPHS[index], rnd), rnd))


@settings(BOUNDED, max_examples=40)
@given(rnd=st.randoms(use_true_random=False), index=st.integers(0, len(WORKFLOWS) - 1))
def test_mutated_sample_workflows_are_read_or_refused(rnd, index):
    total("workflow", dumps(mutate_json(WORKFLOWS[index], rnd), rnd))


# -- graphs hypothesis builds, of the new node kinds ------------------------------------------
IDS = ["1", "2", "3", "10", "11", "²"]
KINDS = ["KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced", "KSampler (Efficient)",
         "RandomNoise", "DisableNoise", "CFGGuider", "BasicGuider", "DualCFGGuider", "KSamplerSelect",
         "SamplerEulerAncestral", "BasicScheduler", "KarrasScheduler", "SplitSigmas", "SaveImage",
         "PreviewImage", "Image Save", "VAEDecode", "VAEEncode", "LoadImage", "LatentUpscaleBy",
         "ImageUpscaleWithModel", "UpscaleModelLoader", "EmptyLatentImage", "Efficient Loader",
         "CheckpointLoaderSimple", "Checkpoint Loader (custom)", "unCLIPCheckpointLoader", "UNETLoader",
         "DualCLIPLoader", "VAELoader", "LoraLoader", "Power Lora Loader (rgthree)", "CLIPTextEncode",
         "CLIPTextEncodeSDXL", "FluxGuidance", "ConditioningCombine", "ConditioningConcat",
         "ConditioningZeroOut", "ControlNetApplyAdvanced", "ComfySwitchNode", "ImpactSwitch",
         "Any Switch (rgthree)", "CR Model Input Switch", "Reroute", "Text Concatenate",
         "StringConcatenate", "Text box", "PrimitiveString", "ToBasicPipe", "FromBasicPipe"]
NEW_KEYS = ("noise", "guider", "sampler", "sigmas", "conditioning", "conditioning_1", "conditioning_2",
            "conditioning_to", "conditioning_from", "on_true", "on_false", "switch", "boolean", "select",
            "Input", "input1", "input2", "model1", "any_01", "images", "image", "text_a", "text_b",
            "string_a", "delimiter", "Text", "text_g", "text_l", "unet_name", "model_name", "clip",
            "vae", "vae_name", "clip_name1", "upscale_model", "scale_by", "basic_pipe", "lora_1",
            "guidance", "cfg_conds", "cond1", "empty_latent_width", "start_at_step", "end_at_step", "")
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.sampled_from(
    [v for v in NASTY if not isinstance(v, list | dict)])
links = st.tuples(st.sampled_from(IDS) | st.text(max_size=3), st.integers(-1, 6)).map(list)
values = st.recursive(scalars | links, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(["on", "lora", "strength", "class_type"]), inner,
                                        max_size=3), max_leaves=6)
inputs = st.dictionaries(st.sampled_from(NEW_KEYS + KEYS), links | values, max_size=8)
nodes = st.fixed_dictionaries({"class_type": st.sampled_from(KINDS), "inputs": inputs})
graphs = st.dictionaries(st.sampled_from(IDS), nodes | values, max_size=6)


@settings(BOUNDED, max_examples=150)
@given(graph=graphs)
def test_graphs_of_the_new_node_kinds_are_read_or_refused(graph):
    total("comfyui", json.dumps(graph))


widget_slots = st.lists(st.fixed_dictionaries({
    "name": st.sampled_from(NEW_KEYS + KEYS) | values, "link": st.integers(0, 8) | values,
    "widget": st.fixed_dictionaries({"name": st.sampled_from(NEW_KEYS + KEYS) | values}) | values}), max_size=4)
workflows = st.fixed_dictionaries({
    "nodes": st.lists(st.fixed_dictionaries({
        "id": st.integers(0, 8), "type": st.sampled_from(KINDS + ["SetNode", "GetNode", "Custom"]),
        "mode": st.sampled_from([0, 0, 2, 4]), "inputs": widget_slots,
        "widgets_values": st.lists(values, max_size=6) | values}), max_size=7),
    "links": st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(0, 3), st.integers(0, 8),
                                st.integers(0, 3), st.just("*")).map(list), max_size=8)})


@settings(BOUNDED, max_examples=100)
@given(workflow=workflows)
def test_workflows_with_widget_inputs_bypasses_and_set_get_nodes_are_read_or_refused(workflow):
    total("workflow", json.dumps(workflow))


# -- graphs in EXIF ------------------------------------------------------------------------
exif_texts = st.tuples(st.sampled_from(["", "prompt:", "workflow:", "Prompt:", "Workflow:", " ", "{"]),
                       st.sampled_from(["", json.dumps(base_graph()), json.dumps(_default_workflow()),
                                        json.dumps({"prompt": base_graph()}), json.dumps({"prompt": 5}),
                                        '{"nodes": 5}', "[1]", "{" * 3000, "1" * 5000, "not json"])
                       | st.text(max_size=20)).map("".join)


@settings(BOUNDED, max_examples=40)
@given(tags=st.dictionaries(st.sampled_from([0x010E, 0x010F, 0x0110]), exif_texts, max_size=3),
       comment=st.none() | exif_texts, fmt=st.sampled_from(["JPEG", "WEBP"]))
def test_graphs_in_jpeg_and_webp_exif_are_read_or_refused(tags, comment, fmt):
    image = Image.new("RGB", (8, 8), (1, 2, 3))
    exif = image.getexif()
    for tag, text in tags.items():
        exif[tag] = text.encode("ascii", "replace").decode()
    if comment is not None:
        exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + comment.encode("utf-16-be")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, exif=exif.tobytes())
    total("file_recipe", (buffer.getvalue(), "RGB"))


# -- linear time ---------------------------------------------------------------------------
def _timed(graph: dict) -> float:
    started = time.perf_counter()
    try:
        comfy_recipe(graph)
    except Exception as exc:  # noqa: BLE001 - only the project's error may escape
        assert type(exc).__name__ == "MetadataError", exc
    return time.perf_counter() - started


@pytest.mark.parametrize("shape", ["combine chain", "sampler chain", "many outputs", "switch cycle",
                                   "text chain", "wide switch"])
def test_comfyui_time_is_bounded_on_big_graphs_of_the_new_kinds(shape):
    n = 20_000
    graph = base_graph()
    if shape == "combine chain":  # each combines the one before with a prompt of its own
        for i in range(n):
            graph[f"t{i}"] = node("CLIPTextEncode", text=f"p{i}")
            graph[f"c{i}"] = node("ConditioningCombine", conditioning_1=[f"c{i - 1}" if i else "6", 0],
                                  conditioning_2=[f"t{i}", 0])
        graph["3"]["inputs"]["positive"] = [f"c{n - 1}", 0]
    elif shape == "sampler chain":  # every sampler takes the one before's latent
        for i in range(n):
            graph[f"s{i}"] = node("KSampler", seed=i, steps=5, latent_image=[f"s{i - 1}" if i else "3", 0],
                                  model=["4", 0], positive=["6", 0], negative=["7", 0])
        graph["8"]["inputs"]["samples"] = [f"s{n - 1}", 0]
    elif shape == "many outputs":  # thousands of savers, each reaching the whole graph
        for i in range(n):
            graph[f"o{i}"] = node("SaveImage", images=["8", 0])
    elif shape == "switch cycle":  # switches that select each other, their selectors too
        for i in range(n):
            graph[f"w{i}"] = node("ImpactSwitch", select=[f"w{(i + 1) % n}", 0], input1=[f"w{(i + 1) % n}", 0])
        graph["3"]["inputs"].update(positive=["w0", 0], model=["w0", 0], seed=["w0", 0])
    elif shape == "text chain":
        for i in range(n):
            graph[f"x{i}"] = node("Text Concatenate", text_a=[f"x{i + 1}", 0], text_b=f"w{i}", delimiter=" ")
        graph["6"]["inputs"]["text"] = ["x0", 0]
    else:  # a switch with 100,000 inputs, reached by 100,000 links
        graph["w"] = node("Any Switch (rgthree)", **{f"any_{i}": ["6", 0] for i in range(100_000)})
        graph["c"] = node("ConditioningCombine", **{f"conditioning_{i}": ["w", 0] for i in range(100_000)})
        graph["3"]["inputs"]["positive"] = ["c", 0]
    assert _timed(graph) < 3.0
