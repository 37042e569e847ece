"""The credit ledger: who and what made an artwork, with one rule for the shares.

`build_credits` turns a recipe (and what is known about its model, LoRAs,
style images and parent artworks) into credits; `credit_sentence` says them
in one plain sentence.

The share rule (also in docs/credits.md):

1. Parents first. When the artwork was made from stored artworks (an edit, a
   restoration, a variation, an upscale), the parents' own credits are carried
   in and together hold `PARENT_FRACTION` (1/2) of the credit, split equally
   among the parents and within each parent in proportion to its own shares.
   Without parents (or when no parent has credits) this part is 0.
2. The rest is what is new. The person who made the request (prompt author
   for text-to-image, curator for curation, editor for every other mode)
   holds `PERSON_SHARE` (1/2) of it; the other half is split among the other
   new contributors in proportion to fixed weights (`WEIGHTS`): the base
   model 2, each LoRA 1, all style sources together 2 (divided by their blend
   weights), each reference image 1, each influence 1/2, each tool 1/4. With
   no other contributor the person holds all of the new part.
3. The same contributor in the same role is one credit (shares added), and
   the shares are divided by their sum, so they always sum to 1.

Model credits keep what the model card says in `evidence` as
"key: value; key: value" fields (`authors`, `licence`, `card`; a LoRA adds
`weight`, `tags`, `base`), which `evidence_fields` reads back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from studiolo.core.errors import InvalidArgument, StudioloError
from studiolo.core.types import Credit, Recipe
from studiolo.provenance.contributions import Contributions
from studiolo.provenance.model_cards import ModelInfo

PERSON_SHARE = 0.5
PARENT_FRACTION = 0.5
WEIGHTS = {"model": 2.0, "lora": 1.0, "style_source": 2.0, "reference": 1.0, "subject": 1.0,
           "influence": 0.5, "tool": 0.25}
CARRIED = "carried from a parent artwork"



def contributions() -> Contributions:
    """What the capabilities add to the ledger: the tools their engines run, their verbs.

    Asked of the plugins (the `register_credits` hook), so the ledger names no engine.
    """
    from studiolo.plugins import credit_contributions

    return credit_contributions()


def person_role(recipe: Recipe) -> str:
    """prompt_author for text-to-image, curator for curation, editor otherwise."""
    if recipe.mode == "txt2img":
        return "prompt_author"
    return "curator" if contributions().is_curation(recipe.mode) else "editor"


def _fields(**values: Any) -> str:
    parts = []
    for key, value in values.items():
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        if value not in (None, ""):
            parts.append(f"{key}: {str(value).replace(';', ',')}")
    return "; ".join(parts)


def evidence_fields(evidence: str) -> dict[str, str]:
    """The "key: value; key: value" fields of a credit's evidence."""
    out: dict[str, str] = {}
    for part in evidence.split(";"):
        key, sep, value = part.partition(":")
        if sep and key.strip().isidentifier():
            out[key.strip()] = value.strip()
    return out


# -- the contributors -----------------------------------------------------------


def _model_credits(recipe: Recipe, info: ModelInfo | None,
                   loras: Sequence[ModelInfo | None]) -> list[Credit]:
    out: list[Credit] = []
    tool = contributions().tool_model(recipe.engine) if recipe.model else None
    if tool is not None and tool.tool_model:
        out.append(Credit(name=tool.tool_model.format(recipe.model), kind="model", role="tool",
                          evidence=tool.tool_model_evidence))
    elif recipe.model or info is not None:
        name = info.name if info else str(recipe.model)
        evidence = _fields(authors=info.authors, licence=info.licence, card=info.source) if info \
            else "named in the recipe (no model card found)"
        out.append(Credit(name=name, kind="model", role="model_author", evidence=evidence,
                          ref=recipe.model_hash))
    for i, spec in enumerate(recipe.loras):
        lora = loras[i] if i < len(loras) else None
        evidence = _fields(weight=spec.weight, authors=lora.authors if lora else None,
                           licence=lora.licence if lora else None,
                           tags=lora.tags if lora else None, base=lora.base_model if lora else None,
                           card=lora.source if lora else None)
        out.append(Credit(name=spec.name, kind="lora", role="model_author", evidence=evidence,
                          ref=spec.sha256))
    return out


def _builtin_style_credit(entry: Mapping[str, Any] | str) -> Credit | None:
    from studiolo.features.styles import get_style

    key = entry if isinstance(entry, str) else entry.get("id") or entry.get("name")
    try:
        style = get_style(str(key))
    except StudioloError:
        return None
    if style.kind == "magenta":
        return Credit(name=style.title, kind="model", role="style_source", ref=style.id,
                      evidence="built-in style of the 26-style Magenta network")
    return Credit(name=style.artist, kind="artist", role="style_source", ref=style.id,
                  evidence=f"built-in painting {style.title} ({style.year}) used as the style")


