"""Schedulers (samplers) by their AUTOMATIC1111 display names.

A recipe names its sampler the way A1111 shows it ("DPM++ 2M Karras"), since
that is the name people share and the one the infotext carries. Each name maps
to a diffusers scheduler class plus the config values that make it that
sampler; the rest of the config (betas, timestep spacing, prediction type)
comes from the model, so a scheduler never changes what the model expects.
"""

from __future__ import annotations

import importlib.util
import inspect
from typing import Any

from studiolo.core.errors import UnknownName

# name -> (diffusers class name, config overrides). Class names, not classes, so
# importing this module stays cheap (diffusers is imported on first use).
SCHEDULERS: dict[str, tuple[str, dict[str, Any]]] = {
    "Euler": ("EulerDiscreteScheduler", {}),
    "Euler a": ("EulerAncestralDiscreteScheduler", {}),
    "Heun": ("HeunDiscreteScheduler", {}),
    "DPM2": ("KDPM2DiscreteScheduler", {}),
    "DPM2 a": ("KDPM2AncestralDiscreteScheduler", {}),
    "DPM++ 2M": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "solver_order": 2}),
    "DPM++ 2M Karras": (
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": True},
    ),
    "DPM++ 2M SDE": (
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "sde-dpmsolver++", "solver_order": 2},
    ),
    "DPM++ 2M SDE Karras": (
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "sde-dpmsolver++", "solver_order": 2, "use_karras_sigmas": True},
    ),
    "DPM++ SDE": ("DPMSolverSDEScheduler", {}),
    "DPM++ SDE Karras": ("DPMSolverSDEScheduler", {"use_karras_sigmas": True}),
    "LMS": ("LMSDiscreteScheduler", {}),
    "LMS Karras": ("LMSDiscreteScheduler", {"use_karras_sigmas": True}),
    "DDIM": ("DDIMScheduler", {}),
    # A1111's PLMS skips the Runge-Kutta warm-up steps, as diffusers' SD pipelines do.
    "PNDM": ("PNDMScheduler", {"skip_prk_steps": True}),
    "UniPC": ("UniPCMultistepScheduler", {}),
    "LCM": ("LCMScheduler", {}),
    "DEIS": ("DEISMultistepScheduler", {}),
    "TCD": ("TCDScheduler", {}),
}

# The Brownian-tree noise of DPM++ SDE needs torchsde; without it the name is unknown
# rather than failing halfway through a run.
if importlib.util.find_spec("torchsde") is None:  # pragma: no cover - torchsde is installed here
    for _name in ("DPM++ SDE", "DPM++ SDE Karras"):
        SCHEDULERS.pop(_name)

# Names other tools use for the same samplers (ComfyUI, InvokeAI, A1111's old names,
# diffusers class names). provenance.samplers.normalise_sampler covers more, when present.
_ALIASES: dict[str, str] = {
    "euler": "Euler",
    "euler_a": "Euler a",
    "euler_ancestral": "Euler a",
    "k_euler": "Euler",
    "k_euler_a": "Euler a",
    "heun": "Heun",
    "k_heun": "Heun",
    "dpm_2": "DPM2",
    "k_dpm_2": "DPM2",
    "dpm_2_ancestral": "DPM2 a",
    "k_dpm_2_a": "DPM2 a",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_2m_karras": "DPM++ 2M Karras",
    "dpmpp_2m_k": "DPM++ 2M Karras",
    "dpmpp_2m_sde": "DPM++ 2M SDE",
    "dpmpp_2m_sde_karras": "DPM++ 2M SDE Karras",
    "dpmpp_2m_sde_k": "DPM++ 2M SDE Karras",
    "dpmpp_sde": "DPM++ SDE",
    "dpmpp_sde_karras": "DPM++ SDE Karras",
    "dpmpp_sde_k": "DPM++ SDE Karras",
    "lms": "LMS",
    "k_lms": "LMS",
    "lms_karras": "LMS Karras",
    "ddim": "DDIM",
    "plms": "PNDM",
    "pndm": "PNDM",
    "uni_pc": "UniPC",
    "unipc": "UniPC",
    "lcm": "LCM",
    "deis": "DEIS",
    "tcd": "TCD",
}


def scheduler_names() -> list[str]:
    """The canonical (A1111 display) names of every scheduler this studio can run."""
    return list(SCHEDULERS)


def canonical_scheduler_name(name: str) -> str:
    """The A1111 display name for `name` (any case, ComfyUI/InvokeAI/diffusers spelling).

    Raises UnknownName listing the known names.
    """
    text = str(name).strip()
    by_lower = {known.lower(): known for known in SCHEDULERS}
    if text.lower() in by_lower:
        return by_lower[text.lower()]
    key = text.lower().replace(" ", "_").replace("+", "p").replace("-", "_")
    if key in _ALIASES and _ALIASES[key] in SCHEDULERS:
        return _ALIASES[key]
    for known, (cls_name, overrides) in SCHEDULERS.items():
        if not overrides and text.lower() == cls_name.lower():
            return known
    alias = _normalise_elsewhere(text)
    if alias is not None and alias.lower() in by_lower:
        return by_lower[alias.lower()]
    raise UnknownName("scheduler", text, scheduler_names())


def _normalise_elsewhere(name: str) -> str | None:
    """Ask provenance.samplers (another module, maybe not there yet) for an A1111 name."""
    try:
        from studiolo.provenance.samplers import normalise_sampler
    except ImportError:
        return None
    try:
        return normalise_sampler(name)
    except (KeyError, ValueError):  # an unknown name there is simply unknown here too
        return None


def make_scheduler(name: str, config: Any) -> Any:
    """A new diffusers scheduler for the sampler `name`, built on the model's scheduler `config`."""
    import diffusers

    canonical = canonical_scheduler_name(name)
    cls_name, overrides = SCHEDULERS[canonical]
    cls = getattr(diffusers, cls_name)
    values = dict(overrides)
    # A model whose own scheduler used Karras sigmas must not make "Euler" secretly Karras.
    params = inspect.signature(cls.__init__).parameters
    for flag in ("use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas"):
        if flag in params and flag not in values:
            values[flag] = False
    return cls.from_config(config, **values)


def scheduler_name(scheduler: Any) -> str:
    """The A1111 name of a scheduler instance (the model's own one, typically).

    Picks the entry with the scheduler's class whose overrides all match its
    config; a class we do not list is named by its class name.
    """
    cls_name = type(scheduler).__name__
    config = dict(getattr(scheduler, "config", {}) or {})
    best: str | None = None
    best_score = -1
    for name, (entry_cls, overrides) in SCHEDULERS.items():
        if entry_cls != cls_name:
            continue
        matches = all(config.get(k, _default(k)) == v for k, v in overrides.items())
        if matches and len(overrides) > best_score:
            best, best_score = name, len(overrides)
    return best or cls_name


def _default(key: str) -> Any:
    # Missing keys read as the diffusers defaults that matter for matching.
    return {"use_karras_sigmas": False, "algorithm_type": "dpmsolver++", "solver_order": 2}.get(key)
