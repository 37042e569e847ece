"""Pictures of a collection map: a self-contained interactive HTML page (inline SVG and a
little vanilla JavaScript: hover for the work, switch colouring between artist and
period; nothing is fetched from anywhere) and a PNG of the same map."""

from __future__ import annotations

import colorsys
import html
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from studiolo.core.errors import InvalidArgument

from .connections import Connections

# Okabe & Ito 2008 (colour-blind safe) first, then Tableau's, then golden-angle hues.
BASE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
                "#000000", "#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#1f77b4", "#ff7f0e",
                "#2ca02c", "#d62728", "#9467bd", "#e377c2")
W, H, PAD, LEGEND = 760, 560, 36, 250


def palette(n: int) -> list[str]:
    colours = list(BASE_COLOURS[:n])
    for i in range(len(colours), n):
        r, g, b = colorsys.hsv_to_rgb((i * 0.618034) % 1.0, 0.65, 0.85)
        colours.append(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}")
    return colours


# Periods are ordered: a ramp (viridis's ends and middle, van der Walt & Smith 2015)
# says "earlier" and "later" where separate hues would not. Undated works are grey.
RAMP = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))


def ramp(n: int) -> list[str]:
    out = []
    for i in range(n):
        t = i / max(n - 1, 1) * (len(RAMP) - 1)
        lo = min(int(t), len(RAMP) - 2)
        f = t - lo
        r, g, b = (round(RAMP[lo][c] * (1 - f) + RAMP[lo + 1][c] * f) for c in range(3))
        out.append(f"#{r:02x}{g:02x}{b:02x}")
    return out


def _layout(conn: Connections) -> tuple[np.ndarray, dict, dict]:
    xy = np.array([(p.x, p.y) for p in conn.points], np.float64).reshape(-1, 2)
    lo, hi = (xy.min(0), xy.max(0)) if len(xy) else (np.zeros(2), np.ones(2))
    span = np.where(hi - lo > 1e-12, hi - lo, 1.0)
    screen = np.empty_like(xy)
    screen[:, 0] = PAD + (xy[:, 0] - lo[0]) / span[0] * (W - 2 * PAD)
    screen[:, 1] = H - PAD - (xy[:, 1] - lo[1]) / span[1] * (H - 2 * PAD)  # up is up
    artists = sorted({p.artist for p in conn.points})
    dated = sorted({p.period for p in conn.points} - {"undated"})
    by_period = dict(zip(dated, ramp(len(dated)), strict=True))
    if any(p.period == "undated" for p in conn.points):
        by_period["undated"] = "#b0aca4"
    return screen, dict(zip(artists, palette(len(artists)), strict=True)), by_period


_SCRIPT = """
const svg = document.getElementById('map'), tip = document.getElementById('tip');
const legends = {artist: document.getElementById('legend-artist'),
                 period: document.getElementById('legend-period')};
svg.addEventListener('mousemove', e => {
  const c = e.target.closest('circle');
  if (!c) { tip.style.display = 'none'; return; }
  tip.textContent = c.dataset.title + ' \\u2014 ' + c.dataset.artist +
                    (c.dataset.year ? ', ' + c.dataset.year : '');
  tip.style.display = 'block';
  tip.style.left = (e.pageX + 12) + 'px'; tip.style.top = (e.pageY + 12) + 'px';
});
svg.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
document.querySelectorAll('input[name=colour]').forEach(r => r.addEventListener('change', () => {
  const by = r.value;
  svg.querySelectorAll('circle').forEach(c => { c.setAttribute('fill', c.dataset[by + 'Fill']); });
  for (const k in legends) legends[k].style.display = k === by ? '' : 'none';
}));
"""


def map_svg(conn: Connections) -> str:
    """The map as an <svg> element (circles carry their work in data attributes)."""
    screen, by_artist, by_period = _layout(conn)
    parts = [(f'<svg id="map" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
             f'aria-label="Map of collection {html.escape(conn.collection)}">'),
             f'<rect width="{W}" height="{H}" fill="#fbfaf7" stroke="#ddd"/>',
             (f'<text x="{W / 2}" y="{H - 8}" text-anchor="middle" font-size="11" fill="#777">'
             f'first principal axis ({conn.explained[0]:.0%} of the variance)</text>'),
             (f'<text x="12" y="{H / 2}" text-anchor="middle" font-size="11" fill="#777" '
             f'transform="rotate(-90 12 {H / 2})">second axis ({conn.explained[1]:.0%})</text>')]
    for p, (x, y) in zip(conn.points, screen, strict=True):
        a, per = by_artist[p.artist], by_period[p.period]
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{a}" fill-opacity="0.85" '
            f'stroke="#fff" stroke-width="1" data-title="{html.escape(p.title)}" '
            f'data-artist="{html.escape(p.artist)}" data-year="{html.escape(p.year)}" '
            f'data-artist-fill="{a}" data-period-fill="{per}">'
            f'<title>{html.escape(p.title)} — {html.escape(p.artist)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _legend(entries: dict, ident: str, hidden: bool) -> str:
    rows = "".join(f'<li><span class="dot" style="background:{c}"></span>{html.escape(k)}</li>'
                   for k, c in entries.items())
    style = ' style="display:none"' if hidden else ""
    return f'<ul class="legend" id="{ident}"{style}>{rows}</ul>'


