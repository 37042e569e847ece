#!/usr/bin/env python
"""Run sd-parsers or sd-prompt-reader on studiolo's sample files of other tools' formats.

    # 1. write the samples (tests/format_samples.py) and a manifest, with studiolo's python:
    python scripts/format_samples_other_readers.py dump /tmp/samples
    # 2. read them with each peer, from its own throwaway venv (pip install sd-parsers /
    #    pip install sd-prompt-reader; the two pin different Pillow versions):
    /tmp/sdp/bin/python scripts/format_samples_other_readers.py sd-parsers /tmp/samples
    /tmp/spr/bin/python scripts/format_samples_other_readers.py sd-prompt-reader /tmp/samples

For each sample: whether the peer reads it, and where its prompt, negative prompt, seed,
steps, CFG, sampler and model differ from what studiolo expects (sampler names differ
by design: the peers keep the tool's own spelling, studiolo gives A1111's names).
Neither peer is a dependency of studiolo.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def dump(folder: Path) -> None:
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]
    from format_samples import SAMPLES

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, sample in enumerate(SAMPLES):
        data = sample.make()
        ext = "png" if data[:4] == b"\x89PNG" else "jpg" if data[:2] == b"\xff\xd8" else "webp"
        path = folder / f"{i:02d}.{ext}"
        path.write_bytes(data)
        out.append({"file": str(path), "format": sample.format, "name": sample.name,
                    "expect": sample.expect})
    (folder / "manifest.json").write_text(json.dumps(out, indent=1))
    print(f"{len(out)} samples in {folder}")


def _same(have: object, want: object) -> bool:
    try:
        return str(have) == str(want) or float(have) == float(want)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _report(entry: dict, tool: str, got: dict) -> str:
    want = entry["expect"]
    diffs = [f"{k}: {str(v)[:50]!r} vs studiolo {str(want[k])[:50]!r}"
             for k, v in got.items() if k in want and not _same(v, want[k])]
    return f"{tool} | " + ("agrees" if not diffs else "; ".join(diffs))


def sd_parsers(entry: dict) -> str:
    from sd_parsers import Eagerness, ParserManager

    info = ParserManager(eagerness=Eagerness.EAGER).parse(entry["file"])
    if not info:
        return "not read"
    sampler = info.samplers[0] if info.samplers else None
    params = sampler.parameters if sampler else {}
    return _report(entry, info.generator.name, {
        "prompt": " ".join(p.value for p in info.prompts),
        "negative_prompt": " ".join(p.value for p in info.negative_prompts),
        "seed": params.get("seed"), "steps": params.get("steps"), "guidance": params.get("cfg_scale"),
        "sampler": sampler.name if sampler else None,
        "model": sampler.model.name if sampler and sampler.model else None})


def sd_prompt_reader(entry: dict) -> str:
    import logging

    logging.disable(logging.CRITICAL)
    from sd_prompt_reader.image_data_reader import ImageDataReader

    reader = ImageDataReader(entry["file"])
    if not reader.tool or reader.status.name != "READ_SUCCESS":
        return f"not read ({reader.tool!r} {reader.status.name})"
    p = reader.parameter
    return _report(entry, reader.tool.splitlines()[0], {
        "prompt": reader.positive, "negative_prompt": reader.negative, "seed": p.get("seed"),
        "steps": p.get("steps"), "guidance": p.get("cfg"), "sampler": p.get("sampler"),
        "model": p.get("model")})


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("dump", "sd-parsers", "sd-prompt-reader"):
        sys.exit(__doc__)
    folder = Path(sys.argv[2])
    if sys.argv[1] == "dump":
        dump(folder)
        return
    read = sd_parsers if sys.argv[1] == "sd-parsers" else sd_prompt_reader
    for entry in json.loads((folder / "manifest.json").read_text()):
        try:
            line = read(entry)
        except Exception as exc:  # noqa: BLE001 - a peer's crash is a finding to print
            line = f"error {type(exc).__name__}: {exc}"
        print(f"{entry['format']:13} | {entry['name'][:45]:45} | {line}", flush=True)


if __name__ == "__main__":
    main()
