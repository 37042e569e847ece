"""Paint 12 prompts with the offline painter and lay them out as docs/painter-contact-sheet.jpg.

Usage: python scripts/contact_sheet.py [--size 320] [--out docs/painter-contact-sheet.jpg]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from PIL import Image, ImageDraw

from studiolo.capabilities.painter.engine import PainterEngine
from studiolo.core.engine import Request
from studiolo.core.types import Recipe

PROMPTS = (
    "a calm sea at dusk",
    "snowy mountains at dawn",
    "a starry night over a quiet village",
    "a stormy sea with a lighthouse at night",
    "a golden wheat field at sunset",
    "a melancholy lake in the mist",
    "a forest under the full moon",
    "a lone figure on the shore at dawn",
    "a sailing boat on a calm sea at noon",
    "a garden of flowers in spring",
    "an abstract composition of swirling energy",
    "geometric shapes in pastel colours",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="docs/painter-contact-sheet.jpg")
    args = parser.parse_args()
    engine, s, label = PainterEngine(), args.size, 22
    sheet = Image.new("RGB", (s * 4, (s + label) * 3), "white")
    draw = ImageDraw.Draw(sheet)
    for i, prompt in enumerate(PROMPTS):
        start = time.perf_counter()
        recipe = Recipe(engine="painter", prompt=prompt, seed=args.seed + i, width=s, height=s)
        art = engine.run(Request(recipe))[0]
        style = art.recipe.options.get("style_chosen", {})
        print(f"{time.perf_counter() - start:5.2f}s  {prompt!r} -> {style.get('artist')}, {style.get('title')}")
        x, y = (i % 4) * s, (i // 4) * (s + label)
        sheet.paste(art.image, (x, y))
        draw.text((x + 6, y + s + 5), prompt, fill="black")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
