"""C2PA content credentials for artworks: a signed manifest embedded in the PNG.

What every stored artwork carries (C2PA 2.x, written with c2pa-python):

- `c2pa.actions`: `c2pa.created` with the IPTC digital source type
  `trainedAlgorithmicMedia` for a new artwork; for an artwork made from other
  artworks, `c2pa.opened` (the first parent, as C2PA asks the first action to
  be created or opened) then `c2pa.edited` with
  `compositeWithTrainedAlgorithmicMedia`, and `c2pa.placed` for any further
  parent.
- ingredients: the first parent `parentOf`, further parents, style images and
  reference images `componentOf`. A parent's own manifest travels inside the
  ingredient, so the chain of edits can be checked back to the first artwork.
  Instance ids say what each one is: `studiolo:artwork:<id>` for a parent,
  `sha256:<hex>` for an image.
- `org.studiolo.credits`: the credit ledger, a list of {name, kind, role,
  share, evidence, ref}.
- `org.studiolo.recipe`: {"recipe": <Recipe.to_dict()>, "prompt_in_file": bool}
  (prompt and negative prompt blanked when the person keeps them private, and every
  option string that holds a word of them: `private_recipe`).
- `c2pa.training-mining` and its successor `cawg.training-mining`: the
  person's choice for AI training, generative training, inference and data
  mining ("notAllowed", "allowed" or "constrained").

Text chunks (the A1111 `parameters`) are written by the caller before
signing; the manifest goes into a `caBX` chunk whose hash binding covers every
other byte of the file, so those chunks stay readable and a changed pixel or
a changed chunk breaks the binding.

Thumbnails are off: the artwork is itself the picture, and a claim thumbnail
doubled the signing time and, for a noisy image, the file size.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from studiolo import __version__
from studiolo.core.errors import InvalidArgument, MetadataError
from studiolo.core.imageio import sha256_bytes
from studiolo.core.imagemeta import read_text_chunks
from studiolo.core.settings import Settings
from studiolo.core.types import Credit, Recipe
from studiolo.provenance.keys import SigningIdentity, signing_identity

CREDITS_LABEL = "org.studiolo.credits"
RECIPE_LABEL = "org.studiolo.recipe"
TRAINING_LABEL = "c2pa.training-mining"
CAWG_TRAINING_LABEL = "cawg.training-mining"
TRAINING_CHOICES = ("notAllowed", "allowed", "constrained")
_TRAINING_USES = ("ai_generative_training", "ai_inference", "ai_training", "data_mining")

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
CREATED_SOURCE = IPTC + "trainedAlgorithmicMedia"
EDITED_SOURCE = IPTC + "compositeWithTrainedAlgorithmicMedia"
INGREDIENT_ROLES = ("init", "style", "reference")

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"),
)


def private_recipe(recipe: Recipe) -> Recipe:
    """The recipe as written into a file when the person keeps the prompt private: no prompt
    and no word of it in the options (`studiolo.provenance.private`)."""
    from studiolo.provenance import private

    return private.private_recipe(recipe)


def training_mining_entries(choice: str) -> dict[str, dict[str, str]]:
    """The `entries` of a training-mining assertion: every use gets the person's choice."""
    _check_choice(choice)
    return {f"c2pa.{use}": {"use": choice} for use in _TRAINING_USES}


