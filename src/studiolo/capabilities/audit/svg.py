"""Small inline SVG charts for the audit reports: no script, no library, text escaped.

Each function returns a `markupsafe.Markup` of one <svg> element that a report template
places as it is; every label is escaped here, so a prompt can hold any characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from studiolo.capabilities.audit.skin import ITA_CATEGORIES, MONK_HEX

LABEL_W = 300
BAR_W = 360
ROW_H = 22
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _svg(width: int, height: int, body: list[str], title: str) -> Markup:
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                  f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
                  f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _label(y: float, text: str) -> str:
    shown = text if len(text) <= 46 else text[:45] + "…"
    return (f'<text x="{LABEL_W - 8}" y="{y + 15}" text-anchor="end" {FONT}>'
            f"{escape(shown)}</text>")


def share_bars(rows: Sequence[tuple[str, float | None, float | None, float | None]], *,
               title: str, colour: str = "#4a6fa5", scale: float = 1.0,
               unit: str = "%") -> Markup:
    """Horizontal bars of shares (0..scale) with 95 % interval whiskers; None is "no data"."""
    height = ROW_H * len(rows) + 28
    body = []
    for i, (label, value, low, high) in enumerate(rows):
        y = 4 + i * ROW_H
        body.append(_label(y, label))
        if value is None:
            body.append(f'<text x="{LABEL_W + 4}" y="{y + 15}" {FONT} fill="#777">no data</text>')
            continue
        w = BAR_W * min(max(value / scale, 0.0), 1.0)
        body.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 8}" '
                    f'fill="{colour}"/>')
        if low is not None and high is not None:
            x0, x1 = LABEL_W + BAR_W * low / scale, LABEL_W + BAR_W * high / scale
            mid = y + ROW_H / 2 - 1
            body.append(f'<path d="M{x0:.1f} {mid} H{x1:.1f} M{x0:.1f} {mid - 5} V{mid + 5} '
                        f'M{x1:.1f} {mid - 5} V{mid + 5}" stroke="#222" fill="none"/>')
        text = f"{value * 100:.0f}%" if unit == "%" else f"{value:.1f}"
        body.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 15}" {FONT}>{escape(text)}</text>')
    axis_y = ROW_H * len(rows) + 8
    body.append(f'<path d="M{LABEL_W} 2 V{axis_y}" stroke="#999"/>')
    end = "100%" if unit == "%" else f"{scale:g}"
    body.append(f'<text x="{LABEL_W}" y="{axis_y + 14}" {FONT} fill="#555">0</text>'
                f'<text x="{LABEL_W + BAR_W}" y="{axis_y + 14}" text-anchor="end" {FONT} '
                f'fill="#555">{end}</text>')
    return _svg(LABEL_W + BAR_W + 60, height, body, title)


def monk_stacks(rows: Sequence[tuple[str, Sequence[int]]], *, title: str) -> Markup:
    """One bar per row split by Monk tone (1 lightest .. 10 darkest), in the tones' colours."""
    height = ROW_H * len(rows) + 44
    body = []
    for i, (label, counts) in enumerate(rows):
        y = 4 + i * ROW_H
        body.append(_label(y, label))
        total = sum(counts)
        if total == 0:
            body.append(f'<text x="{LABEL_W + 4}" y="{y + 15}" {FONT} fill="#777">'
                        "no measured face</text>")
            continue
        x = float(LABEL_W)
        for tone, n in enumerate(counts):
            if n:
                w = BAR_W * n / total
                body.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 8}" '
                            f'fill="{MONK_HEX[tone]}" stroke="#333" stroke-width="0.5">'
                            f"<title>Monk {tone + 1}: {n}</title></rect>")
                x += w
        body.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 15}" {FONT}>n={total}</text>')
    legend_y = ROW_H * len(rows) + 14
    for tone, colour in enumerate(MONK_HEX):
        x = LABEL_W + tone * 36
        body.append(f'<rect x="{x}" y="{legend_y}" width="30" height="14" fill="{colour}" '
                    f'stroke="#333" stroke-width="0.5"/><text x="{x + 15}" y="{legend_y + 26}" '
                    f'text-anchor="middle" {FONT}>{tone + 1}</text>')
    return _svg(LABEL_W + BAR_W + 60, height, body, title)


def ita_strips(rows: Sequence[tuple[str, Sequence[float]]], *, title: str) -> Markup:
    """Each face's ITA as a dot on a -90..90 degree axis, one strip per row, with the six
    bands of Chardon et al. 1991 shaded behind."""
    def x_of(angle: float) -> float:
        return LABEL_W + BAR_W * (max(-90.0, min(90.0, angle)) + 90) / 180

    height = ROW_H * len(rows) + 40
    body = []
    bounds = [90.0] + [low for low, _ in ITA_CATEGORIES[:-1]] + [-90.0]
    for k, (_, name) in enumerate(ITA_CATEGORIES):
        hi, lo = bounds[k], bounds[k + 1]
        shade = "#f3f3f3" if k % 2 else "#e6e6e6"
        body.append(f'<rect x="{x_of(lo):.1f}" y="0" width="{x_of(hi) - x_of(lo):.1f}" '
                    f'height="{ROW_H * len(rows) + 6}" fill="{shade}"><title>{escape(name)}</title></rect>')
    for i, (label, values) in enumerate(rows):
        y = 4 + i * ROW_H
        body.append(_label(y, label))
        for v in values:
            body.append(f'<circle cx="{x_of(v):.1f}" cy="{y + ROW_H / 2 - 1}" r="3.5" '
                        f'fill="#c0392b" fill-opacity="0.6"><title>{v:.1f}°</title></circle>')
        if not values:
            body.append(f'<text x="{LABEL_W + 4}" y="{y + 15}" {FONT} fill="#777">'
                        "no measured face</text>")
    axis_y = ROW_H * len(rows) + 20
    for tick in (-90, -30, 10, 28, 41, 55, 90):
        body.append(f'<text x="{x_of(tick):.1f}" y="{axis_y}" text-anchor="middle" {FONT} '
                    f'fill="#555">{tick}°</text>')
    return _svg(LABEL_W + BAR_W + 60, height, body, title)


def compare_bars(rows: Sequence[tuple[str, Sequence[float]]], series: Sequence[str], *,
                 title: str) -> Markup:
    """Grouped horizontal bars: one share per series for each row (0..1)."""
    colours = ("#9aa9c0", "#2c5f9e", "#c0392b")
    per = len(series)
    row_h = 8 + 12 * per
    height = row_h * len(rows) + 12 + 18 * per
    body = []
    for i, (label, values) in enumerate(rows):
        y = 4 + i * row_h
        body.append(_label(y + (row_h - ROW_H) / 2, label))
        for k, value in enumerate(values):
            w = BAR_W * min(max(value, 0.0), 1.0)
            by = y + 2 + 12 * k
            body.append(f'<rect x="{LABEL_W}" y="{by}" width="{w:.1f}" height="10" '
                        f'fill="{colours[k % 3]}"/><text x="{LABEL_W + w + 4}" y="{by + 9}" '
                        f'{FONT} font-size="10">{value * 100:.0f}%</text>')
    legend_y = row_h * len(rows) + 12
    for k, name in enumerate(series):
        y = legend_y + 18 * k
        body.append(f'<rect x="{LABEL_W}" y="{y}" width="12" height="12" fill="{colours[k % 3]}"/>'
                    f'<text x="{LABEL_W + 16}" y="{y + 11}" {FONT}>{escape(name)}</text>')
    return _svg(LABEL_W + BAR_W + 60, height, body, title)
