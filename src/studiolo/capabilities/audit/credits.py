"""The credit audit: who the studio credits, over region, period, gender and movement.

What is audited is a list of credits, each naming an artist: the artist credits of the
ledger (every `kind="artist"` credit in the catalog: style sources and influences), of
one collection (a board or an exhibition), or the built-in styles (each bundled
painting credits its artist once). Each is tallied twice: per artist (each artist
counted once) and per credit (an artist credited ten times counts ten times: where the
credit goes). Missing data is its own row, "missing": an artist the artists table does
not know, or a field it leaves empty, is never guessed. Every region of
`artists.REGIONS` is listed, with 0 where no artist is from it, so a gap shows.

An artist of two movements ("Realism; Impressionism") counts in each, so the movement
shares can add up to more than 100 %.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studiolo.capabilities.audit.artists import (
    GENDERS,
    MISSING,
    REGIONS,
    Artist,
    bundled_artists,
    floruit,
    parse_year,
    period_label,
    period_order,
)
from studiolo.core.errors import InvalidArgument, UnknownName

DIMENSIONS = ("region", "period", "gender", "movement")
BUILTIN = "builtin"
BUILTIN_PARTS = ("artworks", "artworks-world")
BUILTIN_LABELS = {None: "the built-in styles (both sets)",
                  "artworks": "the built-in styles of the developer set (artworks)",
                  "artworks-world": "the built-in styles of the world set (artworks-world)"}


@dataclass(frozen=True)
class Row:
    """One value of a dimension: how many artists and credits have it, and their shares."""

    value: str
    artists: int
    artist_share: float
    credits: int
    credit_share: float

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "artists": self.artists,
                "artist_share": round(self.artist_share, 4), "credits": self.credits,
                "credit_share": round(self.credit_share, 4)}


@dataclass(frozen=True)
class CreditAudit:
    """The distribution of the credited artists of one source over each dimension."""

    source: str
    n_artists: int
    n_credits: int
    tables: Mapping[str, tuple[Row, ...]]
    credited: tuple[tuple[str, int], ...]  # (artist, credits), most credited first
    unknown: tuple[str, ...] = field(default=())  # credited names the artists table lacks

    def table(self, dimension: str) -> tuple[Row, ...]:
        return self.tables[dimension]

    def share(self, dimension: str, value: str, *, by: str = "artists") -> float:
        """The share of artists (or credits, `by="credits"`) with `value` (0 when none)."""
        for row in self.tables[dimension]:
            if row.value == value:
                return row.artist_share if by == "artists" else row.credit_share
        return 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source, "artists": self.n_artists, "credits": self.n_credits,
            "tables": {d: [r.to_dict() for r in rows] for d, rows in self.tables.items()},
            "credited": [{"artist": a, "credits": n} for a, n in self.credited],
            "not_in_artists_table": list(self.unknown),
            "notes": NOTES,
        }


NOTES = (
    "Per artist: each credited artist counts once; per credit: each credit counts.",
    "'missing' is data the artists table does not have; nothing is guessed.",
    "An artist of two movements counts in each, so movement shares may exceed 100 %.",
    ("Period: the hundred years an artist worked in (floruit from born and died; else the "
     "years of their bundled works)."),
)


def _values(artist: Artist | None, dimension: str, work_years: Sequence[float]) -> tuple[str, ...]:
    if artist is None:
        return (MISSING,)
    if dimension == "region":
        return (artist.region or MISSING,)
    if dimension == "gender":
        return (artist.gender or MISSING,)
    if dimension == "movement":
        return artist.movements or (MISSING,)
    return (period_label(floruit(artist, work_years)),)


def order_values(dimension: str, values: set[str]) -> list[str]:
    """The values of a dimension in reading order (regions as listed, periods by date, missing last)."""
    if dimension == "region":
        return list(REGIONS) + sorted(values - set(REGIONS) - {MISSING}) + [MISSING]
    if dimension == "gender":
        return list(GENDERS) + sorted(values - set(GENDERS) - {MISSING}) + [MISSING]
    if dimension == "period":
        return sorted(values | {MISSING}, key=period_order)
    return sorted(values - {MISSING}, key=str.lower) + [MISSING]


def audit_names(
    names: Sequence[str], *, source: str, artists: Mapping[str, Artist] | None = None,
    work_years: Mapping[str, Sequence[float]] | None = None,
) -> CreditAudit:
    """Audit a list of credited artist names (one entry per credit).

    `artists`: the artists table (default: the bundled one); `work_years`: years of each
    artist's works, for a period when the table has no dates.
    """
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise InvalidArgument(f"`names` must be a list of artist names, got {names!r:.80}.")
    table = bundled_artists() if artists is None else artists
    years = work_years or {}
    counts = Counter(n.strip() for n in names if n.strip())
    n_credits, n_artists = sum(counts.values()), len(counts)
    tables: dict[str, tuple[Row, ...]] = {}
    for dimension in DIMENSIONS:
        by_artist: Counter[str] = Counter()
        by_credit: Counter[str] = Counter()
        for name, n in counts.items():
            for value in _values(table.get(name), dimension, years.get(name, ())):
                by_artist[value] += 1
                by_credit[value] += n
        rows = []
        for value in order_values(dimension, set(by_artist)):
            if value not in by_artist and dimension in ("movement", "period") and value != MISSING:
                continue
            a, c = by_artist.get(value, 0), by_credit.get(value, 0)
            rows.append(Row(value, a, a / n_artists if n_artists else 0.0, c,
                            c / n_credits if n_credits else 0.0))
        tables[dimension] = tuple(rows)
    credited = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    unknown = tuple(sorted(n for n in counts if n not in table))
    return CreditAudit(source, n_artists, n_credits, tables, credited, unknown)


# -- the sources -------------------------------------------------------------------------


def builtin_names(part: str | None = None) -> tuple[list[str], dict[str, list[float]]]:
    """One name per bundled painting (optionally of one collection), and their works' years."""
    import json
    from importlib import resources

    if part is not None and part not in BUILTIN_PARTS:
        raise UnknownName("built-in collection", part, list(BUILTIN_PARTS))
    data = resources.files("studiolo.data").joinpath("paintings/paintings.json").read_text("utf-8")
    names: list[str] = []
    years: dict[str, list[float]] = {}
    for entry in json.loads(data):
        if part is not None and entry.get("collection", "artworks") != part:
            continue
        names.append(entry["artist"])
        year = parse_year(entry.get("year", ""))
        if year is not None:
            years.setdefault(entry["artist"], []).append(year)
    return names, years


