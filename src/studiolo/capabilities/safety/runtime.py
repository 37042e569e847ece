"""Open NSFW's graph made cheap to run, and the runtime that runs it.

The package's ONNX file (the Keras port exported again through PyTorch) spends much of its
time on bookkeeping: every batch normalisation is three elementwise passes over the whole
feature map after its convolution (Sub, Mul, Add), and every convolution sits between
NHWC/NCHW transposes and no-op casts. `folded_graph` makes the same function cheaper:

1. onnxruntime's *basic* graph optimisations (constant folding, redundant casts and
   transposes removed, a convolution's bias Add folded in: hardware-independent, so the
   file it writes runs anywhere), written to a temporary file;
2. each convolution followed by per-channel Sub, Mul or Add of constants folded into its
   weights and bias (in float64, then float32: the same numbers to float32 rounding);
3. the batch fixed at 1, so OpenVINO compiles static shapes.

The folded graph is kept under STUDIOLO_HOME/cache/safety/ (keyed by the package file's
sha256 and the onnx, onnxruntime and folding versions), so a new process does not fold again.

`open_scorers` then runs it with OpenVINO (the `fast` extra) in bfloat16 where the CPU has
bfloat16 instructions (avx512_bf16 or AMX), else float32; without OpenVINO, or when it fails
to compile, with onnxruntime in float32. One thread, no spinning: the filter runs beside an
engine and is judged by the CPU time it takes from it. Before a scorer is used, it scores a
probe picture and its answer is held against the reference (onnxruntime float32 on the
package's own graph): a logit further than `PROBE_TOLERANCE` away sends it back to
onnxruntime. bfloat16 moves scores a little (at most 0.03 on the benchmark's pictures), so
a picture whose fast score lies near the threshold is scored again in float32 and that
score decides (`Scorers.judge`): the verdict is float32's wherever bfloat16's error is under
`RECHECK_LOGIT`. The runtime that gave the deciding score is named in the verdict.

Inference alone, one picture, one thread (2026-12-06, AMD EPYC with avx512_bf16, no AMX,
median CPU time of 40 runs at load 8-10): the package's graph in onnxruntime 27 ms; the folded
graph in onnxruntime 23 ms, in OpenVINO float32 21 ms, in OpenVINO bfloat16 11 ms (the
package's graph in OpenVINO bfloat16: 24 ms, its transposes kept). With the preprocessing,
per stored picture: benchmarks/safety.py.
"""

from __future__ import annotations

import collections
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RUNTIMES = ("auto", "onnxruntime")
# Open NSFW's score is a softmax; its differences are compared as logits, log(p / (1 - p)).
# bfloat16 moved the logit by at most 0.24 on the benchmark's pictures (0.12 on the probe).
RECHECK_LOGIT = 0.5  # a fast score this close to the threshold's logit is scored in float32
PROBE_TOLERANCE = RECHECK_LOGIT  # a fast scorer off by more on the probe is not used
_AFFINE = ("Add", "Sub", "Mul")
FOLD_VERSION = 1  # part of the cached graph's key: raise it when the folding changes


@dataclass
class Scorer:
    """Scores preprocessed (1, 224, 224, 3) float32 pictures: P(NSFW)."""

    name: str  # "OpenVINO 2026.4.1 bf16", "onnxruntime 1.32.0 fp32"
    run: Callable[[np.ndarray], float]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, batch: np.ndarray) -> float:
        with self._lock:  # an OpenVINO infer request serves one call at a time
            return float(self.run(batch))


def basic_graph(source: Path) -> tuple[Any, Any]:
    """onnxruntime's basic optimisations of `source` (an onnx ModelProto) and the
    onnxruntime float32 session that made them (the reference)."""
    import onnx
    import onnxruntime as ort

    options = _ort_options()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    with tempfile.TemporaryDirectory(prefix="studiolo-nsfw-") as tmp:
        options.optimized_model_filepath = str(Path(tmp) / "basic.onnx")
        session = ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        model = onnx.load(options.optimized_model_filepath)
    return model, session


