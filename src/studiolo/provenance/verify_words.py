"""`verify`'s report in words, and the bounds on every piece of text it prints.

Whatever a file holds (a 60 KB UserComment, a manifest of a million actions),
a string of the report is at most MAX_TEXT characters, a list MAX_ITEMS items
and a printed line MAX_LINE characters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studiolo.provenance.verify import VerifyReport

MAX_TEXT = 2000  # characters of any one string in the report (a prompt is rarely longer)
MAX_ITEMS = 100  # items of any one list (actions, ingredients, credits, problems)
MAX_LINE = 2000  # characters of any one printed line


# -- bounds ---------------------------------------------------------------------
def cut(text: str, limit: int = MAX_TEXT) -> str:
    """`text` if short enough, else its start and how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 40]}... ({len(text) - limit + 40} more characters)"


def bounded(value: Any, depth: int = 0) -> Any:
    """JSON-like data with every string cut to MAX_TEXT and every list and dict to
    MAX_ITEMS items, nested at most 16 deep (what verify prints of any file)."""
    if isinstance(value, str):
        return cut(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if value.bit_length() < 200 else None
    if depth >= 16:
        return None
    if isinstance(value, dict):
        return {cut(str(k), 200): bounded(v, depth + 1)
                for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, list | tuple):
        return [bounded(v, depth + 1) for v in value[:MAX_ITEMS]]
    return cut(str(value), 200)


def _word(value: Any, limit: int = 300) -> str | None:
    """Text to show: a string (cut to `limit`), a number as text, else None."""
    if isinstance(value, bool) or value is None:
        return None if value is None else str(value)
    if isinstance(value, int | float):
        return str(value) if not isinstance(value, int) or value.bit_length() < 200 else None
    if isinstance(value, str):
        return value if len(value) <= limit else value[: limit - 3] + "..."
    return None



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
        parts = [f"{c.get('name')} ({c.get('role')}, {c.get('share') or 0.0:.0%})"
                 for c in report.credits]
        lines.append("Credits: " + "; ".join(parts) + ".")
    if report.recipe:
        r = report.recipe
        prompt = _word(r.get("prompt")) if report.prompt_in_file is not False else None
        text = f"Recipe: {_word(r.get('engine'))} {_word(r.get('mode'))}, seed {_word(r.get('seed'))}"
        if _word(r.get("model")):
            text += f", model {_word(r['model'])}"
        if prompt:
            text += f', prompt "{prompt}"'
        elif report.prompt_in_file is False:
            text += ", prompt kept private"
        lines.append(text + ".")
    if report.training_mining:
        uses = sorted(set(report.training_mining.values()))
        lines.append(f"AI training and data mining: {', '.join(uses)}.")
    for problem in report.problems[:MAX_ITEMS]:
        lines.append(f"Problem: {problem}")
    if report.infotext and not report.recipe:
        rec = report.infotext.get("recipe") or {}
        if report.infotext.get("error"):
            lines.append(f"Embedded parameters could not be read: {report.infotext['error']}")
        else:
            lines.append(f"Embedded parameters ({_word(report.infotext.get('source'))}): "
                         f"prompt \"{_word(rec.get('prompt'), MAX_TEXT) or ''}\", "
                         f"seed {_word(rec.get('seed'))}, "
                         f"model {_word(rec.get('model')) or 'unknown'}.")
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
    return [cut(" ".join(line.split("\x00")), MAX_LINE) for line in lines[: 4 * MAX_ITEMS]]


def _verdict(report: VerifyReport) -> str:
    size = f"{report.format} {report.width}x{report.height}"
    if report.status == "intact":
        return f"Content credentials intact ({size})."
    if report.status == "tampered":
        return f"Changed after signing: the content credentials no longer match this file ({size})."
    if report.status == "remote":
        where = f" at {report.remote_manifest}" if report.remote_manifest else ""
        return (f"Content credentials not checked: the file points to a remote manifest{where}, "
                f"which was not fetched (this studio never goes online) ({size}).")
    if report.status == "unverifiable":
        return (f"Content credentials cannot be checked: the library rejects how they bind "
                f"to this file, so whether it changed is unknown ({size}).")
    if report.status == "untrusted":
        return (f"Signed and unchanged, but the signing credential does not hold "
                f"(expired, revoked or untrusted identity) ({size}).")
    if report.status == "ingredient_invalid":
        return (f"Content credentials intact for this file, but an ingredient's own "
                f"credentials are broken ({size}).")
    return f"No content credentials ({size})."
