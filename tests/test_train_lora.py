"""LoRA training on the tiny seeded SD models: it learns, it saves a kohya file that studiolo's
loader applies, it resumes to the same weights, it refuses bad input, and the CLI runs it."""

from __future__ import annotations

import hashlib
import json
import re
import warnings

import numpy as np
import pytest
import torch
from PIL import Image, PngImagePlugin
from safetensors.torch import load_file

from studiolo.capabilities.lora import run as lora_run
from studiolo.capabilities.lora.math import (
    TEXT_TARGETS,
    UNET_TARGETS,
    add_lora,
    denoising_loss,
    encode_images,
    lora_parameters,
    tokenize,
)
from studiolo.capabilities.lora.train import TrainingInterrupted, train_lora
from studiolo.core.errors import InvalidArgument, ModelNotFound
from studiolo.core.settings import Settings
from studiolo.core.types import LoraSpec
from studiolo.features.training_data import TrainingDataWarning, load_training_folder
from studiolo.models import apply_loras, load_pipeline, lora_metadata, parse_lora_arg, resolve_model

pytestmark = [pytest.mark.filterwarnings("ignore::studiolo.features.training_data.TrainingDataWarning"),
              pytest.mark.usefixtures("one_torch_thread")]
KOHYA_KEY = re.compile(r"^lora_(unet|te)_[a-z0-9_]+\.(lora_down\.weight|lora_up\.weight|alpha)$")
# The tiny UNet has 4 transformer blocks (1 down, 1 mid, 2 up), each with attn1 and attn2.
UNET_MODULES = 4 * 2 * len(UNET_TARGETS)


