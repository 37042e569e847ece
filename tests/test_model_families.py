"""SD 2.x (v-prediction), SDXL in every mode, Turbo/LCM-style runs, single-file checkpoints of
each family, and the speed settings the engine applies and records."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from studiolo.capabilities.diffusion.engine import DiffusionEngine
from studiolo.core.engine import Request
from studiolo.core.types import Recipe


@pytest.fixture(autouse=True)
def _home(studio_home):
    """Hash caches go to a throwaway STUDIOLO_HOME."""


@pytest.fixture(scope="module")
def engine():
    """One engine for the tests that need no fresh one (loading is the slow part)."""
    return DiffusionEngine()


@pytest.fixture(scope="module")
def tiny_sd2(tmp_path_factory):
    from tiny_models import save_tiny_sd

    return save_tiny_sd(tmp_path_factory.mktemp("models") / "tiny-sd2", sd2=True)


@pytest.fixture(scope="module")
def tiny_sdxl_wide(tmp_path_factory):
    """SDXL whose second text encoder is wider than the first, as in the real one."""
    from tiny_models import save_tiny_sdxl

    return save_tiny_sdxl(tmp_path_factory.mktemp("models") / "tiny-sdxl-wide", width_2=48)


def run(engine, model, mode="txt2img", images=None, **kw):
    recipe = Recipe(**{"engine": "diffusion", "prompt": "a bowl astronaut", "steps": 2, "width": 64,
                       "height": 64, "seed": 7, "model": str(model), "mode": mode, **kw})
    return engine.run(Request(recipe, images=images or {}))


def pixels(art) -> np.ndarray:
    return np.asarray(art.image, dtype=np.int16)


def picture() -> Image.Image:
    x, y = np.meshgrid(np.linspace(0, 255, 64), np.linspace(0, 255, 64))
    return Image.fromarray(np.stack([x, y, 255 - x], axis=-1).astype(np.uint8), "RGB")


def with_scheduler(folder, target, **changes):
    """A copy of a diffusers folder whose scheduler config has `changes` (same weights)."""
    shutil.copytree(folder, target)
    path = target / "scheduler" / "scheduler_config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))
    if "_class_name" in changes:  # diffusers reads the class from model_index.json
        index = json.loads((target / "model_index.json").read_text())
        index["scheduler"] = ["diffusers", changes["_class_name"]]
        (target / "model_index.json").write_text(json.dumps(index))
    return target


# -- SD 2.x: v-prediction ----------------------------------------------------------------


def test_sd2_v_prediction_is_used_and_kept_by_named_samplers(engine, tiny_sd2, tmp_path):
    [v] = run(engine, tiny_sd2)
    [pipe] = engine._pipelines.values()  # one loaded model at a time
    assert pipe.scheduler.config.prediction_type == "v_prediction" and pixels(v).std() > 0
    [euler_a] = run(engine, tiny_sd2, sampler="Euler a")
    assert pipe.scheduler.config.prediction_type == "v_prediction"
    assert euler_a.recipe.sampler == "Euler a"
    # The same weights read as epsilon-prediction make another picture: the setting matters.
    eps = with_scheduler(tiny_sd2, tmp_path / "eps", prediction_type="epsilon")
    [e] = run(engine, eps)
    assert not np.array_equal(pixels(v), pixels(e))


# -- SDXL: txt2img, img2img, inpaint, outpaint; Turbo-style ------------------------------


def test_sdxl_inpaint_keeps_the_unmasked_half(engine, tiny_sdxl):
    init = picture()
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (0, 0, 32, 64))
    [art] = run(engine, tiny_sdxl, "inpaint", {"init": init, "mask": mask}, options={"mask_blur": 2})
    out, orig = pixels(art), np.asarray(init, dtype=np.int16)
    assert np.array_equal(out[:, 40:], orig[:, 40:])
    assert np.abs(out[:, :24] - orig[:, :24]).mean() > 10
    [grown] = run(engine, tiny_sdxl, "outpaint", {"init": init}, options={"outpaint": {"right": 16}})
    assert grown.image.size == (80, 64)


def test_turbo_style_one_step_without_guidance(engine, tiny_sdxl, tmp_path):
    turbo = with_scheduler(tiny_sdxl, tmp_path / "turbo", timestep_spacing="trailing")
    events = []
    recipe = Recipe(engine="diffusion", prompt="a bowl", steps=1, guidance=0.0, width=64, height=64,
                    seed=1, model=str(turbo))
    [art] = engine.run(Request(recipe), events.append)
    assert [(e["step"], e["total"]) for e in events] == [(1, 1)]
    assert art.recipe.guidance == 0.0 and pixels(art).std() > 0


def test_lcm_model_and_lcm_sampler(engine, tiny_sd, tmp_path):
    lcm_model = with_scheduler(tiny_sd, tmp_path / "lcm", _class_name="LCMScheduler")
    [own] = run(engine, lcm_model, guidance=1.0)
    assert own.recipe.sampler == "LCM"  # the model's own scheduler, by its A1111 name
    [named] = run(engine, tiny_sd, sampler="LCM", guidance=1.0)
    [again] = run(engine, tiny_sd, sampler="LCM", guidance=1.0)
    [ddim] = run(engine, tiny_sd, sampler="DDIM", guidance=1.0)
    assert named.recipe.sampler == "LCM" and np.array_equal(pixels(named), pixels(again))
    assert np.array_equal(pixels(named), pixels(own))  # same weights, same scheduler
    assert not np.array_equal(pixels(named), pixels(ddim))


# -- single-file checkpoints of each family ----------------------------------------------


@pytest.mark.parametrize("family", ["sd2", "sdxl"])
def test_single_file_of_each_family_loads_like_its_folder(family, tiny_sd2, tiny_sdxl_wide, tmp_path):
    from single_file_util import diffusers_to_single_file

    from studiolo.models import load_pipeline, resolve_model

    folder = tiny_sd2 if family == "sd2" else tiny_sdxl_wide
    path = diffusers_to_single_file(folder, tmp_path / f"{family}.safetensors", family=family)
    source = resolve_model(str(path))
    assert (source.kind, source.family, source.is_inpainting) == ("single_file", family, False)
    single = load_pipeline(source, config=folder)
    from_folder = load_pipeline(resolve_model(str(folder)))
    for name in ("unet", "vae", "text_encoder") + (("text_encoder_2",) if family == "sdxl" else ()):
        ours, theirs = getattr(single, name).state_dict(), getattr(from_folder, name).state_dict()
        assert ours.keys() == theirs.keys(), name
        assert all(np.array_equal(ours[k].numpy(), theirs[k].numpy()) for k in ours), name


# -- speed settings: applied, recorded, and reused by a rerun ----------------------------


def test_speed_settings_are_recorded_and_a_rerun_uses_them(tiny_sd):
    from studiolo.core.device import cpu_has_native_bf16

    engine = DiffusionEngine()
    [plain] = run(engine, tiny_sd)
    speed = plain.recipe.options["speed"]
    assert speed["device"] == "cpu" and speed["vae_tiling"] is False and speed["tiny_vae"] is False
    assert speed["unet_dtype"] == ("bfloat16" if cpu_has_native_bf16() else "float32")
    other = "float32" if speed["unet_dtype"] == "bfloat16" else "bfloat16"
    [forced] = run(engine, tiny_sd, options={"unet_dtype": other})
    assert forced.recipe.options["speed"]["unet_dtype"] == other
    assert 0 < np.abs(pixels(forced) - pixels(plain)).max() <= 16  # close, not the same
    # A rerun of each recipe (a fresh engine, as in a new process) gives its own pixels back.
    for art in (forced, plain):
        [again] = DiffusionEngine().run(Request(art.recipe))
        assert np.array_equal(pixels(again), pixels(art))
        assert again.recipe.options["speed"] == art.recipe.options["speed"]


def test_a_record_from_another_device_kind_is_ignored(engine, tiny_sd):
    [plain] = run(engine, tiny_sd)
    record = dict(plain.recipe.options["speed"], device="cuda", unet_dtype="float16", vae_tiling=True)
    [art] = run(engine, tiny_sd, options={"speed": record})
    assert art.recipe.options["speed"] == plain.recipe.options["speed"]
    assert np.array_equal(pixels(art), pixels(plain))


def test_image_size_decides_vae_tiling(tiny_sd, monkeypatch):
    from studiolo.core import device
    [small] = run(DiffusionEngine(), tiny_sd)
    monkeypatch.setattr(device, "TILING_MIN_PIXELS", 48 * 48)  # 64x64 now counts as large
    engine = DiffusionEngine()
    [large] = run(engine, tiny_sd)
    [pipe] = engine._pipelines.values()
    assert not small.recipe.options["speed"]["vae_tiling"]
    assert large.recipe.options["speed"]["vae_tiling"] and pipe.vae.use_tiling


def test_tiny_vae_run_then_full_vae_again(tiny_sd, monkeypatch):
    import torch
    from diffusers import AutoencoderTiny

    from studiolo.core import device
    torch.manual_seed(0)
    taesd = AutoencoderTiny(encoder_block_out_channels=(8,) * 4, decoder_block_out_channels=(8,) * 4,
                            num_encoder_blocks=(1,) * 4, num_decoder_blocks=(1,) * 4)
    monkeypatch.setattr(device, "_load_tiny_vae", lambda ref: taesd)
    engine = DiffusionEngine()
    [full] = run(engine, tiny_sd)
    [tiny] = run(engine, tiny_sd, options={"tiny_vae": True})
    assert tiny.recipe.options["speed"]["tiny_vae"] is True
    assert not np.array_equal(pixels(tiny), pixels(full))
    [back] = run(engine, tiny_sd)  # the full VAE is put back, not left as TAESD
    assert back.recipe.options["speed"]["tiny_vae"] is False
    assert np.array_equal(pixels(back), pixels(full))


@pytest.mark.parametrize(
    "options, words",
    [
        ({"unet_dtype": "float8"}, "Option `unet_dtype`"),
        ({"speed": {"device": "cpu", "unet_dtype": "int4"}}, "Option `speed.unet_dtype`"),
        ({"speed": {"device": "cpu", "turbo": True}}, "Option `speed.turbo` is unknown"),
    ],
)
def test_bad_speed_options_name_the_option(tiny_sd, options, words):
    from studiolo.core.errors import InvalidArgument

    engine = DiffusionEngine()
    with pytest.raises(InvalidArgument, match=words.replace(".", r"\.")):
        run(engine, tiny_sd, options=options)
    assert engine._pipelines == {}
