"""Schedulers by A1111 name: every one runs, names round-trip, the model's config is kept."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studiolo.capabilities.diffusion.schedulers import (
    canonical_scheduler_name,
    make_scheduler,
    scheduler_name,
    scheduler_names,
)
from studiolo.core.errors import UnknownName

REQUIRED = [
    "Euler", "Euler a", "Heun", "DPM2", "DPM2 a", "DPM++ 2M", "DPM++ 2M Karras", "DPM++ 2M SDE",
    "DPM++ 2M SDE Karras", "DPM++ SDE", "LMS", "LMS Karras", "DDIM", "PNDM", "UniPC", "LCM",
    "DEIS", "TCD",
]


@pytest.fixture(scope="module")
def pipe(tiny_sd):
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(tiny_sd, safety_checker=None)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_every_required_name_is_known():
    assert set(REQUIRED) <= set(scheduler_names())


@pytest.mark.parametrize("name", scheduler_names())
def test_each_scheduler_runs_two_steps_to_a_finite_image(pipe, name):
    own = pipe.scheduler
    pipe.scheduler = make_scheduler(name, own.config)
    try:
        image = pipe(
            "a bowl", num_inference_steps=2, height=64, width=64, output_type="np",
            generator=torch.Generator("cpu").manual_seed(1),
        ).images[0]
    finally:
        pipe.scheduler = own
    assert image.shape == (64, 64, 3)
    assert np.isfinite(image).all()
    assert image.std() > 0


@pytest.mark.parametrize("name", scheduler_names())
def test_names_round_trip_through_the_scheduler(pipe, name):
    assert scheduler_name(make_scheduler(name, pipe.scheduler.config)) == name


def test_model_config_is_kept_and_karras_only_when_named(pipe):
    config = dict(pipe.scheduler.config)
    karras = make_scheduler("DPM++ 2M Karras", config)
    assert karras.config.use_karras_sigmas is True
    assert karras.config.beta_end == pytest.approx(0.012)  # the model's betas, not defaults
    assert karras.config.algorithm_type == "dpmsolver++"
    sde = make_scheduler("DPM++ 2M SDE", config)
    assert sde.config.algorithm_type == "sde-dpmsolver++" and not sde.config.use_karras_sigmas
    # A model shipped with Karras sigmas must not make plain "Euler" secretly Karras.
    euler = make_scheduler("Euler", {**config, "use_karras_sigmas": True})
    assert type(euler).__name__ == "EulerDiscreteScheduler"
    assert euler.config.use_karras_sigmas is False


@pytest.mark.parametrize(
    "given, canonical",
    [
        ("euler a", "Euler a"),
        ("EULER A", "Euler a"),
        ("euler_ancestral", "Euler a"),
        ("k_euler", "Euler"),
        ("dpmpp_2m", "DPM++ 2M"),
        ("dpmpp_2m_karras", "DPM++ 2M Karras"),
        ("dpmpp_2m_sde_karras", "DPM++ 2M SDE Karras"),
        ("uni_pc", "UniPC"),
        ("plms", "PNDM"),
        ("EulerDiscreteScheduler", "Euler"),
        ("DDIMScheduler", "DDIM"),
        ("  Heun ", "Heun"),
    ],
)
def test_aliases_and_case_give_the_a1111_name(given, canonical):
    assert canonical_scheduler_name(given) == canonical


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownName) as info:
        make_scheduler("Warp drive", {})
    text = str(info.value)
    assert "Unknown scheduler 'Warp drive'" in text and "'Euler a'" in text and "'DPM++ 2M'" in text


def test_scheduler_name_of_the_models_own_scheduler(pipe):
    from diffusers import DPMSolverMultistepScheduler, EulerDiscreteScheduler

    assert scheduler_name(pipe.scheduler) == "DDIM"
    assert scheduler_name(EulerDiscreteScheduler()) == "Euler"
    assert scheduler_name(DPMSolverMultistepScheduler(use_karras_sigmas=True)) == "DPM++ 2M Karras"
