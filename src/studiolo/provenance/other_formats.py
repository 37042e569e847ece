"""Which other tool wrote an image's metadata, and its recipe: the formats beyond A1111/ComfyUI.

`read_other(texts, ...)` looks at the text metadata (`image_info(...)["text"]`)
and returns (recipe, source, raw) for NovelAI, SwarmUI, Fooocus, RuinedFooocus,
InvokeAI 2 (`sd-metadata`, `Dream`) and Civitai's generator, or None when the
metadata is none of them (then the A1111 / ComfyUI / InvokeAI 3+ readers in
`importers` decide). A `parameters` value that looks like JSON but does not parse
is left to the A1111 reader: an infotext may begin with "{" (a wildcard prompt).

`stealth_texts(...)` reads the metadata hidden in the pixels (see `stealth`) as
text metadata: `{"parameters": infotext}` for A1111's stealth pnginfo, NovelAI's
chunks for NovelAI's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studiolo.core.errors import MetadataError
from studiolo.core.types import Recipe
from studiolo.provenance import json_savers, novelai
from studiolo.provenance.foreign import kept, loads, try_object
from studiolo.provenance.infotext import infotext_to_recipe
from studiolo.provenance.invokeai_legacy import dream_recipe, sd_metadata_recipe

Found = tuple[Recipe, str, dict[str, Any]]

# Keys whose presence means the text metadata holds a recipe (so the pixels are not read).
RECIPE_KEYS = ("parameters", "prompt", "workflow", "invokeai_metadata", "sd-metadata", "Dream",
               "Comment", "Description", "extraMetadata")
OTHER_SOURCES = ("novelai", "swarmui", "fooocus", "ruinedfooocus", "civitai")


def _json_object(data: dict[str, Any], texts: dict[str, str], size: tuple[int, int],
                 name: str) -> tuple[Recipe, str] | None:
    """A recipe from a JSON object some tool saved whole, or None when no tool is recognised."""
    if "sui_image_params" in data:
        return json_savers.swarm_recipe(data), "swarmui"
    if isinstance(data.get("extraMetadata"), str):  # Civitai: a ComfyUI graph + the original
        extra = loads(data["extraMetadata"], "Civitai `extraMetadata`", name)
        if isinstance(extra, dict) and json_savers.is_civitai(extra):
            return json_savers.civitai_recipe(extra), "civitai"
    if json_savers.is_ruined_fooocus(data):
        return json_savers.ruined_recipe(data), "ruinedfooocus"
    if texts.get("fooocus_scheme") == "fooocus" or json_savers.is_fooocus(data):
        return json_savers.fooocus_recipe(data, size=size), "fooocus"
    if json_savers.is_civitai(data):
        return json_savers.civitai_recipe(data), "civitai"
    return None


def read_other(texts: dict[str, str], *, size: tuple[int, int], name: str) -> Found | None:
    """(recipe, source, raw metadata) when another known tool wrote `texts`, else None.
    A known format with a broken value is a `MetadataError` naming the file."""
    try:
        return _read_other(texts, size, name)
    except MetadataError as exc:
        if str(exc).startswith(name):
            raise
        raise MetadataError(f"{name}: {exc}") from None


def _read_other(texts: dict[str, str], size: tuple[int, int], name: str) -> Found | None:
    if novelai.is_novelai(texts):
        keys = ("Description", "Comment", "Source", "Software", "Title", "Generation time")
        raw = {k: texts[k] for k in keys if k in texts}
        return novelai.novelai_recipe(texts, size=size, name=name), "novelai", raw
    parameters = texts.get("parameters", "")
    data = try_object(parameters)
    if data is not None:
        found = _json_object(data, texts, size, name)
        if found is not None:
            return found[0], found[1], {"parameters": data}
    prompt = texts.get("prompt", "")
    graph = try_object(prompt) if "extraMetadata" in prompt else None
    if graph is not None and isinstance(graph.get("extraMetadata"), str):
        # Civitai's graph + extraMetadata, where the EXIF reader files it as a ComfyUI graph
        found = _json_object({"extraMetadata": graph["extraMetadata"]}, {}, size, name)
        if found is not None:
            return found[0], found[1], {"prompt": graph}
    if parameters.strip() and texts.get("fooocus_scheme") == "a1111":
        return infotext_to_recipe(parameters), "fooocus", {"parameters": parameters}
    if parameters.strip() and "Civitai resources" in parameters:
        return _civitai_infotext(parameters), "civitai", {"parameters": parameters}
    if "sd-metadata" in texts:
        meta = loads(texts["sd-metadata"], "InvokeAI `sd-metadata`", name)
        if isinstance(meta, dict) and "image" in meta:
            return sd_metadata_recipe(meta), "invokeai", {"sd-metadata": meta}
    if texts.get("Dream", "").strip() and not parameters.strip():
        return dream_recipe(texts["Dream"]), "invokeai", {"Dream": texts["Dream"]}
    if "extraMetadata" in texts and "invokeai_metadata" not in texts:
        extra = loads(texts["extraMetadata"], "Civitai `extraMetadata`", name)
        if isinstance(extra, dict) and json_savers.is_civitai(extra):
            return json_savers.civitai_recipe(extra), "civitai", {"extraMetadata": extra}
    for key in ("Comment", "comment"):  # older Fooocus: its JSON in a `Comment` chunk
        data = try_object(texts.get(key, ""))
        if data is not None:
            found = _json_object(data, texts, size, name)
            if found is not None:
                return found[0], found[1], {key: data}
    return None


_DECODER = json.JSONDecoder()


def _civitai_infotext(text: str) -> Recipe:
    """An A1111 infotext from Civitai's generator. Its `Civitai resources: [...]` and
    `Civitai metadata: {...}` are JSON written without quotes, which A1111's parameter
    syntax would cut at the first comma: they are taken out whole first. The resources
    name the checkpoint and LoRAs, which the rest of the text does not."""
    rest, found = text, {}
    for key in ("Civitai resources", "Civitai metadata"):
        at = rest.rfind(key + ":")
        if at < 0:
            continue
        start = at + len(key) + 1
        while start < len(rest) and rest[start] == " ":
            start += 1
        try:
            value, end = _DECODER.raw_decode(rest, start)
        except (ValueError, RecursionError):
            continue
        found[key] = kept(value)
        tail = rest[end:].lstrip().removeprefix(",").strip()
        rest = rest[:at].rstrip().rstrip(",") + (", " + tail if tail else "")
    recipe = infotext_to_recipe(rest)
    model, loras = json_savers.civitai_resources(found.get("Civitai resources"))
    named = {lo.name for lo in recipe.loras}
    options = dict(recipe.options)
    if found:
        options["civitai"] = found
    return recipe.replace(model=recipe.model or model, options=options,
                          loras=recipe.loras + tuple(lo for lo in loras if lo.name not in named))


def has_recipe_text(texts: dict[str, str]) -> bool:
    return any(str(texts.get(k, "")).strip() for k in RECIPE_KEYS)


def stealth_texts(source: str | Path | bytes, *, name: str) -> dict[str, str]:
    """The text metadata hidden in the pixels of `source`, or {} when there is none."""
    from studiolo.core.imageio import open_image
    from studiolo.provenance.stealth import read_stealth

    image = open_image(source, mode="RGBA", name=name)
    found = read_stealth(image, name=name)
    if found is None:
        return {}
    data = try_object(found[1])
    if data is not None and ("Comment" in data or "Description" in data):
        return novelai.texts_from_stealth(data)
    return {"parameters": found[1]}
