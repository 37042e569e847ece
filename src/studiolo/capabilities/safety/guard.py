"""The store-time check: every artwork the Studio stores is scored, and a flagged one is
recorded with its blurred previews and the person is told why.

Called through the `artwork_stored` hook right after the artwork's row is written (the
verdict row points at it). Off when the settings say so (`safety_filter`, env
STUDIOLO_SAFETY_FILTER=0); the same pixels stored again under the same threshold are not
scored twice. A classifier that cannot load does not stop the work: the artwork is
stored unchecked and a `SafetyWarning` says so (`studiolo safety scan` checks it later).
"""

from __future__ import annotations

import warnings
from typing import Any

from studiolo.core.errors import ModelNotFound, StudioloWarning


class SafetyWarning(StudioloWarning):
    """An artwork was flagged by the safety filter, or could not be checked."""


def check_stored(studio: Any, artwork: Any) -> str | None:
    """Score a just-stored artwork and keep the verdict; the sentence for the person when
    it was flagged (or not checked), else None."""
    from studiolo.capabilities.safety.records import check_of, record
    from studiolo.capabilities.safety.verdict import check_image

    settings = studio.settings
    if not settings.safety_filter or artwork.image is None or artwork.id is None:
        return None
    earlier = check_of(studio.catalog, artwork.id)
    if earlier is not None and earlier.threshold == settings.safety_threshold:
        return earlier.reason() if earlier.flagged else None
    try:
        verdict = check_image(artwork.image, settings.safety_threshold)
    except ModelNotFound as exc:
        note = f"Artwork {artwork.id[:12]} was stored without a safety check: {exc}"
        warnings.warn(SafetyWarning(note), stacklevel=2)
        return note
    record(studio, artwork.id, verdict, artwork.image)
    if not verdict.flagged:
        return None
    note = f"Artwork {artwork.id[:12]}: {verdict.reason()}"
    warnings.warn(SafetyWarning(note), stacklevel=2)
    return note
