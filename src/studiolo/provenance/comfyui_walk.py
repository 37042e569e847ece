"""Walking a ComfyUI graph from one node's inputs back: values, prompts, models, sampler settings.

`comfyui` decides which sampler made the picture; this module reads what lies
behind that sampler's inputs. Every walk visits a node at most once and goes
at most `_MAX_HOPS` deep, so it takes time linear in the graph's size.
"""

from __future__ import annotations

import re
from pathlib import Path, PureWindowsPath
from typing import Any

from studiolo.core.types import LoraSpec
from studiolo.provenance.comfyui_graph import Nodes, is_link, label
from studiolo.provenance.metadata_values import as_float, as_text

_MAX_HOPS = 64
_SAMPLERS = ("KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced")
_PRIMITIVE_KEYS = ("value", "seed", "noise_seed", "int", "float", "number", "Number", "INT", "FLOAT",
                   "text", "Text", "string", "STRING", "prompt")
# Prompt text on an encoder: the first group with a key present wins; distinct values are joined.
_TEXT_GROUPS = (("populated_text",), ("text", "Text", "TEXT", "prompt", "Prompt", "string", "STRING"),
                ("text_g", "text_l"), ("clip_l", "t5xxl"))
_TEXT_INPUT = re.compile(r"(text|string|prompt)[\s_-]*([a-z]|\d+)?", re.IGNORECASE)
_MODEL_NAMES = ("ckpt_name", "unet_name", "model_name", "base_ckpt_name", "gguf_name")
_TRUE = (True, 1, "true", "True", "on", "yes")


class Dangling:
    """A link to a node the graph does not hold (deleted, muted or bypassed)."""

    def __init__(self, target: Any) -> None:
        self.target = target


def stem(filename: str) -> str:
    """"SDXL\\juggernaut.safetensors" or "sd/v1-5.ckpt" -> the bare model name."""
    return PureWindowsPath(filename).stem if "\\" in filename else Path(filename).stem


