"""Who the artists are: the bundled artists table, read totally, and the period of a life.

`data/artists.csv` (made by `studiolo.data.make_paintings` from the shared
`artists.csv`) has one row per artist of the bundled paintings: born, died ("c."
where approximate, empty where not securely known), gender, nationality, region
and movement ("; " between two). An empty field is missing data, and stays
missing: nothing is guessed from a name or a face.

The period of an artist is the hundred years they worked in: a floruit, the
midpoint of (born + 20, died) when both dates are known, died - 20 or born + 40
when one is, else the mean year of their works in the bundled collection
(`parse_year` reads "c. 1250 BCE", "early 12th century", "1860s"); none of these,
and the period is missing.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from studiolo.core.errors import InvalidArgument
from studiolo.core.textfile import decode_text

COLUMNS = ("artist", "born", "died", "gender", "nationality", "region", "movement")
# Every region an artist may be from (the shared README's list): a region no artist of an
# audit is from is shown with 0, so a gap (Latin America, Oceania) is seen, not hidden.
REGIONS = ("Western Europe", "Northern Europe", "Southern Europe", "Eastern Europe", "East Asia",
           "South Asia", "West Asia", "Africa", "North America", "Latin America", "Oceania")
GENDERS = ("female", "male")
MISSING = "missing"
MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class Artist:
    """One row of the artists table; "" where the table says nothing."""

    name: str
    born: str = ""
    died: str = ""
    gender: str = ""
    nationality: str = ""
    region: str = ""
    movement: str = ""

    @property
    def movements(self) -> tuple[str, ...]:
        return tuple(m.strip() for m in self.movement.split(";") if m.strip())

    def to_dict(self) -> dict[str, str]:
        return {"artist": self.name, "born": self.born, "died": self.died, "gender": self.gender,
                "nationality": self.nationality, "region": self.region, "movement": self.movement}


_CENTURY = re.compile(r"(early|mid|late)?[\s-]*(\d{1,2})(?:st|nd|rd|th) century", re.IGNORECASE)
_YEAR = re.compile(r"(\d{1,4})(s?)")


def parse_year(text: str) -> float | None:
    """A year from a catalogue date: "1872", "c. 1620", "1860s", "c. 1557-1558" (the mean),
    "early 12th century" (1125; mid 1150, late 1175, bare 1150), "c. 1250 BCE" (-1250);
    None when it holds no year."""
    if not isinstance(text, str):
        return None
    bce = bool(re.search(r"\bB\.?C\.?E?\b", text, re.IGNORECASE))
    century = _CENTURY.search(text)
    if century:
        start = (int(century.group(2)) - 1) * 100
        year = start + {"early": 25, "mid": 50, "late": 75}.get((century.group(1) or "").lower(), 50)
    else:
        found = [(int(n), decade) for n, decade in _YEAR.findall(text)]
        if not found:
            return None
        year = sum(n + (5 if decade else 0) for n, decade in found) / len(found)
    return -year if bce else float(year)


def floruit(artist: Artist, work_years: Iterable[float] = ()) -> float | None:
    """The year around which an artist worked (see the module docstring), or None."""
    born, died = parse_year(artist.born), parse_year(artist.died)
    if born is not None and died is not None:
        return (born + 20 + died) / 2
    if died is not None:
        return died - 20
    if born is not None:
        return born + 40
    years = [y for y in work_years if y is not None]
    return sum(years) / len(years) if years else None


def period_label(year: float | None) -> str:
    """The hundred years a year falls in: 1872 -> "1800s", 1000 -> "1000s", -1250 -> "1200s BCE"."""
    if year is None:
        return MISSING
    if year < 0:
        return f"{int(-year) // 100 * 100}s BCE"
    return f"{int(year) // 100 * 100}s"


def period_order(label: str) -> float:
    """Sort key of a period label: chronological, missing last."""
    if label == MISSING:
        return float("inf")
    number = int(label.split("s")[0])
    return -number if label.endswith("BCE") else number


def read_artists(source: str | Path | bytes) -> dict[str, Artist]:
    """The artists of a CSV (a path or its bytes) by name; InvalidArgument when it is not one.

    The header must hold an `artist` column; the other columns of `COLUMNS` are optional
    (absent is missing). Two rows for one artist, an empty name or a file over 5 MB are refused.
    """
    name = "the artists table"
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str | Path):
        path = Path(source)
        name = str(path)
        if not path.is_file():
            raise InvalidArgument(f"`artists` {name!r} is not a file; give a CSV with an `artist` "
                                  "column (and born, died, gender, nationality, region, movement).")
        if path.stat().st_size > MAX_BYTES:
            raise InvalidArgument(f"`artists` {name!r} is larger than 5 MB; give the table of "
                                  "the artists you audit.")
        data = path.read_bytes()
    else:
        raise InvalidArgument(f"`artists` must be a path or bytes, got {type(source).__name__}.")
    if len(data) > MAX_BYTES:
        raise InvalidArgument(f"`artists` ({name}) is larger than 5 MB; give the table of the "
                              "artists you audit.")
    text = decode_text(data, name=f"`artists` ({name})", give="a UTF-8 CSV with an `artist` column")
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(rows, [])]
        if "artist" not in header:
            raise InvalidArgument(f"`artists` ({name}) has no `artist` column in its header "
                                  f"{header[:8]!r}; the first line must name the columns "
                                  f"({', '.join(COLUMNS)}).")
        index = {column: header.index(column) for column in COLUMNS if column in header}
        found: dict[str, Artist] = {}
        for line, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            values = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
            artist = values.pop("artist")
            if not artist:
                raise InvalidArgument(f"`artists` ({name}) line {line} has no artist name: "
                                      f"{row[:4]!r}; fill it in or remove the line.")
            if artist in found:
                raise InvalidArgument(f"`artists` ({name}) names {artist!r} twice (again on "
                                      f"line {line}); keep one row per artist.")
            found[artist] = Artist(name=artist, **values)
    except csv.Error as exc:
        raise InvalidArgument(f"`artists` ({name}) is not a readable CSV ({exc}); save it as "
                              "comma-separated values.") from None
    return found


@functools.cache
def bundled_artists() -> Mapping[str, Artist]:
    """The artists of the bundled paintings (`data/artists.csv`)."""
    return read_artists(resources.files("studiolo.data").joinpath("artists.csv").read_bytes())