def manifest_definition(
    *,
    recipe: Recipe,
    credits: Sequence[Credit],
    person: str,
    parents: Sequence[str] = (),
    training_mining: str = "notAllowed",
    include_prompt: bool = True,
    title: str | None = None,
) -> dict[str, Any]:
    """The manifest JSON (without ingredients, which `sign_png` adds with their bytes)."""
    _check_choice(training_mining)
    agent = {"name": "studiolo", "version": __version__}
    how = f"{recipe.mode} with the studiolo {recipe.engine} engine"
    if recipe.model:
        how += f" and the model {recipe.model}"
    if parents:
        actions: list[dict[str, Any]] = [
            {"action": "c2pa.opened", "softwareAgent": agent,
             "parameters": {"ingredientIds": [_parent_label(0)]}},
            {"action": "c2pa.edited", "digitalSourceType": EDITED_SOURCE, "softwareAgent": agent,
             "description": how},
        ]
        actions += [
            {"action": "c2pa.placed", "softwareAgent": agent,
             "parameters": {"ingredientIds": [_parent_label(i)]}}
            for i in range(1, len(parents))
        ]
    else:
        actions = [{"action": "c2pa.created", "digitalSourceType": CREATED_SOURCE,
                    "softwareAgent": agent, "description": how}]
    shown = recipe if include_prompt else private_recipe(recipe)
    entries = training_mining_entries(training_mining)
    return {
        "claim_generator_info": [agent],
        "title": title or f"studiolo artwork by {person}",
        "format": "image/png",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": CREDITS_LABEL, "data": {"credits": [_credit(c) for c in credits]}},
            {"label": RECIPE_LABEL,
             "data": {"recipe": shown.to_dict(), "prompt_in_file": include_prompt}},
            {"label": TRAINING_LABEL, "data": {"entries": entries}},
            {"label": CAWG_TRAINING_LABEL,
             "data": {"entries": {k.replace("c2pa.", "cawg."): v for k, v in entries.items()}}},
        ],
    }


def sign_png(
    png_bytes: bytes,
    *,
    recipe: Recipe,
    credits: Sequence[Credit],
    person: str,
    parents: Sequence[tuple[str, bytes]] = (),
    ingredients: Sequence[tuple[str, bytes, str]] = (),
    training_mining: str | None = None,
    include_prompt: bool | None = None,
    settings: Settings,
    title: str | None = None,
    identity: SigningIdentity | None = None,
) -> bytes:
    """The PNG with a signed C2PA manifest embedded; its text chunks are kept as they are.

    `parents` are (artwork id, file bytes) of the artworks this one was made
    from; `ingredients` are (role, image bytes, title) of init, style and
    reference images. With no parents, the first init image is the parent (an
    img2img from a photo is an edit of that photo); with parents, pass no init
    image (the parent is it). `training_mining` and `include_prompt` default
    to the studio's settings. When the prompt is private, `png_bytes` must not
    carry it either (write its infotext from `private_recipe(recipe)`); this
    is checked.
    """
    import c2pa

    # 1. Check inputs.
    if not isinstance(png_bytes, bytes | bytearray) or bytes(png_bytes[:8]) != _MAGIC[0][0]:
        got = type(png_bytes).__name__ if not isinstance(png_bytes, bytes | bytearray) else (
            f"bytes starting {bytes(png_bytes[:8])!r}")
        raise InvalidArgument(f"`png_bytes` must be the bytes of a PNG file, got {got}.")
    png_bytes = bytes(png_bytes)
    choice = settings.training_mining if training_mining is None else training_mining
    include = settings.prompt_in_file if include_prompt is None else include_prompt
    if not include:
        _check_no_prompt(png_bytes)
    for i, item in enumerate(ingredients):
        if not (isinstance(item, tuple | list) and len(item) == 3 and _role_ok(item[0])
                and isinstance(item[1], bytes) and item[1]):
            raise InvalidArgument(
                f"`ingredients[{i}]` must be (role, image bytes, title) with role one of "
                f"{INGREDIENT_ROLES} (a blend numbers its styles: style2, ...), got {item!r:.120}."
            )
    for i, item in enumerate(parents):
        if not (isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], str)
                and item[0] and isinstance(item[1], bytes) and item[1]):
            raise InvalidArgument(
                f"`parents[{i}]` must be (artwork id, file bytes), got {item!r:.120}."
            )

    # 2. What it was made from: stored artworks, else the init image (a photo, say) is the parent.
    sources = [(f"artwork {aid[:12]}", data, f"studiolo:artwork:{aid}") for aid, data in parents]
    components = list(ingredients)
    if not sources:
        inits = [item for item in components if item[0] == "init"]
        components = [item for item in components if item[0] != "init"]
        sources = [
            (name or "init image", data, f"sha256:{sha256_bytes(data)}") for _, data, name in inits
        ]

    # 3. The manifest, then each ingredient with its bytes.
    definition = manifest_definition(
        recipe=recipe, credits=credits, person=person, parents=[s[2] for s in sources],
        training_mining=choice, include_prompt=include, title=title,
    )
    identity = identity or signing_identity(settings)
    context = c2pa.Context(c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}}))
    info = c2pa.C2paSignerInfo(identity.alg, identity.chain_pem, identity.key_pem, None)
    out = io.BytesIO()
    try:
        with c2pa.Signer.from_info(info) as signer, c2pa.Builder(definition, context) as builder:
            for i, (name, data, instance) in enumerate(sources):
                relationship = "parentOf" if i == 0 else "componentOf"
                _add_ingredient(builder, {
                    "title": name, "relationship": relationship, "instance_id": instance,
                    "label": _parent_label(i),
                }, data)
            for role, data, name in components:
                _add_ingredient(builder, {
                    "title": name or f"{role} image", "relationship": "componentOf",
                    "instance_id": f"sha256:{sha256_bytes(data)}",
                    "description": f"{role} image",
                }, data)
            # 4. Sign: the manifest goes into a caBX chunk, the rest of the file is hashed.
            builder.sign(signer, "image/png", io.BytesIO(png_bytes), out)
    except c2pa.C2paError as exc:
        raise MetadataError(f"Signing the artwork's C2PA manifest failed: {exc}.") from None
    return out.getvalue()


