"""One table of sampler names: AUTOMATIC1111, ComfyUI, InvokeAI and diffusers -> canonical.

The canonical names are AUTOMATIC1111's display names (what people type and
what Civitai shows); the diffusion engine uses the same names. Lookup ignores
case, underscores, hyphens and repeated spaces, so "euler_a", "Euler A" and
"euler-a" are one key. A name we do not know comes back unchanged: an
imported recipe should keep what its tool wrote rather than guess.
"""

from __future__ import annotations

import re

CANONICAL_SAMPLERS: tuple[str, ...] = (
    "Euler",
    "Euler a",
    "Heun",
    "DPM2",
    "DPM2 a",
    "DPM++ 2M",
    "DPM++ 2M Karras",
    "DPM++ 2M SDE",
    "DPM++ 2M SDE Karras",
    "DPM++ SDE",
    "DPM++ SDE Karras",
    "DPM++ 2S a",
    "LMS",
    "LMS Karras",
    "DDIM",
    "PNDM",
    "UniPC",
    "LCM",
    "DEIS",
    "TCD",
)

# canonical name -> other spellings (ComfyUI sampler_name, InvokeAI scheduler,
# diffusers scheduler class). The canonical name itself is always an alias.
_ALIASES: dict[str, tuple[str, ...]] = {
    "Euler": ("euler", "euler_cfg_pp", "EulerDiscreteScheduler", "k_euler"),
    "Euler a": (
        "euler_a", "euler_ancestral", "euler_ancestral_cfg_pp", "k_euler_a",
        "EulerAncestralDiscreteScheduler",
    ),
    "Heun": ("heun", "HeunDiscreteScheduler", "k_heun"),
    "DPM2": ("dpm_2", "kdpm_2", "k_dpm_2", "KDPM2DiscreteScheduler"),
    "DPM2 a": (
        "dpm_2_ancestral", "kdpm_2_a", "k_dpm_2_a", "KDPM2AncestralDiscreteScheduler",
    ),
    "DPM++ 2M": ("dpmpp_2m", "DPMSolverMultistepScheduler", "k_dpmpp_2m"),
    "DPM++ 2M Karras": ("dpmpp_2m_k", "dpmpp_2m karras"),
    "DPM++ 2M SDE": ("dpmpp_2m_sde", "dpmpp_2m_sde_gpu"),
    "DPM++ 2M SDE Karras": ("dpmpp_2m_sde_k", "dpmpp_2m_sde karras", "dpmpp_2m_sde_gpu karras"),
    # diffusers' own A1111 table maps "DPM++ SDE" to the single-step solver;
    # DPMSolverSDEScheduler is the k-diffusion port of the same sampler.
    "DPM++ SDE": ("dpmpp_sde", "dpmpp_sde_gpu", "DPMSolverSDEScheduler", "DPMSolverSinglestepScheduler"),
    "DPM++ SDE Karras": ("dpmpp_sde_k", "dpmpp_sde karras", "dpmpp_sde_gpu karras"),
    "DPM++ 2S a": ("dpmpp_2s_ancestral", "dpmpp_2s", "k_dpmpp_2s_a"),
    "LMS": ("lms", "k_lms", "LMSDiscreteScheduler"),
    "LMS Karras": ("lms_k", "lms karras"),
    "DDIM": ("ddim", "DDIMScheduler"),
    "PNDM": ("pndm", "plms", "PNDMScheduler"),
    "UniPC": ("uni_pc", "uni_pc_bh2", "unipc", "UniPCMultistepScheduler"),
    "LCM": ("lcm", "LCMScheduler"),
    "DEIS": ("deis", "DEISMultistepScheduler"),
    "TCD": ("tcd", "TCDScheduler"),
}


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


_TABLE: dict[str, str] = {}
for _canonical, _names in _ALIASES.items():
    for _name in (_canonical, *_names):
        _TABLE[_key(_name)] = _canonical


def normalise_sampler(name: str) -> str:
    """The canonical (AUTOMATIC1111) name for any known spelling; unknown names unchanged."""
    return _TABLE.get(_key(name), name)


def sampler_from_comfy(sampler_name: str, scheduler: str | None = None) -> str:
    """ComfyUI's (sampler_name, scheduler) pair as one canonical name where one exists.

    ComfyUI keeps the noise schedule apart; A1111's older names fold "Karras"
    into the sampler. A Karras schedule on a sampler with no Karras name here
    (Euler + karras, say) gives the plain sampler name: the importer keeps the
    raw pair in the recipe options, so nothing is lost.
    """
    base = normalise_sampler(sampler_name)
    if (scheduler or "").lower() == "karras":
        karras = _TABLE.get(_key(f"{sampler_name} karras"))
        if karras is not None:
            return karras
    return base


def split_schedule(name: str) -> tuple[str, str]:
    """A canonical name as A1111 1.9+ writes it: ("DPM++ 2M", "Karras") or ("Euler a", "Automatic")."""
    if name.endswith(" Karras"):
        return name[: -len(" Karras")], "Karras"
    return name, "Automatic"


def join_schedule(sampler: str, schedule: str | None) -> str:
    """The inverse of `split_schedule`, for names A1111 1.9+ wrote as sampler + schedule type."""
    sampler = normalise_sampler(sampler)
    if schedule and schedule.lower() == "karras" and not sampler.endswith(" Karras"):
        joined = _TABLE.get(_key(f"{sampler} karras"))
        if joined is not None:
            return joined
    return sampler


# Noise schedules other tools fold into the sampler's name ("Euler Ancestral Karras"
# in Stability Matrix, "euler_ancestral_karras" in comfy-image-saver): ComfyUI's
# scheduler names and A1111 1.9+'s "Schedule type" values, as `_key` spells them.
_SCHEDULES: dict[str, str] = {
    "karras": "Karras", "exponential": "Exponential", "sgm uniform": "SGM Uniform",
    "simple": "Simple", "normal": "Normal", "ddim uniform": "DDIM", "beta": "Beta",
    "kl optimal": "KL Optimal", "align your steps": "Align Your Steps",
    "polyexponential": "Polyexponential", "uniform": "Uniform",
}


def split_sampler_name(name: str) -> tuple[str, str | None]:
    """A sampler name that may end in a noise schedule -> (canonical sampler, schedule or None).

    "DPM++ 2M Karras" -> ("DPM++ 2M Karras", None) (a name we know as it is);
    "Euler Ancestral Karras" -> ("Euler a", "Karras"): studiolo has no Euler a with a
    Karras schedule, so the schedule comes back apart for the caller to keep.
    A name whose sampler part we do not know comes back unchanged, with None.
    """
    known = normalise_sampler(name)
    if known in CANONICAL_SAMPLERS:
        return known, None
    key = _key(name)
    # Longest schedule first, so "ddim uniform" is not read as "uniform".
    for suffix in sorted(_SCHEDULES, key=len, reverse=True):
        if key.endswith(" " + suffix):
            base = normalise_sampler(key[: -len(suffix) - 1])
            if base not in CANONICAL_SAMPLERS:
                break
            schedule = _SCHEDULES[suffix]
            joined = join_schedule(base, schedule)
            return (joined, None) if joined != base else (base, schedule)
    return name, None