def ledger_names(catalog: Any, artwork_ids: Sequence[str] | None = None, *,
                 viewer: str | None = None) -> list[str]:
    """The artist of every artist credit in the catalog (or of these artworks), one per credit.

    With `viewer`, only of the artworks they may see, public ones and their own: another
    person's private work is not counted, so its credits reach no one through an audit.
    """
    from sqlalchemy import false, or_, select

    from studiolo.catalog.schema import artworks, credits, people

    stmt = select(credits.c.name).where(credits.c.kind == "artist")
    if viewer is not None:
        mine = artworks.c.owner_id.in_(select(people.c.id).where(people.c.name == viewer))
        stmt = (stmt.join(artworks, credits.c.artwork_id == artworks.c.id)
                .where(or_(artworks.c.private == false(), mine)))
    with catalog.engine.connect() as conn:
        if artwork_ids is None:
            return list(conn.scalars(stmt))
        out: list[str] = []
        ids = list(artwork_ids)
        for start in range(0, len(ids), 500):
            out += conn.scalars(stmt.where(credits.c.artwork_id.in_(ids[start:start + 500])))
        return out


def collection_ids(catalog: Any, name: str, person: str) -> tuple[str, list[str]]:
    """(what it is, artwork ids) of the person's board or exhibition called `name`."""
    boards = [c for c in catalog.list_collections(person) if c.name == name]
    if boards:
        return f"board {name!r}", catalog.collection_items(boards[0].id)
    shows = [e for e in catalog.list_exhibitions(viewer=person, limit=1000) if e.title == name]
    if shows:
        return f"exhibition {name!r}", list(shows[0].artwork_ids)
    known = [c.name for c in catalog.list_collections(person)]
    known += [e.title for e in catalog.list_exhibitions(viewer=person, limit=1000)]
    raise UnknownName("collection", name, sorted(set(known)) + [BUILTIN] +
                      [f"{BUILTIN}:{p}" for p in BUILTIN_PARTS])


def audit_credits(studio: Any | None = None, collection: str | None = None, *,
                  person: str | None = None) -> CreditAudit:
    """The credit audit of the ledger (no `collection`), a board or exhibition by name, or
    the built-in styles (`collection` "builtin", "builtin:artworks", "builtin:artworks-world").
    Ledger and collections count the works `person` (default: the settings') may see.
    """
    if collection is not None and (not isinstance(collection, str) or not collection.strip()):
        raise InvalidArgument(f"`collection` must be a non-empty name, got {collection!r}.")
    if collection is not None and collection.split(":")[0] == BUILTIN:
        part = collection.split(":", 1)[1] if ":" in collection else None
        names, years = builtin_names(part)
        return audit_names(names, source=BUILTIN_LABELS[part], work_years=years)
    if studio is None:
        raise InvalidArgument("The ledger and collections need a studio; give `studio`, or "
                              f"`collection` {BUILTIN!r} for the built-in styles.")
    _, years = builtin_names()
    viewer = person or studio.settings.person
    if collection is None:
        return audit_names(ledger_names(studio.catalog, viewer=viewer),
                           source=f"the credit ledger (the works {viewer} may see)",
                           work_years=years)
    what, ids = collection_ids(studio.catalog, collection, viewer)
    return audit_names(ledger_names(studio.catalog, ids, viewer=viewer), source=what,
                       work_years=years)
