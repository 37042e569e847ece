"""What every stored artwork goes through: ledger, watermark, recipe chunk, C2PA signature.

`prepare(...)` turns an engine's in-memory artwork into the bytes the file
store keeps, in this order (each step must not undo the one before):

1. the credit ledger (`collect.studio_credits`);
2. the invisible watermark, carrying a 48-bit mark that finds the record
   again when the metadata is stripped (images of at least 256 px). An artwork
   made from images (parents, an init, style or reference image) first has
   whatever mark it inherited taken out and gets its own a little stronger
   (`watermark_over.embed_mark_over`), so its own mark is the one read, not its parent's;
3. the AUTOMATIC1111 `parameters` text chunk (without the prompt, or any word of
   it in the options, when the person keeps it private: `private.private_recipe`);
4. the signed C2PA manifest, which binds the hash of everything above.

The mark is an HMAC of the recipe and person under a per-studio secret, so
the same recipe gives the same pixels (reproducibility holds) while nobody
without the secret can test a guessed prompt against a mark.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from studiolo.core.types import Artwork, Credit, Recipe

MARK_SECRET_FILE = "mark.secret"


@dataclass(frozen=True)
class Prepared:
    data: bytes
    image: Any  # what the file holds: the picture with its watermark
    credits: tuple[Credit, ...]
    mark: int | None


def mark_secret(settings: Any) -> bytes:
    """The studio's watermark secret (created on first use, file rights 0600)."""
    from studiolo.provenance.keys import keys_dir

    folder = keys_dir(settings)
    path = folder / MARK_SECRET_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    return path.read_bytes()


def mark_for(recipe: Recipe, person: str, settings: Any, pixels: bytes = b"") -> int:
    """A 48-bit mark, never 0, fixed by the recipe, the person and the unmarked pixels.

    Two different images never share a mark by sharing a recipe (an engine that
    is not deterministic, an edited input), and the same pixels from the same
    recipe get the same mark, so reruns stay pixel-identical.
    """
    from studiolo.provenance.watermark import MARK_BITS

    digest_of_pixels = hashlib.sha256(pixels).hexdigest()
    message = json.dumps([recipe.to_dict(), person, digest_of_pixels], sort_keys=True,
                         default=str).encode()
    digest = hmac.new(mark_secret(settings), message, hashlib.sha256).digest()
    return int.from_bytes(digest[: MARK_BITS // 8], "big") or 1


def scrub_prompt(recipe: Recipe) -> Recipe:
    """The recipe without its prompt anywhere: fields, and every word of it in the options
    (`studiolo.provenance.private.private_recipe`)."""
    from studiolo.provenance.private import private_recipe

    return private_recipe(recipe)


def scrub_credits(credits: Sequence[Credit], recipe: Recipe) -> tuple[Credit, ...]:
    """Credits whose evidence quotes no prompt words (for files that keep the prompt private)."""
    from studiolo.provenance.private import private_credits

    return private_credits(credits, recipe)


def prepare(
    artwork: Artwork,
    *,
    person: str,
    parents: Sequence[str],
    catalog: Any,
    files: Any,
    settings: Any,
    influences: Sequence[Credit] = (),
    style_credits: Sequence[Credit] | None = None,
    include_prompt: bool | None = None,
    training_mining: str | None = None,
) -> Prepared:
    from studiolo.core.imagemeta import encode_png
    from studiolo.provenance.c2pa_manifest import sign_png
    from studiolo.provenance.collect import studio_credits
    from studiolo.provenance.infotext import recipe_to_infotext
    from studiolo.provenance.watermark import can_carry_mark, embed_mark
    from studiolo.provenance.watermark_over import embed_mark_over

    recipe = artwork.recipe
    credits = studio_credits(
        artwork, person=person, parents=parents, catalog=catalog, files=files,
        settings=settings, extra_influences=influences, style_credits=style_credits,
    )
    image, mark = artwork.image, None
    if can_carry_mark(image):
        mark = mark_for(recipe, person, settings, image.tobytes())
        # Made from a (perhaps marked) image: the inherited mark goes, the child's wins.
        over = bool(parents or recipe.inputs)
        image = embed_mark_over(image, mark) if over else embed_mark(image, mark)
    include = settings.prompt_in_file if include_prompt is None else include_prompt
    shown = recipe if include else scrub_prompt(recipe)
    png = encode_png(image, {"parameters": recipe_to_infotext(shown)})
    data = sign_png(
        png, recipe=shown, credits=credits if include else scrub_credits(credits, recipe),
        person=person,
        parents=[(p, files.read(p)) for p in parents if files.exists(p)],
        ingredients=_ingredients(recipe, files, has_parents=bool(parents)),
        training_mining=training_mining, include_prompt=include, settings=settings,
    )
    return Prepared(data=data, image=image, credits=credits, mark=mark)


def _ingredients(recipe: Recipe, files: Any, *, has_parents: bool) -> list[tuple[str, bytes, str]]:
    """Input images as C2PA ingredients; the init image only when it is not a stored parent."""
    out = []
    for ref in recipe.inputs:
        kind = ref.role.rstrip("0123456789")
        wanted = kind in ("style", "reference") or (kind == "init" and not has_parents)
        if wanted and files.exists(ref.sha256):
            out.append((ref.role, files.read(ref.sha256), f"{ref.role} image {ref.sha256[:12]}"))
    return out
