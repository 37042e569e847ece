"""The recipe in a ComfyUI graph, read as a graph.

We start where the picture left the graph: the output node (SaveImage,
PreviewImage, WAS' "Image Save" or any node that takes an image and that
nothing consumes), walk its links back through whatever sits in between
(VAEDecode, upscalers, switches, reroutes, pipes) to the final sampler, then
follow that sampler's latent back to the first one. The first sampler made the
picture's composition: its seed, steps, prompts, model and size are the
recipe's; every later pass (a hires fix, a refiner) is kept in
`options["comfyui"]["passes"]` and a hires pass also in `["hires"]`; nodes after
the final sampler that sample again (FaceDetailer, Ultimate SD Upscale) in `["after"]`.

Samplers: KSampler, KSamplerAdvanced, SamplerCustom and SamplerCustomAdvanced
(whose seed, cfg, sampler and schedule sit on its RandomNoise, guider,
KSamplerSelect and scheduler nodes), and custom nodes shaped like them.
Switches follow the selected input; ConditioningCombine/Concat/Average keep all
their prompts, in order, joined by ", " (each also in `["prompts"]`).

Anyone can write these files, so every value is checked where it is used: a
wrong one is a `MetadataError` naming the node and the input, never a
traceback. Each walk visits a node at most once and goes at most `_MAX_HOPS`
deep, and at most `_MAX_OUTPUTS` outputs are tried, so reading takes time
linear in the graph's size whatever its links do.
"""

from __future__ import annotations

from typing import Any

from studiolo.core.errors import MetadataError
from studiolo.core.types import Recipe
from studiolo.provenance.comfyui_graph import (
    Nodes,
    clean_graph,
    consumed,
    is_link,
    label,
    order,
    workflow_to_graph,
)
from studiolo.provenance.comfyui_walk import Dangling, Walker, is_sampler, stem
from studiolo.provenance.metadata_values import ADVICE, as_float, as_int, as_text, shown
from studiolo.provenance.samplers import sampler_from_comfy

__all__ = ["comfy_recipe", "workflow_to_graph"]

_MAX_HOPS = 64
_MAX_OUTPUTS = 8
_MAX_PASSES = 16
_FOLLOW_LATENT = ("samples", "latent_image", "latent", "latents", "pixels", "image", "images")
_IMAGE_INPUTS = ("images", "image", "IMAGE", "pixels")
_AFTER_KEYS = ("seed", "noise_seed", "steps", "cfg", "sampler_name", "scheduler", "denoise", "upscale_by",
               "guide_size", "tile_width", "tile_height")
_UPSCALE_KEYS = ("upscale_method", "scale_by", "width", "height", "crop", "megapixels", "scale", "resize_scale")


def _order_outputs(nodes: Nodes) -> list[list[str]]:
    """Output nodes in groups, best first: savers, then previews, then any image sink nothing
    consumes; at most `_MAX_OUTPUTS` of each, in numeric id order."""
    used = consumed(nodes)
    ranked: list[tuple[int, tuple[int, int, str, str], str]] = []
    for ident, (kind, inputs) in nodes.items():
        lower = kind.lower()
        if ident in used or "reroute" in lower or is_sampler(kind, inputs):
            continue
        if not any(is_link(inputs.get(k)) for k in _IMAGE_INPUTS):
            continue
        rank = 0 if "save" in lower else 1 if "preview" in lower else 2
        ranked.append((rank, order(ident), ident))
    ranked.sort()
    return [[ident for r, _, ident in ranked if r == rank][:_MAX_OUTPUTS] for rank in range(3)]


def _nearest_sampler(nodes: Nodes, walk: Walker, start: str) -> tuple[str, list[str]] | None:
    """The sampler nearest the output `start`, breadth first through any node type (a switch:
    only through the input it selects), and the nodes between them, output side first."""
    queue, parent = [start], {start: start}
    for ident in queue:
        for value in nodes[ident][1].values():
            value = walk.through(value) if is_link(value) else None
            target = str(value[0]) if is_link(value) else None
            if target is None or target in parent or target not in nodes:
                continue
            parent[target] = ident
            if is_sampler(*nodes[target]):
                path = [ident]
                while path[-1] != start and len(path) <= len(nodes):
                    path.append(parent[path[-1]])
                return target, path[::-1]
            queue.append(target)
    return None


def _after(walk: Walker, path: list[str]) -> list[dict[str, Any]]:
    """Passes between the final sampler and the output that sample again themselves (FaceDetailer,
    Ultimate SD Upscale...): any node with a seed, steps and a denoise, in the order they ran."""
    found = []
    for ident in reversed(path):
        kind, inputs = walk.nodes[ident]
        if all(any(k in inputs for k in keys) for keys in (("seed", "noise_seed"), ("steps",), ("denoise",))):
            values = {k: v for k in _AFTER_KEYS if k in inputs
                      and not isinstance(v := walk.known(inputs[k], k), dict | list)}
            found.append({"node": ident, "kind": kind, **{k: v for k, v in values.items() if v is not None}})
    return found[:_MAX_PASSES]