def map_html(conn: Connections, title: str | None = None) -> str:
    """A whole self-contained HTML page with the interactive map."""
    _, by_artist, by_period = _layout(conn)
    title = title or f"Map of collection {conn.collection}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 24px; background: #fff; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }} .wrap {{ display: flex; gap: 18px; }}
.legend {{ list-style: none; padding: 0; margin: 8px 0; max-height: {H}px; overflow: auto;
  font-size: 12px; min-width: 200px; }}
.legend li {{ margin: 2px 0; }} .dot {{ display: inline-block; width: 10px; height: 10px;
  border-radius: 50%; margin-right: 6px; vertical-align: middle; }}
#tip {{ position: absolute; display: none; background: #222; color: #fff; padding: 4px 8px;
  border-radius: 4px; font-size: 12px; pointer-events: none; max-width: 320px; }}
circle:hover {{ stroke: #222; stroke-width: 2; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{len(conn.points)} works. Colour by
<label><input type="radio" name="colour" value="artist" checked> artist</label>
<label><input type="radio" name="colour" value="period"> period</label></p>
<div class="wrap">{map_svg(conn)}<div>{_legend(by_artist, "legend-artist", False)}
{_legend(by_period, "legend-period", True)}</div></div>
<div id="tip"></div>
<script>{_SCRIPT}</script>
</body></html>"""


def map_png(conn: Connections, by: str = "artist") -> Image.Image:
    """The map as a picture, coloured by "artist" or "period", with its legend."""
    screen, by_artist, by_period = _layout(conn)
    colours = by_artist if by == "artist" else by_period
    image = Image.new("RGB", (W + LEGEND, H), (251, 250, 247))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=12)
    draw.rectangle([0, 0, W - 1, H - 1], outline=(221, 221, 221))
    for p, (x, y) in zip(conn.points, screen, strict=True):
        c = colours[p.artist if by == "artist" else p.period]
        draw.ellipse([x - 6, y - 6, x + 6, y + 6], fill=c, outline=(255, 255, 255))
    draw.text((W / 2, H - 16), f"first principal axis ({conn.explained[0]:.0%})",
              fill=(119, 119, 119), font=font, anchor="mm")
    y = 16
    for name, c in colours.items():
        if y > H - 20:
            draw.text((W + 12, y), f"... {len(colours)} in all", fill=(90, 90, 90), font=font)
            break
        draw.ellipse([W + 12, y + 2, W + 22, y + 12], fill=c)
        draw.text((W + 28, y), name[:34], fill=(40, 40, 40), font=font)
        y += 17
    return image


def write_map(conn: Connections, folder: Path, stem: str | None = None,
              by: str = "artist") -> tuple[Path, Path]:
    """Write `<stem>.html` (interactive) and `<stem>.png` (coloured `by` artist or period)
    into `folder`; returns their paths."""
    if by not in ("artist", "period"):
        raise InvalidArgument(f"`by` must be 'artist' or 'period', got {by!r}.")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = stem or f"{conn.collection}-map"
    page, picture = folder / f"{stem}.html", folder / f"{stem}.png"
    for path, write in ((page, lambda p: p.write_text(map_html(conn), encoding="utf-8")),
                        (picture, lambda p: map_png(conn, by).save(p, "PNG"))):
        tmp = path.with_name(path.name + ".tmp")
        write(tmp)
        os.replace(tmp, path)
    return page, picture


def map_collection(root: Path | None, name: str, folder: Path,
                   by: str = "artist") -> tuple[Path, Path, Connections]:
    """The map, bridges and cross-period pairs of a saved (or the built-in) collection,
    written as `<name>-map.html` and `<name>-map.png` in `folder`."""
    from .attribution import fit_attribution
    from .collection import load_collection
    from .connections import connections

    conn = connections(fit_attribution(load_collection(root, name)))
    page, picture = write_map(conn, folder, by=by)
    return page, picture, conn
