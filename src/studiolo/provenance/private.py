"""What a file may carry when its prompt is private: the recipe with no word of the prompt.

`--private-prompt` (Settings.prompt_in_file False, or `include_prompt=False` for one
artwork) keeps the prompt out of the file: the `parameters` text chunk and the signed
C2PA recipe. Blanking `prompt` and `negative_prompt` is not enough, because engines
echo what they read in the options: the painter's scene ("the word 'quiet'",
used_words ["quiet", "fields", "dawn"], subject "field"), a prompts journey's two ends,
reasons and titles. `private_recipe` blanks every option string that holds a word of
any prompt text, in the file-writing path only: the catalog keeps the full recipe for
its owner.

A word matches in its plain form too ("fields" and "field", "skies" and "sky"), so a
concept the engine named after a prompt word goes with it. Function words ("the", "at",
"of") and words under three letters are not counted: they say nothing of the prompt,
and matching them would blank every sentence. LoRA tags (`<lora:name:w>`) are model
references, kept in `recipe.loras` and the credits, not words of the prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from studiolo.core.types import Credit, Recipe

PRIVATE_EVIDENCE = "named in the prompt (kept private)"

# Grammatical words only: content words ("painting", "beautiful") may well be private.
FUNCTION_WORDS = frozenset({
    "the", "and", "but", "nor", "for", "with", "from", "into", "onto", "over", "under", "above",
    "below", "near", "about", "after", "before", "between", "through", "during", "while",
    "this", "that", "these", "those", "its", "his", "her", "their", "our", "your", "you",
    "they", "them", "she", "him", "who", "whom", "what", "which", "where", "when", "how",
    "than", "then", "there", "here", "some", "any", "all", "each", "very", "just", "only",
    "not", "off", "out", "are", "was", "were", "been", "being", "has", "had", "have", "does",
    "did",
})
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_LORA_TAG = re.compile(r"<lora:[^>]*>", re.IGNORECASE)


def plain(word: str) -> str:
    """A word's plain form: lower case, no possessive, a regular plural made singular."""
    w = word.lower().replace("’", "'")
    w = w.removesuffix("'s").removesuffix("'")
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "xes", "zes", "sses")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def words_of(text: str) -> set[str]:
    """The telling words of a text, in their plain forms."""
    found = _WORD.findall(_LORA_TAG.sub(" ", text))
    return {plain(w) for w in found if len(w) >= 3 and w.lower() not in FUNCTION_WORDS}


def prompt_texts(recipe: Recipe) -> list[str]:
    """Every prompt a recipe holds: its prompt and negative prompt, and the prompts an
    engine keeps in its options (a prompts journey's two ends; any `prompt` or
    `negative_prompt` key, as an imported ComfyUI or A1111 recipe may carry)."""
    texts = [recipe.prompt, recipe.negative_prompt]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            journey_prompts = value.get("kind") == "prompts"
            for key, item in value.items():
                if isinstance(item, str) and (
                    "prompt" in str(key).lower() or (journey_prompts and key in ("a", "b"))):
                    texts.append(item)
                else:
                    walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(dict(recipe.options))
    return [t for t in texts if isinstance(t, str) and t.strip()]


def private_words(recipe: Recipe) -> frozenset[str]:
    """The words (plain forms) no private file of this recipe may carry."""
    return frozenset(w for text in prompt_texts(recipe) for w in words_of(text))


def carries(text: str, words: Iterable[str]) -> bool:
    """Whether `text` holds any of `words` (plain forms), as a word of its own."""
    wanted = set(words)
    return bool(wanted) and any(plain(w) in wanted for w in _WORD.findall(text))


def scrub(value: Any, words: frozenset[str]) -> Any:
    """`value` (JSON-like) with every string holding one of `words` blanked: in a dict it
    becomes "" (the shape stays for readers), in a list it is dropped."""
    if isinstance(value, dict):
        return {k: scrub(v, words) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, words) for v in value if not (isinstance(v, str) and carries(v, words))]
    if isinstance(value, str) and carries(value, words):
        return ""
    return value


def private_recipe(recipe: Recipe) -> Recipe:
    """The recipe as a file carries it when the prompt is private: no prompt, no negative
    prompt, and no word of either (or of any prompt in the options) anywhere in its options."""
    words = private_words(recipe)
    return recipe.replace(prompt="", negative_prompt="", options=scrub(dict(recipe.options), words))


def private_credits(credits: Sequence[Credit], recipe: Recipe) -> tuple[Credit, ...]:
    """Credits whose evidence quotes no word of the prompt. Names stay: a person, a model or
    a painting is credited whatever the prompt said (the credit is owed either way)."""
    words = private_words(recipe)
    out = []
    for c in credits:
        evidence = PRIVATE_EVIDENCE if carries(c.evidence, words) else c.evidence
        out.append(Credit(**{**c.__dict__, "evidence": evidence}))
    return tuple(out)
