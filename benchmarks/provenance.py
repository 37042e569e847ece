"""What credit, signing and watermarking add to storing an artwork, against the painter's time.

    python benchmarks/provenance.py [--size 1024] [--repeats 5] [--prompts N]

For each prompt the offline painter makes a --size x --size painting (timed: the
generation). The same painting is then stored twice, each time timed:

* plain: what any studio does to keep a picture: the A1111 `parameters`
  chunk, a PNG, the file store and a catalog row;
* studiolo: `Studio.store`, which adds the credit ledger (with the style
  influence check against the built-in paintings), the invisible watermark
  and the signed C2PA manifest.

The added time is studiolo minus plain; the printed ratio is added time /
generation time (target: under 10%). The parts are timed on their own too
(ledger, watermark, signing), each the median over the repeats. The first
store of a process also loads the style-embedding model used by the influence
check; that one-time cost is printed apart and left out of the ratio, as every
later store in a session reuses it.

Measured 2026-11-23 on the 2-core CPU VM, 1024 px, 3 prompts x 5 repeats
(`python benchmarks/provenance.py`):

    generation (painter)            median 1.67 s
    plain store                     median 0.457 s
    studiolo store                  median 0.561 s
    added by provenance             0.105 s  = 6.3% of generation  (target < 10%)
      ledger 0.031 s, watermark 0.050 s, signing 0.007 s
    one-time influence model load   0.52 s (first store of a process)

An earlier run (2 prompts x 3) gave 4.5%; the ratio moves with the painter's
time for each prompt (1.3-2.8 s), the added time stays near 0.1 s.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROMPTS = [
    "a quiet harbour at sunset, boats on calm water",
    "a starry night over snowy mountains",
    "golden wheat fields under a stormy sky",
    "a calm abstract of blue and gold circles",
]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def plain_store(studio, artwork) -> None:
    """Storing without provenance: infotext chunk, PNG, file store, catalog row."""
    from studiolo.core.imagemeta import encode_png
    from studiolo.provenance.infotext import recipe_to_infotext

    png = encode_png(artwork.image, {"parameters": recipe_to_infotext(artwork.recipe)})
    sha, path = studio.files.put(png, "png")
    if not studio.catalog.has_artwork(sha):
        studio.catalog.add_artwork(artwork.replace(id=sha, path=path, owner=studio.settings.person,
                                                   width=artwork.image.width,
                                                   height=artwork.image.height), ext="png")


def parts(studio, artwork) -> dict[str, float]:
    """The three provenance parts of `prepare`, each timed alone."""
    from studiolo.core.imagemeta import encode_png
    from studiolo.provenance.c2pa_manifest import sign_png
    from studiolo.provenance.collect import studio_credits
    from studiolo.provenance.infotext import recipe_to_infotext
    from studiolo.provenance.pipeline import mark_for
    from studiolo.provenance.watermark import embed_mark

    s = studio.settings
    t_ledger, credits = timed(lambda: studio_credits(
        artwork, person=s.person, parents=(), catalog=studio.catalog, files=studio.files,
        settings=s))
    t_mark, marked = timed(lambda: embed_mark(
        artwork.image, mark_for(artwork.recipe, s.person, s, artwork.image.tobytes())))
    png = encode_png(marked, {"parameters": recipe_to_infotext(artwork.recipe)})
    t_sign, _ = timed(lambda: sign_png(png, recipe=artwork.recipe, credits=credits,
                                       person=s.person, settings=s))
    return {"ledger": t_ledger, "watermark": t_mark, "signing": t_sign}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--prompts", type=int, default=3)
    args = ap.parse_args(argv)

    from studiolo.core.types import Recipe
    from studiolo.studio import Studio

    home = Path(tempfile.mkdtemp(prefix="studiolo-bench-prov-"))
    studio = Studio(home / "studio")
    gen, plain, full = [], [], []
    split: dict[str, list[float]] = {"ledger": [], "watermark": [], "signing": []}
    first_store = None
    for i, prompt in enumerate(PROMPTS[: args.prompts]):
        recipe = Recipe(engine="painter", mode="txt2img", prompt=prompt, seed=i, steps=1,
                        width=args.size, height=args.size)
        t, [art] = timed(functools.partial(studio.run, recipe, store=False))
        gen.append(t)
        for r in range(args.repeats):
            # A new seed in the recipe each repeat keeps every stored file new.
            art_r = art.replace(recipe=art.recipe.replace(seed=1000 * i + r))
            t_full, _ = timed(functools.partial(studio.store, art_r))
            if first_store is None:
                first_store = t_full
                again = art_r.replace(recipe=art_r.recipe.replace(seed=-1 - r))
                t_full, _ = timed(functools.partial(studio.store, again))
            full.append(t_full)
            bare = art_r.replace(recipe=art_r.recipe.replace(steps=999))
            t_plain, _ = timed(functools.partial(plain_store, studio, bare))
            plain.append(t_plain)
            for k, v in parts(studio, art_r).items():
                split[k].append(v)
        print(f"  {prompt!r}: generation {t:.2f} s", file=sys.stderr)

    med = statistics.median
    g, p, f = med(gen), med(plain), med(full)
    added = f - p
    print(f"size {args.size}px, {len(gen)} prompts x {args.repeats} repeats")
    print(f"generation (painter)            median {g:.2f} s")
    print(f"plain store                     median {p:.3f} s")
    print(f"studiolo store                  median {f:.3f} s")
    print(f"added by provenance             {added:.3f} s  = {100 * added / g:.1f}% of generation"
          f"  (target < 10%)")
    print("  " + ", ".join(f"{k} {med(v):.3f} s" for k, v in split.items()))
    print(f"one-time influence model load   {first_store - f:.2f} s (first store of a process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
