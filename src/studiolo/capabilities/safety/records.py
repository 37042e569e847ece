"""The safety filter's rows in the catalog (`safety_checks`) and a flagged work's previews.

A flagged artwork keeps its own file untouched (it is the person's work); beside it the
filter stores a blurred preview in the file store (its sha256 in the row) and blurred
thumbnails under STUDIOLO_HOME/thumbs/<size>/ab/<sha>.blurred.webp, a name no plain
thumbnail has, so a thumbnail cached before the flag is never served after it. Deleting
the artwork deletes the row (its foreign key), as for every analysis.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select

from studiolo.capabilities.safety.verdict import Verdict, blurred_preview
from studiolo.catalog.schema import artworks, safety_checks
from studiolo.core.atomic import write_atomic
from studiolo.core.imagemeta import encode_png, encode_webp

THUMB_SIZES = (256, 512)  # as the web studio's (web/uploads.py)
_CHUNK = 500


@dataclass(frozen=True)
class SafetyCheck:
    artwork_id: str
    classifier: str
    score: float
    threshold: float
    flagged: bool
    preview_sha: str | None
    checked: datetime

    def reason(self) -> str:
        return Verdict(self.score, self.threshold, self.classifier).reason()

    def to_json(self) -> dict[str, Any]:
        return {"artwork": self.artwork_id, "classifier": self.classifier,
                "score": round(self.score, 4), "threshold": self.threshold,
                "flagged": self.flagged, "preview": self.preview_sha,
                "checked": self.checked.isoformat(), "reason": self.reason()}


def _row(r: Any) -> SafetyCheck:
    return SafetyCheck(r.artwork_id, r.classifier, float(r.score), float(r.threshold),
                       bool(r.flagged), r.preview_sha, r.checked)


def record(studio: Any, artwork_id: str, verdict: Verdict, image: Any) -> SafetyCheck:
    """Keep a verdict (replacing an older one); a flagged picture gets its blurred previews."""
    preview_sha = None
    if verdict.flagged:
        preview_sha, _ = studio.files.put(encode_png(blurred_preview(image)), "png")
        for size in THUMB_SIZES:
            blurred_thumbnail(studio, artwork_id, size, preview_sha=preview_sha, fresh=True)
    check = SafetyCheck(artwork_id, verdict.classifier, verdict.score, verdict.threshold,
                        verdict.flagged, preview_sha, datetime.now(UTC))
    with studio.catalog.engine.begin() as conn:
        conn.execute(delete(safety_checks).where(safety_checks.c.artwork_id == artwork_id))
        conn.execute(insert(safety_checks).values(**check.__dict__))
    return check


def check_of(catalog: Any, artwork_id: str) -> SafetyCheck | None:
    """The verdict on an artwork (full id), or None when it was never checked."""
    with catalog.engine.connect() as conn:
        found = conn.execute(select(safety_checks).where(safety_checks.c.artwork_id == artwork_id)).first()
    return None if found is None else _row(found)


def flagged_among(catalog: Any, artwork_ids: Iterable[str]) -> set[str]:
    """Which of these artworks (full ids) are flagged."""
    ids = list(artwork_ids)
    out: set[str] = set()
    with catalog.engine.connect() as conn:
        for start in range(0, len(ids), _CHUNK):
            out.update(conn.scalars(select(safety_checks.c.artwork_id).where(
                safety_checks.c.artwork_id.in_(ids[start:start + _CHUNK]),
                safety_checks.c.flagged.is_(True))))
    return out


def unchecked(catalog: Any, *, limit: int = 10_000) -> list[str]:
    """Artworks with no verdict yet, oldest first."""
    checked = select(safety_checks.c.artwork_id)
    stmt = (select(artworks.c.id).where(artworks.c.id.not_in(checked))
            .order_by(artworks.c.created, artworks.c.id).limit(limit))
    with catalog.engine.connect() as conn:
        return list(conn.scalars(stmt))


def blurred_thumbnail(studio: Any, artwork_id: str, size: int, *, preview_sha: str | None = None,
                      fresh: bool = False) -> Path:
    """The blurred thumbnail (longest side `size`) of a flagged artwork, made on first ask."""
    from studiolo.core.imageio import open_image

    target = studio.settings.home / "thumbs" / str(size) / artwork_id[:2] / f"{artwork_id}.blurred.webp"
    if target.is_file() and not fresh:
        return target
    if preview_sha is None:
        found = check_of(studio.catalog, artwork_id)
        preview_sha = found.preview_sha if found else None
    source = open_image(studio.files.path(preview_sha)) if preview_sha else None
    if source is None:  # a flag without its preview (it failed to write): blur the original
        source = blurred_preview(open_image(studio.files.path(artwork_id)))
    source.thumbnail((size, size))
    return write_atomic(target, encode_webp(source, quality=80))
