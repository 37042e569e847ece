"""The style vector: the 100-d Magenta bottleneck (Ghiasi et al. 2017) of a painting or picture.

Shared by the style capability (it stylises with the vector), the painter (it
paints in a chosen painting's vector), taste and curation (a picture's look),
influence crediting (which painting a picture resembles) and analysis.

- A style is a built-in name (`studiolo.features.styles`: bundled public-domain
  paintings and `magenta-0`..`magenta-25`) or a PIL image.
- The picture's short side goes to `style_size` (256), the central 256 px go to
  the network (`studiolo.features.magenta.predict_session`, in float32).
- Vectors blend linearly (`blend_vectors`).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from importlib import resources

import numpy as np
from PIL import Image

from studiolo.core.errors import ImageError, InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.features import magenta as style_tiles
from studiolo.features.styles import get_style, style_image

StyleSpec = str | Image.Image

VECTOR_SIZE = 100
MIN_SIDE = 16  # smaller than this and the network's 8x downsampling leaves nothing to style
MAX_PIXELS = 64_000_000  # 8000 x 8000, as studiolo.core.imageio; larger is refused before any work


def check_image(image: object, name: str) -> Image.Image:
    if not isinstance(image, Image.Image):
        raise InvalidArgument(
            f"`{name}` must be a PIL image (open files with studiolo.core.imageio.open_image), "
            f"got {type(image).__name__}."
        )
    w, h = image.size
    if min(w, h) < MIN_SIDE:
        raise InvalidArgument(
            f"`{name}` is {w}x{h} px; both sides must be at least {MIN_SIDE} px."
        )
    if w * h > MAX_PIXELS:
        raise ImageError(
            f"`{name}` is {w}x{h} px ({w * h / 1e6:.0f} megapixels); style transfer takes at "
            f"most {MAX_PIXELS / 1e6:.0f} megapixels. Downscale it first."
        )
    return image if image.mode == "RGB" else image.convert("RGB")


def check_vector(vector: object) -> np.ndarray:
    arr = np.asarray(vector, dtype=np.float32) if isinstance(vector, np.ndarray) else None
    if arr is None or arr.size != VECTOR_SIZE or not np.isfinite(arr).all():
        shape = getattr(vector, "shape", type(vector).__name__)
        raise InvalidArgument(
            f"`vector` must be a finite array of {VECTOR_SIZE} numbers from style_vector(), "
            f"got {shape}."
        )
    return arr.reshape(1, 1, 1, VECTOR_SIZE)




def predict(image: Image.Image, style_size: int) -> np.ndarray:
    # Short side to `style_size`, then the central 256 px: a larger style_size
    # shows the network finer brushwork (smaller strokes in the result).
    w, h = image.size
    scale = style_size / min(w, h)
    image = image.resize(
        (max(style_size, round(w * scale)), max(style_size, round(h * scale))),
        Image.Resampling.LANCZOS,
    )
    side = style_tiles.PREDICT_SIZE
    left, top = (image.width - side) // 2, (image.height - side) // 2
    crop = image.crop((left, top, left + side, top + side))
    x = np.asarray(crop, dtype=np.float32)[None] / 255.0  # (1, 256, 256, 3)
    session = style_tiles.predict_session()
    out = session.run(None, {session.get_inputs()[0].name: x})[0]
    return out.reshape(VECTOR_SIZE).astype(np.float32)


@functools.cache
def _swatch() -> Image.Image:
    # What a Magenta style looks like, for its bottleneck: that style painted over
    # the bundled demo photo (the 26-style network has no bottleneck of its own).
    from studiolo.core.imageio import open_image

    data = resources.files("studiolo.data").joinpath("photos").joinpath("astronaut.jpg").read_bytes()
    return open_image(data, mode="RGB").resize((256, 256), Image.Resampling.LANCZOS)


@functools.cache
def _builtin_vector(style_id: str, style_size: int) -> np.ndarray:
    style = get_style(style_id)
    if style.kind == "magenta":
        weights = np.zeros(26, np.float32)
        weights[style.magenta_index] = 1.0
        image = multistyle(_swatch(), weights)
    else:
        image = style_image(style)
    vector = predict(image, style_size)
    vector.setflags(write=False)  # cached: nobody may change it in place
    return vector


# Style vectors of style images, by the image's content hash: the vector depends on the
# style picture and `style_size` only, never on the photo, so stylising many photos (or
# one photo many times) in one style predicts it once. Small: 100 floats an entry.
_IMAGE_VECTORS: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()
IMAGE_VECTOR_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()


def _image_key(image: Image.Image, style_size: int) -> tuple[str, int]:
    digest = hashlib.blake2b(image.tobytes(), digest_size=16)
    digest.update(f"{image.mode}:{image.width}x{image.height}".encode())
    return digest.hexdigest(), style_size


def _image_vector(image: Image.Image, style_size: int) -> np.ndarray:
    key = _image_key(image, style_size)
    with _CACHE_LOCK:
        vector = _IMAGE_VECTORS.get(key)
        if vector is not None:
            _IMAGE_VECTORS.move_to_end(key)
            return vector.copy()
    vector = predict(image, style_size)
    with _CACHE_LOCK:
        _IMAGE_VECTORS[key] = vector
        while len(_IMAGE_VECTORS) > IMAGE_VECTOR_CACHE_SIZE:
            _IMAGE_VECTORS.popitem(last=False)
    return vector.copy()  # the caller's own array: changing it cannot touch the cache


def clear_vector_cache() -> None:
    """Forget the style images' vectors (benchmarks time the uncached path with it)."""
    with _CACHE_LOCK:
        _IMAGE_VECTORS.clear()


def style_vector(style: StyleSpec, *, style_size: int = 256) -> np.ndarray:
    """The (100,) float32 style bottleneck of a built-in style name or a style image.

    Built-in styles are computed once per process and cached (read-only arrays);
    style images are cached by their pixels' hash (the last 64; a writable copy each call).
    """
    if isinstance(style_size, bool) or not isinstance(style_size, int) or not (
        style_tiles.PREDICT_SIZE <= style_size <= 2048
    ):
        raise InvalidArgument(
            f"`style_size` must be an integer from {style_tiles.PREDICT_SIZE} to 2048, "
            f"got {style_size!r}."
        )
    if isinstance(style, str):
        return _builtin_vector(get_style(style).id, style_size)
    return _image_vector(check_image(style, "style"), style_size)


def blend_vectors(pairs: Sequence[tuple[np.ndarray, float]]) -> np.ndarray:
    """Weighted mean of style vectors; weights must be positive and are normalised to sum 1."""
    if not pairs:
        raise InvalidArgument("`pairs` must hold at least one (vector, weight), got none.")
    total = 0.0
    for i, (_, weight) in enumerate(pairs):
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
            raise InvalidArgument(f"Style weight {i} must be a positive number, got {weight!r}.")
        total += float(weight)
    mixed = sum(check_vector(v).reshape(VECTOR_SIZE) * (w / total) for v, w in pairs)
    return np.asarray(mixed, dtype=np.float32)


def multistyle(content: Image.Image, weights: np.ndarray, tile: int = 1024, overlap: int = 64,
                progress: ProgressCallback = no_progress) -> Image.Image:
    session = style_tiles.multistyle_session()

    def run(tile_: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(tile_.transpose(2, 0, 1)[None])  # (1, 3, h, w)
        return session.run(None, {"image": x, "style_weights": weights})[0][0].transpose(1, 2, 0)

    out = style_tiles.run_tiled(
        np.asarray(content), run, tile=tile, overlap=overlap, progress=progress
    )
    return Image.fromarray(out)
