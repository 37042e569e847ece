"""The style transfer's runtime: OpenVINO bf16 when installed, onnxruntime f32 otherwise.

Real bundled networks on the bundled photo; the recipe records what ran.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

import studiolo
from studiolo.capabilities.style import transfer as st
from studiolo.capabilities.style.engine import StyleTransferEngine
from studiolo.core.engine import Request
from studiolo.core.errors import ModelNotFound
from studiolo.core.types import Recipe
from studiolo.features import magenta, onnx_runtime
from studiolo.features import style as fs

PHOTO = studiolo.__file__.replace("__init__.py", "data/photos/astronaut.jpg")
needs_openvino = pytest.mark.skipif(not onnx_runtime.openvino_available(),
                                    reason="openvino (the `fast` extra) is not installed")


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(PHOTO).convert("RGB").resize((320, 256), Image.Resampling.LANCZOS)


def _px(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def _run(photo: Image.Image, **options) -> tuple[Image.Image, dict]:
    request = Request(recipe=Recipe(engine="style", mode="stylize",
                                    options={"styles": [{"name": "The Starry Night"}], **options}),
                      images={"init": photo})
    [art] = StyleTransferEngine().run(request)
    return art.image, art.recipe.options


@needs_openvino
def test_openvino_output_is_close_to_onnxruntime_f32(photo):
    vector = fs.style_vector("The Starry Night")
    reference = _px(st.stylize_with_vector(photo, vector, backend="onnxruntime"))
    same_math = _px(st.stylize_with_vector(photo, vector, backend="openvino", precision="f32"))
    assert np.abs(same_math - reference).max() <= 1  # f32 on both: rounding of the last bit
    if not onnx_runtime.cpu_has_bf16():
        pytest.skip("this CPU has no bf16")
    fast = _px(st.stylize_with_vector(photo, vector, backend="openvino", precision="bf16"))
    diff = np.abs(fast - reference)
    # Measured here (AMD EPYC, avx512_bf16): max 8, mean 0.46 of 255. bf16 keeps 8 bits of
    # each activation; over 16 layers that moves a few pixels by several levels.
    assert diff.mean() < 1.0 and np.percentile(diff, 99.9) <= 6 and diff.max() <= 16
    assert np.abs(fast - _px(photo)).mean() > 15  # and it is still the stylised picture


def test_recipe_records_the_backend_and_reruns_to_the_same_pixels(photo):
    image, options = _run(photo)
    expected = onnx_runtime.resolve_backend("auto")
    assert options["backend"] == expected
    assert options["precision"] == onnx_runtime.resolve_precision(expected, "auto")
    again, options_again = _run(photo, **{k: options[k] for k in ("backend", "precision")})
    assert options_again == options
    np.testing.assert_array_equal(_px(again), _px(image))


def test_without_openvino_the_engine_runs_onnxruntime_and_says_so(photo, monkeypatch):
    monkeypatch.setitem(sys.modules, "openvino", None)
    image, options = _run(photo)
    assert (options["backend"], options["precision"]) == ("onnxruntime", "f32")
    vector = fs.style_vector("The Starry Night")
    direct = st.stylize_with_vector(photo, vector, backend="onnxruntime")
    np.testing.assert_array_equal(_px(image), _px(direct))
    network, _ = magenta.transform_session()
    assert network.label == "onnxruntime-f32"


def test_a_recorded_openvino_recipe_without_openvino_is_refused(photo, monkeypatch):
    monkeypatch.setitem(sys.modules, "openvino", None)
    with pytest.raises(ModelNotFound, match=r"^The openvino backend needs the `openvino` package"):
        _run(photo, backend="openvino", precision="bf16")


def test_magenta_styles_record_the_26_style_networks_runtime(photo):
    request = Request(recipe=Recipe(engine="style", mode="stylize",
                                    options={"styles": [{"name": "magenta-3"}]}),
                      images={"init": photo})
    [art] = StyleTransferEngine().run(request)
    assert (art.recipe.options["backend"], art.recipe.options["precision"]) == ("onnxruntime", "f32")


def test_fused_norms_compute_what_the_exported_graph_computes(photo):
    onnx = pytest.importorskip("onnx")
    exported = magenta.float_graph(onnx.load(str(magenta.model_dir() / "arbitrary_transform.onnx")),
                                   free_size=True)
    model = onnx.load_from_string(exported)
    assert magenta.fuse_style_norms(model) == 13  # every StyleNorm block of the graph
    assert not [n for n in model.graph.node if n.op_type == "GlobalAveragePool"]
    assert magenta.fuse_style_norms(model) == 0  # nothing left to rewrite
    assert magenta.drop_identity_resizes(model) == 1  # the x1 "upsampling" before the last conv
    assert [n.op_type for n in model.graph.node].count("Resize") == 2  # the two real x2 ones
    plain = onnx_runtime.load(exported, backend="onnxruntime")
    fused = onnx_runtime.load(model.SerializeToString(), backend="onnxruntime")
    x = (np.asarray(photo, dtype=np.float32) / 255.0)[None]
    vector = fs.style_vector("The Great Wave off Kanagawa").reshape(1, 1, 1, -1)
    [a], [b] = (n.run(dict(zip(n.inputs, [x, vector], strict=True))) for n in (plain, fused))
    assert np.abs(a - b).max() < 1e-4  # float32 reordering only (0.004 of 255 at 1024 px)


def test_a_style_images_vector_is_computed_once_by_its_pixels(monkeypatch):
    fs.clear_vector_cache()
    calls = []
    real = fs.predict
    monkeypatch.setattr(fs, "predict", lambda image, size: calls.append(size) or real(image, size))
    painting = Image.open(PHOTO).convert("RGB").resize((300, 260))
    first = fs.style_vector(painting)
    again = fs.style_vector(painting.copy())  # another object, the same pixels
    assert calls == [256] and np.array_equal(first, again)
    again[:] = 0  # the caller's copy: the cache keeps the real vector
    assert np.array_equal(fs.style_vector(painting), first) and calls == [256]
    other = painting.copy()
    other.putpixel((0, 0), (0, 0, 0))  # one pixel changed: a new vector
    fs.style_vector(other)
    fs.style_vector(painting, style_size=512)  # another style_size: a new vector
    assert calls == [256, 256, 512]
    fs.clear_vector_cache()
    fs.style_vector(painting)
    assert calls == [256, 256, 512, 256]
