"""The embeddings a work is compared by: style, content, detail, brushwork and colour.

- style: the 100-d Magenta style bottleneck (Ghiasi et al. 2017, "Exploring the
  structure of a real-time, arbitrary neural artistic stylization network").
- content: the 1280-d EfficientNet-Lite0 ImageNet features of the whole picture
  (Tan & Le 2019): what is painted, and much of how.
- detail: the same network on the four quarter-size crops around the centre, averaged:
  at twice the scale the features see touches and textures rather than objects
  (patch features carry artist identity: van Noord, Hendriks & Postma 2015, "Toward
  discovery of the artist's style", IEEE Signal Processing Magazine 32(4)).
- brush: `BrushworkReport.vector()` (orientation, flow lines, Gabor, LBP).
- tiles: the same network on a 3 x 3 grid of 224 px tiles of the picture at 800 px
  (`tiles.py`), the bag flattened (9 x 1280); attribution learns a discriminant on it.
- colour: a CIELAB histogram (4 L x 6 a x 6 b bins) under the square root (Hellinger),
  the baseline a colour-histogram retrieval would use (Swain & Ballard 1991).

Every vector is float32 and finite; a flat picture gets zeros where a network has
nothing to say, never NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .brushwork import BrushworkReport, analyse_brushwork
from .prepare import Prepared
from .tiles import flat_tiles, tile_features

KINDS = ("style", "content", "detail", "brush", "colour", "tiles")
COLOUR_BINS = (4, 6, 6)


@dataclass(frozen=True)
class Embeddings:
    """One work's vectors by kind (each (D,) float32)."""

    vectors: Mapping[str, np.ndarray]

    def __getitem__(self, kind: str) -> np.ndarray:
        return self.vectors[kind]


def colour_histogram(prep: Prepared) -> np.ndarray:
    lab = prep.lab.reshape(-1, 3)
    edges_a = np.linspace(-80, 80, COLOUR_BINS[1] + 1)[1:-1]
    edges_b = np.linspace(-80, 80, COLOUR_BINS[2] + 1)[1:-1]
    li = np.minimum((lab[:, 0] / 100 * COLOUR_BINS[0]).astype(np.int64), COLOUR_BINS[0] - 1)
    ai = np.searchsorted(edges_a, lab[:, 1])
    bi = np.searchsorted(edges_b, lab[:, 2])
    codes = (np.clip(li, 0, None) * COLOUR_BINS[1] + ai) * COLOUR_BINS[2] + bi
    hist = np.bincount(codes, minlength=int(np.prod(COLOUR_BINS))).astype(np.float64)
    return np.sqrt(hist / hist.sum()).astype(np.float32)


def detail_crops(prep: Prepared) -> list:
    """The four quarter crops around the centre (each half the short side, square)."""
    image = prep.image
    w, h = image.size
    s = min(w, h) // 2
    return [image.crop((x, y, x + s, y + s)) for x in (w // 2 - s, w // 2)
            for y in (h // 2 - s, h // 2)]


def _finite(v: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(v, np.float32).ravel(), nan=0.0, posinf=0.0, neginf=0.0)


def embed(prep: Prepared, brushwork: BrushworkReport | None = None,
          networks: tuple[Callable, Callable] | None = None,
          original: Image.Image | None = None) -> Embeddings:
    """Every embedding of a prepared picture. `networks` = (style_fn, content_fn) replaces
    the real networks (tests pass light stand-ins); the default loads the bundled ones.
    `original` is the picture at its own size, for the tiles (default: the prepared one)."""
    if networks is None:
        from studiolo.features.content import image_features
        from studiolo.features.style import style_vector

        networks = (style_vector, image_features)
    style_fn, content_fn = networks
    brushwork = brushwork or analyse_brushwork(prep)
    image = prep.image
    detail = np.mean([_finite(content_fn(crop)) for crop in detail_crops(prep)], axis=0)
    return Embeddings({
        "style": _finite(style_fn(image)),
        "content": _finite(content_fn(image)),
        "detail": detail.astype(np.float32),
        "brush": _finite(brushwork.vector()),
        "colour": colour_histogram(prep),
        "tiles": flat_tiles(tile_features(original if original is not None else image,
                                          content_fn)),
    })
