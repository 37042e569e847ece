"""Device choice and optimize_pipeline on the tiny SD pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from studiolo.core import device as dev
from studiolo.core.device import (
    SpeedSettings,
    choose_device,
    cpuinfo_has_bf16,
    find_tiny_vae,
    optimize_pipeline,
    run_unet_in,
)
from studiolo.core.errors import InvalidArgument, ModelNotFound


@pytest.fixture
def pipe():
    from diffusers import StableDiffusionPipeline
    from tiny_models import tiny_sd_components

    p = StableDiffusionPipeline(**tiny_sd_components(), requires_safety_checker=False)
    p.set_progress_bar_config(disable=True)
    return p


def tiny_taesd():
    from diffusers import AutoencoderTiny

    torch.manual_seed(0)
    return AutoencoderTiny(
        encoder_block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        num_encoder_blocks=(1, 1, 1, 1),
        num_decoder_blocks=(1, 1, 1, 1),
    )


def generate(pipe, size=64):
    return pipe(
        "a red boat", num_inference_steps=2, height=size, width=size,
        generator=torch.Generator().manual_seed(0), output_type="np",
    ).images


# --------------------------------------------------------------------------- choose_device


def test_choose_device_explicit_and_auto(monkeypatch):
    assert choose_device("cpu") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert choose_device("CUDA:1") == "cuda:1"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert choose_device(None) == "cpu"
    assert choose_device("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_device() == "cuda"


@pytest.mark.parametrize("bad", ["tpu", "gpu0", "xla:0", "cpu:1", "cuda:x", "bogus"])
def test_choose_device_unknown(bad):
    with pytest.raises(InvalidArgument, match="`device` must be auto, cpu, cuda, cuda:N or mps") as info:
        choose_device(bad)
    assert repr(bad) in str(info.value) and "this machine has" in str(info.value)


def test_a_device_this_machine_lacks_is_one_sentence_naming_what_it_has(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)
    with pytest.raises(InvalidArgument, match=r"^`device` 'cuda' is not available: this PyTorch is a "
                                              r"CPU build; this machine has cpu\.$"):
        choose_device("cuda")
    with pytest.raises(InvalidArgument, match=r"`device` 'mps' is not available \(no Apple GPU\)"):
        choose_device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(InvalidArgument, match=r"'cuda:3' is not available: there are 1 CUDA devices; "
                                              r"this machine has cuda:0, cpu"):
        choose_device("cuda:3")


@pytest.mark.parametrize("args", [
    ["--device", "cuda", "generate", "a sea", "--model", "nowhere"],
    ["--device", "cuda", "train", "lora", "nowhere"],
    ["--device", "bogus", "paint", "a sea"],
])
def test_cli_refuses_a_missing_device_before_any_work(args, studio_home, capsys, monkeypatch):
    from studiolo.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Invalid value for '--device'" in err and "this machine has" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- bf16 detection


def test_cpuinfo_flags():
    assert cpuinfo_has_bf16("processor : 0\nflags : fpu sse avx2 amx_bf16 amx_tile\n") is True
    assert cpuinfo_has_bf16("flags\t\t: fpu avx512f avx512_bf16\n") is True
    assert cpuinfo_has_bf16("flags : fpu sse avx avx2 avx512f\n") is False
    assert cpuinfo_has_bf16("Hardware : some arm board\n") is None


def test_native_bf16_matches_this_cpu():
    text = Path("/proc/cpuinfo").read_text()
    assert dev.cpu_has_native_bf16() is cpuinfo_has_bf16(text)


# --------------------------------------------------------------------------- optimize_pipeline


def test_defaults_follow_measured_rules(pipe, monkeypatch):
    monkeypatch.setattr(dev, "cpu_has_native_bf16", lambda: False)
    s = optimize_pipeline(pipe, "cpu", width=512, height=512)
    assert s.unet_dtype == "float32" and pipe.unet.dtype == torch.float32
    assert (s.text_encoder_dtype, s.vae_dtype) == ("float32", "float32")
    assert not s.channels_last and not s.attention_slicing and not s.tiny_vae
    assert s.vae_tiling is False and pipe.vae.use_tiling is False
    assert s.threads == torch.get_num_threads()
    assert any("no native bf16" in n for n in s.notes)

    monkeypatch.setattr(dev, "cpu_has_native_bf16", lambda: True)
    s = optimize_pipeline(pipe, "cpu", width=2048, height=1024)
    assert s.unet_dtype == "bfloat16" and pipe.unet.dtype == torch.bfloat16
    # bf16 decoder and text layers, but the modules the pipeline asks for a dtype say float32
    # (they set the dtype of the prompt embeddings and latents).
    assert (s.text_encoder_dtype, s.vae_dtype) == ("bfloat16", "bfloat16")
    assert pipe.vae.decoder.conv_in.weight.dtype == torch.bfloat16
    assert pipe.text_encoder.encoder.layers[0].mlp.fc1.weight.dtype == torch.bfloat16
    assert pipe.vae.dtype == torch.float32 and pipe.text_encoder.dtype == torch.float32
    assert s.vae_tiling is True and pipe.vae.use_tiling is True


def test_every_option_forced_on(pipe):
    before = torch.get_num_threads()
    try:
        s = optimize_pipeline(
            pipe, "cpu", bf16=True, text_encoder_bf16=True, vae_bf16=True, channels_last=True,
            tiny_vae=tiny_taesd(),
            vae_tiling=True, attention_slicing=True, threads=1,
        )
        image = generate(pipe)
    finally:
        torch.set_num_threads(before)
    assert image.shape == (1, 64, 64, 3)
    assert np.isfinite(image).all()
    assert s == SpeedSettings(
        device="cpu", unet_dtype="bfloat16", text_encoder_dtype="bfloat16", vae_dtype="bfloat16",
        channels_last=True, tiny_vae=True, vae_tiling=True,
        attention_slicing=True, threads=1, notes=("tiny VAE (TAESD) decode",),
    )
    assert type(pipe.vae).__name__ == "AutoencoderTiny" and pipe.vae.use_tiling
    conv = pipe.unet.conv_in.weight
    assert conv.dtype == torch.bfloat16 and conv.is_contiguous(memory_format=torch.channels_last)
    procs = {type(p).__name__ for p in pipe.unet.attn_processors.values()}
    assert procs == {"SlicedAttnProcessor"}
    assert json.loads(json.dumps(s.as_options()))["unet_dtype"] == "bfloat16"


def test_bf16_unet_stays_close_to_float32(pipe):
    reference = generate(pipe)
    optimize_pipeline(pipe, "cpu", bf16=True)
    fast = generate(pipe)
    assert fast.dtype == np.float32  # the VAE decoded float32 latents
    diff = np.abs(fast - reference).max()
    assert 0 < diff < 0.05  # rounding shows, but only a few levels of 255


def test_bf16_decoder_and_text_layers_stay_close_and_hand_back_float32(pipe):
    reference = generate(pipe)
    embeds = pipe.encode_prompt("a red boat", "cpu", 1, False)[0]
    optimize_pipeline(pipe, "cpu", bf16=False, text_encoder_bf16=True, vae_bf16=True)
    fast_embeds = pipe.encode_prompt("a red boat", "cpu", 1, False)[0]
    fast = generate(pipe)
    assert fast_embeds.dtype == torch.float32 and fast.dtype == np.float32
    assert 0 < (fast_embeds - embeds).abs().max() < 0.1
    assert 0 < np.abs(fast - reference).max() < 0.05
    optimize_pipeline(pipe, "cpu", bf16=False, text_encoder_bf16=False, vae_bf16=False)
    assert pipe.vae.decoder._studiolo_dtype_hooks == ()
    assert pipe.vae.decoder.conv_in.weight.dtype == torch.float32


def test_bf16_boundary_casts(pipe):
    run_unet_in(pipe.unet, torch.bfloat16)
    run_unet_in(pipe.unet, torch.bfloat16)  # again: hooks are replaced, not stacked
    assert len(pipe.unet._studiolo_dtype_hooks) == 2
    sample = torch.randn(1, 4, 8, 8)
    text = torch.randn(1, 77, 32)
    with torch.no_grad():
        out = pipe.unet(sample, torch.tensor(999.0), encoder_hidden_states=text).sample
        tup = pipe.unet(sample, 999, text, return_dict=False)[0]
    assert out.dtype == torch.float32 and tup.dtype == torch.float32
    run_unet_in(pipe.unet, torch.float32)
    assert pipe.unet._studiolo_dtype_hooks == () and pipe.unet.dtype == torch.float32


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"device": "tpu"}, "`device` must be one of"),
        ({"device": "auto"}, "'auto'"),
        ({"threads": 0}, "`threads` must be a positive integer, got 0"),
        ({"threads": 2.5}, "`threads` must be a positive integer, got 2.5"),
        ({"width": 4}, "`width` must be an integer of at least 8, got 4"),
        ({"height": "512"}, "`height` must be an integer of at least 8, got '512'"),
        ({"tiny_vae": 42}, "`tiny_vae` must be a bool, an AutoencoderTiny, a folder or a repo id, got int"),
    ],
)
def test_optimize_pipeline_bad_inputs(pipe, kwargs, message):
    kwargs = {"device": "cpu", **kwargs}
    with pytest.raises(InvalidArgument) as info:
        optimize_pipeline(pipe, kwargs.pop("device"), **kwargs)
    assert message in str(info.value)


def test_tiny_vae_path_missing(pipe, tmp_path):
    missing = tmp_path / "no-taesd"
    with pytest.raises(ModelNotFound, match="hf download") as info:
        optimize_pipeline(pipe, "cpu", tiny_vae=missing)
    assert str(missing) in str(info.value)


def test_tiny_vae_from_folder(pipe, tmp_path):
    tiny_taesd().save_pretrained(tmp_path / "taesd")
    s = optimize_pipeline(pipe, "cpu", tiny_vae=tmp_path / "taesd")
    assert s.tiny_vae and type(pipe.vae).__name__ == "AutoencoderTiny"
    assert generate(pipe).shape == (1, 64, 64, 3)


# --------------------------------------------------------------------------- find_tiny_vae


def test_find_tiny_vae_absent_returns_none(monkeypatch):
    monkeypatch.setitem(dev.TINY_VAE_REPOS, "sd1", "studiolo-tests/absent-taesd")
    assert find_tiny_vae("sd1") is None


def test_find_tiny_vae_unknown_family():
    with pytest.raises(InvalidArgument, match=r"`family` must be one of \('sd1', 'sd2', 'sdxl'\), got 'sd3'"):
        find_tiny_vae("sd3")


def test_tiny_vae_true_uses_family_cache_and_false_keeps_vae(pipe, monkeypatch):
    assert optimize_pipeline(pipe, "cpu", tiny_vae=False).tiny_vae is False
    assert type(pipe.vae).__name__ == "AutoencoderKL"
    monkeypatch.setitem(dev.TINY_VAE_REPOS, "sd1", "studiolo-tests/absent-taesd")
    with pytest.raises(ModelNotFound, match="studiolo-tests/absent-taesd"):
        optimize_pipeline(pipe, "cpu", tiny_vae=True)
