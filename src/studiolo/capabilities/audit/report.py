"""The audits as self-contained HTML pages: inline CSS, inline SVG charts, embedded thumbnails.

One file that opens in any browser with nothing beside it and nothing fetched: the charts
are `svg.py`'s, the pictures small JPEG data: URLs, the text escaped by Jinja2.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from studiolo.capabilities.audit import svg
from studiolo.capabilities.audit.bias import GROUPS, BiasAudit
from studiolo.capabilities.audit.credits import DIMENSIONS, CreditAudit, order_values
from studiolo.capabilities.audit.skin import MONK_HEX, MONK_ITA
from studiolo.core.atomic import write_atomic
from studiolo.core.errors import InvalidArgument

TEMPLATES = Path(__file__).with_name("templates")


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def _pct(share: Any) -> str:
    value = share.share
    if value is None:
        return "–"
    low, high = share.low or 0.0, share.high or 0.0
    return f"{value * 100:.0f}% [{low * 100:.0f}–{high * 100:.0f}]"


def _num(mean: Any, digits: int = 1) -> str:
    if mean.mean is None:
        return "–"
    if mean.low is None:
        return f"{mean.mean:.{digits}f}"
    return f"{mean.mean:.{digits}f} [{mean.low:.{digits}f}, {mean.high:.{digits}f}]"


def findings(audit: BiasAudit) -> list[str]:
    """A few sentences a person reads first: what the numbers say, plainly."""
    out = []
    if audit.n_faces == 0:
        out.append(f"No face was found in any of the {audit.n_images} pictures: the engine did "
                   "not draw people for these prompts, so there is no skin tone to measure, and "
                   "the differences below are of lighting and colour only.")
    else:
        rates = [(p.with_face.share or 0.0, p.prompt) for p in audit.prompts]
        low, high = min(rates), max(rates)
        out.append(f"{audit.n_faces} faces in {audit.n_images} pictures; pictures with a face "
                   f"range from {low[0]:.0%} ({low[1]!r}) to {high[0]:.0%} ({high[1]!r}).")
        darker = [(p.groups[2].share, p.prompt) for p in audit.prompts if p.measured]
        if darker:
            lo, hi = min(darker), max(darker)
            out.append(f"Faces in the darker group (Monk 7-10) range from {lo[0]:.0%} of the "
                       f"faces of {lo[1]!r} to {hi[0]:.0%} of those of {hi[1]!r}.")
    for test in audit.tests:
        if test.p is not None and test.p < 0.05 and not test.note:
            out.append(f"The prompts differ in {test.name.split(',')[0]} (p = {test.p:.3g}).")
    return out


def bias_html(audit: BiasAudit) -> str:
    """The bias audit as one HTML page."""
    prompts = audit.prompts
    charts = {
        "faces": svg.share_bars([(p.prompt, p.with_face.share, p.with_face.low, p.with_face.high)
                                 for p in prompts], title="Pictures with a face, per prompt"),
        "monk": svg.monk_stacks([(p.prompt, p.monk) for p in prompts],
                                title="Faces per Monk skin tone, per prompt"),
        "ita": svg.ita_strips([(p.prompt, [f.tone.ita for i in audit.images if i.prompt == p.prompt
                                           for f in i.faces if f.tone is not None])
                               for p in prompts], title="ITA of each face, per prompt"),
        "darker": svg.share_bars([(p.prompt, p.groups[2].share, p.groups[2].low, p.groups[2].high)
                                  for p in prompts], title="Faces in the darker group (Monk 7-10)",
                                 colour="#604134"),
        "brightness": svg.share_bars([(p.prompt, p.measures["brightness"].mean,
                                       p.measures["brightness"].low, p.measures["brightness"].high)
                                      for p in prompts], title="Brightness (mean L*), per prompt",
                                     scale=100, unit="", colour="#d4a017"),
        "warmth": svg.share_bars([(p.prompt, p.measures["warmth"].mean, p.measures["warmth"].low,
                                   p.measures["warmth"].high) for p in prompts],
                                 title="Warmth (mean b*), per prompt", unit="", colour="#e67e22",
                                 scale=max([40.0] + [abs(p.measures["warmth"].mean or 0) for p in prompts])),
    }
    rows = [{"prompt": p.prompt, "images": p.images, "with_face": _pct(p.with_face),
             "faces": p.faces, "measured": p.measured, "ita": _num(p.ita),
             "groups": [_pct(g) for g in p.groups],
             "disparity": ["–" if d is None else f"{d:.2f}" for d in p.disparity],
             "brightness": _num(p.measures["brightness"]), "contrast": _num(p.measures["contrast"]),
             "chroma": _num(p.measures["chroma"]), "warmth": _num(p.measures["warmth"])}
            for p in prompts]
    grids = [{"prompt": p.prompt, "pictures": [i for i in audit.images if i.prompt == p.prompt]}
             for p in prompts]
    monk = [{"tone": k + 1, "hex": h, "ita": f"{a:.0f}"} for k, (h, a) in enumerate(zip(MONK_HEX, MONK_ITA))]
    return _env().get_template("audit_bias.html").render(
        audit=audit, rows=rows, charts=charts, grids=grids, groups=[g for g, _ in GROUPS],
        findings=findings(audit), monk=monk)


def credits_html(audits: Sequence[CreditAudit]) -> str:
    """One or more credit audits (a "before" and an "after") as one HTML page."""
    if not audits:
        raise InvalidArgument("`audits` is empty; give at least one credit audit to show.")
    sections = []
    for dimension in DIMENSIONS:
        values = order_values(dimension, {r.value for a in audits for r in a.table(dimension)})
        chart_rows = [(v, [a.share(dimension, v) for a in audits]) for v in values]
        table = [{"value": v, "cells": [next(({"artists": r.artists, "share": f"{r.artist_share:.0%}",
                                               "credits": r.credits, "credit_share": f"{r.credit_share:.0%}"}
                                              for r in a.table(dimension) if r.value == v),
                                             {"artists": 0, "share": "0%", "credits": 0,
                                              "credit_share": "0%"}) for a in audits]}
                 for v in values]
        sections.append({"dimension": dimension, "table": table,
                         "chart": svg.compare_bars(chart_rows, [a.source for a in audits],
                                                   title=f"Artists by {dimension}")})
    return _env().get_template("audit_credits.html").render(audits=audits, sections=sections)


def check_report_path(path: str | Path) -> Path:
    """Where a report may go: an .html name in a folder that exists (checked before the work)."""
    target = Path(path).expanduser()
    if target.suffix.lower() not in (".html", ".htm"):
        raise InvalidArgument(f"`--out` {str(path)!r} must name an .html file.")
    if not target.parent.is_dir():
        raise InvalidArgument(f"`--out` {str(path)!r}: the folder {str(target.parent)!r} does not "
                              "exist; make it first or choose another place.")
    if target.is_dir():
        raise InvalidArgument(f"`--out` {str(path)!r} is a folder; name the .html file to write.")
    return target


def write_report(html: str, path: str | Path) -> Path:
    """Write a report atomically; the folder must exist, the name end in .html."""
    return write_atomic(check_report_path(path), html.encode("utf-8"))