def _style_members(recipe: Recipe, engine_credits: Sequence[Credit],
                   style_credits: Sequence[Credit]) -> list[tuple[Credit, float]]:
    """Style sources with their blend weights (any scale; normalised by the caller)."""
    members: dict[str, tuple[Credit, float]] = {}
    image_weight = 0.0
    opts = recipe.options
    entries: list[tuple[Any, float]] = []
    for entry in opts.get("styles") or []:
        if isinstance(entry, dict) and entry.get("input"):
            image_weight += float(entry.get("weight") or 1.0)
        elif isinstance(entry, dict | str):
            weight = entry.get("weight", 1.0) if isinstance(entry, dict) else 1.0
            entries.append((entry, float(weight or 1.0)))
    for key in ("style_chosen", "style"):
        if isinstance(opts.get(key), dict | str) and opts.get(key):
            entries.append((opts[key], 1.0))
    for c in engine_credits:
        if c.role == "style_source" and c.ref:
            entries.append(({"id": c.ref}, c.share or 1.0))
    for entry, weight in entries:
        credit = _builtin_style_credit(entry)
        if credit is not None and credit.ref not in members:
            members[credit.ref] = (credit, weight)
    for c in engine_credits:  # style sources an engine names that are not built-in styles
        if c.role == "style_source" and c.ref not in members and _builtin_style_credit(
                {"id": c.ref}) is None:
            members[c.ref or c.name] = (c, c.share or 1.0)
    sha = recipe.input("style")
    if sha and (image_weight or not members):
        image_weight = image_weight or 1.0
        own = [c for c in style_credits if c.role != "tool"] or [
            Credit(name=f"style image {sha[:12]}", kind="artwork", role="style_source",
                   share=1.0, evidence="the person's style image (it carries no credits)", ref=sha)]
        total = sum(max(c.share, 0.0) for c in own)
        for c in own:
            part = max(c.share, 0.0) / total if total > 0 else 1.0 / len(own)
            moved = Credit(name=c.name, kind=c.kind, role="style_source", ref=c.ref or sha,
                           evidence=c.evidence if c.ref == sha else
                           f"credited in the style image ({c.role}): {c.evidence}".rstrip(": "))
            members[f"{c.kind}:{c.name}:{c.ref}"] = (moved, image_weight * part)
    return list(members.values())


def _reference_credits(recipe: Recipe, has_parents: bool) -> list[Credit]:
    out = []
    for ref in recipe.inputs:
        if ref.role in ("mask", "style") or (ref.role == "init" and has_parents):
            continue
        what = "the image the edit started from" if ref.role == "init" else f"{ref.role} image"
        out.append(Credit(name=f"{ref.role} image {ref.sha256[:12]}", kind="artwork",
                          role="reference", evidence=what, ref=ref.sha256))
    return out


def _tool_credits(recipe: Recipe, engine_credits: Sequence[Credit]) -> list[Credit]:
    tools = {c.name: c for c in engine_credits if c.role == "tool"}
    for name, evidence in contributions().tools(recipe.engine):
        tools.setdefault(name, Credit(name=name, kind="model", role="tool", evidence=evidence))
    return list(tools.values())


def _carried(parent_credits: Sequence[Sequence[Credit]]) -> list[Credit]:
    parents = [list(p) for p in parent_credits if p]
    out: list[Credit] = []
    for credits in parents:
        total = sum(max(c.share, 0.0) for c in credits)
        for c in credits:
            part = max(c.share, 0.0) / total if total > 0 else 1.0 / len(credits)
            evidence = c.evidence.removeprefix(CARRIED).lstrip(";: ")
            out.append(Credit(name=c.name, kind=c.kind, role=c.role, ref=c.ref,
                              share=PARENT_FRACTION * part / len(parents),
                              evidence=f"{CARRIED}; {evidence}" if evidence else CARRIED))
    return out


def _merge(credits: Sequence[Credit]) -> list[Credit]:
    merged: dict[tuple, Credit] = {}
    for c in credits:
        key = (c.name, c.kind, c.role, c.ref)
        if key in merged:
            old = merged[key]
            evidence = old.evidence if c.evidence in old.evidence else f"{old.evidence}; {c.evidence}"
            merged[key] = Credit(name=c.name, kind=c.kind, role=c.role, ref=c.ref,
                                 share=old.share + c.share, evidence=evidence)
        else:
            merged[key] = c
    return list(merged.values())


