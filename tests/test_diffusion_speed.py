"""The diffusion engine's speed options on the tiny model: bf16 per module, int8 UNet
weights, DeepCache and torch.compile. Each loads, runs, is recorded in the recipe, and the
recorded recipe makes the same pixels again; an option this install cannot do falls back
with a one-sentence warning and is recorded as not applied."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studiolo.capabilities.diffusion.deepcache import DeepCache
from studiolo.capabilities.diffusion.engine import DiffusionEngine
from studiolo.core import speedups
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.speedups import SpeedWarning
from studiolo.core.types import Recipe

FLOAT32 = {"unet_dtype": "float32", "text_encoder_dtype": "float32", "vae_dtype": "float32"}


@pytest.fixture(autouse=True)
def _home(studio_home):
    """Hash caches and the compile cache go to a throwaway STUDIOLO_HOME."""


def make(model, options, steps=4, engine=None):
    recipe = Recipe(engine="diffusion", prompt="a bowl astronaut", steps=steps, width=64, height=64,
                    seed=7, model=str(model), options=options)
    [art] = (engine or DiffusionEngine()).run(Request(recipe))
    return art


def pixels(art) -> np.ndarray:
    return np.asarray(art.image, dtype=np.int16)


def rerun(art, steps=4):
    """The artwork's own recipe (with its speed record) in a fresh engine."""
    [again] = DiffusionEngine().run(Request(art.recipe.replace(steps=steps)))
    return again


@pytest.mark.parametrize(
    ("options", "recorded"),
    [
        ({"unet_dtype": "bfloat16", "text_encoder_dtype": "bfloat16", "vae_dtype": "bfloat16"},
         {"unet_dtype": "bfloat16", "text_encoder_dtype": "bfloat16", "vae_dtype": "bfloat16"}),
        pytest.param({**FLOAT32, "quantize": "int8"}, {"quantize": "int8", "unet_dtype": "float32"},
                     marks=pytest.mark.skipif(not speedups.torchao_available(),
                                              reason="torchao (the int8 extra) is not installed")),
        ({**FLOAT32, "deep_cache": 2}, {"deep_cache": 2}),
    ],
    ids=["bf16", "int8", "deepcache"],
)
def test_an_option_runs_is_recorded_and_its_recipe_makes_the_same_pixels(tiny_sd, options, recorded):
    reference = make(tiny_sd, FLOAT32)
    art = make(tiny_sd, options)
    speed = art.recipe.options["speed"]
    assert {k: speed[k] for k in recorded} == recorded
    diff = np.abs(pixels(art) - pixels(reference)).max()
    assert 0 < diff < 40, diff  # the option changes the numbers, a little
    assert np.array_equal(pixels(rerun(art)), pixels(art))


def test_the_speed_record_alone_brings_back_the_settings(tiny_sd):
    art = make(tiny_sd, {"deep_cache": 2, "vae_dtype": "bfloat16", "text_encoder_dtype": "float32"})
    record_only = {"speed": art.recipe.options["speed"]}
    again = make(tiny_sd, record_only)
    assert again.recipe.options["speed"] == art.recipe.options["speed"]
    assert np.array_equal(pixels(again), pixels(art))


def test_a_record_from_before_these_options_means_float32_and_no_rewrites(tiny_sd):
    old = {"speed": {"device": "cpu", "unet_dtype": "float32", "channels_last": False,
                     "tiny_vae": False, "vae_tiling": False, "attention_slicing": False,
                     "threads": 1}}
    speed = make(tiny_sd, old, steps=2).recipe.options["speed"]
    assert speed | FLOAT32 == speed
    assert (speed["quantize"], speed["compile"], speed["deep_cache"]) == ("none", False, 1)


