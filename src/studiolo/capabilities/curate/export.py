"""Export an exhibition as a static site that opens from a folder (file://), no server, no script.

index.html (the introduction and the rooms), one page per room (works in
walking order, each with its label and credit line), style.css, and images/
resized for the web. Every link is relative; file names are made here from
content ids, never taken from input. Each file is written under a temporary
name and renamed, so a link left in the folder is replaced, never followed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from studiolo.capabilities.curate.make import ExhibitionView
from studiolo.capabilities.curate.walltext import WallText, format_date
from studiolo.core.atomic import write_atomic
from studiolo.core.errors import InvalidArgument, UnsafePath
from studiolo.core.types import Artwork

WEB_SIDE = 1200  # longest side of an exported image
JPEG_QUALITY = 85

CSS = """\
body { margin: 0; font: 17px/1.55 Georgia, "Times New Roman", serif; color: #222; background: #f6f4ef; }
header, main, footer, nav { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 3rem; } h1 { font-weight: normal; font-size: 2.2rem; margin: .2rem 0; }
.kicker, .theme, nav, footer, .made, .date { font: 14px/1.4 system-ui, sans-serif; color: #666; }
nav { padding-top: 1.25rem; display: flex; gap: 1.5rem; } nav a, a { color: #6a3d1f; }
.intro, .room-text { font-size: 1.15rem; max-width: 42rem; }
.rooms { list-style: none; padding: 0; display: grid; gap: 2rem;
         grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); }
.rooms a { text-decoration: none; } .rooms h2 { font-weight: normal; margin: .5rem 0 .25rem; }
img { max-width: 100%; height: auto; display: block; background: #ddd; }
figure { margin: 3rem 0; } figcaption { max-width: 42rem; margin-top: .75rem; }
figcaption h2 { font-size: 1.25rem; font-style: italic; font-weight: normal; margin: 0; }
.credit { margin: .3rem 0; font-size: .95rem; } .made, .date { margin: .15rem 0; }
footer { padding: 3rem 1.25rem; }
"""


def check_target(folder: str | os.PathLike[str], *, home: Path, files_dir: Path,
                 force: bool) -> Path:
    """The folder to write, refused inside the studio's files, at its home, or non-empty."""
    target = Path(folder).expanduser().resolve()
    files, studio = files_dir.expanduser().resolve(), home.expanduser().resolve()
    if target == files or target.is_relative_to(files):
        raise UnsafePath(
            f"Cannot export into {target}: it is inside the studio's files ({files}); "
            "choose a folder outside it."
        )
    if target == studio:
        raise UnsafePath(f"Cannot export into the studio folder itself ({target}); choose another.")
    if target.exists() and not target.is_dir():
        raise InvalidArgument(f"Cannot export into {target}: it is a file, not a folder.")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise InvalidArgument(
            f"The folder {target} is not empty; choose an empty or new folder, or pass --force "
            "to write over the files of the same names."
        )
    return target


def _write(root: Path, relative: str, data: bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.parent.resolve() != path.parent:  # `root` is resolved: a link on the way differs
        raise UnsafePath(f"Cannot export: {path.parent} leads outside {root}; remove that link.")
    write_atomic(path, data)  # replaces a link of that name rather than writing through it


def _image_bytes(image: Any) -> bytes:
    image = image.convert("RGB")
    image.thumbnail((WEB_SIDE, WEB_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def _image_name(artwork: Artwork) -> str:
    return f"images/{str(artwork.id)[:16]}.jpg"


def _size(artwork: Artwork) -> tuple[int, int]:
    w, h = artwork.width or WEB_SIDE, artwork.height or WEB_SIDE
    scale = min(1.0, WEB_SIDE / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def _page(title: str, body: str) -> bytes:
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n<link rel=\"stylesheet\" href=\"style.css\">\n"
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    ).encode()


def _img(artwork: Artwork, alt: str, lazy: bool = True) -> str:
    w, h = _size(artwork)
    loading = ' loading="lazy"' if lazy else ""
    return (f'<img src="{_image_name(artwork)}" alt="{escape(alt)}" width="{w}" height="{h}"'
            f"{loading}>")


def _figure(artwork: Artwork, label: WallText) -> str:
    return (
        f'<figure id="w-{escape(label.artwork_id[:12])}">\n{_img(artwork, label.title)}\n'
        f"<figcaption>\n<h2>{escape(label.title)}</h2>\n"
        f'<p class="credit">{escape(label.credit)}</p>\n'
        f'<p class="made">{escape(label.made_with)}</p>\n'
        f'<p class="date">{escape(label.date)}</p>\n</figcaption>\n</figure>'
    )


def _index(view: ExhibitionView) -> bytes:
    ex = view.exhibition
    cards = []
    for n, room in enumerate(view.rooms, 1):
        cover = ""
        if room.works:
            artwork, label = room.works[0]
            cover = f"{_img(artwork, label.title, lazy=False)}\n"
            credit = f'<p class="credit">{escape(label.title)}: {escape(label.credit)}</p>\n'
        else:
            credit = ""
        cards.append(
            f'<li>\n<a href="room-{n}.html">\n{cover}<h2>Room {n}: {escape(room.name)}</h2>\n</a>\n'
            f"{credit}<p>{escape(room.text)}</p>\n</li>"
        )
    body = (
        f'<header>\n<p class="kicker">An exhibition</p>\n<h1>{escape(ex.title)}</h1>\n'
        f'<p class="theme">Theme: {escape(ex.theme)}</p>\n</header>\n<main>\n'
        f'<p class="intro">{escape(view.introduction)}</p>\n'
        f'<ol class="rooms">\n{chr(10).join(cards)}\n</ol>\n</main>\n'
        f"<footer>Curated by {escape(ex.owner)} with studiolo, {escape(format_date(ex.created))}. "
        "Every work is shown with its credits.</footer>"
    )
    return _page(ex.title, body)


def _room(view: ExhibitionView, n: int) -> bytes:
    room, count = view.rooms[n - 1], len(view.rooms)
    links = ['<a href="index.html">Introduction</a>']
    if n > 1:
        links.append(f'<a href="room-{n - 1}.html">Previous room</a>')
    if n < count:
        links.append(f'<a href="room-{n + 1}.html">Next room</a>')
    figures = "\n".join(_figure(a, label) for a, label in room.works)
    body = (
        f"<nav>{' '.join(links)}</nav>\n<header>\n"
        f'<p class="kicker">{escape(view.exhibition.title)}, room {n} of {count}</p>\n'
        f"<h1>{escape(room.name)}</h1>\n</header>\n<main>\n"
        f'<p class="room-text">{escape(room.text)}</p>\n{figures}\n</main>\n'
        f"<nav>{' '.join(links)}</nav>\n<footer></footer>"
    )
    return _page(f"{room.name} | {view.exhibition.title}", body)


def export_site(view: ExhibitionView, target: Path, load_image: Callable[[str], Any]) -> list[Path]:
    """Write the site into `target` (checked by `check_target`); return the files written."""
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    written: dict[str, bytes | None] = {"style.css": CSS.encode("utf-8"), "index.html": _index(view)}
    for n in range(1, len(view.rooms) + 1):
        written[f"room-{n}.html"] = _room(view, n)
    sources = {_image_name(a): str(a.id) for room in view.rooms for a, _ in room.works}
    written.update(dict.fromkeys(sources))
    for relative, data in written.items():
        if data is None:  # an image: read, shrink and encode only now, one at a time
            data = _image_bytes(load_image(sources[relative]))
        _write(root, relative, data)
    return [root / r for r in written]
