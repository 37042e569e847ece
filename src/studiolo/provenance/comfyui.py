"""The recipe in a ComfyUI graph: the `prompt` (API) graph, or the editor's `workflow`.

The API graph (ComfyUI `execution.py` validates the same shape) maps node id ->
{"class_type": str, "inputs": {name: value or link}}, a link being
[node id, output index]. The editor's workflow (frontend schema 0.4 and 1.0)
has `nodes` (id, type, mode, inputs [{name, link}], widgets_values) and
`links`, each [id, from node, from slot, to node, to slot, type] or, in newer
frontends, {id, origin_id, origin_slot, ...}. We read the graph from the
sampler node outwards.

Anyone can write these files, so every value is checked where it is used: a
wrong one is a `MetadataError` naming the node and the input, never a
traceback, and each walk visits a node at most once, so reading takes time
linear in the graph's size whatever its links do.
"""

from __future__ import annotations

from pathlib import Path, PureWindowsPath
from typing import Any

from studiolo.core.errors import MetadataError
from studiolo.core.types import LoraSpec, Recipe
from studiolo.provenance.metadata_values import ADVICE, as_float, as_int, as_text, shown
from studiolo.provenance.samplers import sampler_from_comfy

_SAMPLERS = ("KSampler", "KSamplerAdvanced")
_CHECKPOINTS = {
    "CheckpointLoaderSimple": "ckpt_name", "CheckpointLoader": "ckpt_name",
    "ImageOnlyCheckpointLoader": "ckpt_name", "UNETLoader": "unet_name",
}
_LORAS = ("LoraLoader", "LoraLoaderModelOnly")
_EMPTY_LATENTS = ("EmptyLatentImage", "EmptySD3LatentImage")
# Widget order of the core nodes in the editor's `workflow` format.
_WIDGETS: dict[str, tuple[str, ...]] = {
    "KSampler": ("seed", "control_after_generate", "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvanced": (
        "add_noise", "noise_seed", "control_after_generate", "steps", "cfg", "sampler_name",
        "scheduler", "start_at_step", "end_at_step", "return_with_leftover_noise",
    ),
    "CLIPTextEncode": ("text",),
    "CheckpointLoaderSimple": ("ckpt_name",),
    "UNETLoader": ("unet_name", "weight_dtype"),
    "LoraLoader": ("lora_name", "strength_model", "strength_clip"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "EmptyLatentImage": ("width", "height", "batch_size"),
    "EmptySD3LatentImage": ("width", "height", "batch_size"),
    "LoadImage": ("image", "upload"),
    "PrimitiveNode": ("value", "control_after_generate"),
}
_MAX_HOPS = 64
_PRIMITIVE_KEYS = ("value", "seed", "noise_seed", "int", "float", "text", "string")


class _Dangling:
    """A link to a node the graph does not hold (deleted, muted or bypassed)."""

    def __init__(self, target: Any) -> None:
        self.target = target


def _label(ident: Any) -> str:
    """A node id as messages show it: bare when short and printable, else quoted and cut."""
    text = str(ident) if _is_id(ident) else shown(ident, 30)
    return text if len(text) <= 30 and text.isprintable() else shown(ident, 30)


def _is_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _is_link(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and _is_id(value[0])
            and isinstance(value[1], int) and not isinstance(value[1], bool))


# -- the editor's workflow -------------------------------------------------------
def _link_source(link: Any, index: int) -> tuple[Any, tuple[str, int]] | None:
    """(link id, (from node, from slot)) of one workflow link; None for entries we skip."""
    if isinstance(link, list) and len(link) >= 5:  # [id, from node, from slot, to node, to slot, type]
        ident, node, slot = link[0], link[1], link[2]
    elif isinstance(link, dict):  # newer frontends
        ident, node, slot = link.get("id"), link.get("origin_id"), link.get("origin_slot", 0)
    else:
        return None
    if not (_is_id(ident) and _is_id(node) and isinstance(slot, int) and not isinstance(slot, bool)):
        raise MetadataError(
            f"ComfyUI workflow link {index} must be [id, from node, from slot, to node, to slot, "
            f"type] (or an object with id, origin_id, origin_slot) of ids and whole numbers, got "
            f"{shown(link)}; {ADVICE}."
        )
    return ident, (str(node), slot)


def workflow_to_graph(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The editor's `workflow` (nodes + links) as an API-style graph we can walk the same way."""
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
    for index, node in enumerate(nodes):
        if not isinstance(node, dict) or node.get("mode") in (2, 4):  # muted or bypassed
            continue
        ident, kind = node.get("id"), node.get("type", "")
        if not _is_id(ident) or not isinstance(kind, str):
            raise MetadataError(f"ComfyUI workflow node {index} must have an id and a text `type`, "
                                f"got id {shown(ident)} and type {shown(kind)}; {ADVICE}.")
        inputs: dict[str, Any] = {}
        widgets = node.get("widgets_values")
        if isinstance(widgets, dict):
            inputs.update(widgets)
        elif isinstance(widgets, list):
            inputs.update(zip(_WIDGETS.get(kind, ()), widgets, strict=False))
        slots = node.get("inputs")
        if slots is not None and not isinstance(slots, list):
            raise MetadataError(f"ComfyUI workflow node {_label(ident)} ({_label(kind)}) has `inputs` that are not "
                                f"a list, got {shown(slots)}; {ADVICE}.")
        for slot in slots or []:
            if not isinstance(slot, dict) or not isinstance(slot.get("name", ""), str):
                continue
            link = slot.get("link")
            if _is_id(link) and link in links:
                inputs[slot.get("name", "")] = list(links[link])
        graph[str(ident)] = {"class_type": kind, "inputs": inputs}
    return graph


# -- the API graph ---------------------------------------------------------------
def _clean(graph: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """node id -> (class_type, inputs) for every node-shaped entry; wrong shapes refused."""
    if not isinstance(graph, dict):
        raise MetadataError(f"ComfyUI prompt must be a JSON object, got {shown(graph)}.")
    nodes: dict[str, tuple[str, dict[str, Any]]] = {}
    for ident, node in graph.items():
        if not isinstance(node, dict):
            continue
        kind, inputs = node.get("class_type", ""), node.get("inputs", {})
        if not isinstance(kind, str):
            raise MetadataError(f"ComfyUI node {_label(ident)} has a `class_type` that is not "
                                f"text, got {shown(kind)}; {ADVICE}.")
        if inputs is None:
            inputs = {}
        if not isinstance(inputs, dict):
            raise MetadataError(f"ComfyUI node {_label(ident)} ({_label(kind)}) has `inputs` "
                                f"that are not an object, got {shown(inputs)}; {ADVICE}.")
        nodes[str(ident)] = (kind, inputs)
    return nodes


class _Walker:
    """Walks from the sampler's inputs to the nodes behind them, each node once per walk."""

    def __init__(self, nodes: dict[str, tuple[str, dict[str, Any]]]) -> None:
        self.nodes = nodes

    def node(self, link: Any) -> tuple[str, str, dict[str, Any], int] | None:
        if not _is_link(link):
            return None
        found = self.nodes.get(str(link[0]))
        return (str(link[0]), *found, link[1]) if found is not None else None

    def scalar(self, value: Any) -> Any:
        """A widget value, following links to primitive/seed nodes; `_Dangling` for a lost link."""
        seen: set[str] = set()
        for _ in range(_MAX_HOPS):
            if not _is_link(value):
                return value
            found = self.node(value)
            if found is None:
                return _Dangling(value[0])
            if found[0] in seen:
                return None
            seen.add(found[0])
            inputs = found[2]
            value = next((inputs[k] for k in _PRIMITIVE_KEYS if k in inputs), None)
        return None if _is_link(value) else value

    def text(self, link: Any) -> str:
        """Prompt text behind a conditioning link, through combine/ControlNet-style pass-throughs."""
        seen: set[str] = set()
        for _ in range(_MAX_HOPS):
            found = self.node(link)
            if found is None or found[0] in seen:
                return ""
            ident, kind, inputs, slot = found
            seen.add(ident)
            for key in ("text", "text_g", "prompt"):
                if key in inputs:
                    value = self.known(inputs[key])
                    return as_text(value, f"ComfyUI node {_label(ident)} ({_label(kind)})", key) if value else ""
            if "positive" in inputs and "negative" in inputs:  # e.g. ControlNetApplyAdvanced
                link = inputs["positive" if slot == 0 else "negative"]
                continue
            link = next((v for k, v in inputs.items()
                         if isinstance(k, str) and "conditioning" in k and _is_link(v)), None)
            if link is None:
                link = next((v for v in inputs.values() if _is_link(v)), None)
        return ""

    def model(self, link: Any) -> tuple[str | None, list[LoraSpec]]:
        """Checkpoint name and LoRAs (in the order applied) behind a MODEL link."""
        loras: list[LoraSpec] = []
        seen: set[str] = set()
        for _ in range(_MAX_HOPS):
            found = self.node(link)
            if found is None or found[0] in seen:
                break
            ident, kind, inputs, _ = found
            seen.add(ident)
            where = f"ComfyUI node {_label(ident)} ({_label(kind)})"
            if kind in _CHECKPOINTS:
                name = self.known(inputs.get(_CHECKPOINTS[kind]))
                return (as_text(name, where, _CHECKPOINTS[kind]) or None), loras[::-1]
            if kind in _LORAS or "lora_name" in inputs:
                name = as_text(self.known(inputs.get("lora_name")), where, "lora_name")
                weight = self.known(inputs.get("strength_model", 1.0))
                if name:
                    weight = 1.0 if weight is None else as_float(weight, where, "strength_model")
                    loras.append(LoraSpec(name=_stem(name), weight=weight))
            link = inputs.get("model")
        return None, loras[::-1]

    def known(self, value: Any) -> Any:
        """`scalar`, with a lost link read as "not given"."""
        value = self.scalar(value)
        return None if isinstance(value, _Dangling) else value

    def latent(self, link: Any) -> tuple[str, dict[str, Any]]:
        """("txt2img", {width, height, batch_size}) or ("img2img"/"inpaint", {image})."""
        seen: set[str] = set()
        for _ in range(_MAX_HOPS):
            found = self.node(link)
            if found is None or found[0] in seen:
                break
            ident, kind, inputs, _ = found
            seen.add(ident)
            if kind in _EMPTY_LATENTS:
                return "txt2img", {k: self.scalar(inputs.get(k)) for k in ("width", "height", "batch_size")}
            if kind in ("VAEEncode", "VAEEncodeForInpaint", "SetLatentNoiseMask"):
                mode = "img2img" if kind == "VAEEncode" else "inpaint"
                pixels = self.node(inputs.get("pixels") or inputs.get("samples"))
                image = pixels[2].get("image") if pixels else None
                return mode, {"image": image} if isinstance(image, str) else {}
            link = inputs.get("samples") or next((v for v in inputs.values() if _is_link(v)), None)
        return "txt2img", {}


def _stem(filename: str) -> str:
    """"SDXL\\juggernaut.safetensors" or "sd/v1-5.ckpt" -> the bare model name."""
    return PureWindowsPath(filename).stem if "\\" in filename else Path(filename).stem


def _order(node_id: str) -> tuple[int, int, str, str]:
    """Numeric ids first, in numeric order (of any length: no int() of huge digit strings)."""
    if node_id.isascii() and node_id.isdigit():
        digits = node_id.lstrip("0")
        return 0, len(digits), digits, node_id
    return 1, 0, "", node_id


def _sampler_node(nodes: dict[str, tuple[str, dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    for node_id in sorted(nodes, key=_order):
        kind, inputs = nodes[node_id]
        if kind in _SAMPLERS:
            return node_id, inputs
    kinds = sorted({kind or "None" for kind, _ in nodes.values()})
    raise MetadataError(f"ComfyUI graph has no KSampler or KSamplerAdvanced node; nodes: {kinds[:30]}.")


def _number(walker: _Walker, value: Any, where: str, name: str, kind: type) -> Any:
    """A sampler or latent number: links followed; a lost link is refused by name."""
    value = walker.scalar(value)
    if isinstance(value, _Dangling):
        raise MetadataError(f"{where} `{name}` links to node {shown(value.target, 30)}, which is not "
                            f"in the graph (deleted, muted or bypassed); {ADVICE}.")
    return as_int(value, where, name) if kind is int else as_float(value, where, name)


def comfy_recipe(graph: dict[str, Any], size: tuple[int, int] = (512, 512)) -> Recipe:
    """A Recipe from a ComfyUI API graph; `size` is the image's own size when no latent says."""
    nodes = _clean(graph)
    node_id, inputs = _sampler_node(nodes)
    where = f"ComfyUI sampler node {_label(node_id)}"
    walk = _Walker(nodes)
    ckpt, loras = walk.model(inputs.get("model"))
    mode, latent = walk.latent(inputs.get("latent_image"))
    sampler_name, scheduler = walk.known(inputs.get("sampler_name")), walk.known(inputs.get("scheduler"))
    seed_value = walk.scalar(inputs.get("seed", inputs.get("noise_seed", 0)))
    seed = 0 if seed_value is None or seed_value == "" else _number(walk, seed_value, where, "seed", int)
    denoise = walk.known(inputs.get("denoise"))
    width, height = latent.get("width"), latent.get("height")
    options = {
        k: v for k, v in {
            "node": node_id, "sampler_name": sampler_name, "scheduler": scheduler,
            "ckpt_name": ckpt, "batch_size": _plain(latent.get("batch_size")), "image": latent.get("image"),
        }.items() if v is not None
    }
    return Recipe(
        engine="diffusion",
        mode=mode,
        prompt=walk.text(inputs.get("positive")),
        negative_prompt=walk.text(inputs.get("negative")),
        seed=seed,
        steps=_number(walk, inputs.get("steps", 20), where, "steps", int),
        guidance=_number(walk, inputs.get("cfg", 7.0), where, "cfg", float),
        width=_number(walk, width, "ComfyUI latent node", "width", int) if width else size[0],
        height=_number(walk, height, "ComfyUI latent node", "height", int) if height else size[1],
        sampler=(sampler_from_comfy(as_text(sampler_name, where, "sampler_name"),
                                    scheduler if isinstance(scheduler, str) else None)
                 if sampler_name else None),
        model=_stem(ckpt) if ckpt else None,
        loras=tuple(loras),
        strength=as_float(denoise, where, "denoise") if mode != "txt2img" and denoise is not None else None,
        options={"comfyui": options},
    )


def _plain(value: Any) -> Any:
    return None if isinstance(value, _Dangling) else value
