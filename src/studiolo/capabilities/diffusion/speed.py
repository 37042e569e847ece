"""How fast the diffusion engine runs, and the record that lets a rerun run the same way.

The engine hands `studiolo.core.device.optimize_pipeline` the speed options of the
recipe; those left unset take the measured defaults (a bf16 UNet only where
the CPU computes bf16 natively, VAE tiling only above 1024x1024 pixels, see
benchmarks/diffusion_cpu.py). The settings a run actually used are written
back into the recipe as `options["speed"]` (`SpeedSettings.as_options()`).
A rerun on the same kind of device takes them from there, so a recipe made in
float32 is made in float32 again on a bf16 CPU, and the other way round, and
the pixels match. The thread count is recorded but not applied: it is a
process-wide setting, and the caller's to choose.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SpeedRecord(BaseModel):
    """The settings one run used (`SpeedSettings.as_options()`), as kept in a recipe."""

    model_config = ConfigDict(extra="forbid")
    device: str
    unet_dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    channels_last: bool = False
    tiny_vae: bool = False
    vae_tiling: bool = False
    attention_slicing: bool = False
    threads: int | None = Field(None, ge=1)
    backend: Literal["torch", "openvino"] = "torch"  # see backends.py
    precision: Literal["bf16", "f32"] | None = None  # OpenVINO's inference precision


SPEED_FIELDS = ("channels_last", "tiny_vae", "vae_tiling", "attention_slicing")


def device_kind(device: str) -> str:
    """"cuda:1" -> "cuda": runs on the same kind of device share their speed settings."""
    return device.split(":")[0].lower()


def load_dtype(device: str):
    """The dtype weights load in: float16 on CUDA, else float32 (CPU bf16 is a UNet setting)."""
    import torch

    return torch.float16 if device_kind(device) == "cuda" else torch.float32


def speed_request(options: Any, device: str) -> dict[str, Any]:
    """Keyword arguments for `optimize_pipeline` from a recipe's options.

    An option the recipe sets wins; an unset one comes from the `speed` record
    of an earlier run on the same kind of device; else the measured default.
    The UNet dtype is always decided here, because the engine keeps a separate
    loaded model per UNet dtype (casting to bf16 and back loses the weights'
    low bits).
    """
    from studiolo.core.device import cpu_has_native_bf16

    record = options.speed
    if record is not None and device_kind(record.device) != device_kind(device):
        record = None

    def pick(name: str) -> Any:
        value = getattr(options, name)
        if value is None and record is not None:
            value = getattr(record, name)
        return value

    request = {name: pick(name) for name in SPEED_FIELDS}
    unet_dtype = pick("unet_dtype")
    if unet_dtype is None:
        request["bf16"] = device_kind(device) == "cpu" and cpu_has_native_bf16()
    else:
        request["bf16"] = unet_dtype == "bfloat16"
    return request
