"""The store-time check: every artwork the Studio stores is scored, and a flagged one is
recorded with its blurred previews and the person is told why.

`start_check` is called through the `artwork_storing` hook as `Studio.store` begins: it
hands the engine's pixels to the classifier in a thread of its own (one, for every studio of
the process) and returns the step that `Studio.store` runs once the artwork's row is written
(the verdict row points at it). The classifier thus runs while the store makes the ledger
entry, the watermark, the signature and the file, and its wall time is mostly hidden
(benchmarks/safety.py measures both). It scores the pixels the engine made; the stored
file differs from them only by the invisible watermark.

Off when the settings say so (`safety_filter`, env STUDIOLO_SAFETY_FILTER=0); the same
pixels stored again under the same threshold are not scored twice. A classifier that cannot
load does not stop the work: the artwork is stored unchecked and a `SafetyWarning` says so
(`studiolo safety scan` checks it later).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from studiolo.core.errors import ModelNotFound, StudioloWarning


class SafetyWarning(StudioloWarning):
    """An artwork was flagged by the safety filter, or could not be checked."""


_pools: dict[int, ThreadPoolExecutor] = {}


def _pool() -> ThreadPoolExecutor:
    """The classifier's thread, one per process (a forked child gets a thread of its own)."""
    pid = os.getpid()
    if pid not in _pools:
        _pools[pid] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="studiolo-safety")
    return _pools[pid]


def start_check(studio: Any, artwork: Any) -> Callable[[Any], str | None] | None:
    """Start scoring an artwork about to be stored; the step that keeps the verdict once the
    row is written (None when the filter is off or there is nothing to score)."""
    from studiolo.capabilities.safety.classifier import use_cache
    from studiolo.capabilities.safety.verdict import check_image, check_threshold

    settings = studio.settings
    if not settings.safety_filter or artwork.image is None:
        return None
    threshold = check_threshold(settings.safety_threshold)
    use_cache(settings.home / "cache" / "safety")
    pending = _pool().submit(check_image, artwork.image.copy(), threshold)

    def finish(stored: Any) -> str | None:
        return _keep(studio, stored, threshold, pending)

    return finish


def _keep(studio: Any, stored: Any, threshold: float, pending: Future) -> str | None:
    from studiolo.capabilities.safety.records import check_of, record

    if stored.id is None:
        return None
    earlier = check_of(studio.catalog, stored.id)
    if earlier is not None and earlier.threshold == threshold:
        pending.cancel()
        return earlier.reason() if earlier.flagged else None
    try:
        verdict = pending.result()
    except ModelNotFound as exc:
        note = f"Artwork {stored.id[:12]} was stored without a safety check: {exc}"
        warnings.warn(SafetyWarning(note), stacklevel=3)
        return note
    record(studio, stored.id, verdict, stored.image)
    if not verdict.flagged:
        return None
    note = f"Artwork {stored.id[:12]}: {verdict.reason()}"
    warnings.warn(SafetyWarning(note), stacklevel=3)
    return note
