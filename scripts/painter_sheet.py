"""Paint the painter's prompt set (capabilities/painter/prompt_set.py) into one contact sheet.

Each prompt is painted at seed 0 and 512 px, shrunk to a thumbnail with its prompt under it,
and the time of each picture is printed. Usage:

    python scripts/painter_sheet.py [--size 512] [--thumb 176] [--out docs/painter-sheet.png]
                                    [--only 0,5,9] [--no-style]
"""

from __future__ import annotations

import argparse
import statistics
import textwrap
import time
from pathlib import Path

from PIL import Image, ImageDraw

from studiolo.capabilities.painter.engine import PainterEngine
from studiolo.capabilities.painter.prompt_set import PROMPTS
from studiolo.core.engine import Request
from studiolo.core.types import Recipe

COLUMNS = 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--thumb", type=int, default=176)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="docs/painter-sheet.png")
    parser.add_argument("--only", default="", help="comma-separated indices into the prompt set")
    parser.add_argument("--no-style", action="store_true", help="skip the style transfer")
    args = parser.parse_args()
    chosen = [int(i) for i in args.only.split(",") if i.strip()] or list(range(len(PROMPTS)))
    engine, t, label = PainterEngine(), args.thumb, 36
    cols = min(COLUMNS, len(chosen))
    rows = (len(chosen) + cols - 1) // cols
    sheet = Image.new("RGB", (t * cols, (t + label) * rows), "white")
    draw = ImageDraw.Draw(sheet)
    times = []
    for k, i in enumerate(chosen):
        prompt = PROMPTS[i]
        start = time.perf_counter()
        recipe = Recipe(engine="painter", prompt=prompt, seed=args.seed, width=args.size, height=args.size,
                        options={"no_style": True} if args.no_style else {})
        art = engine.run(Request(recipe))[0]
        took = time.perf_counter() - start
        times.append(took)
        style = art.recipe.options.get("style_chosen", {})
        print(f"{took:5.2f}s  [{i:2d}] {prompt!r} -> {style.get('artist')}, {style.get('title')}")
        x, y = (k % cols) * t, (k // cols) * (t + label)
        sheet.paste(art.image.resize((t, t), Image.LANCZOS), (x, y))
        lines = textwrap.wrap(f"{i}. {prompt}", width=t // 6)[:3]
        for j, line in enumerate(lines):
            draw.text((x + 3, y + t + 1 + 11 * j), line, fill="black")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(args.out, optimize=True)
    rest = times[1:] or times
    print(f"{len(times)} pictures at {args.size} px: first {times[0]:.2f} s (loads the models), "
          f"then median {statistics.median(rest):.2f} s, max {max(rest):.2f} s")
    print("wrote", args.out, f"({Path(args.out).stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
