"""Re-create the bundled demo photo(s) under `studiolo/data/photos/`.

Run once by a maintainer (`python -m studiolo.data.make_photos`); scikit-image
is needed only here, never at run time. The astronaut is NASA's official
portrait of Eileen Collins, a work of the US government and so in the public
domain; scikit-image bundles a 512x512 copy inside its wheel, so no download.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

PHOTOS_DIR = Path(__file__).parent / "photos"
SIZE = 512
QUALITY = 90

PHOTOS = {
    "astronaut.jpg": {
        "title": "Eileen Collins, NASA astronaut (official portrait)",
        "who": "Eileen Collins",
        "author": "NASA",
        "source": "NASA, public domain, via scikit-image (skimage.data.astronaut)",
        "licence": "Public domain (work of the US federal government, 17 U.S.C. 105)",
        "url": "https://commons.wikimedia.org/wiki/File:Eileen_Collins.jpg",
    }
}


def make_astronaut(path: Path) -> None:
    from skimage import data  # maintainer-only dependency

    image = Image.fromarray(data.astronaut()).convert("RGB")
    if image.size != (SIZE, SIZE):
        image = image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    # No EXIF, fixed quality and no optimiser randomness: the same bytes every run.
    image.save(path, "JPEG", quality=QUALITY)


def main() -> None:
    PHOTOS_DIR.mkdir(parents=True, exist_ok=True)
    make_astronaut(PHOTOS_DIR / "astronaut.jpg")
    with open(PHOTOS_DIR / "photos.json", "w", encoding="utf-8") as fh:
        json.dump(PHOTOS, fh, indent=2, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main()