def fold_affine(model: Any) -> int:
    """Fold each Conv's chain of per-channel constant Add/Sub/Mul into the Conv (in place);
    how many convolutions took a chain."""
    from onnx import numpy_helper

    graph = model.graph
    constants = {t.name: t for t in graph.initializer}
    readers: dict[str, list[Any]] = collections.defaultdict(list)
    for node in graph.node:
        for name in node.input:
            readers[name].append(node)
    outputs = {o.name for o in graph.output}
    gone: set[int] = set()
    folded = 0
    for node in graph.node:
        if node.op_type != "Conv" or len(node.input) < 2 or node.input[1] not in constants:
            continue
        weight = numpy_helper.to_array(constants[node.input[1]]).astype(np.float64)
        channels = weight.shape[0]
        has_bias = len(node.input) > 2 and node.input[2] in constants
        bias = (numpy_helper.to_array(constants[node.input[2]]).astype(np.float64) if has_bias
                else np.zeros(channels))
        last = node
        while last.output[0] not in outputs and len(readers[last.output[0]]) == 1:
            step = readers[last.output[0]][0]
            if (step.op_type not in _AFFINE or len(step.input) != 2
                    or step.input[0] != last.output[0] or step.input[1] not in constants):
                break
            value = numpy_helper.to_array(constants[step.input[1]])
            if value.shape not in ((1, channels, 1, 1), (channels, 1, 1)):
                break
            value = value.reshape(channels).astype(np.float64)
            if step.op_type == "Add":
                bias = bias + value
            elif step.op_type == "Sub":
                bias = bias - value
            else:
                weight, bias = weight * value[:, None, None, None], bias * value
            gone.add(id(step))
            last = step
        if last is node:
            continue
        names = (f"{node.output[0]}/folded_weight", f"{node.output[0]}/folded_bias")
        graph.initializer.extend([numpy_helper.from_array(weight.astype(np.float32), names[0]),
                                  numpy_helper.from_array(bias.astype(np.float32), names[1])])
        node.input[:] = [node.input[0], *names]
        node.output[0] = last.output[0]
        folded += 1
    kept = [n for n in graph.node if id(n) not in gone]
    del graph.node[:]
    graph.node.extend(kept)
    used = {name for n in graph.node for name in n.input}
    unused = [t for t in graph.initializer if t.name not in used]
    for tensor in unused:
        graph.initializer.remove(tensor)
    return folded


def folded_graph(source: Path) -> tuple[bytes, Any]:
    """The cheap graph (serialised, batch fixed at 1) and the reference session."""
    model, reference = basic_graph(source)
    fold_affine(model)
    del model.graph.value_info[:]
    for value in (model.graph.input[0], model.graph.output[0]):
        value.type.tensor_type.shape.dim[0].dim_value = 1
    return model.SerializeToString(), reference