def read_manifest(data: bytes, *, anchors_pem: bytes = b"") -> dict[str, Any] | None:
    """The C2PA manifest store of an image (as c2pa-python's Reader reports it), or None.

    `anchors_pem` are extra trusted roots (this studio's own). A file whose
    C2PA data c2pa cannot parse raises `MetadataError` with c2pa's reason.
    """
    import c2pa

    if not isinstance(data, bytes | bytearray) or not data:
        raise InvalidArgument(f"`data` must be non-empty bytes, got {type(data).__name__} "
                              f"of length {len(data) if hasattr(data, '__len__') else '?'}.")
    config: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if anchors_pem:
        config["trust"] = {"user_anchors": anchors_pem.decode("ascii")}
    context = c2pa.Context(c2pa.Settings.from_dict(config))
    fmt = mime_type(bytes(data[:16]))
    try:
        reader = c2pa.Reader.try_create(fmt, io.BytesIO(bytes(data)), context=context)
    except c2pa.C2paError.NotSupported:
        return None  # a format C2PA does not define (BMP, say) carries no manifest
    except c2pa.C2paError as exc:
        text = _short(str(exc))
        if isinstance(exc, c2pa.C2paError.RemoteManifest) or text.startswith("Remote:"):
            raise RemoteManifestError(remote_manifest_url(data) or _url_in(text)) from None
        raise MetadataError(f"The file's C2PA data cannot be read: {text}.") from None
    if reader is None:
        return None
    try:
        with reader:
            text = reader.json()
    except c2pa.C2paError as exc:
        raise MetadataError(f"The file's C2PA data cannot be read: {_short(str(exc))}.") from None
    try:
        store = json.loads(text)
    except (ValueError, RecursionError) as exc:  # too deep, or an integer of 4300+ digits
        raise MetadataError(f"The file's C2PA data cannot be read: {str(exc)[:120]}.") from None
    return store if isinstance(store, dict) else None


