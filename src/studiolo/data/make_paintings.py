"""Re-create the bundled painting styles under `studiolo/data/paintings/`.

Run by a maintainer: `python -m studiolo.data.make_paintings [ARTWORKS_DIR]`
(default /work/shared/artworks, which holds `manifest.csv`). Every painting is
by an artist long dead and in the public domain; we keep a 512 px copy (long
side, JPEG quality 85) because the style predictor only ever sees 256 px, and
the whole folder stays a few MB inside the wheel.

`paintings.json` lists the styles; within one artist the first entry is the
work a bare artist name resolves to (`--style "van gogh"` -> The Starry Night),
so FAMOUS below decides that order.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from PIL import Image

PAINTINGS_DIR = Path(__file__).parent / "paintings"
LONG_SIDE = 512
QUALITY = 85

# The work an artist's bare name stands for: their best-known painting in the set.
FAMOUS = {
    "Claude Monet": "Impression, Sunrise",
    "Vincent van Gogh": "The Starry Night",
    "Gustav Klimt": "The Kiss",
    "Edgar Degas": "The Ballet Class",
    "Georges Seurat": "A Sunday on La Grande Jatte",
    "Paul Cézanne": "Mont Sainte-Victoire with Large Pine",
    "Paul Gauguin": "Where Do We Come From? What Are We? Where Are We Going?",
    "Pierre-Auguste Renoir": "Bal du moulin de la Galette",
    "Camille Pissarro": "Boulevard Montmartre at Night",
    "Alfred Sisley": "The Flood at Port-Marly",
    "Berthe Morisot": "The Cradle",
}


def _slug(file_name: str) -> str:
    # "vincent-van-gogh__the-starry-night.jpg" -> "vincent-van-gogh-the-starry-night"
    return Path(file_name).stem.replace("__", "-")


def main(artworks: Path = Path("/work/shared/artworks")) -> None:
    PAINTINGS_DIR.mkdir(parents=True, exist_ok=True)
    with open(artworks / "manifest.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # Artist's famous work first, then the rest by title: a stable, meaningful order.
    rows.sort(key=lambda r: (r["artist"], r["title"] != FAMOUS.get(r["artist"]), r["title"]))
    entries = []
    for row in rows:
        slug = _slug(row["file"])
        image = Image.open(artworks / row["file"]).convert("RGB")
        image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
        image.save(PAINTINGS_DIR / f"{slug}.jpg", "JPEG", quality=QUALITY)
        entries.append(
            {
                "id": slug,
                "title": row["title"],
                "artist": row["artist"],
                "year": row["year"],
                "file": f"{slug}.jpg",
                "source": f"github.com/{row['source_repo']}/{row['source_path']}",
                "original_sha256": row["sha256"],
            }
        )
    with open(PAINTINGS_DIR / "paintings.json", "w", encoding="utf-8") as fh:
        json.dump(entries, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/artworks"))