def _photo(path, w, h, seed, **kw):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path, **kw)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Four usable pictures of mixed sizes (one captioned), a corrupt one and a noai one."""
    folder = tmp_path_factory.mktemp("me")
    for i, (w, h) in enumerate([(48, 40), (40, 64), (32, 32), (50, 50)]):
        _photo(folder / f"p{i}.png", w, h, seed=i)
    (folder / "p1.txt").write_text("smiling, red scarf")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    info = PngImagePlugin.PngInfo()
    info.add_text("Description", "my drawing, noai please")
    _photo(folder / "private.png", 40, 40, seed=9, pnginfo=info)
    return folder


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return Settings.from_env(tmp_path_factory.mktemp("studio"))


@pytest.fixture(scope="module")
def trained(tiny_sd, photos, settings):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        events = []
        result = train_lora(str(tiny_sd), photos, trigger="ohwx", steps=40, learning_rate=3e-2,
                            batch_size=2, resolution=32, settings=settings, progress=events.append)
    return result, events, [w for w in caught if issubclass(w.category, TrainingDataWarning)]


@pytest.fixture(scope="module")
def pipe(tiny_sd):
    return load_pipeline(resolve_model(str(tiny_sd)))


def _render(pipe):
    return pipe("a picture of ohwx", num_inference_steps=2, height=32, width=32,
                generator=torch.Generator().manual_seed(0), output_type="np").images


# -- training ------------------------------------------------------------------------------------

def test_loss_on_a_fixed_evaluation_set_goes_down(trained, pipe, photos, settings):
    result = trained[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrainingDataWarning)
        data = load_training_folder(photos, size=32)
    mean, _ = encode_images(pipe.vae, [i.image for i in data.images])
    x0 = (mean * pipe.vae.config.scaling_factor).repeat(8, 1, 1, 1)  # 4 images x 8 draws
    gen = torch.Generator().manual_seed(123)
    noise = torch.randn(x0.shape, generator=gen)
    t = torch.randint(0, 1000, (len(x0),), generator=gen)
    ids = tokenize(pipe.tokenizer, ["ohwx"] * len(x0))
    from diffusers import DDPMScheduler

    scheduler = DDPMScheduler.from_config(pipe.scheduler.config)

    def loss() -> float:
        with torch.no_grad():
            return float(denoising_loss(pipe.unet, scheduler, x0, noise, t,
                                        pipe.text_encoder(ids)[0]).mean())

    apply_loras(pipe, [])
    before = loss()
    apply_loras(pipe, [parse_lora_arg("ohwx")], settings)  # by name, from STUDIOLO_HOME/loras
    after = loss()
    apply_loras(pipe, [])
    assert after < 0.97 * before, (before, after)
    assert len(result.losses) == 40 and all(np.isfinite(result.losses))


def test_progress_warnings_and_skipped_images(trained):
    result, events, caught = trained
    train = [e for e in events if e["stage"] == "train"]
    assert [e["step"] for e in train] == list(range(41)) and {e["total"] for e in train} == {40}
    assert re.fullmatch(r"loss \d+\.\d{4}", train[-1]["message"])
    assert {"read", "load", "encode"} <= {e["stage"] for e in events}
    assert result.images == 4
    assert sorted(p.name for p, _ in result.skipped) == ["broken.png", "private.png"]
    assert len(caught) == 2 and any("noai" in str(w.message) for w in caught)


def test_saved_file_has_kohya_keys_and_metadata(trained, photos, settings):
    result = trained[0]
    assert result.path == settings.home / "loras" / "ohwx.safetensors"
    tensors = load_file(result.path)
    assert all(KOHYA_KEY.match(k) for k in tensors), [k for k in tensors if not KOHYA_KEY.match(k)]
    assert len(tensors) == 3 * UNET_MODULES
    key = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_out_0"
    assert tensors[f"{key}.lora_down.weight"].shape == (4, 64)
    assert tensors[f"{key}.lora_up.weight"].shape == (64, 4)
    assert float(tensors[f"{key}.alpha"]) == 4.0
    meta = lora_metadata(result.path)
    assert {k: meta[k] for k in ("ss_network_module", "ss_network_dim", "ss_network_alpha",
                                 "ss_output_name", "ss_steps", "ss_learning_rate", "ss_resolution",
                                 "ss_num_train_images", "ss_base_model_version", "ss_sd_model_name",
                                 "modelspec.title", "modelspec.architecture")} == {
        "ss_network_module": "networks.lora", "ss_network_dim": "4", "ss_network_alpha": "4",
        "ss_output_name": "ohwx", "ss_steps": "40", "ss_learning_rate": "0.03",
        "ss_resolution": "(32, 32)", "ss_num_train_images": "4", "ss_base_model_version": "sd_v1",
        "ss_sd_model_name": "tiny-sd", "modelspec.title": "ohwx",
        "modelspec.architecture": "stable-diffusion-v1/lora"}
    assert meta["ss_tag_frequency"] == {photos.name: {"ohwx": 4, "smiling": 1, "red scarf": 1}}
    assert meta["tags"][0] == ("ohwx", 4) and "ohwx" in meta["ss_training_comment"]
    used = sorted(hashlib.sha256((photos / f"p{i}.png").read_bytes()).hexdigest() for i in range(4))
    assert json.loads(meta["studiolo.training_images"]) == used


def test_lora_changes_generated_pixels_through_the_loader(trained, pipe, settings):
    apply_loras(pipe, [])
    base = _render(pipe)
    apply_loras(pipe, [parse_lora_arg("ohwx:1")], settings)
    full = _render(pipe)
    apply_loras(pipe, [parse_lora_arg("ohwx:0")], settings)
    zero = _render(pipe)
    apply_loras(pipe, [])
    assert np.abs(full - base).max() > 1e-3
    assert np.abs(full - zero).max() > 1e-3
    assert np.abs(zero - base).max() < 1e-6


def test_v_prediction_model(tmp_path, photos, settings):
    from tiny_models import save_tiny_sd

    model = save_tiny_sd(tmp_path / "tiny-sd2", sd2=True)
    result = train_lora(str(model), photos, trigger="ohwx", name="v", steps=2, resolution=32,
                        settings=settings, out=tmp_path)
    meta = lora_metadata(result.path)
    assert result.path == tmp_path / "v.safetensors"
    assert meta["modelspec.prediction_type"] == "v"  # trained on the v target


# -- resume ----------------------------------------------------------------------------------------

RESUMABLE = {"rank": 4, "alpha": 2, "steps": 8, "learning_rate": 1e-2, "batch_size": 2,
             "resolution": 32, "seed": 5, "train_text_encoder": True,
             "prior_prompt": "a photo of a person", "prior_images": 2, "prior_steps": 2,
             "checkpoint_every": 3}


@pytest.fixture(scope="module")
def straight(tiny_sd, photos, settings):
    return train_lora(str(tiny_sd), photos, trigger="ohwx", name="straight", settings=settings,
                      **RESUMABLE)


def test_resume_reaches_the_same_weights(straight, tiny_sd, photos, settings):
    def stop_at_5(event):
        if event["stage"] == "train" and event["step"] == 5:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted, match=r"stopped at step 5 of 8.*resume='halves'") as info:
        train_lora(str(tiny_sd), photos, trigger="ohwx", name="halves", settings=settings,
                   progress=stop_at_5, **RESUMABLE)
    run = info.value.run
    assert run == settings.home / "training" / "halves"
    assert sorted(p.name for p in (run / "class_images").iterdir()) == ["0000.png", "0001.png"]
    stamp = (run / "class_images" / "0000.png").stat().st_mtime_ns
    resumed = train_lora(resume="halves", settings=settings)
    assert (run / "class_images" / "0000.png").stat().st_mtime_ns == stamp  # made once
    assert resumed.steps == 8 and resumed.losses[:5] == straight.losses[:5]
    assert resumed.losses == pytest.approx(straight.losses, rel=1e-5)
    a, b = load_file(straight.path), load_file(resumed.path)
    assert any(k.startswith("lora_te_") for k in a) and a.keys() == b.keys()
    for key in a:  # the same to float rounding (CPU kernels are not bit-exact across a restart)
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-5)
    with pytest.raises(InvalidArgument, match="already did 8 steps"):
        train_lora(resume=str(run), settings=settings)
    with pytest.raises(InvalidArgument, match="already exists"):
        train_lora(str(tiny_sd), photos, trigger="ohwx", name="halves", settings=settings)


def test_loaded_file_equals_the_trained_modules(straight, tiny_sd):
    """Rebuild the trained LoRA from the run's checkpoint; the kohya file (rank 4, alpha 2,
    text encoder too) loaded by studiolo must give the same UNet and text-encoder outputs."""
    trainee = load_pipeline(resolve_model(str(tiny_sd)))
    add_lora(trainee.unet, UNET_TARGETS, 4, 2.0, 0)
    add_lora(trainee.text_encoder, TEXT_TARGETS, 4, 2.0, 1)
    params = lora_parameters({"unet": trainee.unet, "text_encoder": trainee.text_encoder})
    step, _ = lora_run.load_checkpoint(straight.run, params, torch.optim.AdamW(params.values()))
    loaded = load_pipeline(resolve_model(str(tiny_sd)))
    ids = tokenize(loaded.tokenizer, ["ohwx, smiling"])
    x, t = torch.randn(1, 4, 4, 4, generator=torch.Generator().manual_seed(1)), torch.tensor([500])
    with torch.no_grad():
        plain = loaded.text_encoder(ids)[0]
        apply_loras(loaded, [LoraSpec(name="straight", path=str(straight.path))])
        hidden, want = loaded.text_encoder(ids)[0], trainee.text_encoder(ids)[0]
        got = loaded.unet(x, t, encoder_hidden_states=hidden).sample
        ref = trainee.unet(x, t, encoder_hidden_states=want).sample
    assert step == 8 and (hidden - plain).abs().max() > 1e-4
    torch.testing.assert_close(hidden, want, rtol=0, atol=1e-5)
    torch.testing.assert_close(got, ref, rtol=0, atol=1e-5)


# -- bad input --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rank": 0}, r"`rank` must be an integer from 1 to 1024, got 0"),
    ({"steps": 0}, r"`steps` must be an integer from 1 to 10000000, got 0"),
    ({"learning_rate": -1e-4}, r"`learning_rate` must be a number greater than 0 and at most 1, got -0.0001"),
    ({"resolution": 36}, r"`resolution` has to be divisible by 8 but is 36"),
    ({"trigger": "a, b"}, r"`trigger` must be a word or short phrase without commas"),
    ({"name": "../evil"}, r"`name` must be 1-64 letters"),
    ({"prior_prompt": " "}, r"`prior_prompt` must describe the class"),
])
def test_bad_arguments(tiny_sd, photos, settings, kwargs, message):
    args = {"trigger": "ohwx", "resolution": 32, **kwargs}
    with pytest.raises(InvalidArgument, match=message):
        train_lora(str(tiny_sd), photos, settings=settings, **args)


def test_bad_model_and_folder(tiny_sd, tmp_path, photos, settings):
    with pytest.raises(ModelNotFound, match=r"Model 'no-such-model' is not a local file or folder"):
        train_lora("no-such-model", photos, trigger="ohwx", name="nm", settings=settings)
    with pytest.raises(InvalidArgument, match="has no images"):
        train_lora(str(tiny_sd), tmp_path, trigger="ohwx", name="nm", resolution=32,
                   settings=settings)
    with pytest.raises(InvalidArgument, match="No training run 'ghost'"):
        train_lora(resume="ghost", settings=settings)


# -- the command line ------------------------------------------------------------------------------

def test_cli_trains_and_generate_uses_the_lora(tiny_sd, photos, studio_home, capsys):
    from studiolo.cli import main

    rc = main(["train", "lora", str(photos), "--model", str(tiny_sd), "--trigger", "ohwx",
               "--name", "me", "--steps", "3", "--resolution", "32", "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    report = json.loads(out.out)
    assert report["lora"] == str(studio_home.resolve() / "loras" / "me.safetensors")
    assert report["steps"] == 3 and report["images"] == 4 and len(report["skipped"]) == 2
    assert "Skipped broken.png" in out.err
    assert report["generate"].endswith(f"--model {tiny_sd} --lora me:0.8")
    rc = main(["generate", "a picture of ohwx", "--model", str(tiny_sd), "--lora", "me:0.8",
               "--steps", "1", "--size", "32x32", "--seed", "1", "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert json.loads(out.out)[0]["recipe"]["loras"][0]["name"] == "me"


def test_cli_errors_and_interrupt(tiny_sd, photos, studio_home, capsys, monkeypatch):
    from studiolo.capabilities.lora import train as lora
    from studiolo.cli import main
    assert main(["train", "lora", str(photos), "--model", str(tiny_sd)]) == 1
    assert "needs FOLDER, --model and --trigger" in capsys.readouterr().err
    assert main(["train", "lora", "--resume", "me", "--rank", "8"]) == 1
    assert "--rank cannot change when resuming run 'me'" in capsys.readouterr().err
    assert main(["train", "lora", str(photos), "--model", str(tiny_sd), "--trigger", "x",
                 "--rank", "0"]) == 1
    assert "Error: `rank` must be an integer from 1 to 1024, got 0." in capsys.readouterr().err

    def interrupted(**kwargs):
        raise TrainingInterrupted(studio_home / "training" / "me", 2, 5)

    monkeypatch.setattr(lora, "train_lora", interrupted)
    rc = main(["train", "lora", str(photos), "--model", str(tiny_sd), "--trigger", "ohwx"])
    err = capsys.readouterr().err
    assert rc == 130
    assert "Stopped at step 2 of 5" in err and "train lora --resume me" in err