def _chain(walk: Walker, final: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """(sampler id, what its latent met on the way back) from the final sampler to the first.

    The steps are upscales ({"node", "kind", "scale_by", ...}) and, for the first
    sampler, where its latent came from ({"source": "txt2img"|"img2img"|"inpaint"|"image"}).
    """
    chain: list[tuple[str, list[dict[str, Any]]]] = []
    seen: set[str] = set()
    current: str | None = final
    while current is not None and len(chain) < _MAX_PASSES:
        seen.add(current)
        steps: list[dict[str, Any]] = []
        link, previous = walk.call(current)["latent"], None
        for _ in range(_MAX_HOPS):
            found = walk.node(link)
            if found is None or found[0] in seen:
                break
            ident, kind, inputs, _ = found
            seen.add(ident)
            lower = kind.lower()
            if is_sampler(kind, inputs):
                previous = ident
                break
            if "upscale" in lower or ("scale" in lower and "image" in lower):
                step = {"node": ident, "kind": kind}
                step.update({k: v for k in _UPSCALE_KEYS if k in inputs
                             and not isinstance(v := walk.known(inputs[k], k), dict | list)})
                model = walk.loader_name(inputs.get("upscale_model"), ("model_name",))
                if model:
                    step["upscaler"] = model[0]
                steps.append(step)
            elif kind.startswith("Empty") or ("latent" in lower and "width" in inputs and "height" in inputs):
                steps.append({"source": "txt2img", **{k: walk.scalar(inputs.get(k), k)
                                                       for k in ("width", "height", "batch_size")}})
                break
            elif "empty_latent_width" in inputs:  # Efficient Loader makes the latent itself
                steps.append({"source": "txt2img", "batch_size": walk.scalar(inputs.get("batch_size")),
                              **{k: walk.scalar(inputs.get(f"empty_latent_{k}"), k) for k in ("width", "height")}})
                break
            if "inpaint" in lower or "SetLatentNoiseMask" in kind:
                steps.append({"source": "inpaint"})
            elif kind.startswith("VAEEncode"):
                steps.append({"source": "img2img"})
            if isinstance(inputs.get("image"), str) and "load" in lower:
                steps.append({"source": "image", "image": inputs["image"]})
                break
            link = next((inputs[k] for k in _FOLLOW_LATENT if is_link(inputs.get(k))),
                        next((v for v in inputs.values() if is_link(v)), None))
        chain.append((current, steps))
        current = previous
    return chain


def _final_sampler(nodes: Nodes, walk: Walker) -> tuple[str, list[str]]:
    """The sampler that made the saved picture: the one nearest the output node whose chain of
    passes is longest; with no output node, a sampler nothing consumes (numeric id order).
    Also the nodes between the sampler and the output."""
    best: tuple[str, list[str]] | None = None
    longest = 0
    for group in _order_outputs(nodes):  # a saver that reaches no sampler: try the previews
        for output in group:
            found = _nearest_sampler(nodes, walk, output)
            if found is not None and (length := len(_chain(walk, found[0]))) > longest:
                best, longest = found, length
        if best is not None:
            return best
    samplers = [ident for ident, (kind, inputs) in nodes.items() if is_sampler(kind, inputs)]
    if not samplers:
        kinds = sorted({kind or "None" for kind, _ in nodes.values()})
        raise MetadataError("ComfyUI graph has no sampler node (KSampler, KSamplerAdvanced, "
                            f"SamplerCustom, SamplerCustomAdvanced or one like them); nodes: {kinds[:30]}.")
    used = consumed(nodes)
    return min([s for s in samplers if s not in used] or samplers, key=order), []


def _number(walker: Walker, value: Any, where: str, name: str, kind: type) -> Any:
    """A sampler or latent number: links followed; a lost link is refused by name."""
    value = walker.scalar(value, name)
    if isinstance(value, Dangling):
        raise MetadataError(f"{where} `{name}` links to node {shown(value.target, 30)}, which is not "
                            f"in the graph (deleted, muted or bypassed); {ADVICE}.")
    return as_int(value, where, name) if kind is int else as_float(value, where, name)


def _plain(value: Any) -> Any:
    """A value fit for the recipe's options (JSON), or None."""
    return None if isinstance(value, Dangling) else value


def _pass(walk: Walker, ident: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """A later sampler pass (hires fix, refiner) as the recipe's options keep it."""
    call = walk.call(ident)
    found = {k: walk.known(call.get(k), k) for k in (
        "seed", "steps", "cfg", "sampler_name", "scheduler", "denoise", "start_at_step", "end_at_step")}
    found = {"node": ident, "kind": call["kind"], **{k: v for k, v in found.items() if v is not None}}
    upscale = [s for s in reversed(steps) if "source" not in s]  # in the order they ran
    if upscale:
        found["upscale"] = upscale
    return found


def comfy_recipe(graph: dict[str, Any], size: tuple[int, int] = (512, 512)) -> Recipe:
    """A Recipe from a ComfyUI API graph; `size` is the image's own size when no latent says."""
    nodes = clean_graph(graph)
    walk = Walker(nodes)
    final, path = _final_sampler(nodes, walk)
    chain = _chain(walk, final)
    node_id, steps_met = chain[-1]
    base = walk.call(node_id)
    where = f"ComfyUI sampler node {label(node_id)}"
    ckpt, loras = walk.model(base["model"])
    positives = walk.texts(base["positive"], "positive") + (
        walk.texts(base["positive2"], "positive") if "positive2" in base else [])
    negatives = walk.texts(base["negative"], "negative") if base["negative"] is not None else []
    sources = {step["source"]: step for step in steps_met if "source" in step}
    mode = "inpaint" if "inpaint" in sources else (
        "img2img" if "img2img" in sources or "image" in sources else "txt2img")
    latent = sources.get("txt2img", {})
    sampler_name, scheduler = walk.known(base["sampler_name"], "sampler_name"), walk.known(base["scheduler"], "scheduler")
    seed_value = walk.scalar(base["seed"] if base["seed"] is not None else 0, "seed")
    seed = 0 if seed_value is None or seed_value == "" else _number(walk, seed_value, where, "seed", int)
    denoise = walk.known(base["denoise"], "denoise")
    cfg = base["cfg"]
    if cfg is None:
        cfg = (walk.guidance if walk.guidance is not None else 1.0) if "guider" in base else 7.0
    width, height = latent.get("width"), latent.get("height")
    passes = [_pass(walk, ident, steps) for ident, steps in reversed(chain[:-1])]
    hires = next((p for p in passes if "upscale" in p), None)
    options: dict[str, Any] = {
        "node": node_id, "sampler_name": sampler_name, "scheduler": scheduler,
        "ckpt_name": ckpt, "batch_size": _plain(latent.get("batch_size")),
        "image": sources.get("image", {}).get("image"),
        "final_node": final if final != node_id else None,
        "guider": base.get("guider"), "sigmas": base.get("sigmas"),
        "flux_guidance": _plain(walk.guidance),
        "prompts": positives if len(positives) > 1 else None,
        "negative_prompts": negatives if len(negatives) > 1 else None,
        "passes": passes or None, "hires": hires, "after": _after(walk, path) or None,
    }
    options.update({k: walk.known(base[k], k) for k in ("add_noise", "start_at_step", "end_at_step") if k in base})
    vae = _decoder_vae(nodes, final)
    if vae is not None:
        options["vae_name"] = next(iter(walk.loader_name(vae, ("vae_name",))), None)
    if walk.clip is not None:
        options["clip_name"] = walk.loader_name(walk.clip, ("clip_name", "clip_name1", "clip_name2",
                                                            "clip_name3", "clip_name4")) or None
    return Recipe(
        engine="diffusion",
        mode=mode,
        prompt=", ".join(positives),
        negative_prompt=", ".join(negatives),
        seed=seed,
        steps=_number(walk, base["steps"] if base["steps"] is not None else 20, where, "steps", int),
        guidance=_number(walk, cfg, where, "cfg", float),
        width=_number(walk, width, "ComfyUI latent node", "width", int) if width else size[0],
        height=_number(walk, height, "ComfyUI latent node", "height", int) if height else size[1],
        sampler=(sampler_from_comfy(as_text(sampler_name, where, "sampler_name"),
                                    scheduler if isinstance(scheduler, str) else None)
                 if sampler_name else None),
        model=stem(ckpt) if ckpt else None,
        loras=tuple(loras),
        strength=as_float(denoise, where, "denoise") if mode != "txt2img" and denoise is not None else None,
        options={"comfyui": {k: v for k, v in options.items() if v is not None}},
    )


def _decoder_vae(nodes: Nodes, sampler: str) -> Any:
    """The `vae` link of the VAEDecode that decodes `sampler`'s latent, if one does."""
    for _, inputs in nodes.values():
        samples = inputs.get("samples")
        if is_link(samples) and str(samples[0]) == sampler and is_link(inputs.get("vae")):
            return inputs["vae"]
    return None
