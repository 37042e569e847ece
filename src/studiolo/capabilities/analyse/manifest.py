"""Reading a reference collection's list of works: a manifest CSV, or artist subfolders.

The reader is total: any file gives a `Manifest` or an `InvalidArgument` whose one
sentence says what was wrong, what was found and what to do (a missing column,
files that are not there, each named, a path outside the folder, text that is
not UTF-8, a broken CSV). A UTF-8 byte-order mark is accepted, blank rows are
skipped, extra columns are ignored, and a file listed twice or a byte-identical
copy under another name is indexed once, with a note saying so. Time is linear
in the size of the manifest and of the files (each is hashed once).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from studiolo.core.errors import InvalidArgument

REQUIRED = ("file", "artist", "title", "year")
MAX_BYTES = 64 * 1024 * 1024
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")
MAX_LISTED = 10  # files named in one message before "and N more"


@dataclass(frozen=True)
class ManifestRow:
    row: int  # line of the CSV (the header is line 1), or 0 for a subfolder listing
    file: str  # relative to the folder, with "/" separators
    artist: str
    title: str
    year: str
    file_sha256: str


@dataclass(frozen=True)
class Manifest:
    folder: Path
    rows: tuple[ManifestRow, ...]
    notes: tuple[str, ...]


def _words(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(
            f"Manifest {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8 (\"CSV UTF-8\" in a spreadsheet)."
        ) from None


def _parse(path: Path, text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(line, cells)]) with blank rows dropped; csv errors become one sentence."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, [c.strip() for c in cells]))
    except csv.Error as exc:
        raise InvalidArgument(
            f"Manifest {path} is not a readable CSV file (line {reader.line_num}: {exc}); "
            "save it as plain comma-separated text."
        ) from None
    if not rows:
        raise InvalidArgument(
            f"Manifest {path} is empty; it needs a header row with the columns "
            f"{', '.join(REQUIRED)} and one row per work.")
    header = [h.strip().lstrip("\ufeff").lower() for h in rows[0][1]]
    return header, rows[1:]


def _check_header(path: Path, header: list[str]) -> dict[str, int]:
    twice = sorted({h for h in header if h in REQUIRED and header.count(h) > 1})
    if twice:
        raise InvalidArgument(
            f"Manifest {path} has the column {_words(twice)} more than once; keep one.")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        found = ", ".join(h for h in header if h) or "none"
        raise InvalidArgument(
            f"Manifest {path} has no {_words(missing)} column (its columns are: {found}); "
            f"it needs {', '.join(REQUIRED)}.")
    return {c: header.index(c) for c in REQUIRED}


def _relative(path: Path, folder: Path, line: int, name: str) -> str:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (len(name) > 1 and name[1] == ":"):
        raise InvalidArgument(
            f"Manifest {path} row {line} names {name!r}, which is outside the folder {folder}; "
            "name each file relative to that folder.")
    return str(pure)


def read_manifest(path: Path, folder: Path | None = None) -> Manifest:
    """The works a manifest CSV lists (columns file, artist, title, year) in `folder`
    (default: the manifest's own folder)."""
    path = Path(path)
    folder = Path(folder) if folder is not None else path.parent
    if not path.is_file():
        raise InvalidArgument(f"Manifest {path} does not exist or is not a file.")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InvalidArgument(
            f"Manifest {path} is {size} bytes, more than the limit of {MAX_BYTES} bytes; "
            "split the collection.")
    header, body = _parse(path, _decode(path, path.read_bytes()))
    columns = _check_header(path, header)

    def cell(cells: list[str], name: str) -> str:
        i = columns[name]
        return cells[i] if i < len(cells) else ""

    empty = [str(line) for line, cells in body if not cell(cells, "file")]
    if empty:
        raise InvalidArgument(
            f"Manifest {path} has no file name on row {_listing(empty)}; fill the `file` cell "
            "or delete the row.")
    no_artist = [str(line) for line, cells in body if not cell(cells, "artist")]
    if no_artist:
        raise InvalidArgument(
            f"Manifest {path} has no artist on row {_listing(no_artist)}; fill the `artist` "
            "cell (write \"Unknown\" for an anonymous work) or delete the row.")
    entries = [(line, _relative(path, folder, line, cell(cells, "file")), cells)
               for line, cells in body]
    missing = [f"{name} (row {line})" for line, name, _ in entries if not (folder / name).is_file()]
    if missing:
        noun = "file that is" if len(missing) == 1 else "files that are"
        raise InvalidArgument(
            f"Manifest {path} names {len(missing)} {noun} not in {folder}: {_listing(missing)}; "
            "add the files or remove their rows.")
    return _dedupe(folder, [
        ManifestRow(line, name, cell(cells, "artist"), cell(cells, "title"), cell(cells, "year"),
                    _hash_file(folder / name)) for line, name, cells in entries])


def _dedupe(folder: Path, rows: list[ManifestRow]) -> Manifest:
    """Each file once: the first row of a file name or of identical bytes wins, with a note."""
    notes: list[str] = []
    by_name: dict[str, ManifestRow] = {}
    by_hash: dict[str, ManifestRow] = {}
    kept: list[ManifestRow] = []
    for r in rows:
        first = by_name.get(r.file) or by_hash.get(r.file_sha256)
        if first is None:
            by_name[r.file], by_hash[r.file_sha256] = r, r
            kept.append(r)
            continue
        where = f"row {r.row}" if r.row else r.file
        same = "names it again" if first.file == r.file else f"is the same file as {first.file}"
        credit = (f", credited to {r.artist} there but to {first.artist} first"
                  if r.artist != first.artist else "")
        notes.append(f"{r.file} ({where}) {same}{credit}; it is indexed once, as "
                     f"{first.artist}'s.")
    return Manifest(folder, tuple(kept), tuple(notes))


def read_folder(folder: Path) -> Manifest:
    """A folder's works: its manifest.csv if it has one, else one subfolder per artist."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidArgument(f"Collection folder {folder} does not exist or is not a folder.")
    if (folder / "manifest.csv").is_file():
        return read_manifest(folder / "manifest.csv", folder)
    rows = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for f in sorted(sub.iterdir()):
            if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES:
                rows.append(ManifestRow(0, f"{sub.name}/{f.name}", sub.name, f.stem, "",
                                        _hash_file(f)))
    if not rows:
        raise InvalidArgument(
            f"Collection folder {folder} has no manifest.csv and no artist subfolders with "
            f"images; give --manifest CSV with the columns {', '.join(REQUIRED)}.")
    return _dedupe(folder, rows)
