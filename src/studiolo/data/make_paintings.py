"""Re-create the bundled painting styles and their artists under `studiolo/data/`.

Run by a maintainer: `python -m studiolo.data.make_paintings [ARTWORKS_DIR ...]`
(default /work/shared/artworks and /work/shared/artworks-world, each holding a
`manifest.csv`; the artists are read from `artists.csv` beside the first one). Every
painting is by an artist long dead (or, for the papyrus, anonymous and over 3,000
years old) and in the public domain; we keep a 512 px copy (long side, JPEG quality
85) because the style predictor only ever sees 256 px, and the whole folder stays a
few MB inside the wheel.

`paintings.json` lists the styles; within one artist the first entry is the
work a bare artist name resolves to (`--style "van gogh"` -> The Starry Night),
so FAMOUS below decides that order. Each entry names the `collection` (the source
folder) it came from: "artworks" (the developer set, 55 works of mostly
nineteenth-century Europe) or "artworks-world" (28 works from East, South and West
Asia, ancient Egypt, and seven women artists). `artists.csv` keeps the rows of
`artists.csv` for the artists of the bundled works (born, died, gender, nationality,
region, movement): what the credit audit (`studiolo audit credits`) reads.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from PIL import Image

DATA_DIR = Path(__file__).parent
PAINTINGS_DIR = DATA_DIR / "paintings"
ARTISTS_FILE = DATA_DIR / "artists.csv"
LONG_SIDE = 512
QUALITY = 85
DEFAULT_FOLDERS = (Path("/work/shared/artworks"), Path("/work/shared/artworks-world"))
ARTIST_COLUMNS = ("artist", "born", "died", "gender", "nationality", "region", "movement")

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
    "Osman Hamdi Bey": "The Tortoise Trainer",
    "Kim Hong-do": "Ssireum (Wrestling), from Album of Genre Paintings",
    "Raja Ravi Varma": "Shantanu and Satyavati",
}


def _slug(file_name: str) -> str:
    # "vincent-van-gogh__the-starry-night.jpg" -> "vincent-van-gogh-the-starry-night"
    return Path(file_name).stem.replace("__", "-")


def _rows(folder: Path) -> list[dict[str, str]]:
    with open(folder / "manifest.csv", encoding="utf-8", newline="") as fh:
        return [{**row, "collection": folder.name, "folder": str(folder)} for row in csv.DictReader(fh)]


def write_artists(source: Path, artists: set[str], target: Path = ARTISTS_FILE) -> None:
    """The rows of `source` (an artists.csv) for `artists`, sorted; every artist must have one."""
    with open(source, encoding="utf-8", newline="") as fh:
        rows = {row["artist"]: row for row in csv.DictReader(fh)}
    missing = sorted(artists - set(rows))
    if missing:
        raise SystemExit(f"{source} has no row for {', '.join(missing)}; add them first.")
    with open(target, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=ARTIST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for name in sorted(artists):
            writer.writerow({k: rows[name].get(k, "") for k in ARTIST_COLUMNS})


def main(folders: tuple[Path, ...] = DEFAULT_FOLDERS) -> None:
    PAINTINGS_DIR.mkdir(parents=True, exist_ok=True)
    rows = [row for folder in folders for row in _rows(folder)]
    # Artist's famous work first, then the rest by title: a stable, meaningful order.
    rows.sort(key=lambda r: (r["artist"], r["title"] != FAMOUS.get(r["artist"]), r["title"]))
    entries = []
    for row in rows:
        slug = _slug(row["file"])
        image = Image.open(Path(row["folder"]) / row["file"]).convert("RGB")
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
                "collection": row["collection"],
            }
        )
    with open(PAINTINGS_DIR / "paintings.json", "w", encoding="utf-8") as fh:
        json.dump(entries, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    write_artists(folders[0] / "artists.csv", {e["artist"] for e in entries})


if __name__ == "__main__":
    main(tuple(Path(p) for p in sys.argv[1:]) or DEFAULT_FOLDERS)
