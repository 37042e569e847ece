"""LoRAs: parse "name:0.8", find the file, check it, apply it to a pipeline, read its tags.

diffusers reads both the diffusers/peft key layout and the kohya/A1111 one
(`lora_unet_..._to_q.lora_down.weight`), so studiolo does no key conversion
itself; it checks the file first, and turns "nothing matched" into an error
naming the file instead of a silent no-op.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from studiolo.core.errors import InvalidArgument, ModelError, ModelNotFound
from studiolo.core.settings import Settings
from studiolo.core.types import LoraSpec
from studiolo.models.hashing import file_sha256
from studiolo.models.safety import check_weights_file, read_safetensors_metadata

_WEIGHT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def loras_dir(settings: Settings) -> Path:
    return settings.home / "loras"


def parse_lora_arg(text: str) -> LoraSpec:
    """Parse "path/or/name[.safetensors][:weight]" (weight defaults to 1.0).

    Only the part after the LAST colon can be a weight, and only when it reads
    as a number, so a path with colons in it still parses.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidArgument(f"`lora` must be 'NAME_OR_PATH[:WEIGHT]', got {text!r}.")
    text = text.strip()
    target, weight = text, 1.0
    head, sep, tail = text.rpartition(":")
    if sep and _WEIGHT.match(tail.strip()):
        target, weight = head, float(tail)
    elif sep and not tail.strip():
        raise InvalidArgument(f"`lora` {text!r} ends with ':' but has no weight after it.")
    elif sep and head and not any(c in tail for c in "/\\") and not Path(text).expanduser().exists():
        # "ink.safetensors:abc": a weight that is not a number, not a path with a colon.
        raise InvalidArgument(
            f"`lora` weight must be a number, got {tail.strip()!r} in {text!r} (NAME_OR_PATH[:WEIGHT])."
        )
    if not target:
        raise InvalidArgument(f"`lora` {text!r} has a weight but no name or path.")
    if not -10.0 <= weight <= 10.0:
        raise InvalidArgument(f"`lora` weight must be between -10 and 10, got {weight} in {text!r}.")
    path = Path(target).expanduser()
    name = path.name.removesuffix(".safetensors")
    return LoraSpec(name=name, weight=weight, path=str(path.resolve()) if path.is_file() else None)


def resolve_lora(spec: LoraSpec, settings: Settings | None = None) -> Path:
    """The file of a LoRA: its path if given, else NAME(.safetensors) in STUDIOLO_HOME/loras."""
    if spec.path:
        path = Path(spec.path).expanduser()
        if path.is_file():
            return path
        raise ModelNotFound(f"LoRA file {path} does not exist.")
    settings = settings or Settings.from_env()
    folder = loras_dir(settings)
    for candidate in (folder / f"{spec.name}.safetensors", folder / spec.name):
        if candidate.is_file():
            return candidate
    raise ModelNotFound(
        f"LoRA {spec.name!r} is not a file and is not in {folder} (looked for "
        f"{spec.name}.safetensors); copy the .safetensors file there or pass its path."
    )


def _adapter_name(index: int, name: str) -> str:
    # peft adapter names become module attribute keys: keep them to [A-Za-z0-9_].
    return f"lora{index}_" + re.sub(r"\W", "_", name)[:48]


def _adapters_in(pipe) -> set[str]:
    try:
        listed = pipe.get_list_adapters()
    except (AttributeError, ValueError):
        return set()
    return {name for names in listed.values() for name in names}


def apply_loras(
    pipe, specs: Sequence[LoraSpec], settings: Settings | None = None
) -> list[LoraSpec]:
    """Load `specs` into `pipe` (replacing any LoRAs loaded before) with their weights.

    Returns the specs with `path` and `sha256` filled, for the recipe.
    """
    if getattr(pipe, "_studiolo_loras", None) or _adapters_in(pipe):
        pipe.unload_lora_weights()  # a cached pipeline must not keep yesterday's LoRAs
    pipe._studiolo_loras = ()
    if not specs:
        return []
    filled: list[LoraSpec] = []
    names: list[str] = []
    for index, spec in enumerate(specs):
        path = resolve_lora(spec, settings)
        check_weights_file(path)
        adapter = _adapter_name(index, spec.name)
        before = _adapters_in(pipe)
        try:
            pipe.load_lora_weights(str(path), adapter_name=adapter)
        except (ValueError, RuntimeError, KeyError) as exc:
            pipe.unload_lora_weights()
            raise ModelError(
                f"LoRA {path} does not fit this model ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200] if str(exc) else ''}); it was probably made "
                "for another architecture."
            ) from None
        if adapter not in _adapters_in(pipe) - before:
            pipe.unload_lora_weights()
            raise ModelError(
                f"LoRA {path} has no keys that match this model; it was probably made for "
                "another architecture."
            )
        names.append(adapter)
        filled.append(
            LoraSpec(name=spec.name, weight=spec.weight, path=str(path.resolve()),
                     sha256=file_sha256(path, settings))
        )
    pipe.set_adapters(names, adapter_weights=[s.weight for s in filled])
    pipe._studiolo_loras = tuple(filled)
    return filled


def lora_metadata(path: str | Path) -> dict[str, Any]:
    """A LoRA's training metadata: kohya ss_* keys (JSON ones parsed), modelspec.*.

    `ss_tag_frequency` ({dataset: {tag: count}}) is parsed and also flattened
    into `tags`: the training captions' tags, most frequent first.
    """
    meta: dict[str, Any] = dict(read_safetensors_metadata(path))
    for key in ("ss_tag_frequency", "ss_dataset_dirs", "ss_bucket_info", "ss_datasets"):
        if key in meta:
            try:
                meta[key] = json.loads(meta[key])
            except ValueError:
                pass  # kohya writes these as JSON, but a hand-edited file may not be
    freq = meta.get("ss_tag_frequency")
    if isinstance(freq, dict):
        totals: dict[str, int] = {}
        for tags in freq.values():
            if isinstance(tags, dict):
                for tag, count in tags.items():
                    if isinstance(count, (int, float)):
                        totals[tag.strip()] = totals.get(tag.strip(), 0) + int(count)
        meta["tags"] = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return meta
