"""The diffusion engine's OpenVINO backend on the tiny test model: loading through the
engine, pixels against the torch path, the IR cache, and the fallback without OpenVINO."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

from studiolo.capabilities.diffusion import backends
from studiolo.capabilities.diffusion.engine import DiffusionEngine
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument, ModelError
from studiolo.core.settings import Settings
from studiolo.core.types import LoraSpec, Recipe

pytest.importorskip("openvino")

F32 = {"backend": "openvino", "openvino_precision": "f32"}
TORCH_F32 = {"unet_dtype": "float32", "text_encoder_dtype": "float32", "vae_dtype": "float32"}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One STUDIOLO_HOME for the module: the IR is converted once and reused."""
    return tmp_path_factory.mktemp("ov-home")


@pytest.fixture(scope="module")
def engine():
    return DiffusionEngine()


def run(engine, model, home, images=None, **kw):
    base = {"engine": "diffusion", "prompt": "a bowl astronaut", "steps": 2, "width": 64,
            "height": 64, "seed": 7, "model": str(model)}
    base.update(kw)
    request = Request(Recipe(**base), images=images or {}, settings=Settings.from_env(home))
    [art] = engine.run(request)
    return art


def pixels(art) -> np.ndarray:
    return np.asarray(art.image, dtype=np.int16)


def ir_files(home) -> list:
    return sorted((home / "cache" / "openvino").rglob("*.xml"))


def test_openvino_f32_makes_the_torch_float32_pixels_and_records_the_backend(engine, tiny_sd, home):
    torch_art = run(engine, tiny_sd, home, options=TORCH_F32)
    ov_art = run(engine, tiny_sd, home, options=F32)
    # The same latents, the same scheduler: only float32 rounding in another runtime differs.
    assert np.abs(pixels(torch_art) - pixels(ov_art)).max() <= 2
    assert pixels(ov_art).std() > 5  # a picture, not a flat field
    speed = ov_art.recipe.options["speed"]
    assert speed["backend"] == "openvino" and speed["precision"] == "f32"
    assert torch_art.recipe.options["speed"]["backend"] == "torch"
    assert [p.name for p in ir_files(home)] == ["text_encoder.xml", "unet.xml", "vae_decoder.xml"]
    # The torch networks were swapped out: the loaded pipeline runs the compiled ones.
    [pipe] = engine._pipelines.values()
    assert type(pipe.unet).__name__ == "OpenVINOUNet" and type(pipe.vae).__name__ == "OpenVINOVae"


def test_other_sizes_and_modes_reshape_the_same_ir(engine, tiny_sd, home):
    wide = {"width": 96, "height": 64, "guidance": 1.0}  # another shape, and batch 1 (no CFG)
    assert np.abs(pixels(run(engine, tiny_sd, home, options=TORCH_F32, **wide))
                  - pixels(run(engine, tiny_sd, home, options=F32, **wide))).max() <= 2
    init = Image.fromarray(np.indices((64, 64)).sum(0).astype(np.uint8) * 2).convert("RGB")
    for mode, images in (("img2img", {"init": init}),
                         ("inpaint", {"init": init, "mask": Image.new("L", (64, 64), 255)})):
        torch_art = run(engine, tiny_sd, home, images=images, mode=mode, strength=0.5, options=TORCH_F32)
        ov_art = run(engine, tiny_sd, home, images=images, mode=mode, strength=0.5, options=F32)
        assert np.abs(pixels(torch_art) - pixels(ov_art)).max() <= 2, mode
    assert len(ir_files(home)) == 3  # one IR per network, whatever the shape


def test_a_new_engine_reads_the_cached_ir_and_a_rerun_gives_the_same_pixels(
        engine, tiny_sd, home, monkeypatch):
    first = run(engine, tiny_sd, home, options=F32)
    import openvino

    def no_conversion(*args, **kwargs):
        raise AssertionError("converted again")

    monkeypatch.setattr(openvino, "convert_model", no_conversion)
    fresh = DiffusionEngine()  # a new process would hold a new engine: nothing is in memory
    again = run(fresh, tiny_sd, home, options={"speed": first.recipe.options["speed"]})
    assert np.array_equal(pixels(first), pixels(again))
    assert again.recipe.options["speed"] == first.recipe.options["speed"]


