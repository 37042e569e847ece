"""The readers of other tools' formats (NovelAI, stealth pnginfo, SwarmUI, Fooocus,
RuinedFooocus, InvokeAI 2, Civitai) as `reader_cases.Reader`s, with mutated valid examples.

`reader_cases` adds these to `READERS`, so the property tests (test_readers_total.py)
and the long fuzz run (scripts/fuzz) take them like every other reader.
"""

from __future__ import annotations

import io
import json
import random
from typing import Any

import format_samples as fs
from reader_cases import READERS, Reader, _use_recipe, dumps, mutate_json, mutate_text

from studiolo.core.errors import ImageError, MetadataError


def read_texts(texts: dict[str, str]) -> Any:
    from studiolo.provenance.importers import recipe_from_texts

    return _use_recipe(recipe_from_texts(texts, size=(64, 48), name="case.png").recipe)


def _nai(rng: random.Random) -> dict[str, str]:
    comment = rng.choice([fs.NAI_V1_COMMENT, fs.NAI_V3_COMMENT, fs.NAI_V4_COMMENT])
    texts = fs.nai_chunks(mutate_json(comment, rng), "a prompt", rng.choice(
        ["Stable Diffusion XL C1E1DE52", "NovelAI Diffusion V4 4BDE2A90", "", "x" * 300, "A 1"]))
    if rng.random() < 0.2:
        texts["Comment"] = dumps(mutate_json(comment, rng), rng)
    if rng.random() < 0.1:
        texts["Comment"] = mutate_text(texts["Comment"], rng)
    return texts


def _json_case(example: dict[str, Any], extra: dict[str, str] | None = None):
    def make(rng: random.Random) -> dict[str, str]:
        return {"parameters": dumps(mutate_json(example, rng), rng), **(extra or {})}
    return make


def _invoke2(rng: random.Random) -> dict[str, str]:
    if rng.random() < 0.5:
        example = rng.choice([fs.SD_METADATA, fs.SD_METADATA_IMG2IMG])
        return {"sd-metadata": dumps(mutate_json(example, rng), rng)}
    return {"Dream": mutate_text(rng.choice([fs.DREAM, fs.DREAM_ONLY]), rng)}


def _civitai(rng: random.Random) -> dict[str, str]:
    roll = rng.random()
    if roll < 0.3:
        return {"parameters": dumps(mutate_json(fs.CIVITAI_JSON, rng), rng)}
    if roll < 0.55:
        graph = dict(fs.CIVITAI_GRAPH, extraMetadata=dumps(mutate_json(fs.CIVITAI_EXTRA, rng), rng))
        return {"parameters": dumps(mutate_json(graph, rng, 1), rng)}
    if roll < 0.7:
        return {"prompt": "{}", "extraMetadata": dumps(mutate_json(fs.CIVITAI_EXTRA, rng), rng)}
    return {"parameters": mutate_text(fs.CIVITAI_A1111, rng)}


def read_stealth_file(data: bytes) -> Any:
    from studiolo.provenance.importers import read_recipe

    return _use_recipe(read_recipe(data, name="case.png").recipe)


def stealth_bytes(rng: random.Random) -> bytes:
    """A PNG whose pixels hide (damaged) metadata, or random LSBs after a real signature."""
    import numpy as np
    from PIL import Image

    mode = rng.choice(["alpha", "rgb"])
    payload = rng.choice([fs.CIVITAI_A1111, json.dumps(fs.nai_chunks(
        fs.NAI_V3_COMMENT, "p", "Stable Diffusion XL C1E1DE52"))])
    if rng.random() < 0.5:
        payload = mutate_text(payload, rng)
    data = fs.stealth_png(payload[:1500], mode=mode, compressed=rng.random() < 0.6, size=(120, 110))
    if rng.random() < 0.4:  # damage the bits after the signature
        image = Image.open(io.BytesIO(data))
        array = np.array(image)
        noise = np.random.default_rng(rng.randrange(2**32)).integers(0, 2, array.shape, dtype=np.uint8)
        start = rng.randrange(1, 60)
        array[:, start:] = (array[:, start:] & 0xFE) | noise[:, start:]
        buffer = io.BytesIO()
        Image.fromarray(array, image.mode).save(buffer, "PNG")
        data = buffer.getvalue()
    return data


FORMAT_READERS: dict[str, Reader] = {r.name: r for r in (
    Reader("novelai", read_texts, _nai, (MetadataError,)),
    Reader("swarmui", read_texts, lambda rng: _json_case(rng.choice(
        [fs.SWARM, fs.SWARM_OLD, fs.SWARM_IMG2IMG]))(rng), (MetadataError,)),
    Reader("fooocus", read_texts, lambda rng: _json_case(rng.choice([fs.FOOOCUS, fs.FOOOCUS_LOG]),
                                                         {"fooocus_scheme": "fooocus"})(rng),
           (MetadataError,)),
    Reader("ruinedfooocus", read_texts, lambda rng: _json_case(rng.choice(
        [fs.RUINED, fs.RUINED_OLD]))(rng), (MetadataError,)),
    Reader("invokeai2", read_texts, _invoke2, (MetadataError,)),
    Reader("civitai", read_texts, _civitai, (MetadataError,)),
    Reader("stealth", read_stealth_file, stealth_bytes, (ImageError, MetadataError)),
)}

READERS.update(FORMAT_READERS)
