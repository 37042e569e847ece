"""Credits derived from a recipe.

The rule for shares (until the full credit ledger lands): the person who
wrote the prompt or made the request holds half; the other half is split
equally among the models, LoRAs and style sources the recipe names. With
nothing else named, the person holds it all. Shares always sum to 1.
"""

from __future__ import annotations

from ..types import Credit, Recipe

PERSON_SHARE = 0.5


def basic_credits(recipe: Recipe, person: str) -> tuple[Credit, ...]:
    others: list[Credit] = []
    if recipe.model:
        others.append(
            Credit(
                name=recipe.model,
                kind="model",
                role="model_author",
                evidence="model named in the recipe",
                ref=recipe.model_hash,
            )
        )
    for lora in recipe.loras:
        others.append(
            Credit(name=lora.name, kind="lora", role="model_author",
                   evidence=f"LoRA applied with weight {lora.weight}", ref=lora.sha256)
        )
    for style in recipe.options.get("styles", []) or []:
        if isinstance(style, dict) and style.get("artist"):
            title = style.get("title") or ""
            year = f" ({style['year']})" if style.get("year") else ""
            others.append(
                Credit(name=style["artist"], kind="artist", role="style_source",
                       evidence=f"built-in style {title}{year}".strip(), ref=style.get("id"))
            )
    role = "prompt_author" if recipe.prompt else "editor"
    if not others:
        return (Credit(name=person, kind="person", role=role, share=1.0, evidence="made the request"),)
    each = (1.0 - PERSON_SHARE) / len(others)
    person_credit = Credit(
        name=person, kind="person", role=role, share=PERSON_SHARE, evidence="made the request"
    )
    return (person_credit, *(Credit(**{**c.__dict__, "share": each}) for c in others))
