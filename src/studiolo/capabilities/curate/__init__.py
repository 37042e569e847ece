"""Curation: exhibitions chosen by a theme, grouped into rooms, hung by visual flow, exported.

It reads artworks and recipes through the catalog and writes its results back
through it (`catalog/exhibitions.py`); `Studio.make_exhibition` and
`Studio.export_exhibition` (studio_curate.py) are the calls the faces use.
"""

from __future__ import annotations

from studiolo.capabilities.curate.choose import Chosen, Selection, choose_works
from studiolo.capabilities.curate.export import check_target, export_site
from studiolo.capabilities.curate.flow import path_length, random_tour_length, visual_tour
from studiolo.capabilities.curate.make import ExhibitionView, Plan, RoomView, plan_exhibition, view
from studiolo.capabilities.curate.rooms import group_rooms, name_rooms, silhouette
from studiolo.capabilities.curate.walltext import (
    WallText,
    introduction,
    room_text,
    title_for,
    wall_text,
)

__all__ = [
    "Chosen", "ExhibitionView", "Plan", "RoomView", "Selection", "WallText", "check_target",
    "choose_works", "export_site", "group_rooms", "introduction", "name_rooms", "path_length",
    "plan_exhibition", "random_tour_length", "room_text", "silhouette", "title_for", "view",
    "visual_tour", "wall_text",
]