def test_the_default_precision_follows_the_cpu_and_is_recorded(engine, tiny_sd, home):
    art = run(engine, tiny_sd, home, options={"backend": "openvino"})
    precision = backends.default_precision()
    assert art.recipe.options["speed"]["precision"] == precision
    assert list((home / "cache" / "openvino").glob(f"*/{precision}/unet.xml"))
    again = run(engine, tiny_sd, home, options={"speed": art.recipe.options["speed"]})
    assert np.array_equal(pixels(art), pixels(again))


@pytest.fixture
def no_openvino(monkeypatch):
    """`import openvino` fails, as on an install without the `fast` extra."""
    monkeypatch.setitem(sys.modules, "openvino", None)


def test_without_openvino_an_explicit_backend_is_one_sentence(no_openvino, tiny_sd, home):
    assert backends.import_openvino() is None
    with pytest.raises(ModelError) as info:
        run(DiffusionEngine(), tiny_sd, home, options={"backend": "openvino"})
    assert str(info.value) == (
        "The OpenVINO backend needs the `openvino` package, which is not installed: run "
        "`pip install 'studiolo[fast]'` or use `--backend torch`.")
    # A recipe that ran on OpenVINO is not silently remade with other pixels.
    record = {"device": "cpu", "backend": "openvino", "precision": "f32"}
    with pytest.raises(ModelError, match="needs the `openvino` package"):
        run(DiffusionEngine(), tiny_sd, home, options={"speed": record})


def test_without_openvino_auto_and_the_default_run_on_torch(no_openvino, tiny_sd, home):
    engine = DiffusionEngine()
    auto = run(engine, tiny_sd, home, options={"backend": "auto", **TORCH_F32})
    default = run(engine, tiny_sd, home, options=TORCH_F32)
    assert auto.recipe.options["speed"]["backend"] == "torch"
    assert default.recipe.options["speed"]["precision"] is None
    assert np.array_equal(pixels(auto), pixels(default))


def test_auto_takes_openvino_when_installed(engine, tiny_sd, home):
    art = run(engine, tiny_sd, home, options={"backend": "auto", "openvino_precision": "f32"})
    assert art.recipe.options["speed"]["backend"] == "openvino"


@pytest.mark.parametrize("options, kw, error, message", [
    (F32, {"loras": (LoraSpec("ink", 0.9),)}, InvalidArgument,
     ("LoRAs cannot run on the OpenVINO backend (its weights are converted without them): use "
      "`--backend torch`.")),
    ({"backend": "fast"}, {}, InvalidArgument, "Option `backend` input should be"),
])
def test_what_the_backend_cannot_run_is_refused(engine, tiny_sd, home, options, kw, error, message):
    with pytest.raises(error) as info:
        run(engine, tiny_sd, home, options=options, **kw)
    assert str(info.value).startswith(message)


def test_a_gpu_is_refused():
    from studiolo.capabilities.diffusion.engine import parse_options

    with pytest.raises(InvalidArgument) as info:
        backends.choose(parse_options({"backend": "openvino"}), "cuda:0")
    assert str(info.value) == ("The OpenVINO backend runs on the CPU, not on 'cuda:0': use "
                               "`--device cpu` or `--backend torch`.")
    assert backends.choose(parse_options({"backend": "auto"}), "cuda:0") == ("torch", None)


def test_latents_the_unet_cannot_halve_are_refused(engine, tiny_sd, home):
    with pytest.raises(InvalidArgument) as info:
        run(engine, tiny_sd, home, options=F32, width=72)
    assert str(info.value) == ("The OpenVINO backend needs a width and height divisible by 16 for "
                               "this model (got 72x64): use `--backend torch` for this size.")


def test_sdxl_is_refused(tiny_sdxl, home):
    with pytest.raises(InvalidArgument) as info:
        run(DiffusionEngine(), tiny_sdxl, home, options=F32)
    assert str(info.value) == ("The OpenVINO backend runs SD 1.x/2.x models, not SDXL: "
                               "use `--backend torch`.")


def test_the_cli_takes_backend(home, tiny_sd, capsys, monkeypatch):
    import json

    from studiolo.cli import main

    monkeypatch.setenv("STUDIOLO_HOME", str(home))  # the module's IR: no conversion here
    monkeypatch.delenv("STUDIOLO_DATABASE_URL", raising=False)
    code = main(["generate", "a boat", "--model", str(tiny_sd), "--steps", "2", "--width", "64",
                 "--height", "64", "--seed", "3", "--backend", "openvino", "--option",
                 "openvino_precision=f32", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    [made] = json.loads(out)
    assert made["recipe"]["options"]["speed"]["backend"] == "openvino"
    assert made["recipe"]["options"]["backend"] == "openvino"
