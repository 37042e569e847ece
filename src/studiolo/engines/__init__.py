"""Engines: one file per way of making an image (see DESIGN.md)."""

from .base import Engine, ProgressCallback, ProgressEvent, Request, no_progress

__all__ = ["Engine", "ProgressCallback", "ProgressEvent", "Request", "no_progress"]
