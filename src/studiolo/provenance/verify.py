"""What is known of an image's origin, and whether its content credentials still hold.

`verify_bytes` reads the C2PA manifest (c2pa-python checks the signature and
the hash binding of every byte outside the manifest), then adds what else the
file says: the AUTOMATIC1111 / ComfyUI / InvokeAI recipe in its text chunks,
and, when the credentials are gone or broken, the invisible watermark, which
finds the artwork's record in this studio's catalog.

Status and exit status (`c2pa_status.VERDICTS`, where every c2pa status code
is put in one class):
- "intact" (0): a manifest whose signature and hash binding check out;
  `signer["trusted"]` says whether the signer chains to a trusted root (this
  studio's own roots are trusted when `settings` is given).
- "tampered" (1): a manifest is there but the file changed after signing (a
  pixel, a text chunk) or the manifest itself is damaged.
- "none" (2): no content credentials: stripped, re-encoded, or never signed.
- "remote" (2): only the address of a remote manifest, which is not fetched.
- "unverifiable" (2): credentials the library cannot check (a rejected hash binding).
- "untrusted" (4): as signed, but the signing credential does not hold (expired,
  revoked, a bad time stamp, an untrusted or failing CAWG identity assertion).
- "ingredient_invalid" (5): as signed, but an ingredient's own credentials are broken.
(3 is `studiolo verify`'s status for a file that is not a readable image.)

Every piece of text in the report is bounded (`MAX_TEXT` characters a string,
`MAX_ITEMS` items a list), whatever the file holds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studiolo.core.errors import ImageError, MetadataError
from studiolo.core.imageio import sha256_bytes
from studiolo.core.imagemeta import image_info
from studiolo.core.settings import Settings
from studiolo.provenance.c2pa_manifest import (
    CAWG_TRAINING_LABEL,
    CREDITS_LABEL,
    RECIPE_LABEL,
    TRAINING_LABEL,
    RemoteManifestError,
    active_manifest,
    assertion,
    read_manifest,
    remote_manifest_url,
)
from studiolo.provenance.c2pa_status import (
    INFO,
    VERDICTS,
    classify,
    delta_failures,
    failures_of,
    worst,
)
from studiolo.provenance.verify_words import (  # noqa: F401  (summary_lines: verify's API)
    MAX_ITEMS,
    MAX_LINE,
    MAX_TEXT,
    _word,
    bounded,
    cut,
    summary_lines,
)

STATUSES = tuple(VERDICTS)
EXIT_CODES = {status: code for status, (code, _) in VERDICTS.items()}
_ARTWORK_PREFIX = "studiolo:artwork:"


@dataclass(frozen=True)
class VerifyReport:
    """What `studiolo verify` found; `to_dict()` is its JSON form."""

    status: str
    source: str
    format: str | None = None
    width: int | None = None
    height: int | None = None
    sha256: str | None = None
    signer: dict[str, Any] | None = None
    generator: str | None = None
    title: str | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    ingredients: list[dict[str, Any]] = field(default_factory=list)
    credits: list[dict[str, Any]] = field(default_factory=list)
    recipe: dict[str, Any] | None = None
    prompt_in_file: bool | None = None
    training_mining: dict[str, str] | None = None
    problems: list[str] = field(default_factory=list)
    infotext: dict[str, Any] | None = None
    watermark: dict[str, Any] | None = None
    catalog_artwork: str | None = None
    remote_manifest: str | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: every field (bounded), the exit status and what it means."""
        found = bounded(asdict(self))
        return {**found, "exit_code": self.exit_code, "exit_meaning": VERDICTS[self.status][1]}