def test_int8_without_torchao_falls_back_with_a_sentence(tiny_sd, monkeypatch):
    monkeypatch.setattr(speedups, "torchao_available", lambda: False)
    with pytest.warns(SpeedWarning) as caught:
        art = make(tiny_sd, {**FLOAT32, "quantize": "int8"}, steps=2)
    assert str(caught[0].message) == (
        "int8 quantization needs torchao, which is not installed (pip install "
        "'studiolo[int8]'); this run keeps the UNet's own weights.")
    assert art.recipe.options["speed"]["quantize"] == "none"
    assert np.array_equal(pixels(art), pixels(make(tiny_sd, FLOAT32, steps=2)))


def test_compile_without_a_compiler_falls_back_with_a_sentence(tiny_sd, monkeypatch):
    monkeypatch.setattr(speedups, "can_compile",
                        lambda: "inductor needs a C++ compiler (g++ or clang++), and none is on the PATH")
    with pytest.warns(SpeedWarning) as caught:
        art = make(tiny_sd, {**FLOAT32, "compile": True}, steps=2)
    assert str(caught[0].message) == ("torch.compile is off for this run: inductor needs a C++ "
                                      "compiler (g++ or clang++), and none is on the PATH.")
    assert art.recipe.options["speed"]["compile"] is False


@pytest.mark.slow
def test_compile_runs_records_and_keeps_its_kernels_under_the_studio_home(tiny_sd, studio_home,
                                                                           monkeypatch):
    for name in ("TORCHINDUCTOR_CACHE_DIR", "TORCHINDUCTOR_FX_GRAPH_CACHE", "TORCHINDUCTOR_AUTOGRAD_CACHE"):
        monkeypatch.setenv(name, "")  # undone after the test, with what the engine sets
        monkeypatch.delenv(name)
    engine = DiffusionEngine()
    reference = make(tiny_sd, FLOAT32, steps=1)
    art = make(tiny_sd, {**FLOAT32, "compile": True}, steps=1, engine=engine)
    assert art.recipe.options["speed"]["compile"] is True
    assert np.abs(pixels(art) - pixels(reference)).max() <= 2  # the same math, fused
    cache = studio_home / "cache" / "torch-inductor"
    assert any(cache.rglob("*.py")), "inductor wrote no kernels into the studio's cache"
    # The recorded recipe, on the loaded compiled model (no second compile here).
    again = make(tiny_sd, art.recipe.options, steps=1, engine=engine)
    assert np.array_equal(pixels(again), pixels(art))


def test_deep_cache_reuses_the_deep_features_between_full_steps():
    from tiny_models import tiny_sd_components

    unet = tiny_sd_components()["unet"].eval()
    x, text = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(0)), torch.randn(2, 77, 32)
    with torch.no_grad():
        full = unet(x, 500, encoder_hidden_states=text).sample
        later = unet(x, 400, encoder_hidden_states=text).sample
        cache = DeepCache(unet, interval=3)  # steps 0, 3, 6... full
        assert torch.allclose(unet(x, 500, encoder_hidden_states=text).sample, full, atol=1e-5)
        # Step 1 reuses step 0's deep features: on the same input it is the full result...
        assert torch.allclose(unet(x, 500, encoder_hidden_states=text).sample, full, atol=1e-5)
        # ...at another timestep (step 2) only the shallow branch sees the change.
        shallow_later = unet(x, 400, encoder_hidden_states=text).sample
        assert cache.full_steps == 1
        assert not torch.allclose(shallow_later, later, atol=1e-4)
        assert (shallow_later - later).abs().max() < (full - later).abs().max()
        unet(x, 400, encoder_hidden_states=text)  # step 3: full again
        assert cache.full_steps == 2
    cache.remove()
    with torch.no_grad():
        assert torch.allclose(unet(x, 400, encoder_hidden_states=text).sample, later, atol=1e-5)


def test_deep_cache_of_zero_is_refused_with_its_range(tiny_sd):
    with pytest.raises(InvalidArgument) as caught:
        make(tiny_sd, {"deep_cache": 0})
    assert str(caught.value) == "Option `deep_cache` input should be greater than or equal to 1; got 0."
