"""The safety filter's verdict on one picture, and the blurred preview of a flagged one.

A picture is flagged when the classifier's score is at or above the threshold (so a
threshold of 0 flags everything, 1 almost nothing). The preview hides the picture but
keeps its colours: shrunk to 16 px on the long side, enlarged again and blurred, so no
shape survives that the thumbnail or the page could show.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageFilter

from studiolo.core.errors import InvalidArgument

PREVIEW_CELLS = 16  # the blurred preview keeps this many cells on the long side


@dataclass(frozen=True)
class Verdict:
    """What the filter decided about one picture, and why."""

    score: float
    threshold: float
    classifier: str
    seconds: float = 0.0

    @property
    def flagged(self) -> bool:
        return self.score >= self.threshold

    def reason(self, *, stored: bool = True) -> str:
        """One sentence: what was measured against what, and what follows (`stored`: for an
        artwork in the catalog; else for a picture only looked at)."""
        if not self.flagged:
            return (f"Passed the safety filter: {self.classifier} gives {self.score:.2f}, "
                    f"under the threshold {self.threshold:.2f}.")
        if not stored:
            return (f"Would be flagged by the safety filter: {self.classifier} gives "
                    f"{self.score:.2f}, at or above the threshold {self.threshold:.2f}; stored, "
                    "it would be kept with a blurred preview and left out of public exhibitions "
                    "and shared links.")
        return (f"Flagged by the safety filter: {self.classifier} gives {self.score:.2f}, at or "
                f"above the threshold {self.threshold:.2f}. It is kept with a blurred preview, "
                "marked in the gallery, and left out of public exhibitions and shared links (the "
                "classifier flags some classical nudes too; STUDIOLO_SAFETY_THRESHOLD sets the "
                "threshold).")

    def to_json(self) -> dict[str, Any]:
        return {"score": round(self.score, 4), "threshold": self.threshold,
                "flagged": self.flagged, "classifier": self.classifier,
                "seconds": round(self.seconds, 4), "reason": self.reason(stored=False)}


def check_threshold(threshold: Any) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not (
            0.0 <= float(threshold) <= 1.0):
        raise InvalidArgument(f"`threshold` must be a number from 0 to 1, got {threshold!r}.")
    return float(threshold)


def check_image(image: Any, threshold: float) -> Verdict:
    """Score a PIL image with the classifier and hold it to `threshold`."""
    from studiolo.capabilities.safety.classifier import judge

    limit = check_threshold(threshold)
    start = time.perf_counter()
    score, classifier = judge(image, limit)
    return Verdict(score, limit, classifier, time.perf_counter() - start)


def blurred_preview(image: Image.Image) -> Image.Image:
    """The picture at its own size with nothing recognisable left: cells, then a blur."""
    if not isinstance(image, Image.Image):
        raise InvalidArgument(f"`image` must be a PIL image but is {type(image).__name__}.")
    picture = image.convert("RGB")
    scale = PREVIEW_CELLS / max(picture.size)
    small = picture.resize((max(1, round(picture.width * scale)), max(1, round(picture.height * scale))),
                           Image.Resampling.BOX)
    big = small.resize(picture.size, Image.Resampling.BILINEAR)
    return big.filter(ImageFilter.GaussianBlur(max(picture.size) / (2 * PREVIEW_CELLS)))