def build_credits(
    recipe: Recipe,
    *,
    person: str,
    engine_credits: Sequence[Credit] = (),
    parent_credits: Sequence[Sequence[Credit]] = (),
    model_info: ModelInfo | None = None,
    lora_infos: Sequence[ModelInfo | None] = (),
    style_credits: Sequence[Credit] = (),
    influences: Sequence[Credit] = (),
) -> tuple[Credit, ...]:
    """The credits of an artwork made by `recipe`, shares by the module's rule (sum 1)."""
    if not isinstance(person, str) or not person.strip():
        raise InvalidArgument(f"`person` must be a non-empty name, got {person!r}.")
    carried = _carried(parent_credits)
    fraction = PARENT_FRACTION if carried else 0.0
    role = person_role(recipe)
    doing = {"prompt_author": "wrote the prompt", "curator": "chose and ordered the works"}
    me = Credit(name=person.strip(), kind="person", role=role,
                evidence=doing.get(role, f"made the {recipe.mode} request"))

    weighted: list[tuple[Credit, float]] = []
    for c in _model_credits(recipe, model_info, lora_infos):
        weighted.append((c, WEIGHTS["tool"] if c.role == "tool" else WEIGHTS[c.kind]))
    styles = _style_members(recipe, engine_credits, style_credits)
    blend = sum(max(w, 0.0) for _, w in styles)
    for c, w in styles:
        part = max(w, 0.0) / blend if blend > 0 else 1.0 / len(styles)
        weighted.append((c, WEIGHTS["style_source"] * part))
    for c in _reference_credits(recipe, bool(carried)):
        weighted.append((c, WEIGHTS["reference"]))
    for c in engine_credits:
        if c.role in ("reference", "subject"):
            weighted.append((c, WEIGHTS[c.role]))
    credited = {c.name for c, _ in weighted}
    for c in influences:  # an artist already credited as a style source is not an influence too
        if c.name not in credited:
            credited.add(c.name)
            weighted.append((Credit(**{**c.__dict__, "role": "influence"}), WEIGHTS["influence"]))
    for c in _tool_credits(recipe, engine_credits):
        if c.name not in credited:
            weighted.append((c, WEIGHTS["tool"]))

    total = sum(w for _, w in weighted)
    new = 1.0 - fraction
    mine = new * (PERSON_SHARE if total > 0 else 1.0)
    out = [Credit(**{**me.__dict__, "share": mine})]
    for c, w in weighted:
        out.append(Credit(**{**c.__dict__, "share": (new - mine) * w / total}))
    out = _merge(out + carried)
    grand = sum(c.share for c in out)
    return tuple(Credit(**{**c.__dict__, "share": c.share / grand}) for c in out)


# -- the sentence -----------------------------------------------------------------

def _and(items: Sequence[str]) -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _model_phrase(c: Credit) -> str:
    f = evidence_fields(c.evidence)
    about = [x for x in (f.get("authors"), f.get("licence")) if x]
    label = f"the LoRA {c.name}" if c.kind == "lora" else c.name
    return f"{label} ({', '.join(about)})" if about else label


def _style_phrase(c: Credit) -> str:
    from studiolo.features.styles import get_style

    if c.kind == "artist" and c.ref:
        try:
            s = get_style(c.ref)
            return f"{s.artist}, {s.title} ({s.year})"
        except StudioloError:
            pass
    return c.name


def credit_sentence(credits: Sequence[Credit], recipe: Recipe) -> str:
    """One plain sentence: who made it, with which models, in whose style, from what."""
    direct = [c for c in credits if not c.evidence.startswith(CARRIED)]
    carried = [c for c in credits if c.evidence.startswith(CARRIED)]
    people = [c.name for c in direct if c.kind == "person"]
    text = f"{contributions().verb(recipe.mode)} by {_and(people) if people else 'an unnamed person'}"
    models = [_model_phrase(c) for c in direct if c.role == "model_author"]
    if models:
        text += f" with {_and(models)}"
    styles = [_style_phrase(c) for c in direct if c.role == "style_source"]
    if styles:
        text += f" in the style of {_and(styles)}"
    others = [c.name for c in carried if c.kind == "person" and c.name not in people]
    if carried:
        text += f" from a work by {_and(others)}" if others else " from an earlier work"
    influences = [c.name for c in direct if c.role == "influence"]
    if influences:
        text += f", influenced by {_and(influences)}"
    tools = [c.name for c in direct if c.role == "tool"]
    if tools:
        text += f", using {_and(tools)}"
    return text + "."
