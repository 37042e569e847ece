"""The restoration report: one self-contained HTML file a person wants to read.

Images are embedded as data URIs (JPEG previews at most `REPORT_SIDE` px, PNG overlays),
the before/after slider and the per-kind toggles are a few lines of inline script, so
the file opens anywhere, offline, with no external library.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import cv2
import jinja2
import numpy as np
from PIL import Image

from .colour import ColourCorrection
from .detect import KindSummary
from .fill import THICK, FillResult
from .kinds import KINDS

REPORT_SIDE = 1400
KIND_COLOURS = {"cracks": (230, 40, 40), "scratches": (40, 160, 255), "losses": (255, 200, 0),
                "stains": (170, 90, 220), "tears": (40, 220, 120)}
TOP_HOLES = 25


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report shows."""

    name: str
    before: np.ndarray  # (H, W, 3) uint8, the scan as read
    after: np.ndarray  # the restored picture
    masks: dict[str, np.ndarray]  # kind (or "mask") -> (H, W) bool
    damage_source: str
    kinds: list[KindSummary] = field(default_factory=list)
    fill: FillResult | None = None
    colour: ColourCorrection | None = None
    colour_change: float = 0.0
    numbers: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _preview_size(h: int, w: int) -> tuple[int, int]:
    scale = min(1.0, REPORT_SIDE / max(h, w))
    return max(1, round(w * scale)), max(1, round(h * scale))


def _jpeg_uri(image: np.ndarray, size: tuple[int, int]) -> str:
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if size != (
        image.shape[1], image.shape[0]) else image
    buf = io.BytesIO()
    Image.fromarray(small).save(buf, "JPEG", quality=88)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _overlay_uri(mask: np.ndarray, size: tuple[int, int], colour: tuple[int, int, int]) -> str:
    """A transparent PNG with the mask in `colour`; thin lines are thickened before shrinking
    so a 1 px crack stays visible in the preview."""
    shrink = mask.shape[1] / size[0]
    m = mask.astype(np.uint8)
    if shrink > 1.5:
        k = int(min(15, round(shrink)))
        m = cv2.dilate(m, np.ones((k, k), np.uint8))
    small = cv2.resize(m * 255, size, interpolation=cv2.INTER_AREA) > 40
    rgba = np.zeros((size[1], size[0], 4), np.uint8)
    rgba[small] = (*colour, 200)
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def render(inputs: ReportInputs) -> str:
    """The report's HTML text."""
    h, w = inputs.before.shape[:2]
    size = _preview_size(h, w)
    layers = []
    for kind in [*KINDS, "mask"]:
        if kind not in inputs.masks:
            continue
        mask = inputs.masks[kind]
        colour = KIND_COLOURS.get(kind, (255, 60, 200))
        layers.append({"kind": kind, "colour": "rgb({}, {}, {})".format(*colour),
                       "fraction": float(mask.mean()) if mask.size else 0.0,
                       "uri": _overlay_uri(mask, size, colour)})
    fill = inputs.fill.to_json() if inputs.fill else None
    holes = sorted(inputs.fill.holes, key=lambda x: -x.pixels)[:TOP_HOLES] if inputs.fill else []
    try:
        from importlib.metadata import version

        ver = version("studiolo")
    except Exception:  # noqa: BLE001 - not installed as a distribution: say so, do not fail
        ver = "(source tree)"
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(
        (resources.files(__package__) / "templates" / "report.html").read_text("utf-8"))
    return template.render(
        name=inputs.name, size=(w, h), width=size[0], height=size[1], version=ver,
        created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        notes=list(inputs.notes), before_uri=_jpeg_uri(inputs.before, size),
        after_uri=_jpeg_uri(inputs.after, size), layers=layers,
        damage_source=inputs.damage_source, kinds=[k.to_json() for k in inputs.kinds],
        fill=fill, holes=[x.to_json() for x in holes],
        more_holes=bool(inputs.fill and len(inputs.fill.holes) > TOP_HOLES), thick=THICK,
        colour=inputs.colour.to_json() if inputs.colour else None,
        colour_change=inputs.colour_change, numbers=inputs.numbers,
    )


def write(inputs: ReportInputs, path: Path) -> Path:
    """Render and write the report (through a temporary name, so no half file is left)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(render(inputs), encoding="utf-8")
    tmp.replace(path)
    return path