def snake(name: str) -> str:
    """"EulerAncestral" -> "euler_ancestral"; "DPMPP_2M_SDE" -> "dpmpp_2m_sde"."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def is_sampler(kind: str, inputs: dict[str, Any]) -> bool:
    """A core sampler, or a custom one shaped like it ("KSampler (Efficient)", Impact's...)."""
    if kind in _SAMPLERS:
        return True
    return ("sampler" in kind.lower() and "latent_image" in inputs
            and any(k in inputs for k in ("seed", "noise_seed", "noise", "guider")))


class Walker:
    """Walks from one node's inputs to the nodes behind them, each node once per walk."""

    def __init__(self, nodes: Nodes) -> None:
        self.nodes = nodes
        self.guidance: Any = None  # a FluxGuidance met on the positive prompt's way
        self.clip: Any = None  # the CLIP link of the first positive prompt's encoder
        self._passed: dict[str, Any] = {}  # reroute/switch id -> the value it passes on
        self._depth = 0

    def node(self, link: Any) -> tuple[str, str, dict[str, Any], int] | None:
        link = self.through(link)
        if not is_link(link):
            return None
        found = self.nodes.get(str(link[0]))
        return (str(link[0]), *found, link[1]) if found is not None else None

    def through(self, value: Any) -> Any:
        """`value`, past reroutes and switches (the input a switch selects)."""
        for _ in range(_MAX_HOPS):
            ident = str(value[0]) if is_link(value) else None
            found = self.nodes.get(ident) if ident is not None else None
            if found is None:
                return value
            if ident in self._passed:  # each reroute/switch is read once, however many links reach it
                value = self._passed[ident]
                continue
            kind, inputs = found
            lower = kind.lower()
            if "reroute" in lower:
                value = next((v for v in inputs.values() if is_link(v)), None)
            elif "switch" in lower:
                self._passed[ident] = None  # a switch whose selector links back to itself
                self._depth += 1  # a selector may come through other switches: bounded
                value = self._selected(inputs) if self._depth <= _MAX_HOPS else None
                self._depth -= 1
            else:
                return value
            self._passed[ident] = value
        return None

    def _selected(self, inputs: dict[str, Any]) -> Any:
        if "on_true" in inputs or "on_false" in inputs:  # ComfySwitchNode, Crystools
            flag = next((inputs[k] for k in ("switch", "boolean", "Boolean", "condition", "on")
                         if k in inputs), True)
            flag = self._flat(flag)
            return inputs.get("on_true" if flag in _TRUE or flag is None else "on_false")
        selector = next((k for k in ("select", "Input", "input", "index", "selection", "choice",
                                     "select_index") if k in inputs), None)
        numbered = {m.group(1): v for k, v in inputs.items() if k != selector and isinstance(k, str)
                    and (m := re.search(r"(\d+)$", k))}
        if selector is not None:
            choice = self._flat(inputs[selector])
            if isinstance(choice, int) and not isinstance(choice, bool):
                for number, value in numbered.items():
                    if number.lstrip("0") == str(choice).lstrip("0"):
                        return value
            return None
        # rgthree's Any Switch: the first input that is connected
        return next((v for v in (numbered or inputs).values() if is_link(v)), None)

    def _flat(self, value: Any) -> Any:
        value = self.scalar(value, "value")
        return None if isinstance(value, Dangling) else value

    def scalar(self, value: Any, name: str = "value") -> Any:
        """A widget value, following links to primitive/seed nodes; `Dangling` for a lost link."""
        seen: set[str] = set()
        for _ in range(_MAX_HOPS):
            value = self.through(value)
            if not is_link(value):
                return value
            found = self.nodes.get(str(value[0]))
            if found is None:
                return Dangling(value[0])
            if str(value[0]) in seen:
                return None
            seen.add(str(value[0]))
            inputs = found[1]
            value = inputs[name] if name in inputs else next(
                (inputs[k] for k in _PRIMITIVE_KEYS if k in inputs), None)
        return None if is_link(value) else value

    def known(self, value: Any, name: str = "value") -> Any:
        """`scalar`, with a lost link read as "not given"."""
        value = self.scalar(value, name)
        return None if isinstance(value, Dangling) else value

    # -- prompts ------------------------------------------------------------
    def texts(self, link: Any, role: str) -> list[str]:
        """Every prompt behind a conditioning link, in order (combine nodes keep them all)."""
        out: list[str] = []
        self._cond(link, role, out, set(), 0)
        return out

    def _cond(self, link: Any, role: str, out: list[str], seen: set[str], depth: int) -> None:
        found = self.node(link)
        if found is None or found[0] in seen or depth > _MAX_HOPS:
            return
        ident, kind, inputs, _ = found
        seen.add(ident)
        where = f"ComfyUI node {label(ident)} ({label(kind)})"
        if "zeroout" in kind.lower().replace(" ", ""):
            return
        if "guidance" in inputs and role == "positive" and self.guidance is None:
            self.guidance = self.known(inputs["guidance"], "guidance")
        for group in _TEXT_GROUPS:
            present = [k for k in group if k in inputs]
            if present:
                values = [self.text_value(inputs[k], where, k, seen, depth) for k in present]
                text = ", ".join(dict.fromkeys(v for v in values if v))
                if role == "positive" and self.clip is None:
                    self.clip = inputs.get("clip")
                if text:
                    out.append(text)
                return
        if isinstance(inputs.get(role), str):  # loaders with the prompt as a widget (Efficient Loader)
            out.append(inputs[role])
            return
        if is_link(inputs.get(role)):  # ControlNetApplyAdvanced, pipes
            self._cond(inputs[role], role, out, seen, depth + 1)
            return
        conds = [v for k, v in inputs.items() if isinstance(k, str) and "conditioning" in k.lower() and is_link(v)]
        for value in conds or [next((v for v in inputs.values() if is_link(v)), None)]:
            self._cond(value, role, out, seen, depth + 1)

    def text_value(self, value: Any, where: str, name: str, seen: set[str], depth: int) -> str:
        """Text given as a widget, or by a text node, a concatenation or a switch behind a link."""
        value = self.through(value)
        if not is_link(value):
            return as_text(value, where, name)
        ident = str(value[0])
        found = self.nodes.get(ident)
        if found is None or ident in seen or depth > _MAX_HOPS:
            return ""
        seen.add(ident)
        kind, inputs = found
        where = f"ComfyUI node {label(ident)} ({label(kind)})"
        parts = [(k, v) for k, v in inputs.items() if isinstance(k, str) and _TEXT_INPUT.fullmatch(k)]
        if len(parts) > 1 or any(w in kind.lower() for w in ("concat", "join", "combine")):
            delimiter = next((inputs[k] for k in ("delimiter", "separator", "delim") if k in inputs), ", ")
            delimiter = delimiter if isinstance(delimiter, str) else ", "
            pieces = [self.text_value(v, where, k, seen, depth + 1) for k, v in parts]
            return delimiter.join(p for p in pieces if p)
        key = next((k for g in _TEXT_GROUPS for k in g if k in inputs), None)
        if key is None and value[1] in (0, 1):  # SDXL Prompt Styler: text_positive, text_negative
            side = "positive" if value[1] == 0 else "negative"
            key = next((k for k in inputs if isinstance(k, str) and side in k.lower()), None)
        key = key or next((k for k in (name, *_PRIMITIVE_KEYS) if k in inputs), None)
        return "" if key is None else self.text_value(inputs[key], where, key, seen, depth + 1)

    # -- models -------------------------------------------------------------
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
            where = f"ComfyUI node {label(ident)} ({label(kind)})"
            if "lora" in kind.lower() or "lora_name" in inputs:
                loras.extend(reversed(self._loras(inputs, where)))
            key = next((k for k in _MODEL_NAMES if k in inputs), None)
            if key is None and "checkpoint" in kind.lower() and "load" in kind.lower():
                key = next((k for k, v in inputs.items() if isinstance(k, str) and "ckpt" in k.lower()
                            or isinstance(v, str) and v.endswith((".safetensors", ".ckpt", ".gguf"))), None)
            if key is not None:
                name = as_text(self.known(inputs[key], key), where, key)
                return (name or None), loras[::-1]
            link = inputs.get("model")
            if not is_link(link):
                link = next((v for k, v in inputs.items() if isinstance(k, str) and "pipe" in k.lower()), None)
            if not is_link(link) and "lora" not in kind.lower():
                link = next((v for v in inputs.values() if is_link(v)), None)
        return None, loras[::-1]

    def _loras(self, inputs: dict[str, Any], where: str) -> list[LoraSpec]:
        """One LoraLoader's LoRA, or a stacker's (rgthree Power Lora Loader: lora_1 {on, lora, strength})."""
        found: list[LoraSpec] = []
        if "lora_name" in inputs:
            name = as_text(self.known(inputs["lora_name"], "lora_name"), where, "lora_name")
            weight = self.known(inputs.get("strength_model", inputs.get("lora_model_strength", 1.0)),
                                "strength_model")
            if name and name.lower() != "none":
                weight = 1.0 if weight is None else as_float(weight, where, "strength_model")
                found.append(LoraSpec(name=stem(name), weight=weight))
        for key, entry in inputs.items():
            if (isinstance(entry, dict) and isinstance(entry.get("lora"), str) and entry.get("on", True) in _TRUE
                    and entry["lora"] and entry["lora"].lower() != "none"):
                weight = as_float(entry.get("strength", 1.0), where, f"{key}.strength")
                found.append(LoraSpec(name=stem(entry["lora"]), weight=weight))
        return found

    def loader_name(self, link: Any, keys: tuple[str, ...]) -> list[str]:
        """The file names a CLIP or VAE link comes from (through LoRAs and CLIPSetLastLayer)."""
        seen: set[str] = set()
        for _ in range(_MAX_HOPS):
            found = self.node(link)
            if found is None or found[0] in seen:
                return []
            ident, _kind, inputs, _ = found
            seen.add(ident)
            names = [v for k in keys if isinstance(v := self.known(inputs.get(k), k), str) and v]
            if names:
                return names
            link = next((inputs[k] for k in ("clip", "vae") if is_link(inputs.get(k))),
                        next((v for v in inputs.values() if is_link(v)), None))
        return []

    # -- samplers -----------------------------------------------------------
    def follow(self, link: Any, want: tuple[str, ...]) -> tuple[str, str, dict[str, Any]] | None:
        """The first node behind `link` that has one of the inputs `want` (through wrappers)."""
        seen: set[str] = set()
        for _ in range(_MAX_HOPS):
            found = self.node(link)
            if found is None or found[0] in seen:
                return None
            ident, kind, inputs, _ = found
            seen.add(ident)
            if any(k in inputs for k in want) or not any(is_link(v) for v in inputs.values()):
                return ident, kind, inputs
            link = next((v for v in inputs.values() if is_link(v)), None)
        return None

    def call(self, ident: str) -> dict[str, Any]:
        """One sampler's settings: raw values and the links to its model, prompts and latent."""
        kind, inputs = self.nodes[ident]
        pipe = next((v for k, v in inputs.items() if isinstance(k, str) and "pipe" in k.lower()), None)
        got: dict[str, Any] = {
            "node": ident, "kind": kind,
            "seed": inputs.get("seed", inputs.get("noise_seed")),
            "steps": inputs.get("steps"), "cfg": inputs.get("cfg"),
            "sampler_name": inputs.get("sampler_name"), "scheduler": inputs.get("scheduler"),
            "denoise": inputs.get("denoise"), "model": inputs.get("model", pipe),
            "positive": inputs.get("positive", pipe), "negative": inputs.get("negative", pipe),
            "latent": inputs.get("latent_image"),
        }
        for key in ("start_at_step", "end_at_step", "add_noise"):
            if key in inputs:
                got[key] = inputs[key]
        if is_link(inputs.get("noise")):
            noise = self.follow(inputs["noise"], ("noise_seed", "seed"))
            got["seed"] = None if noise is None else noise[2].get("noise_seed", noise[2].get("seed"))
            if noise is not None and "disable" in noise[1].lower():
                got["add_noise"] = "disable"
        if is_link(inputs.get("guider")):
            guider = self.follow(inputs["guider"], ("cfg", "cfg_conds", "positive", "conditioning", "cond1"))
            if guider is not None:
                g = guider[2]
                got.update(guider=guider[1], model=g.get("model"), cfg=g.get("cfg", g.get("cfg_conds")),
                           positive=g.get("positive", g.get("conditioning", g.get("cond1"))),
                           negative=g.get("negative"))
                if is_link(g.get("cond2")):  # DualCFGGuider: two positive conditionings
                    got["positive2"] = g["cond2"]
        if is_link(inputs.get("sampler")):
            chosen = self.follow(inputs["sampler"], ("sampler_name",))
            if chosen is not None:
                name = chosen[2].get("sampler_name")
                got["sampler_name"] = name if name is not None else snake(
                    re.sub(r"^(K?Sampler)", "", chosen[1]) or chosen[1])
        if is_link(inputs.get("sigmas")):
            sigmas = self.follow(inputs["sigmas"], ("steps", "scheduler"))
            if sigmas is not None:
                s = sigmas[2]
                got.update(steps=s.get("steps"), denoise=s.get("denoise"), sigmas=sigmas[1],
                           scheduler=s.get("scheduler", snake(sigmas[1].replace("Scheduler", ""))))
        return got