def _ort_options() -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def onnxruntime_scorer(graph: bytes) -> Scorer:
    import onnxruntime as ort

    session = ort.InferenceSession(graph, _ort_options(), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return Scorer(f"onnxruntime {ort.__version__} fp32",
                  lambda batch: session.run(None, {name: batch})[0][0, 1])


def openvino_scorer(graph: bytes) -> Scorer:
    """OpenVINO on the CPU, bfloat16 where the CPU has it; ImportError without OpenVINO.
    (Its compiled-model cache would keep another 24 MB per home to save 0.05 s: not used.)"""
    import openvino as ov

    from studiolo.features.onnx_runtime import cpu_has_bf16

    core = ov.Core()
    precision = "bf16" if cpu_has_bf16() else "f32"
    with tempfile.TemporaryDirectory(prefix="studiolo-nsfw-") as tmp:
        path = Path(tmp) / "folded.onnx"
        path.write_bytes(graph)
        model = core.read_model(str(path))
    compiled = core.compile_model(model, "CPU", {
        "INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": 1, "NUM_STREAMS": 1,
        "PERFORMANCE_HINT": "LATENCY", "ENABLE_CPU_PINNING": False})
    request = compiled.create_infer_request()
    return Scorer(f"OpenVINO {ov.__version__.split('-')[0]} {'bf16' if precision == 'bf16' else 'fp32'}",
                  lambda batch: request.infer({0: batch})[0][0, 1])


def logit(p: float) -> float:
    p = min(max(float(p), 1e-7), 1 - 1e-7)
    return float(np.log(p / (1 - p)))


@dataclass
class Scorers:
    """`fast` scores every picture; `exact` (onnxruntime float32, `fast` itself when that is
    onnxruntime) scores again a picture whose fast score lies near the threshold."""

    fast: Scorer
    exact: Scorer
    notes: list[str]

    def judge(self, batch: np.ndarray, threshold: float) -> tuple[float, str]:
        """The score that decides and the runtime that gave it: the fast score, unless its
        logit lies within RECHECK_LOGIT of the threshold's, where float32 decides."""
        score = self.fast(batch)
        if self.exact is self.fast or abs(logit(score) - logit(threshold)) >= RECHECK_LOGIT:
            return score, self.fast.name
        return self.exact(batch), (f"{self.exact.name}, re-scored near the threshold "
                                   f"({self.fast.name} gave {score:.3f})")


def _cached_graph(source: Path, probe: np.ndarray, cache: Path | None) -> tuple[bytes, float]:
    """The folded graph and the reference's logit for `probe`: from `cache` (a folder) when
    it holds them for this package file, probe and these versions, else made (and kept)."""
    import hashlib
    import json
    from importlib import metadata

    import onnxruntime as ort

    key = hashlib.sha256(Path(source).read_bytes())  # (onnx itself is slow to import)
    key.update(f"{FOLD_VERSION} onnx {metadata.version('onnx')} onnxruntime {ort.__version__}".encode())
    probe_sha = hashlib.sha256(np.ascontiguousarray(probe, np.float32).tobytes()).hexdigest()
    stem = cache / f"open_nsfw-{key.hexdigest()[:24]}" if cache else None
    if stem is not None:
        try:
            meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
            if meta["probe"] == probe_sha:
                return stem.with_suffix(".onnx").read_bytes(), float(meta["logit"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # missing or broken: made again
    graph, reference = folded_graph(source)
    expected = logit(reference.run(None, {reference.get_inputs()[0].name: probe})[0][0, 1])
    if stem is not None:
        from studiolo.core.atomic import write_atomic

        try:
            write_atomic(stem.with_suffix(".onnx"), graph)
            write_atomic(stem.with_suffix(".json"), json.dumps({"probe": probe_sha, "logit": expected}))
        except OSError:
            pass  # a read-only home: made again next time
    return graph, expected


def open_scorers(source: Path, probe: np.ndarray, runtime: str = "auto", *,
                 cache: Path | None = None) -> Scorers:
    """The scorers for `runtime` ("auto": OpenVINO if it works, else onnxruntime;
    "onnxruntime": onnxruntime float32 alone), with notes on what was tried and refused.
    `probe`: a preprocessed (1, 224, 224, 3) picture. `cache`: a folder that keeps the folded
    graph for the next process (24 MB; making it again costs about 0.8 s CPU)."""
    if runtime not in RUNTIMES:
        from studiolo.core.errors import InvalidArgument

        raise InvalidArgument(f"`runtime` must be one of {', '.join(RUNTIMES)}, got {runtime!r}.")
    graph, expected = _cached_graph(source, probe, cache)
    notes: list[str] = []
    exact = onnxruntime_scorer(graph)
    shift = abs(logit(exact(probe)) - expected)
    if shift > 1e-3:  # the folding itself went wrong: run the package's own graph
        notes.append(f"the folded graph moved the probe's logit by {shift:.4f}")
        exact = onnxruntime_scorer(Path(source).read_bytes())
    if runtime == "onnxruntime":
        return Scorers(exact, exact, notes)
    try:
        fast = openvino_scorer(graph)
    except ImportError:
        notes.append("OpenVINO is not installed (pip install 'studiolo[fast]')")
        return Scorers(exact, exact, notes)
    except Exception as exc:  # noqa: BLE001  (any failure to compile: onnxruntime runs it)
        notes.append(f"OpenVINO failed to compile the graph: {exc}")
        return Scorers(exact, exact, notes)
    shift = abs(logit(fast(probe)) - expected)
    if shift > PROBE_TOLERANCE:
        notes.append(f"{fast.name} moved the probe's logit by {shift:.3f}")
        return Scorers(exact, exact, notes)
    return Scorers(fast, exact, notes)
