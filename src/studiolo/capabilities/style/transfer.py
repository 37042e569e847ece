"""Style transfer on the Magenta networks: any painting or picture as a style, at any size.

Library functions (the portrait engine and the offline painter build on them)
The `style` engine is in `engine.py`; the style vector is the shared feature
`studiolo.features.style`, the networks and the tiling `studiolo.features.magenta`.

- A style is a built-in name (`studiolo.features.styles`: bundled public-domain paintings
  and `magenta-0`..`magenta-25`) or a PIL image. `style_vector` turns it into the
  100-d bottleneck of Ghiasi et al. 2017; vectors blend linearly.
- `stylize_with_vector` runs the transform network at the content's own
  resolution, in overlapping raised-cosine tiles for big images, so a 4096 px
  photo is stylised at 4096 px (sharp), not at 384 px and upscaled.
- `strength` s: the style vector is interpolated from the content's own vector
  toward the style's by s (Magenta's documented strength control) AND the pixels
  are blended with the content by s, so s = 0 is exactly the content (the
  network never reproduces its input: with its own vector the mean error is
  ~30 levels of 255) and s = 1 is the full style.
- `preserve_colors` keeps the content's chroma (YCbCr Cb, Cr) under the
  stylised luminance (Gatys et al. 2016, "Preserving color in neural artistic
  style transfer").
- `mask` ("L", white = stylise) is feathered inward only, so pixels where the
  mask is black stay exactly the content; `invert=True` stylises the black part.
- `backend`/`precision`: the arbitrary-style network runs on OpenVINO in bf16 when
  `openvino` is installed and the CPU has bf16 (the network alone at 1024 px, one
  thread, AMD EPYC: 0.29 s CPU against onnxruntime float32's 0.54; pixels within 19
  of 255 of float32, 0.6-0.8 on average: see benchmarks/style_transfer.py), else on
  onnxruntime in float32. `runtime(style, backend, precision)` says which.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.features import magenta as style_tiles
from studiolo.features.style import (
    MIN_SIDE,
    VECTOR_SIZE,
    StyleSpec,
    blend_vectors,
    check_image,
    check_vector,
    multistyle,
    predict,
    style_vector,
)
from studiolo.features.styles import BuiltinStyle, get_style

MIN_TILE = 64


# -- checks -------------------------------------------------------------------


def _check_unit(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise InvalidArgument(f"`{name}` must be a number between 0 and 1, got {value!r}.")
    return float(value)


def _check_tiling(tile: object, overlap: object) -> tuple[int, int]:
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < MIN_TILE:
        raise InvalidArgument(f"`tile` must be an integer of at least {MIN_TILE} px, got {tile!r}.")
    if isinstance(overlap, bool) or not isinstance(overlap, int) or not 0 <= overlap <= tile // 2:
        raise InvalidArgument(
            f"`overlap` must be an integer from 0 to tile/2 ({tile // 2}), got {overlap!r}."
        )
    return tile, overlap


# -- stylising ----------------------------------------------------------------


def _transform_fn(network, vector: np.ndarray):
    image_name, vector_name = network.inputs

    def run(tile: np.ndarray) -> np.ndarray:  # (h, w, 3) -> (h, w, 3)
        return network.run({image_name: tile[None], vector_name: vector})[0][0]

    return run


def _feathered(mask: Image.Image, invert: bool) -> np.ndarray:
    """(H, W, 1) float32 in [0, 1]; soft inside the edge, exactly 0 where the mask is black."""
    mask = mask.convert("L")
    if invert:
        mask = ImageChops.invert(mask)
    radius = max(1, round(min(mask.size) / 100))
    soft = ImageChops.darker(mask.filter(ImageFilter.GaussianBlur(radius)), mask)
    return (np.asarray(soft, dtype=np.float32) / 255.0)[..., None]


def _finish(content: Image.Image, styled: Image.Image, strength: float, preserve_colors: bool,
            mask: Image.Image | None, invert: bool) -> Image.Image:
    if preserve_colors:
        y, _, _ = styled.convert("YCbCr").split()
        _, cb, cr = content.convert("YCbCr").split()
        styled = Image.merge("YCbCr", (y, cb, cr)).convert("RGB")
    alpha = None if strength >= 1.0 else np.float32(strength)
    if mask is not None:
        soft = _feathered(mask, invert)
        alpha = soft if alpha is None else soft * alpha
    if alpha is None:
        return styled
    base = np.asarray(content, dtype=np.float32)
    mixed = base + (np.asarray(styled, dtype=np.float32) - base) * alpha
    return Image.fromarray((mixed + 0.5).astype(np.uint8))


def _prepare(content: object, strength: object, mask: object, tile: object, overlap: object,
             work_side: object) -> tuple[Image.Image, float, Image.Image | None, int, int]:
    # 1. Check inputs. Raise error if not correct.
    content = check_image(content, "content")
    strength = _check_unit(strength, "strength")
    tile, overlap = _check_tiling(tile, overlap)
    if mask is not None:
        if not isinstance(mask, Image.Image):
            raise InvalidArgument(f"`mask` must be a PIL image or None, got {type(mask).__name__}.")
        if mask.size != content.size:
            raise InvalidArgument(
                f"`mask` is {mask.size[0]}x{mask.size[1]} px but `content` is "
                f"{content.size[0]}x{content.size[1]} px; they must match."
            )
    if work_side is not None and (
        isinstance(work_side, bool) or not isinstance(work_side, int) or work_side < MIN_SIDE * 4
    ):
        raise InvalidArgument(
            f"`work_side` must be None or an integer of at least {MIN_SIDE * 4}, got {work_side!r}."
        )
    return content, strength, mask, tile, overlap


def _work_copy(content: Image.Image, work_side: int | None) -> Image.Image:
    if work_side is None or max(content.size) <= work_side:
        return content
    scale = work_side / max(content.size)
    size = (max(MIN_SIDE, round(content.width * scale)), max(MIN_SIDE, round(content.height * scale)))
    return content.resize(size, Image.Resampling.LANCZOS)


def stylize_with_vector(
    content: Image.Image,
    vector: np.ndarray,
    *,
    strength: float = 1.0,
    preserve_colors: bool = False,
    mask: Image.Image | None = None,
    tile: int = 1024,
    overlap: int = 64,
    progress: ProgressCallback = no_progress,
    invert: bool = False,
    work_side: int | None = None,
    backend: str = "auto",
    precision: str = "auto",
) -> Image.Image:
    """Stylise `content` with a style bottleneck; an RGB image of the content's size.

    `work_side` (None = full resolution) runs the network on a copy at most that
    many px on the long side and upscales the result: faster, softer, bigger strokes.
    `backend`, `precision`: the runtime of the transform network
    (`studiolo.features.onnx_runtime`; `runtime()` says what "auto" resolves to).
    """
    content, strength, mask, tile, overlap = _prepare(
        content, strength, mask, tile, overlap, work_side
    )
    vector = check_vector(vector)
    if strength == 0.0:
        return content.copy()
    # 2. Move the style toward the content's own style (Ghiasi et al. 2017, section 5).
    if strength < 1.0:
        own = predict(content, style_tiles.PREDICT_SIZE).reshape(vector.shape)
        vector = (own + (vector - own) * strength).astype(np.float32)
    # 3. Run the network tile by tile.
    network, fixed = style_tiles.transform_session(backend, precision)
    work = _work_copy(content, work_side)
    out = style_tiles.run_tiled(
        np.asarray(work), _transform_fn(network, vector), tile=tile, overlap=overlap, fixed=fixed,
        progress=progress,
    )
    styled = Image.fromarray(out)
    del out
    if styled.size != content.size:
        styled = styled.resize(content.size, Image.Resampling.LANCZOS)
    # 4. Colour, strength and mask.
    return _finish(content, styled, strength, preserve_colors, mask, invert)


StyleArg = StyleSpec | Sequence[tuple[StyleSpec, float]]


def _only_magenta(resolved: Sequence[tuple[object, float]]) -> bool:
    return all(isinstance(s, BuiltinStyle) and s.kind == "magenta" for s, _ in resolved)


def runtime(style: StyleArg, backend: str = "auto", precision: str = "auto") -> tuple[str, str]:
    """(backend, precision) that `stylize(content, style, backend=, precision=)` runs on.

    Only Magenta styles -> the 26-style network, always onnxruntime f32; anything else
    -> the arbitrary-style network on what `backend`/`precision` resolve to here.
    """
    resolved = [(get_style(s) if isinstance(s, str) else s, w) for s, w in _style_pairs(style)]
    if _only_magenta(resolved):
        return "onnxruntime", "f32"
    network, _ = style_tiles.transform_session(backend, precision)
    return network.backend, network.precision


def _style_pairs(style: StyleArg) -> list[tuple[StyleSpec, float]]:
    if isinstance(style, str | Image.Image):
        return [(style, 1.0)]
    if isinstance(style, Sequence) and style and all(
        isinstance(p, tuple) and len(p) == 2 for p in style
    ):
        return list(style)
    raise InvalidArgument(
        "`style` must be a style name, a PIL image or a list of (style, weight) pairs, "
        f"got {style!r:.80}."
    )


def stylize(
    content: Image.Image,
    style: StyleArg,
    *,
    strength: float = 1.0,
    preserve_colors: bool = False,
    mask: Image.Image | None = None,
    progress: ProgressCallback = no_progress,
    **tile_kwargs,
) -> Image.Image:
    """Stylise with one style or a weighted blend (names, images, or both).

    Only Magenta styles -> the 26-style network with blended weights (its strength
    is a pixel blend: it has no bottleneck); anything else -> bottleneck blend
    (a Magenta style then enters through the bottleneck of its swatch).
    `tile_kwargs`: tile, overlap, invert, work_side, style_size, backend, precision
    (the last two for the arbitrary-style network; the 26-style one runs on onnxruntime).
    """
    pairs = _style_pairs(style)
    style_size = tile_kwargs.pop("style_size", 256)
    unknown = set(tile_kwargs) - {"tile", "overlap", "invert", "work_side", "backend", "precision"}
    if unknown:
        raise InvalidArgument(f"stylize() got unknown keyword arguments {sorted(unknown)}.")
    resolved = [(get_style(s) if isinstance(s, str) else s, w) for s, w in pairs]
    if _only_magenta(resolved):
        blend_vectors([(np.zeros(VECTOR_SIZE, np.float32), w) for _, w in resolved])  # checks
        weights = np.zeros(26, np.float32)
        for s, w in resolved:
            weights[s.magenta_index] += w
        weights /= weights.sum()
        invert, work_side = tile_kwargs.get("invert", False), tile_kwargs.get("work_side")
        tile, overlap = tile_kwargs.get("tile", 1024), tile_kwargs.get("overlap", 64)
        content, strength, mask, tile, overlap = _prepare(
            content, strength, mask, tile, overlap, work_side
        )
        if strength == 0.0:
            return content.copy()
        styled = multistyle(_work_copy(content, work_side), weights, tile, overlap, progress)
        if styled.size != content.size:
            styled = styled.resize(content.size, Image.Resampling.LANCZOS)
        return _finish(content, styled, strength, preserve_colors, mask, invert)
    vectors = [
        (style_vector(s.id if isinstance(s, BuiltinStyle) else s, style_size=style_size), w)
        for s, w in resolved
    ]
    return stylize_with_vector(
        content, blend_vectors(vectors), strength=strength, preserve_colors=preserve_colors,
        mask=mask, progress=progress, **tile_kwargs,
    )
