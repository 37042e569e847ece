"""Analyses kept in the catalog (table `analyses`): one per artwork, collection and claim.

A row is written after an artwork is analysed and read back instead of analysing again.
Reads for a person go through the artwork's visibility first (`visible_analysis`): a
private work's analysis reaches its owner only, and for anyone else the work and its
analysis do not exist (the same `UnknownName` as for a work that was never there).
Deleting the artwork deletes its analyses (the foreign key cascades).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from studiolo.catalog import visibility
from studiolo.catalog._common import now
from studiolo.catalog.schema import analyses

if TYPE_CHECKING:
    from studiolo.catalog.store import Catalog


@dataclass(frozen=True)
class StoredAnalysis:
    artwork_id: str
    collection: str | None
    claimed: str | None
    result: dict[str, Any]
    report: str
    created: datetime

    def to_json(self) -> dict[str, Any]:
        return {"artwork_id": self.artwork_id, "collection": self.collection,
                "claimed": self.claimed, "created": self.created.isoformat(), **self.result}


def save_analysis(catalog: Catalog, artwork_id: str, collection: str | None,
                  claimed: str | None, result: dict[str, Any], report: str) -> StoredAnalysis:
    """Keep the analysis of artwork `artwork_id` (a full id), replacing an earlier one of the
    same collection and claim."""
    key = {"artwork_id": artwork_id, "collection": collection or "", "claimed": claimed or ""}
    created = now()
    with catalog.engine.begin() as conn:
        conn.execute(delete(analyses).where(*(analyses.c[k] == v for k, v in key.items())))
        conn.execute(analyses.insert().values(**key, result=json.dumps(result), report=report,
                                              created=created))
    return StoredAnalysis(artwork_id, collection or None, claimed or None, result, report,
                          created)


def load_analysis(catalog: Catalog, artwork_id: str, collection: str | None,
                  claimed: str | None) -> StoredAnalysis | None:
    """The kept analysis of artwork `artwork_id` (a full id), or None. No visibility check:
    callers acting for a person use `visible_analysis`."""
    stmt = select(analyses).where(analyses.c.artwork_id == artwork_id,
                                  analyses.c.collection == (collection or ""),
                                  analyses.c.claimed == (claimed or ""))
    with catalog.engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return None
    return StoredAnalysis(row.artwork_id, row.collection or None, row.claimed or None,
                          json.loads(row.result), row.report, row.created)


def visible_analysis(catalog: Catalog, artwork_id: str, viewer: str | None,
                     collection: str | None, claimed: str | None) -> StoredAnalysis | None:
    """As `load_analysis` for the work `viewer` may see; `UnknownName` when they may not."""
    sha = visibility.can_see(catalog, artwork_id, viewer)
    return load_analysis(catalog, sha, collection, claimed)
