"""What is known of an image's origin, and whether its content credentials still hold.

`verify_bytes` reads the C2PA manifest (c2pa-python checks the signature and
the hash binding of every byte outside the manifest), then adds what else the
file says: the AUTOMATIC1111 / ComfyUI / InvokeAI recipe in its text chunks,
and, when the credentials are gone or broken, the invisible watermark, which
finds the artwork's record in this studio's catalog.

Status:
- "intact": a manifest whose signature and hash binding check out (exit 0);
  `signer["trusted"]` says whether the signer chains to a trusted root (this
  studio's own roots are trusted when `settings` is given).
- "tampered": a manifest is there but the file changed after signing (a
  pixel, a text chunk) or the manifest itself is damaged (exit 1).
- "none": no content credentials (exit 2): stripped, re-encoded, or never signed.
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
    active_manifest,
    assertion,
    read_manifest,
)

STATUSES = ("intact", "tampered", "none")
EXIT_CODES = {"intact": 0, "tampered": 1, "none": 2}
# Failures that say nothing about the file having changed: who the signer is, not what was signed.
_TRUST_CODES = ("signingCredential.untrusted", "signingCredential.ocsp", "timeStamp.")
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

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "exit_code": self.exit_code}


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
    info = image_info(data)  # raises ImageError for a non-image or a broken header / chunk
    found: dict[str, Any] = {
        "source": label, "format": info["format"], "width": info["width"],
        "height": info["height"], "sha256": sha256_bytes(data),
    }
    anchors = trust_anchors(settings) if settings is not None else b""
    try:
        store = read_manifest(data, anchors_pem=anchors)
    except MetadataError as exc:
        found.update(status="tampered", problems=[f"the C2PA manifest is damaged: {exc}"])
    else:
        if store is None:
            found["status"] = "none"
        else:
            found.update(_from_manifest(store, trusted_here=bool(anchors), catalog=catalog))
    found["infotext"] = _infotext(data, info)
    if catalog is not None and catalog.has_artwork(found["sha256"]):
        found["catalog_artwork"] = found["sha256"]
    if found["status"] != "intact":
        found["watermark"] = _watermark(data, catalog, label)
    return VerifyReport(**found)


# -- the manifest ---------------------------------------------------------------
def _from_manifest(store: dict[str, Any], *, trusted_here: bool, catalog: Any) -> dict[str, Any]:
    manifest = active_manifest(store)
    failures = _failures(store)
    problems = [f"{code}: {text}" for code, text in failures if not code.startswith(_TRUST_CODES)]
    state = store.get("validation_state")
    signature = manifest.get("signature_info") or {}
    # The trust verdict holds even when the hash binding fails ("Invalid" hides it in the state).
    trusted = state == "Trusted" or "signingCredential.trusted" in _codes(store, "success")
    signer = {
        "name": signature.get("common_name"), "issuer": signature.get("issuer"),
        "alg": signature.get("alg"), "time": signature.get("time"),
        "trusted": trusted, "this_studio": trusted and trusted_here, "validation_state": state,
    }
    generators = manifest.get("claim_generator_info") or []
    generator = " ".join(
        f"{g.get('name', '')} {g.get('version', '')}".strip() for g in generators[:1]
    ) or manifest.get("claim_generator")
    recipe_data = assertion(manifest, RECIPE_LABEL) or {}
    credits = (assertion(manifest, CREDITS_LABEL) or {}).get("credits") or []
    return {
        "status": "tampered" if problems or state == "Invalid" else "intact",
        "problems": problems or ([f"validation state {state}"] if state == "Invalid" else []),
        "signer": signer,
        "generator": generator,
        "title": manifest.get("title"),
        "actions": _actions(manifest),
        "ingredients": [_ingredient(i, catalog) for i in manifest.get("ingredients") or []],
        "credits": [c for c in credits if isinstance(c, dict)],
        "recipe": recipe_data.get("recipe"),
        "prompt_in_file": recipe_data.get("prompt_in_file"),
        "training_mining": _training(manifest),
    }


def _codes(store: dict[str, Any], kind: str) -> set[str]:
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    return {str(i.get("code", "")) for i in results.get(kind) or []}


def _failures(store: dict[str, Any]) -> list[tuple[str, str]]:
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    items = results.get("failure")
    if items is None:  # older readers report a flat list
        items = store.get("validation_status") or []
    return [(str(i.get("code", "")), str(i.get("explanation", ""))) for i in items]


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    data = assertion(manifest, "c2pa.actions") or {}
    out = []
    for action in data.get("actions") or []:
        agent = action.get("softwareAgent")
        out.append({
            "action": action.get("action"),
            "digital_source_type": action.get("digitalSourceType"),
            "description": action.get("description"),
            "software": agent.get("name") if isinstance(agent, dict) else agent,
        })
    return out


def _ingredient(item: dict[str, Any], catalog: Any) -> dict[str, Any]:
    instance = str(item.get("instance_id") or "")
    artwork = instance[len(_ARTWORK_PREFIX):] if instance.startswith(_ARTWORK_PREFIX) else None
    results = (item.get("validation_results") or {}).get("activeManifest") or {}
    failures = [f.get("code") for f in results.get("failure") or []
                if not str(f.get("code", "")).startswith(_TRUST_CODES)]
    return {
        "title": item.get("title"),
        "relationship": item.get("relationship"),
        "format": item.get("format"),
        "instance_id": instance or None,
        "description": item.get("description"),
        "artwork": artwork,
        "in_catalog": bool(artwork and catalog is not None and catalog.has_artwork(artwork)),
        "signed": bool(item.get("active_manifest")),
        "problems": failures,
    }


def _training(manifest: dict[str, Any]) -> dict[str, str] | None:
    for label in (TRAINING_LABEL, CAWG_TRAINING_LABEL):
        entries = (assertion(manifest, label) or {}).get("entries")
        if isinstance(entries, dict) and entries:
            return {k: str(v.get("use")) for k, v in entries.items() if isinstance(v, dict)}
    return None


# -- what else the file says --------------------------------------------------
def _infotext(data: bytes, info: dict[str, Any]) -> dict[str, Any] | None:
    """The recipe another tool (or studiolo) wrote into the text chunks / EXIF, if any."""
    from studiolo.provenance.importers import read_recipe

    texts = info.get("text") or {}
    if not any(k in texts for k in ("parameters", "prompt", "workflow", "invokeai_metadata")):
        return None
    try:
        imported = read_recipe(data)  # type: ignore[arg-type]  (image_info reads bytes too)
    except MetadataError as exc:
        return {"source": None, "error": str(exc)}
    return {"source": imported.source, "recipe": imported.recipe.to_dict(),
            "parameters": texts.get("parameters")}


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


# -- words ----------------------------------------------------------------------
_SOURCE_WORDS = {
    "trainedAlgorithmicMedia": "made with a generative AI model",
    "compositeWithTrainedAlgorithmicMedia": "edited with a generative AI model",
}


def summary_lines(report: VerifyReport) -> list[str]:
    """The report in plain sentences, first line the verdict."""
    lines = [_verdict(report)]
    if report.signer:
        s = report.signer
        who = f"Signed by {s.get('name') or 'an unnamed signer'}"
        if s.get("this_studio"):
            who += " with a key of this studio"
        else:
            who += f" (certificate from {s.get('issuer') or 'an unnamed issuer'}"
            who += ", trusted)" if s.get("trusted") else ", on no trust list here)"
        lines.append(who + (f", using {report.generator}." if report.generator else "."))
    for action in report.actions:
        kind = (action.get("digital_source_type") or "").rsplit("/", 1)[-1]
        words = _SOURCE_WORDS.get(kind, kind)
        text = f"Action {action['action']}" + (f": {words}" if words else "")
        if action.get("description"):
            text += f" ({action['description']})"
        lines.append(text + ".")
    for ing in report.ingredients:
        what = f"artwork {ing['artwork'][:12]}" if ing.get("artwork") else (ing.get("title") or "?")
        where = " (in this studio)" if ing.get("in_catalog") else ""
        lines.append(f"Ingredient ({ing.get('relationship')}): {what}{where}"
                     + (", with its own credentials" if ing.get("signed") else "") + ".")
    if report.credits:
        parts = [f"{c.get('name')} ({c.get('role')}, {float(c.get('share') or 0):.0%})"
                 for c in report.credits]
        lines.append("Credits: " + "; ".join(parts) + ".")
    if report.recipe:
        r = report.recipe
        prompt = r.get("prompt") if report.prompt_in_file is not False else None
        text = f"Recipe: {r.get('engine')} {r.get('mode')}, seed {r.get('seed')}"
        if r.get("model"):
            text += f", model {r['model']}"
        if prompt:
            text += f', prompt "{prompt}"'
        elif report.prompt_in_file is False:
            text += ", prompt kept private"
        lines.append(text + ".")
    if report.training_mining:
        uses = sorted(set(report.training_mining.values()))
        lines.append(f"AI training and data mining: {', '.join(uses)}.")
    for problem in report.problems:
        lines.append(f"Problem: {problem}")
    if report.infotext and not report.recipe:
        rec = report.infotext.get("recipe") or {}
        if report.infotext.get("error"):
            lines.append(f"Embedded parameters could not be read: {report.infotext['error']}")
        else:
            lines.append(f"Embedded parameters ({report.infotext['source']}): "
                         f"prompt \"{rec.get('prompt', '')}\", seed {rec.get('seed')}, "
                         f"model {rec.get('model') or 'unknown'}.")
    if report.watermark and report.watermark.get("mark") is not None:
        target = report.watermark.get("artwork")
        mark = report.watermark["mark"]
        lines.append(f"The watermark points to artwork {target} in this studio." if target else
                     f"The watermark reads {mark}, which no artwork in this studio carries.")
        if target and report.watermark.get("sentence"):
            lines.append(f"Its record: {report.watermark['sentence']}")
    if report.catalog_artwork:
        lines.append(f"This exact file is artwork {report.catalog_artwork[:12]} in this studio.")
    if report.status == "none" and len(lines) == 1:
        lines.append("It was never signed, or its metadata was stripped or lost in a re-encode.")
    return lines


def _verdict(report: VerifyReport) -> str:
    size = f"{report.format} {report.width}x{report.height}"
    if report.status == "intact":
        return f"Content credentials intact ({size})."
    if report.status == "tampered":
        return f"Changed after signing: the content credentials no longer match this file ({size})."
    return f"No content credentials ({size})."
