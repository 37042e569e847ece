"""A ComfyUI graph as a plain graph: the API `prompt`, or the editor's `workflow` turned into one.

The API graph (ComfyUI `execution.py` validates the same shape) maps node id ->
{"class_type": str, "inputs": {name: value or link}}, a link being
[node id, output index]. The editor's workflow (frontend schema 0.4 and 1.0)
has `nodes` (id, type, mode, inputs [{name, link, widget?}], widgets_values)
and `links`, each [id, from node, from slot, to node, to slot, type] or, in
newer frontends, {id, origin_id, origin_slot, ...}.

Both become `Graph`: node id -> (class_type, inputs), plus the set of nodes
some other node reads from (to find the outputs nothing consumes). Wrong
shapes are a `MetadataError` naming the node; anything else is kept as found
and judged where it is used (`comfyui`).
"""

from __future__ import annotations

from typing import Any

from studiolo.core.errors import MetadataError
from studiolo.provenance.metadata_values import ADVICE, shown

Nodes = dict[str, tuple[str, dict[str, Any]]]

_CONTROL = ("control_after_generate", "control_before_generate")
_CONTROL_WORDS = frozenset({"fixed", "increment", "decrement", "randomize"})
_SCHED_STEPS = ("steps", "sigma_max", "sigma_min")
# Widget order of the core nodes (ComfyUI nodes.py, comfy_extras) in the editor's `workflow`.
WIDGETS: dict[str, tuple[str, ...]] = {
    "KSampler": ("seed", _CONTROL[0], "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvanced": (
        "add_noise", "noise_seed", _CONTROL[0], "steps", "cfg", "sampler_name",
        "scheduler", "start_at_step", "end_at_step", "return_with_leftover_noise",
    ),
    "SamplerCustom": ("add_noise", "noise_seed", _CONTROL[0], "cfg"),
    "RandomNoise": ("noise_seed", _CONTROL[0]),
    "CFGGuider": ("cfg",),
    "DualCFGGuider": ("cfg_conds", "cfg_cond2_negative"),
    "PerpNegGuider": ("cfg", "neg_scale"),
    "KSamplerSelect": ("sampler_name",),
    "BasicScheduler": ("scheduler", "steps", "denoise"),
    "KarrasScheduler": (*_SCHED_STEPS, "rho"),
    "ExponentialScheduler": _SCHED_STEPS,
    "PolyexponentialScheduler": (*_SCHED_STEPS, "rho"),
    "LaplaceScheduler": (*_SCHED_STEPS, "mu", "beta"),
    "VPScheduler": ("steps", "beta_d", "beta_min", "eps_s"),
    "SDTurboScheduler": ("steps", "denoise"),
    "BetaSamplingScheduler": ("steps", "alpha", "beta"),
    "AlignYourStepsScheduler": ("model_type", "steps", "denoise"),
    "GITSScheduler": ("coeff", "steps", "denoise"),
    "SplitSigmas": ("step",),
    "SplitSigmasDenoise": ("denoise",),
    "FluxGuidance": ("guidance",),
    "CLIPTextEncode": ("text",),
    "CLIPTextEncodeSDXL": ("width", "height", "crop_w", "crop_h", "target_width", "target_height",
                           "text_g", "text_l"),
    "CLIPTextEncodeSDXLRefiner": ("ascore", "width", "height", "text"),
    "CLIPTextEncodeFlux": ("clip_l", "t5xxl", "guidance"),
    "CLIPSetLastLayer": ("stop_at_clip_layer",),
    "ConditioningAverage": ("conditioning_to_strength",),
    "CheckpointLoaderSimple": ("ckpt_name",),
    "CheckpointLoader": ("config_name", "ckpt_name"),
    "unCLIPCheckpointLoader": ("ckpt_name",),
    "ImageOnlyCheckpointLoader": ("ckpt_name",),
    "UNETLoader": ("unet_name", "weight_dtype"),
    "CLIPLoader": ("clip_name", "type", "device"),
    "DualCLIPLoader": ("clip_name1", "clip_name2", "type", "device"),
    "TripleCLIPLoader": ("clip_name1", "clip_name2", "clip_name3"),
    "VAELoader": ("vae_name",),
    "UpscaleModelLoader": ("model_name",),
    "LoraLoader": ("lora_name", "strength_model", "strength_clip"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "EmptyLatentImage": ("width", "height", "batch_size"),
    "EmptySD3LatentImage": ("width", "height", "batch_size"),
    "LatentUpscale": ("upscale_method", "width", "height", "crop"),
    "LatentUpscaleBy": ("upscale_method", "scale_by"),
    "ImageScale": ("upscale_method", "width", "height", "crop"),
    "ImageScaleBy": ("upscale_method", "scale_by"),
    "LoadImage": ("image", "upload"),
    "PrimitiveNode": ("value", _CONTROL[0]),
    "PrimitiveInt": ("value", _CONTROL[0]),
    "PrimitiveFloat": ("value",),
    "PrimitiveString": ("value",),
    "PrimitiveStringMultiline": ("value",),
    "PrimitiveBoolean": ("value",),
    "StringConcatenate": ("string_a", "string_b", "delimiter"),
    "ComfySwitchNode": ("switch",),
    "SetNode": ("name",),
    "GetNode": ("name",),
}


def is_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def is_link(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and is_id(value[0])
            and isinstance(value[1], int) and not isinstance(value[1], bool))


def label(ident: Any) -> str:
    """A node id or class as messages show it: bare when short and printable, else quoted and cut."""
    text = str(ident) if is_id(ident) else shown(ident, 30)
    return text if len(text) <= 30 and text.isprintable() else shown(ident, 30)


# -- the editor's workflow -------------------------------------------------------
def _link_source(link: Any, index: int) -> tuple[Any, tuple[str, int]] | None:
    """(link id, (from node, from slot)) of one workflow link; None for entries we skip."""
    if isinstance(link, list) and len(link) >= 5:  # [id, from node, from slot, to node, to slot, type]
        ident, node, slot = link[0], link[1], link[2]
    elif isinstance(link, dict):  # newer frontends
        ident, node, slot = link.get("id"), link.get("origin_id"), link.get("origin_slot", 0)
    else:
        return None
    if not (is_id(ident) and is_id(node) and isinstance(slot, int) and not isinstance(slot, bool)):
        raise MetadataError(
            f"ComfyUI workflow link {index} must be [id, from node, from slot, to node, to slot, "
            f"type] (or an object with id, origin_id, origin_slot) of ids and whole numbers, got "
            f"{shown(link)}; {ADVICE}."
        )
    return ident, (str(node), slot)


def _widget_names(kind: str, slots: list[Any], count: int) -> tuple[str, ...]:
    """The names of a node's widgets in order: the core table, else the widget inputs the
    newer frontends list (a seed's "randomize"/"fixed" control word in between is skipped)."""
    if kind in WIDGETS:
        return WIDGETS[kind]
    names = [s["widget"]["name"] for s in slots if isinstance(s, dict) and isinstance(s.get("widget"), dict)
             and isinstance(s["widget"].get("name"), str)]
    return tuple(names) if 0 < len(names) <= count else ()


def _widgets(kind: str, widgets: list[Any], slots: list[Any]) -> dict[str, Any]:
    names = _widget_names(kind, slots, len(widgets))
    if kind in WIDGETS:
        return dict(zip(names, widgets, strict=False))
    values: dict[str, Any] = {}
    position = 0
    for name in names:
        if position >= len(widgets):
            break
        values[name] = widgets[position]
        position += 1
        if ("seed" in name.lower() and position < len(widgets)
                and isinstance(widgets[position], str) and widgets[position] in _CONTROL_WORDS):
            position += 1
    # only a list naming every widget maps them (older frontends list only converted ones)
    return values if position == len(widgets) else {}


def workflow_to_graph(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The editor's `workflow` (nodes + links) as an API-style graph we can walk the same way.

    Muted nodes (mode 2) are left out; a bypassed one (mode 4) passes its inputs
    through, as ComfyUI runs it, and becomes a `Reroute`. KJNodes' SetNode/GetNode
    pairs, which link by name, become reroutes too.
    """
    if not isinstance(workflow, dict):
        raise MetadataError(f"ComfyUI workflow must be a JSON object, got {shown(workflow)}.")
    nodes = workflow.get("nodes")
    if not isinstance(nodes, list):
        raise MetadataError("ComfyUI workflow has no `nodes` list.")
    raw_links = workflow.get("links")
    if raw_links is not None and not isinstance(raw_links, list):
        raise MetadataError(f"ComfyUI workflow `links` must be a list, got {shown(raw_links)}; {ADVICE}.")
    links: dict[Any, tuple[str, int]] = {}
    for index, link in enumerate(raw_links or []):
        found = _link_source(link, index)
        if found is not None:
            links[found[0]] = found[1]
    graph: dict[str, dict[str, Any]] = {}
    named: dict[str, Any] = {}  # SetNode name -> what it was given
    getters: list[tuple[str, str]] = []
    for index, node in enumerate(nodes):
        if not isinstance(node, dict) or node.get("mode") == 2:  # muted
            continue
        ident, kind = node.get("id"), node.get("type", "")
        if not is_id(ident) or not isinstance(kind, str):
            raise MetadataError(f"ComfyUI workflow node {index} must have an id and a text `type`, "
                                f"got id {shown(ident)} and type {shown(kind)}; {ADVICE}.")
        slots = node.get("inputs")
        if slots is not None and not isinstance(slots, list):
            raise MetadataError(f"ComfyUI workflow node {label(ident)} ({label(kind)}) has `inputs` that are not "
                                f"a list, got {shown(slots)}; {ADVICE}.")
        inputs: dict[str, Any] = {}
        widgets = node.get("widgets_values")
        bypassed = node.get("mode") == 4
        if bypassed:
            kind = "Reroute"
        elif isinstance(widgets, dict):
            inputs.update(widgets)
        elif isinstance(widgets, list):
            inputs.update(_widgets(kind, widgets, slots or []))
        for slot in slots or []:
            if not isinstance(slot, dict) or not isinstance(slot.get("name", ""), str):
                continue
            link = slot.get("link")
            if is_id(link) and link in links:
                inputs[slot.get("name", "")] = list(links[link])
        if kind in ("SetNode", "GetNode") and isinstance(inputs.get("name"), str):
            name = inputs.pop("name")
            if kind == "SetNode":
                named.setdefault(name, next((v for v in inputs.values() if is_link(v)), None))
            else:
                getters.append((str(ident), name))
            kind = "Reroute"
        graph[str(ident)] = {"class_type": kind, "inputs": inputs}
    for ident, name in getters:
        if is_link(named.get(name)):
            graph[ident]["inputs"][""] = named[name]
    return graph


# -- the API graph ---------------------------------------------------------------
def clean_graph(graph: Any) -> Nodes:
    """node id -> (class_type, inputs) for every node-shaped entry; wrong shapes refused."""
    if not isinstance(graph, dict):
        raise MetadataError(f"ComfyUI prompt must be a JSON object, got {shown(graph)}.")
    nodes: Nodes = {}
    for ident, node in graph.items():
        if not isinstance(node, dict):
            continue
        kind, inputs = node.get("class_type", ""), node.get("inputs", {})
        if not isinstance(kind, str):
            raise MetadataError(f"ComfyUI node {label(ident)} has a `class_type` that is not "
                                f"text, got {shown(kind)}; {ADVICE}.")
        if inputs is None:
            inputs = {}
        if not isinstance(inputs, dict):
            raise MetadataError(f"ComfyUI node {label(ident)} ({label(kind)}) has `inputs` "
                                f"that are not an object, got {shown(inputs)}; {ADVICE}.")
        nodes[str(ident)] = (kind, inputs)
    return nodes


def consumed(nodes: Nodes) -> set[str]:
    """The ids of the nodes some other node takes an input from (one pass over every input)."""
    used: set[str] = set()
    for ident, (_, inputs) in nodes.items():
        for value in inputs.values():
            if is_link(value) and str(value[0]) != ident:
                used.add(str(value[0]))
    return used


def order(node_id: str) -> tuple[int, int, str, str]:
    """Numeric ids first, in numeric order (of any length: no int() of huge digit strings)."""
    if node_id.isascii() and node_id.isdigit():
        digits = node_id.lstrip("0")
        return 0, len(digits), digits, node_id
    return 1, 0, "", node_id
