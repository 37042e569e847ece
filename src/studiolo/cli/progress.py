"""Rich progress bars fed by the engines' plain-dict progress events."""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

# Stages every kind of work has; each engine names its own (`stage_labels`).
STAGE_LABELS = {
    "load": "Loading model",
    "store": "Storing",
    "read": "Reading images",
    "train": "Training",
    "prior": "Class images",
    "encode": "Encoding",
    "taste search": "Searching toward your taste",
    "taste words": "Finding style words for your taste",
    "taste": "Scoring by your taste",
}

err_console = Console(stderr=True)


@functools.cache
def stage_labels() -> dict[str, str]:
    """The generic labels and every engine's own, from the plugins."""
    from studiolo.plugins import EngineRegistry, default_plugin_manager

    return {**STAGE_LABELS, **EngineRegistry(default_plugin_manager()).stage_labels()}


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[Any]:
    """Yield a progress callback that draws one bar per stage, with step count and ETA."""
    if not enabled or not sys.stderr.isatty() and not _force():
        yield lambda event: None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as bars:
        tasks: dict[str, Any] = {}

        def callback(event: dict[str, Any]) -> None:
            stage = str(event.get("stage", "work"))
            total = event.get("total") or None
            label = stage_labels().get(stage, stage.capitalize())
            if event.get("message"):
                label = f"{label}: {event['message']}"
            if stage not in tasks:
                tasks[stage] = bars.add_task(label, total=total)
            bars.update(tasks[stage], completed=event.get("step", 0), total=total, description=label)

        yield callback


@contextmanager
def warnings_shown(category: type[Warning]) -> Iterator[None]:
    """Show each warning of `category` as one yellow line on stderr (every time, not once);
    other warnings as Python shows them."""
    original = warnings.showwarning

    def show(message, category_, filename, lineno, file=None, line=None) -> None:  # type: ignore[no-untyped-def]
        if issubclass(category_, category):
            err_console.print(str(message), style="yellow", markup=False, highlight=False)
        else:
            original(message, category_, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", category)
        warnings.showwarning = show
        yield


def _force() -> bool:
    import os

    return os.environ.get("STUDIOLO_PROGRESS") == "1"