def verify_file(
    path: str | Path, *, catalog: Any = None, settings: Settings | None = None
) -> VerifyReport:
    """`verify_bytes` on a file; a missing, empty or unreadable file raises `ImageError`."""
    path = Path(path)
    if path.is_dir():
        raise ImageError(f"{path} is a directory, not an image file.")
    if not path.exists():
        raise ImageError(f"{path} does not exist.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    return verify_bytes(data, catalog=catalog, settings=settings, name=str(path))


def verify_bytes(
    data: bytes, *, catalog: Any = None, settings: Settings | None = None, name: str | None = None
) -> VerifyReport:
    """Check an image's content credentials and gather what else it says about its origin.

    `catalog` (a studiolo catalog) lets the report name artworks of this
    studio; `settings` adds this studio's roots to the trusted signers. A
    file that is not an image, or is truncated, raises `ImageError`.
    """
    from studiolo.provenance.keys import trust_anchors

    label = name or "<image bytes>"
    if not isinstance(data, bytes | bytearray) or not data:
        raise ImageError(f"{label} is empty (0 bytes).")
    data = bytes(data)
    info = image_info(data, name=label)  # ImageError for a non-image or a broken header / chunk
    found: dict[str, Any] = {
        "source": label, "format": info["format"], "width": info["width"],
        "height": info["height"], "sha256": sha256_bytes(data),
    }
    anchors = trust_anchors(settings) if settings is not None else b""
    try:
        store = read_manifest(data, anchors_pem=anchors)
    except RemoteManifestError as exc:
        found.update(status="remote", remote_manifest=exc.url, problems=[str(exc)])
    except MetadataError as exc:
        found.update(status="tampered", problems=[f"the C2PA manifest is damaged: {exc}"])
    else:
        url = remote_manifest_url(data) if store is None else None
        if url is not None:  # a reader that does not look for remote manifests at all
            found.update(status="remote", remote_manifest=url,
                         problems=[str(RemoteManifestError(url))])
        elif store is None:
            found["status"] = "none"
        else:
            found.update(_from_manifest(store, trusted_here=bool(anchors), catalog=catalog))
    found["infotext"] = _infotext(data, info, label)
    if catalog is not None and catalog.has_artwork(found["sha256"]):
        found["catalog_artwork"] = found["sha256"]
    if found["status"] != "intact":
        found["watermark"] = _watermark(data, catalog, label)
    return VerifyReport(**found)


# -- the manifest ---------------------------------------------------------------
# The manifest store is c2pa's JSON, but the assertions in it are whatever the signer
# wrote: every value is taken only in the shape we expect, anything else as absent.
def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _from_manifest(store: dict[str, Any], *, trusted_here: bool, catalog: Any) -> dict[str, Any]:
    store = _obj(store)
    manifest = active_manifest(store)
    results = store.get("validation_results")
    kinds, problems = [], []
    for code, text in failures_of(results, store.get("validation_status")):
        kind = classify(code, text)
        if kind != INFO:
            kinds.append(kind)
            problems.append(f"{code}: {text}")
    ingredients = [_ingredient(_obj(i), catalog) for i in _items(manifest.get("ingredients"))]
    for ing in ingredients:
        if ing["problems"]:
            kinds.append("ingredient_invalid")
            problems.append(f"ingredient {ing['title'] or '?'}: " + ", ".join(ing["problems"]))
    for code, text in delta_failures(results):
        if classify(code, text) != INFO:
            kinds.append("ingredient_invalid")
            problems.append(f"ingredient (checked again): {code}: {text}")
    state = _word(store.get("validation_state"))
    if state == "Invalid" and not kinds:  # c2pa says invalid and names no failure we know
        kinds.append("tampered")
        problems.append(f"validation state {state}")
    status = worst(kinds)
    signature = _obj(manifest.get("signature_info"))
    # The trust verdict holds even when the hash binding fails ("Invalid" hides it in the state).
    trusted = state == "Trusted" or "signingCredential.trusted" in _codes(store, "success")
    signer = {
        "name": _word(signature.get("common_name")), "issuer": _word(signature.get("issuer")),
        "alg": _word(signature.get("alg")), "time": _word(signature.get("time")),
        "trusted": trusted, "this_studio": trusted and trusted_here, "validation_state": state,
    }
    generators = [_obj(g) for g in _items(manifest.get("claim_generator_info"))[:1]]
    generator = " ".join(
        f"{_word(g.get('name')) or ''} {_word(g.get('version')) or ''}".strip() for g in generators
    ) or _word(manifest.get("claim_generator"))
    recipe_data = _obj(assertion(manifest, RECIPE_LABEL))
    credits = _items(_obj(assertion(manifest, CREDITS_LABEL)).get("credits"))
    recipe = recipe_data.get("recipe")
    prompt_in_file = recipe_data.get("prompt_in_file")
    return {
        "status": status,
        "problems": problems[:MAX_ITEMS],
        "signer": signer,
        "generator": generator,
        "title": _word(manifest.get("title")),
        "actions": _actions(manifest)[:MAX_ITEMS],
        "ingredients": ingredients[:MAX_ITEMS],
        "credits": [_credit(c) for c in credits[:MAX_ITEMS] if isinstance(c, dict)],
        "recipe": recipe if isinstance(recipe, dict) else None,
        "prompt_in_file": prompt_in_file if isinstance(prompt_in_file, bool) else None,
        "training_mining": _training(manifest),
    }


def _credit(item: dict[str, Any]) -> dict[str, Any]:
    """A credit as another signer wrote it: the known keys, as text, and a share from 0 to 1."""
    share = item.get("share")
    ok = isinstance(share, int | float) and not isinstance(share, bool) and 0 <= share <= 1
    out: dict[str, Any] = {k: _word(item.get(k)) for k in ("name", "kind", "role", "evidence", "ref")}
    return {**out, "share": float(share) if ok else 0.0}


def _codes(store: dict[str, Any], kind: str) -> set[str]:
    results = _obj(_obj(store.get("validation_results")).get("activeManifest"))
    return {_word(_obj(i).get("code")) or "" for i in _items(results.get(kind))}


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for action in _items(_obj(assertion(manifest, "c2pa.actions")).get("actions")):
        action = _obj(action)
        agent = action.get("softwareAgent")
        out.append({
            "action": _word(action.get("action")),
            "digital_source_type": _word(action.get("digitalSourceType")),
            "description": _word(action.get("description")),
            "software": _word(_obj(agent).get("name") if isinstance(agent, dict) else agent),
        })
    return out


def _ingredient(item: dict[str, Any], catalog: Any) -> dict[str, Any]:
    instance = _word(item.get("instance_id")) or ""
    artwork = instance[len(_ARTWORK_PREFIX):] if instance.startswith(_ARTWORK_PREFIX) else None
    # What was wrong with the ingredient when it was signed into this file, as c2pa recorded it.
    failures = [code for code, text in failures_of(item.get("validation_results"),
                                                   item.get("validation_status"))
                if classify(code, text) != INFO]
    return {
        "title": _word(item.get("title")),
        "relationship": _word(item.get("relationship")),
        "format": _word(item.get("format")),
        "instance_id": instance or None,
        "description": _word(item.get("description")),
        "artwork": artwork,
        "in_catalog": bool(artwork and catalog is not None and catalog.has_artwork(artwork)),
        "signed": bool(item.get("active_manifest")),
        "problems": failures,
    }


def _training(manifest: dict[str, Any]) -> dict[str, str] | None:
    for label in (TRAINING_LABEL, CAWG_TRAINING_LABEL):
        entries = _obj(assertion(manifest, label)).get("entries")
        if isinstance(entries, dict) and entries:
            return {str(k): str(_word(v.get("use"))) for k, v in entries.items() if isinstance(v, dict)}
    return None


# -- what else the file says --------------------------------------------------
def _infotext(data: bytes, info: dict[str, Any], label: str) -> dict[str, Any] | None:
    """The recipe another tool (or studiolo) wrote into the text chunks / EXIF, if any."""
    from studiolo.provenance.importers import read_recipe

    texts = info.get("text") or {}
    if not any(k in texts for k in ("parameters", "prompt", "workflow", "invokeai_metadata")):
        return None
    try:
        imported = read_recipe(data, name=label)
    except MetadataError as exc:
        return {"source": None, "error": cut(str(exc), 500)}
    parameters = texts.get("parameters")
    return {"source": imported.source, "recipe": bounded(imported.recipe.to_dict()),
            "parameters": cut(parameters) if isinstance(parameters, str) else None}


def _watermark(data: bytes, catalog: Any, label: str) -> dict[str, Any] | None:
    """The invisible watermark's id and the artwork it names in this studio, when readable."""
    try:
        from studiolo.provenance.watermark import read_mark
    except ImportError:
        return None
    from studiolo.core.imageio import open_image

    mark = read_mark(open_image(data, name=label))
    if mark is None:
        return {"mark": None, "artwork": None}
    artwork = None
    if catalog is not None:
        try:
            from studiolo.catalog.marks import find_by_mark
        except ImportError:
            find_by_mark = None
        if find_by_mark is not None:
            artwork = find_by_mark(catalog, mark)
    found: dict[str, Any] = {"mark": mark, "artwork": artwork}
    if artwork is not None:
        from studiolo.provenance.ledger import credit_sentence

        record = catalog.get_artwork(artwork)
        found["sentence"] = credit_sentence(record.credits, record.recipe)
        found["created"] = record.created.isoformat() if record.created else None
    return found
