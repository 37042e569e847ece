"""Run an ONNX network on the CPU: OpenVINO when it is installed, else onnxruntime.

`load(model)` compiles an ONNX file (a path or the serialised bytes) and returns a
`Network` whose `run(feeds)` takes and gives float32 numpy arrays, whichever
runtime does the work. Free (dynamic) input sizes stay free on both runtimes:
OpenVINO's CPU plugin keeps one compiled graph and re-plans it per new shape.

- `backend="auto"` picks OpenVINO when the `openvino` package imports (the
  `studiolo[fast]` extra), else onnxruntime; "openvino" or "onnxruntime" insist.
- `precision="auto"` on OpenVINO is bf16 where the CPU reports BF16 among its
  optimisation capabilities (avx512_bf16 or AMX), else f32; onnxruntime is f32.
  What actually ran is `Network.backend` / `Network.precision`: record them with
  the output, because bf16 and f32 give slightly different pixels.

The same network, inputs, backend and precision on the same machine give the
same bits (both runtimes partition the work the same way on every call).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from studiolo.core.errors import InvalidArgument, ModelNotFound

Backend = Literal["openvino", "onnxruntime"]
BACKENDS: tuple[str, ...] = ("auto", "openvino", "onnxruntime")
PRECISIONS: tuple[str, ...] = ("auto", "bf16", "f32")


def openvino_available() -> bool:
    """True when the `openvino` package imports (looked up on every call, so tests can hide it)."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(backend: str) -> Backend:
    """"auto" -> "openvino" if installed, else "onnxruntime"; an asked-for runtime must exist."""
    if backend not in BACKENDS:
        raise InvalidArgument(f"`backend` must be one of {', '.join(BACKENDS)}, got {backend!r}.")
    if backend == "auto":
        return "openvino" if openvino_available() else "onnxruntime"
    if backend == "openvino" and not openvino_available():
        raise ModelNotFound(
            "The openvino backend needs the `openvino` package, which is not installed; "
            "run `pip install 'studiolo[fast]'` or use backend 'onnxruntime'."
        )
    return backend  # type: ignore[return-value]


@functools.cache
def cpu_has_bf16() -> bool:
    """Whether OpenVINO's CPU plugin computes in bf16 here (avx512_bf16 or AMX)."""
    if not openvino_available():
        return False
    import openvino as ov

    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def resolve_precision(backend: Backend, precision: str) -> str:
    if precision not in PRECISIONS:
        raise InvalidArgument(
            f"`precision` must be one of {', '.join(PRECISIONS)}, got {precision!r}."
        )
    if backend == "onnxruntime":
        if precision == "bf16":
            raise InvalidArgument(
                "`precision` 'bf16' needs the openvino backend; onnxruntime runs these "
                "networks in f32."
            )
        return "f32"
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "f32"
    if precision == "bf16" and not cpu_has_bf16():
        raise InvalidArgument(
            "`precision` 'bf16' needs a CPU with bf16 support (avx512_bf16 or AMX); "
            "this one has neither, use 'f32' or 'auto'."
        )
    return precision


RunFn = Callable[[Mapping[str, np.ndarray]], list[np.ndarray]]


@dataclass(frozen=True)
class Network:
    """A compiled ONNX network: `run({input name: array})` -> outputs, in order."""

    backend: Backend
    precision: str
    inputs: tuple[str, ...]
    _run: RunFn = field(repr=False)

    @property
    def label(self) -> str:
        """What ran, for recipes and benchmarks: "openvino-bf16", "onnxruntime-f32"."""
        return f"{self.backend}-{self.precision}"

    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        return self._run(feeds)


def load(model: bytes | str | Path, *, backend: str = "auto", precision: str = "auto",
         threads: int | None = None) -> Network:
    """Compile `model` (an ONNX path or bytes) on the chosen runtime; `threads` None = all cores."""
    chosen = resolve_backend(backend)
    precision = resolve_precision(chosen, precision)
    if isinstance(model, Path):
        model = str(model)
    if chosen == "openvino":
        return _openvino(model, precision, threads)
    return _onnxruntime(model, threads)


def _onnxruntime(model: bytes | str, threads: int | None) -> Network:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def run(feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        return session.run(None, dict(feeds))

    return Network("onnxruntime", "f32", tuple(i.name for i in session.get_inputs()), run)


def _openvino(model: bytes | str, precision: str, threads: int | None) -> Network:
    import openvino as ov

    core = ov.Core()
    graph = core.read_model(model)
    config: dict[str, object] = {"INFERENCE_PRECISION_HINT": precision,
                                 "PERFORMANCE_HINT": "LATENCY"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    compiled = core.compile_model(graph, "CPU", config)
    names = tuple(port.get_any_name() for port in compiled.inputs)
    # One infer request per thread: a request is not safe to share between threads.
    local = threading.local()

    def run(feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        request = getattr(local, "request", None)
        if request is None:
            request = local.request = compiled.create_infer_request()
        # share_inputs: the request reads the caller's arrays (no copy; infer is synchronous).
        result = request.infer({names.index(k): v for k, v in feeds.items()}, share_inputs=True)
        return [np.asarray(result[port]) for port in compiled.outputs]

    return Network("openvino", precision, names, run)


def feed(network: Network, arrays: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """{input name: array} in the network's input order."""
    if len(arrays) != len(network.inputs):
        raise InvalidArgument(
            f"The network takes {len(network.inputs)} inputs {list(network.inputs)}, "
            f"got {len(arrays)}."
        )
    return dict(zip(network.inputs, arrays, strict=True))
