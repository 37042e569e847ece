"""`analyse`: every figure of one picture, its attribution against a collection and, for a
claimed artist, its authenticity; a printable summary, JSON, and a self-contained HTML
report (pictures inlined as PNG data URIs, no external files or scripts)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from PIL import Image

from studiolo.core.progress import ProgressCallback, no_progress

from .attribution import Attribution, FitReport, fit_attribution
from .authenticity import Authenticity, authenticity
from .brushwork import BrushworkReport, analyse_brushwork
from .colour import ColourReport, analyse_colour
from .composition import CompositionReport, analyse_composition
from .embed import embed
from .figures import figure_vector
from .index import CollectionIndex
from .prepare import ImageInput, load, png_bytes, prepare
from .results import jsonable


@dataclass(frozen=True)
class Analysis:
    source: str
    sha256: str
    size: tuple[int, int]
    notes: tuple[str, ...]
    colour: ColourReport
    composition: CompositionReport
    brushwork: BrushworkReport
    collection: str | None = None
    attribution: Attribution | None = None
    authenticity: Authenticity | None = None
    fit: FitReport | None = None
    thumbnail: Image.Image | None = None

    def to_json(self) -> dict:
        att = self.attribution
        return {
            "source": self.source, "sha256": self.sha256, "size": list(self.size),
            "notes": list(self.notes), "collection": self.collection,
            "attribution": att.to_json()["attribution"] if att else [],
            "unknown": att.unknown if att else None,
            "verdict": att.verdict if att else None,
            "attribution_detail": att.to_json() if att else None,
            "authenticity": self.authenticity.to_json() if self.authenticity else None,
            "calibration": self.fit.to_json() if self.fit else None,
            "colour": self.colour.to_json(), "composition": self.composition.to_json(),
            "brushwork": self.brushwork.to_json(),
        }

    def summary(self) -> str:
        """A few lines for a terminal."""
        c, k, b = self.colour, self.composition, self.brushwork
        lines = [f"{self.source} ({self.size[0]}x{self.size[1]} px)"]
        lines += [f"  note: {n}" for n in self.notes]
        lines.append("  palette: " + ", ".join(f"{p.name} {p.proportion:.0%}" for p in c.palette))
        lines.append(f"  harmony {c.harmony.kind}; {c.colourfulness_words} "
                     f"(M = {c.colourfulness:.1f}); brightness {c.brightness_mean:.0f}/100, "
                     f"contrast {c.contrast_rms:.2f}")
        lines.append(f"  composition: {len(k.focal_points)} focal point(s), thirds "
                     f"{k.thirds_points:.2f}, symmetry {k.symmetry_lr:.2f}, balance "
                     f"{k.balance:.2f}, edge density {k.edge_density:.3f}")
        lines.append(f"  brushwork: dominant {b.dominant_orientation:.0f} deg, entropy "
                     f"{b.orientation_entropy:.2f}, strokes {b.stroke_length_median:.0f} px "
                     f"(median), curvature {b.curvature_mean:.3f} rad/px")
        if self.attribution:
            a = self.attribution
            lines.append(f"  attribution against {a.collection!r}: {a.verdict}")
            for cand in a.candidates[:3]:
                works = f"{cand.works} work{'s' if cand.works != 1 else ''}"
                lines.append(f"    {cand.probability:6.1%}  {cand.artist} ({works}; nearest: "
                             f"{cand.nearest})")
            lines += [f"  note: {n}" for n in a.notes]
        if self.authenticity:
            lines.append(f"  authenticity: {self.authenticity.verdict}")
            lines.append(f"    {self.authenticity.uncertainty}")
            lines += [f"    - {d.words}" for d in self.authenticity.deviations]
        return "\n".join(lines)


def analyse(image: ImageInput, against: CollectionIndex | None = None,
            claimed: str | None = None, *, source: str | None = None,
            networks: tuple[Callable, Callable] | None = None,
            progress: ProgressCallback = no_progress) -> Analysis:
    """Colour, composition and brushwork of a picture; with a collection, its attribution;
    with `claimed`, how typical it is of that artist. A picture that is itself in the
    collection is left out of it, so it is never compared with itself."""
    progress({"stage": "prepare", "step": 0, "total": 4})
    original = load(image)
    prep = prepare(original)
    progress({"stage": "figures", "step": 1, "total": 4})
    colour, composition = analyse_colour(prep), analyse_composition(prep)
    brush = analyse_brushwork(prep)
    notes = list(prep.notes)
    label = source or (str(image) if isinstance(image, str | Path) else "image")
    thumb = prep.image.copy()
    thumb.thumbnail((512, 512))
    result = {"source": label, "sha256": prep.sha256, "size": prep.original_size,
              "colour": colour, "composition": composition, "brushwork": brush,
              "thumbnail": thumb}
    if against is None:
        return Analysis(notes=tuple(notes), **result)
    progress({"stage": "embed", "step": 2, "total": 4})
    vectors = dict(embed(prep, brush, networks, original).vectors)
    vectors["figures"] = figure_vector(colour, composition, brush)
    exclude = set()
    known = {w.sha256: w for w in against.list()}
    if prep.sha256 in known:
        w = known[prep.sha256]
        notes.append(f"This picture is in collection {against.name!r} ({w.title or w.file} by "
                     f"{w.artist}); it is left out so that it is not compared with itself.")
        exclude.add(prep.sha256)
    progress({"stage": "attribute", "step": 3, "total": 4})
    model = fit_attribution(against, exclude)
    att = model.attribute(vectors)
    auth = authenticity(model, against, vectors, claimed) if claimed else None
    progress({"stage": "done", "step": 4, "total": 4})
    return Analysis(notes=tuple(notes), collection=against.name, attribution=att,
                    authenticity=auth, fit=model.report, **result)


def data_uri(image: Image.Image) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")


def render_report(analysis: Analysis) -> str:
    """The HTML report of an analysis (one self-contained page)."""
    import jinja2

    template = resources.files(__package__).joinpath("templates", "report.html").read_text(
        encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    pictures = {
        "work": data_uri(analysis.thumbnail) if analysis.thumbnail else "",
        "swatch": data_uri(analysis.colour.swatch),
        "overlay": data_uri(analysis.composition.overlay),
        "field": data_uri(analysis.brushwork.field_picture),
    }
    return env.from_string(template).render(a=analysis, j=jsonable, pictures=pictures,
                                            hist=analysis.brushwork.orientation_histogram)


def write_report(analysis: Analysis, path: Path) -> Path:
    """Write the HTML report to `path` (written to a temporary name, then renamed)."""
    import os

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_report(analysis), encoding="utf-8")
    os.replace(tmp, path)
    return path
