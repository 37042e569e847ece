"""The provenance check of a stored artwork, remembered between requests.

A stored file is named by its sha256, so what its content credentials say
cannot change while the file and the studio's trusted roots stay the same:
the artwork page checks it once (a C2PA read, and the watermark of an
unsigned file: milliseconds each) instead of on every view. The key holds the
file's size and mtime and a digest of the trusted roots, so a file changed in
place or a newly trusted root is checked again. What a report says about this
catalog (an ingredient "in this studio", the artwork a watermark points to)
can go stale when artworks are added or deleted, so entries also expire.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from studiolo.core.types import Artwork
from studiolo.provenance.keys import trust_anchors
from studiolo.provenance.verify import VerifyReport, verify_file

INLINE_CHECK_PIXELS = 256 * 256  # a first check of a larger picture goes to a worker thread


class VerifiedCache:
    """A thread-safe LRU of `VerifyReport`s, at most `size` of them, each kept `ttl_s` seconds."""

    def __init__(self, size: int = 2048, ttl_s: float = 600.0) -> None:
        self.size, self.ttl_s = size, ttl_s
        self._lock = threading.Lock()
        self._reports: OrderedDict[tuple[Any, ...], tuple[float, VerifyReport]] = OrderedDict()

    def _key(self, studio: Any, artwork: Artwork) -> tuple[Any, ...] | None:
        try:
            stat = Path(str(artwork.path)).stat()
        except OSError:
            return None
        roots = hashlib.sha256(trust_anchors(studio.settings)).hexdigest()
        return (artwork.id, stat.st_size, stat.st_mtime_ns, roots)

    def _lookup(self, key: tuple[Any, ...]) -> VerifyReport | None:
        with self._lock:
            hit = self._reports.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
                self._reports.move_to_end(key)
                return hit[1]
        return None

    def remembered(self, studio: Any, artwork: Artwork) -> VerifyReport | None:
        """The report when it is remembered and fresh (a dictionary lookup), else None."""
        key = self._key(studio, artwork)
        return None if key is None else self._lookup(key)

    async def check(self, studio: Any, artwork: Artwork) -> VerifyReport:
        """`report` for an async page: remembered, or a small picture (about a millisecond),
        on the event loop; a larger picture's first check in a worker thread."""
        found = self.remembered(studio, artwork)
        if found is not None:
            return found
        if (artwork.width or 0) * (artwork.height or 0) <= INLINE_CHECK_PIXELS:
            return self.report(studio, artwork)
        return await run_in_threadpool(self.report, studio, artwork)

    def report(self, studio: Any, artwork: Artwork) -> VerifyReport:
        """`verify_file` of the artwork's stored file, against the studio's catalog and roots."""
        path = Path(str(artwork.path))
        key = self._key(studio, artwork)
        if key is None:  # let verify_file say what is wrong with the file
            return verify_file(path, catalog=studio.catalog, settings=studio.settings)
        hit = self._lookup(key)
        if hit is not None:
            return hit
        now = time.monotonic()
        report = verify_file(path, catalog=studio.catalog, settings=studio.settings)
        with self._lock:
            self._reports[key] = (now, report)
            self._reports.move_to_end(key)
            while len(self._reports) > self.size:
                self._reports.popitem(last=False)
        return report
