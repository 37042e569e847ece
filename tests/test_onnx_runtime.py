"""features.onnx_runtime: one ONNX network on OpenVINO or onnxruntime, and the fallback."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from studiolo.core.errors import InvalidArgument, ModelNotFound
from studiolo.features import onnx_runtime

onnx = pytest.importorskip("onnx")
needs_openvino = pytest.mark.skipif(not onnx_runtime.openvino_available(),
                                    reason="openvino (the `fast` extra) is not installed")


def _conv_relu_model() -> tuple[bytes, np.ndarray, np.ndarray]:
    """A 3x3 convolution (4 -> 6 channels) + ReLU with free H, W; weights from a fixed seed."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(7)
    weight = rng.normal(size=(6, 4, 3, 3)).astype(np.float32)
    bias = rng.normal(size=6).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"])],
        "conv_relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, "h", "w"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 6, "h", "w"])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString(), weight, bias


def _reference(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    padded = np.pad(x[0], ((0, 0), (1, 1), (1, 1)))
    h, w = x.shape[2:]
    out = np.zeros((weight.shape[0], h, w), np.float64)
    for dy in range(3):
        for dx in range(3):
            out += np.einsum("oc,chw->ohw", weight[:, :, dy, dx], padded[:, dy : dy + h, dx : dx + w])
    return np.maximum(out + bias[:, None, None], 0)[None]


@pytest.mark.parametrize("backend", ["onnxruntime", pytest.param("openvino", marks=needs_openvino)])
def test_each_backend_runs_free_sizes_like_numpy(backend):
    model, weight, bias = _conv_relu_model()
    network = onnx_runtime.load(model, backend=backend, precision="f32")
    assert (network.backend, network.precision, network.inputs) == (backend, "f32", ("x",))
    assert network.label == f"{backend}-f32"
    rng = np.random.default_rng(0)
    for shape in [(1, 4, 9, 13), (1, 4, 16, 5)]:  # a second shape on the same compiled network
        x = rng.normal(size=shape).astype(np.float32)
        [y] = network.run({"x": x})
        assert y.shape == (1, 6, *shape[2:]) and y.dtype == np.float32
        np.testing.assert_allclose(y, _reference(x, weight, bias), atol=1e-4)


@needs_openvino
def test_openvino_bf16_is_close_and_repeats_bit_for_bit():
    if not onnx_runtime.cpu_has_bf16():
        pytest.skip("this CPU has no bf16")
    model, weight, bias = _conv_relu_model()
    network = onnx_runtime.load(model, precision="auto")
    assert network.label == "openvino-bf16"
    x = np.random.default_rng(1).uniform(size=(1, 4, 20, 24)).astype(np.float32)
    [y] = network.run({"x": x})
    ref = _reference(x, weight, bias)
    # bf16 keeps 8 significant bits: about 1% of the values' scale.
    assert np.abs(y - ref).max() < 0.02 * np.abs(ref).max()
    assert np.abs(y - ref).max() > 0  # it really ran in bf16
    np.testing.assert_array_equal(network.run({"x": x})[0], y)


def test_auto_falls_back_to_onnxruntime_without_openvino(monkeypatch):
    monkeypatch.setitem(sys.modules, "openvino", None)  # `import openvino` raises ImportError
    assert not onnx_runtime.openvino_available()
    assert onnx_runtime.resolve_backend("auto") == "onnxruntime"
    model, _, _ = _conv_relu_model()
    assert onnx_runtime.load(model).label == "onnxruntime-f32"
    with pytest.raises(ModelNotFound, match=r"^The openvino backend needs the `openvino` package, "
                       r"which is not installed; run `pip install 'studiolo\[fast\]'` or use "
                       r"backend 'onnxruntime'\.$"):
        onnx_runtime.load(model, backend="openvino")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"backend": "cuda"}, "`backend` must be one of auto, openvino, onnxruntime, got 'cuda'."),
    ({"precision": "fp8"}, "`precision` must be one of auto, bf16, f32, got 'fp8'."),
    ({"backend": "onnxruntime", "precision": "bf16"},
     "`precision` 'bf16' needs the openvino backend; onnxruntime runs these networks in f32."),
])
def test_bad_choices_are_refused(kwargs, message):
    model, _, _ = _conv_relu_model()
    with pytest.raises(InvalidArgument) as err:
        onnx_runtime.load(model, **kwargs)
    assert str(err.value) == message


def test_feed_names_the_inputs():
    model, _, _ = _conv_relu_model()
    network = onnx_runtime.load(model, backend="onnxruntime")
    x = np.zeros((1, 4, 3, 3), np.float32)
    assert list(onnx_runtime.feed(network, [x])) == ["x"]
    with pytest.raises(InvalidArgument) as err:
        onnx_runtime.feed(network, [x, x])
    assert str(err.value) == "The network takes 1 inputs ['x'], got 2."
