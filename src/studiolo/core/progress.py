"""Progress: a plain dict to a callback (the k-diffusion habit), not a framework.

{"stage": "denoise", "step": 3, "total": 20, "preview": PIL.Image | None,
"message": str | None}. Every long piece of work takes a `progress` callback;
the faces draw bars (CLI) or stream events (web) from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ProgressEvent = dict[str, Any]
ProgressCallback = Callable[[ProgressEvent], None]


def no_progress(event: ProgressEvent) -> None:
    """A progress callback that ignores everything."""
