"""The Studio's analysis verb: analyse an artwork of the catalog and keep the result there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studiolo.core.progress import ProgressCallback, no_progress

from .stored import StoredAnalysis


def analyse_artwork(studio: Any, artwork_id: str, *, against: str | None = "builtin",
                    claimed: str | None = None, viewer: str | None = None,
                    refresh: bool = False, networks: tuple[Callable, Callable] | None = None,
                    progress: ProgressCallback = no_progress) -> StoredAnalysis:
    """Analyse artwork `artwork_id` against collection `against` (None: the figures only),
    with `claimed` its authenticity, and keep the analysis in the catalog; an analysis kept
    earlier is returned as it is unless `refresh`.

    With `viewer` (a person's name) the work must be one they may see (a private work: its
    owner only), else `UnknownName`; without it the caller is the studio itself (the
    command line of the person whose studio it is)."""
    from studiolo.catalog import visibility

    from .collection import load_collection
    from .report import analyse, render_report
    from .stored import load_analysis, save_analysis

    catalog: Any = studio.catalog
    sha = (visibility.can_see(catalog, artwork_id, viewer) if viewer is not None
           else catalog.resolve_id(artwork_id))
    if not refresh and (kept := load_analysis(catalog, sha, against, claimed)) is not None:
        return kept
    index = None
    if against:
        from .catalogued import import_folders

        import_folders(catalog, studio.settings.home)  # collections of an older studio
        index = load_collection(catalog, against, networks)
    artwork = catalog.get_artwork(sha)
    label = artwork.title or (artwork.recipe.prompt or "")[:60] or f"artwork {sha[:12]}"
    analysis = analyse(studio.image(sha), against=index, claimed=claimed, source=label,
                       networks=networks, progress=progress)
    return save_analysis(catalog, sha, against, claimed, analysis.to_json(),
                         render_report(analysis))
