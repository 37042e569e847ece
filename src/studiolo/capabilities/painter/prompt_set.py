"""The prompts the painter is read against (issue 22): every motif it claims, times of day,
seasons, weather, moods, named colours and shapes, and the twelve everyday prompts a new
user tried first. `scripts/painter_sheet.py` paints them all into docs/painter-sheet.png.
"""

from __future__ import annotations

# The twelve everyday prompts of issue 22, as a new user typed them.
EVERYDAY: tuple[str, ...] = (
    "a lone tree under a red sky",
    "moonlight over a lake with mountains",
    "a fishing boat on a grey sea",
    "a misty pine forest",
    "a lighthouse in a storm",
    "a starry night over a town",
    "a snowy village",
    "a garden of pink blossoms by a river",
    "a field of sunflowers",
    "a desert with dunes and a setting sun",
    "an abstract composition of blue circles and orange lines",
    "a melancholy rainy street in autumn",
)

# Every motif, time of day, season, weather, mood, colour and shape at least once.
MORE: tuple[str, ...] = (
    "a field of red poppies in summer",
    "rows of tulips and a windmill in spring",
    "lavender fields in provence at noon",
    "a cherry tree in blossom in spring",
    "a village with red roofs and a church spire",
    "a village at night with lit windows",
    "cottages with smoking chimneys in winter",
    "a country road through fields at dawn",
    "a long straight road to the mountains",
    "a stone bridge over a river",
    "a windmill by a canal at sunset",
    "sailing boats in a harbour at noon",
    "a rowing boat on a calm lake",
    "a ship on a stormy sea",
    "golden dunes in the desert at noon",
    "a river winding through a valley",
    "a waterfall in the mountains",
    "haystacks in a golden field at dusk",
    "a wheat field under a blue sky",
    "a flower garden with a path",
    "heavy snow falling on a forest",
    "rain over the sea",
    "fog over a river at dawn",
    "an autumn forest with orange leaves",
    "spring meadow with blossoming trees",
    "people walking on a beach at sunset",
    "a figure on a hill at dusk",
    "a joyful summer meadow with flowers",
    "a melancholy grey lake in winter",
    "a calm sea at dawn",
    "a city skyline at night",
    "a peaceful village street in the morning",
    "an abstract painting of red squares and yellow triangles",
    "green and purple circles",
    "a full moon over snowy mountains",
    "a sunrise over misty hills",
)

PROMPTS: tuple[str, ...] = EVERYDAY + MORE

__all__ = ["EVERYDAY", "MORE", "PROMPTS"]
