"""Consent: honour the opt-out registry in requests, and refusals of training use.

Requests. `check_request(recipe, catalog, settings)` looks for the names of
the opt-out registry (`catalog.list_optouts()`) in the prompt and in the
styles the request asks for (a built-in style counts as its artist and its
title). The negative prompt is not searched. What happens then is the
studio's `consent_policy` setting:

- "refuse" (the default): `ConsentRefused`, naming the names and the policy;
- "credit": the request runs, and each opted-out name comes back as an
  "influence" credit with the evidence, for the ledger to record.

A registry name matches as whole words, ignoring case, accents and
punctuation; a name of several words also matches by its trailing words
("rutkowski" for "Greg Rutkowski") when they are at least 4 letters.

Training data. `training_allowed(data)` refuses an image whose C2PA manifest
has a `c2pa.training-mining` assertion with `notAllowed` for
`c2pa.ai_training`, `c2pa.ai_generative_training` or `c2pa.data_mining`, or
that carries a `noai` / `noimageai` mark or an IPTC/PLUS data-mining
prohibition (`DMI-PROHIBITED...`) in a PNG text chunk, XMP, IPTC or an EXIF
text field. Recipe chunks (`parameters`, `prompt`, `workflow`) are not
searched: a prompt is not a rights statement. Every trainer calls
`require_training_allowed` on each image before using it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from studiolo.catalog.consent import OptOut, optout_key
from studiolo.core.errors import ConsentRefused, InvalidArgument, StudioloError
from studiolo.core.types import Credit, Recipe
from studiolo.provenance.influence import contains, normalise

POLICIES = ("refuse", "credit")
MIN_TRAILING = 4
TRAINING_USES = ("c2pa.ai_training", "c2pa.ai_generative_training", "c2pa.data_mining")
RECIPE_CHUNKS = {"parameters", "prompt", "workflow", "invokeai_metadata"}
_NOAI = re.compile(r"(?<![a-z0-9])(noai|noimageai)(?![a-z0-9])|dmi-prohibited", re.IGNORECASE)


def consent_policy(settings: Any) -> str:
    """The studio's consent policy ("refuse" when the settings have none)."""
    policy = getattr(settings, "consent_policy", "refuse") or "refuse"
    if policy not in POLICIES:
        raise InvalidArgument(
            f"`consent_policy` must be one of {POLICIES}, got {policy!r} (set it with "
            "STUDIOLO_CONSENT_POLICY)."
        )
    return policy


def _keys(entry: OptOut) -> list[str]:
    words = optout_key(entry.name).split()
    keys = [" ".join(words)]
    for i in range(1, len(words)):
        tail = " ".join(words[i:])
        if len(tail) >= MIN_TRAILING:
            keys.append(tail)
    return keys


def requested_texts(recipe: Recipe) -> list[tuple[str, str]]:
    """(text, where) of everything a request names: its prompt and the styles it asks for."""
    from studiolo.features.styles import get_style

    texts = [(recipe.prompt, "the prompt")] if recipe.prompt else []
    opts = recipe.options or {}
    wanted: list[Any] = list(opts.get("styles") or [])
    wanted += [opts[k] for k in ("style", "style_chosen") if opts.get(k)]
    for item in wanted:
        names = [item] if isinstance(item, str) else [
            str(item[k]) for k in ("name", "id", "title", "artist") if isinstance(item, dict) and item.get(k)]
        for name in names:
            texts.append((name, f"the style {name!r}"))
            try:
                style = get_style(name)
            except StudioloError:
                continue
            texts.append((f"{style.artist} - {style.title}", f"the style {name!r}"))
    return texts


def find_optouts(recipe: Recipe, entries: Iterable[OptOut]) -> list[tuple[OptOut, str]]:
    """The opt-outs a request uses, each with the evidence (what matched, where)."""
    texts = [(normalise(t), where) for t, where in requested_texts(recipe)]
    found: list[tuple[OptOut, str]] = []
    for entry in entries:
        for key in _keys(entry):
            hit = next((where for text, where in texts if contains(text, key)), None)
            if hit:
                found.append((entry, f"{hit} names {key!r}"))
                break
    return found


def check_request(recipe: Recipe, catalog: Any, settings: Any) -> tuple[Credit, ...]:
    """Apply the consent policy to a request before it runs.

    Returns the influence credits to record (policy "credit"), () when the
    request uses no opted-out name; raises `ConsentRefused` under "refuse".
    """
    policy = consent_policy(settings)
    entries = catalog.list_optouts() if catalog is not None else []
    found = find_optouts(recipe, entries)
    if not found:
        return ()
    if policy == "refuse":
        names = ", ".join(f"{e.name!r} ({why})" for e, why in found)
        raise ConsentRefused(
            f"The request uses work whose owners opted out of AI use: {names}; the studio's "
            "consent policy is 'refuse' (remove the name, or set consent_policy to 'credit' "
            "to allow it with credit)."
        )
    return tuple(
        Credit(name=e.name, kind="artist", role="influence", ref=None,
               evidence=(f"opted out of AI use{f' ({e.note})' if e.note else ''}; {why}; "
                         "allowed with credit by the consent policy 'credit'"))
        for e, why in found
    )


