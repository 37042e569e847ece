"""What two other metadata readers make of image files (run in the readers' venv).

`.venv-readers/bin/python tests/other_readers_probe.py FILE...` prints one JSON object:
{file: {"sd_parsers": {...}, "sd_prompt_reader": {...}}}, each with the fields a person sees
in those tools (prompt, negative prompt, sampler, seed, steps, cfg, size, model) as strings,
or {"error": "..."} when the reader could not read the file. It imports nothing of studiolo:
sd-prompt-reader pins an older Pillow than studiolo's lock, so both readers live in a venv of
their own (`scripts/setup` makes it from requirements-readers.lock).
"""
from __future__ import annotations

import json
import sys
from typing import Any


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def sd_parsers_fields(path: str) -> dict[str, Any]:
    import sd_parsers

    info = sd_parsers.ParserManager().parse(path)
    if info is None:
        return {"error": "sd-parsers found no metadata"}
    if len(info.samplers) != 1:
        return {"error": f"sd-parsers found {len(info.samplers)} samplers"}
    [sampler] = info.samplers
    params = sampler.parameters
    model = sampler.model.name if sampler.model is not None else None
    return {
        "generator": info.generator.value,
        "prompt": ", ".join(p.value for p in sampler.prompts),
        "negative_prompt": ", ".join(p.value for p in sampler.negative_prompts),
        "sampler": sampler.name,
        "seed": _text(params.get("seed")),
        "steps": _text(params.get("steps")),
        "cfg": _text(params.get("cfg_scale")),
        "size": _text(info.metadata.get("Size")),
        "model": model,
    }


def sd_prompt_reader_fields(path: str) -> dict[str, Any]:
    from sd_prompt_reader.image_data_reader import ImageDataReader

    reader = ImageDataReader(path)
    if reader.status.name != "READ_SUCCESS":
        return {"error": f"sd-prompt-reader: {reader.status.name}"}
    p = reader.parameter
    return {
        "generator": reader.tool,
        "prompt": reader.positive,
        "negative_prompt": reader.negative,
        "sampler": p.get("sampler"),
        "seed": _text(p.get("seed")),
        "steps": _text(p.get("steps")),
        "cfg": _text(p.get("cfg")),
        "size": _text(p.get("size")),
        "model": p.get("model"),
    }


def probe(path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, read in (("sd_parsers", sd_parsers_fields), ("sd_prompt_reader", sd_prompt_reader_fields)):
        try:
            out[name] = read(path)
        except Exception as exc:  # noqa: BLE001 - a reader's crash is what we report
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return out


if __name__ == "__main__":
    json.dump({path: probe(path) for path in sys.argv[1:]}, sys.stdout, indent=1)
