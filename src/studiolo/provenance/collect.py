"""Gather what the ledger needs for one artwork from the studio's files and catalog.

`studio_credits` is what `Studio.store` calls: it reads the model card and
the LoRAs' metadata, the credits a user's style image carries (its C2PA
`org.studiolo.credits` assertion, else its infotext), the parents' credits
from the catalog, and the influences (named in the prompt, and resembled by
the image), then hands them all to `build_credits`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from studiolo.core.errors import StudioloError
from studiolo.core.types import Artwork, Credit, Recipe
from studiolo.provenance.influence import find_influences
from studiolo.provenance.ledger import build_credits
from studiolo.provenance.model_cards import lora_infos_for, model_info_for

CREDITS_LABEL = "org.studiolo.credits"


def _manifest_credits(data: bytes) -> list[Credit]:
    try:
        from studiolo.provenance.c2pa_manifest import active_manifest, assertion, read_manifest
    except ImportError:
        return []
    try:
        store = read_manifest(data)
    except (StudioloError, ImportError):
        return []
    if not store:
        return []
    found = assertion(active_manifest(store), CREDITS_LABEL) or {}
    out = []
    for item in found.get("credits", []) if isinstance(found, dict) else []:
        try:
            out.append(Credit(name=str(item["name"]), kind=str(item["kind"]), role=str(item["role"]),
                              share=float(item.get("share") or 0.0),
                              evidence=str(item.get("evidence") or ""), ref=item.get("ref")))
        except (KeyError, TypeError, ValueError, StudioloError):
            continue  # one odd entry from another tool does not hide the rest
    return out


def _infotext_credits(data: bytes) -> list[Credit]:
    from studiolo.core.imagemeta import read_text_chunks
    from studiolo.provenance.infotext import infotext_to_recipe

    try:
        text = read_text_chunks(data).get("parameters", "")
        recipe = infotext_to_recipe(text) if text.strip() else None
    except StudioloError:
        return []
    if recipe is None:
        return []
    out = []
    if recipe.model:
        out.append(Credit(name=recipe.model, kind="model", role="model_author", share=1.0,
                          evidence="named in the image's infotext", ref=recipe.model_hash))
    out += [Credit(name=lo.name, kind="lora", role="model_author", share=1.0,
                   evidence="named in the image's infotext", ref=lo.sha256) for lo in recipe.loras]
    return out


def credits_from_image(data: bytes) -> tuple[Credit, ...]:
    """The credits an image carries: its C2PA credit ledger, else the models its infotext names."""
    return tuple(_manifest_credits(data) or _infotext_credits(data))


def credits_from_source(source: Any) -> tuple[Credit, ...]:
    """`credits_from_image` of a path or bytes as the person gave it (a PIL image carries none)."""
    if isinstance(source, bytes | bytearray):
        return credits_from_image(bytes(source))
    if isinstance(source, str | Path):
        try:
            return credits_from_image(Path(source).expanduser().read_bytes())
        except OSError:
            return ()
    return ()


def _source_images(recipe: Recipe, files: Any) -> list[Any]:
    """The image an artwork was made from (its `init` input), decoded from the file store."""
    from studiolo.core.imageio import open_image

    sha = recipe.input("init")
    if not sha or files is None:
        return []
    try:
        return [open_image(files.path(sha), mode="RGB")]
    except (OSError, StudioloError):
        return []


def studio_credits(
    artwork: Artwork,
    *,
    person: str,
    parents: Sequence[str] = (),
    catalog: Any = None,
    files: Any = None,
    settings: Any = None,
    extra_influences: Sequence[Credit] = (),
    style_credits: Sequence[Credit] | None = None,
    similarity: bool = True,
) -> tuple[Credit, ...]:
    """The ledger of an artwork about to be stored (engine credits, files, catalog, influences).

    `extra_influences`: credits from `consent.check_request` under policy "credit".
    `style_credits`: what the style image carried as given (`credits_from_source`; the
    file store keeps a re-encoded copy without metadata); None: read the stored copy.
    `similarity`: also compare the image with the reference paintings (costs a style
    embedding, ~0.1 s, plus loading the style model once per process).
    """
    recipe = artwork.recipe
    parent_credits = []
    for parent in parents:
        try:
            parent_credits.append(catalog.get_artwork(parent).credits)
        except (StudioloError, AttributeError):
            continue  # a parent that is not in this catalog carries nothing in
    sha = recipe.input("style")
    if style_credits is not None or not sha or files is None:
        style_credits = tuple(style_credits or ())
    else:
        try:
            style_credits = credits_from_image(files.path(sha).read_bytes())
        except (OSError, StudioloError):
            style_credits = ()
    optout_names = []
    if catalog is not None and hasattr(catalog, "list_optouts"):
        optout_names = [o.name for o in catalog.list_optouts()]
    styles = tuple(c.ref for c in artwork.credits if c.role == "style_source" and c.ref)
    chosen = recipe.options.get("style_chosen") if isinstance(recipe.options, dict) else None
    styles += (chosen["id"],) if isinstance(chosen, dict) and chosen.get("id") else ()
    image = artwork.image if similarity else None
    influences = tuple(extra_influences) + find_influences(
        recipe, image, optout_names=optout_names, exclude=styles,
        sources=_source_images(recipe, files) if image is not None else ())
    return build_credits(
        recipe,
        person=person,
        engine_credits=artwork.credits,
        parent_credits=parent_credits,
        model_info=model_info_for(recipe, settings),
        lora_infos=lora_infos_for(recipe, settings),
        style_credits=style_credits,
        influences=influences,
    )