class RemoteManifestError(MetadataError):
    """The file holds no manifest, only the address of one elsewhere (`url`, None when
    unknown); it is not fetched: this studio never goes online."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        where = f" at {url}" if url else ""
        super().__init__(f"The file's content credentials are in a remote manifest{where}, "
                         "which was not fetched (this studio never goes online).")


_PROVENANCE = b"dcterms:provenance"
_URL_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                       b"-._~:/?#[]@!$&'()*+,;=%")


def remote_manifest_url(data: bytes) -> str | None:
    """The remote manifest's address an image's XMP gives (`dcterms:provenance`, as an
    attribute or an element), or None. Reads at most 1 KiB after the first mention."""
    at = bytes(data).find(_PROVENANCE)
    if at < 0:
        return None
    tail = bytes(data[at + len(_PROVENANCE): at + len(_PROVENANCE) + 1024]).lstrip()
    if tail[:1] == b"=":
        tail = tail[1:].lstrip()
        tail = tail[1:] if tail[:1] in (b'"', b"'") else b""
    elif tail[:1] == b">":
        tail = tail[1:].lstrip()
    else:
        return None
    end = 0
    while end < len(tail) and tail[end] in _URL_CHARS and tail[end] not in b"'":
        end += 1
    url = tail[:end].decode("ascii")
    return url if url.startswith(("http://", "https://")) else None


def _url_in(text: str) -> str | None:
    """The http(s) address in a c2pa error message ("... from url https://..."), or None."""
    for word in text.split():
        if word.startswith(("http://", "https://")):
            return word.rstrip(".,;)")[:1000]
    return None


def _short(text: str, limit: int = 500) -> str:
    """A library's message as one bounded line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def active_manifest(store: dict[str, Any]) -> dict[str, Any]:
    """The active (newest) manifest of a manifest store ({} when there is none of that shape)."""
    manifests = store.get("manifests") if isinstance(store, dict) else None
    active = store.get("active_manifest") if isinstance(store, dict) else None
    if not isinstance(manifests, dict) or not isinstance(active, str):
        return {}
    found = manifests.get(active)
    return found if isinstance(found, dict) else {}


def assertion(manifest: dict[str, Any], label: str) -> Any:
    """The data of the first assertion with this label (labels may carry a version suffix)."""
    items = manifest.get("assertions") if isinstance(manifest, dict) else None
    for item in items if isinstance(items, list) else []:
        name = item.get("label") if isinstance(item, dict) else None
        if isinstance(name, str) and (name == label or name.startswith(label + ".v")):
            return item.get("data")
    return None


def mime_type(head: bytes) -> str:
    """The MIME type of image bytes from their first bytes; "" when unknown (c2pa then guesses)."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return ""


# -- helpers ------------------------------------------------------------------
def _role_ok(role: object) -> bool:
    """"style", "style2", "style3" (a blend's styles), "init", "reference"."""
    return isinstance(role, str) and role.rstrip("0123456789") in INGREDIENT_ROLES


def _parent_label(index: int) -> str:
    return f"parent-{index}"


def _credit(credit: Credit) -> dict[str, Any]:
    return {"name": credit.name, "kind": credit.kind, "role": credit.role,
            "share": credit.share, "evidence": credit.evidence, "ref": credit.ref}


def _check_choice(choice: str) -> None:
    if choice not in TRAINING_CHOICES:
        raise InvalidArgument(
            f"`training_mining` must be one of {TRAINING_CHOICES} (env STUDIOLO_TRAINING_MINING), "
            f"got {choice!r}."
        )


def _check_no_prompt(png_bytes: bytes) -> None:
    """The file's infotext must not hold a prompt when the prompt is to stay out of the file."""
    from studiolo.provenance.infotext import infotext_to_recipe, parse_infotext

    text = read_text_chunks(png_bytes).get("parameters", "")
    if not text.strip():
        return
    prompt, negative, _ = parse_infotext(text)
    written = infotext_to_recipe(text)  # the `Studiolo` JSON, when there, holds the prompt too
    if prompt or negative or written.prompt or written.negative_prompt:
        raise InvalidArgument(
            "`png_bytes` carries the prompt in its `parameters` text chunk while the prompt is to "
            "stay out of the file; write the infotext from private_recipe(recipe)."
        )


def _add_ingredient(builder: Any, ingredient: dict[str, Any], data: bytes) -> None:
    """Add an ingredient in its own format, or as a PNG when c2pa cannot read that format."""
    fmt = mime_type(data[:16])
    if not fmt:
        from studiolo.core.imageio import open_image
        from studiolo.core.imagemeta import encode_png

        data, fmt = encode_png(open_image(data, mode="RGBA", name=ingredient["title"])), "image/png"
    builder.add_ingredient(ingredient, fmt, io.BytesIO(data))