# -- training data ------------------------------------------------------------------


def _training_uses(node: Any, found: dict[str, str]) -> None:
    """Collect {use: "allowed"|"notAllowed"|"constrained"} from any training-mining assertion."""
    if isinstance(node, list):
        for item in node:
            _training_uses(item, found)
        return
    if not isinstance(node, dict):
        return
    label = node.get("label")
    blocks = [node.get("data", node)] if isinstance(label, str) and "training-mining" in label else []
    blocks += [v for k, v in node.items() if isinstance(k, str) and "training-mining" in k]
    for block in blocks:
        entries = block.get("entries", block) if isinstance(block, dict) else {}
        for use, value in entries.items() if isinstance(entries, dict) else ():
            if isinstance(value, dict) and isinstance(value.get("use"), str):
                found[use] = value["use"]
    for value in node.values():
        _training_uses(value, found)


def _c2pa_refusal(data: bytes) -> str | None:
    try:
        from studiolo.provenance.c2pa_manifest import read_manifest
    except ImportError:
        return None  # no C2PA reader in this install: the marks below still count
    manifest = read_manifest(data)
    if not manifest:
        return None
    uses: dict[str, str] = {}
    _training_uses(manifest, uses)
    refused = [u for u in TRAINING_USES if uses.get(u) == "notAllowed"]
    if refused:
        return f"its C2PA c2pa.training-mining assertion says notAllowed for {', '.join(refused)}"
    return None


def _metadata_texts(data: bytes) -> list[tuple[str, str]]:
    """(where, text) of every textual metadata field of an image, pixels untouched."""
    from PIL import Image, IptcImagePlugin

    from studiolo.core.imagemeta import image_info

    out = [(f"PNG text chunk {k!r}", f"{k} {v}") for k, v in image_info(data)["text"].items()
           if k not in RECIPE_CHUNKS]
    with Image.open(io.BytesIO(data)) as image:
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
        if xmp:
            out.append(("XMP", xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else str(xmp)))
        try:
            exif = image.getexif()
            fields = dict(exif) | dict(exif.get_ifd(0x8769))
        except (OSError, SyntaxError, ValueError):
            fields = {}
        for tag, value in fields.items():
            if isinstance(value, bytes):  # XPKeywords & co are UTF-16LE
                value = value.decode("utf-16-le" if 0x9C9B <= tag <= 0x9C9F else "latin-1", "replace")
            if isinstance(value, str) and tag != 0x9286:  # UserComment holds A1111's recipe
                out.append((f"EXIF tag 0x{tag:04X}", value))
        try:
            iptc = IptcImagePlugin.getiptcinfo(image) or {}
        except (OSError, SyntaxError, ValueError):
            iptc = {}
        for (record, dataset), value in iptc.items():
            values = value if isinstance(value, list) else [value]
            text = " ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values)
            out.append((f"IPTC {record}:{dataset}", text))
    return out


def training_allowed(data: bytes) -> tuple[bool, str]:
    """(allowed, why) for using an image as training data; a broken image raises ImageError."""
    if not isinstance(data, bytes | bytearray):
        raise InvalidArgument(f"`data` must be the image file's bytes, got {type(data).__name__}.")
    data = bytes(data)
    refusal = _c2pa_refusal(data)
    if refusal:
        return False, f"the image may not be used for training: {refusal}"
    for where, text in _metadata_texts(data):
        mark = _NOAI.search(text)
        if mark:
            return False, f"the image may not be used for training: its {where} carries {mark.group(0)!r}"
    return True, "no C2PA training-mining refusal and no noai mark found"


def require_training_allowed(data: bytes, label: str = "the image") -> None:
    """Raise ConsentRefused (naming `label` and the reason) unless `training_allowed`."""
    allowed, why = training_allowed(data)
    if not allowed:
        raise ConsentRefused(f"{label} is refused as training data: {why.removeprefix('the image may not be used for training: ')}.")


def filter_training_images(items: Sequence[tuple[str, bytes]]) -> tuple[list[str], list[tuple[str, str]]]:
    """Split (label, bytes) pairs into the labels allowed and (label, why) refused."""
    allowed, refused = [], []
    for label, data in items:
        ok, why = training_allowed(data)
        (allowed.append(label) if ok else refused.append((label, why)))
    return allowed, refused
