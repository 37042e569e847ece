"""How many of the ComfyUI sample files (tests/comfy_cases.py) import right: "N of M right".

Writes each sample file (PNG text chunks, JPEG/WebP EXIF) to a temporary folder, reads it
with `studiolo.provenance.importers.read_recipe` and compares the recipe with what the graph
says, field by field. Run with any studiolo on PYTHONPATH to compare versions:

    PYTHONPATH=src python scripts/comfy_import_check.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from comfy_cases import CASES, check

from studiolo.core.errors import StudioloError
from studiolo.provenance.importers import read_recipe


def main() -> int:
    right = 0
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, write, expected) in enumerate(CASES):
            try:
                got = read_recipe(write(Path(folder) / f"case{index}.png"))
                wrong = check(got.recipe, expected) + ([] if got.source == "comfyui" else
                                                       [f"source: {got.source}"])
            except StudioloError as exc:
                wrong = [f"refused: {str(exc)[:160]}"]
            right += not wrong
            print(f"{'right' if not wrong else 'WRONG'}  {name}" + "".join(f"\n       {w[:200]}" for w in wrong))
    print(f"{right} of {len(CASES)} right")
    return 0 if right == len(CASES) else 1


if __name__ == "__main__":
    raise SystemExit(main())
