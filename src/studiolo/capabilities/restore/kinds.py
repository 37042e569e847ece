"""The kinds of damage the detector knows, in the order masks and reports list them."""

from __future__ import annotations

KINDS: tuple[str, ...] = ("cracks", "scratches", "losses", "stains", "tears")

DESCRIPTIONS: dict[str, str] = {
    "cracks": "cracks and craquelure: thin dark (or, on dark paint, light) lines and networks",
    "scratches": "scratches: long, nearly straight thin lines, mostly lighter than the paint",
    "losses": "paint losses: holes of any size where the ground or canvas shows",
    "stains": "stains and foxing: water tide-lines and brown spots",
    "tears": "tears: jagged gaps through the support with frayed edges",
}
