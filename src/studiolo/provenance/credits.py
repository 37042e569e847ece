"""Credits derived from a recipe alone (kept for callers of the first API).

`basic_credits(recipe, person)` is `ledger.build_credits(recipe, person=person)`:
the ledger's one share rule (see `studiolo.provenance.ledger` and
docs/credits.md), with nothing known beyond the recipe. Shares sum to 1.
"""

from __future__ import annotations

from studiolo.core.types import Credit, Recipe
from studiolo.provenance.ledger import build_credits


def basic_credits(recipe: Recipe, person: str) -> tuple[Credit, ...]:
    """The recipe's credits by the ledger's rule, with no model card or parents known."""
    return build_credits(recipe, person=person)
