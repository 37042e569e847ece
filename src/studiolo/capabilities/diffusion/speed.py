"""How fast the diffusion engine runs, and the record that lets a rerun run the same way.

The engine hands `studiolo.core.device.optimize_pipeline` the speed options of the
recipe; those left unset take the measured defaults (a bf16 UNet, VAE decoder and
text-encoder layers only where the CPU computes bf16 natively, VAE tiling only
above 1024x1024 pixels; int8 UNet weights, torch.compile and DeepCache only when
asked, see benchmarks/diffusion_cpu.py). The settings a run actually used are written
back into the recipe as `options["speed"]` (`SpeedSettings.as_options()`).
A rerun on the same kind of device takes them from there, so a recipe made in
float32 is made in float32 again on a bf16 CPU, and the other way round, and
the pixels match. The thread count is recorded but not applied: it is a
process-wide setting, and the caller's to choose.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_DEEP_CACHE = 50


class SpeedRecord(BaseModel):
    """The settings one run used (`SpeedSettings.as_options()`), as kept in a recipe."""

    model_config = ConfigDict(extra="forbid")
    device: str
    unet_dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    # Recipes from before these fields ran everything else in float32, uncompiled.
    text_encoder_dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    vae_dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    quantize: Literal["none", "int8"] = "none"
    compile: bool = False
    deep_cache: int = Field(1, ge=1, le=MAX_DEEP_CACHE)
    channels_last: bool = False
    tiny_vae: bool = False
    vae_tiling: bool = False
    attention_slicing: bool = False
    threads: int | None = Field(None, ge=1)
    backend: Literal["torch", "openvino"] = "torch"  # see backends.py
    precision: Literal["bf16", "f32"] | None = None  # OpenVINO's inference precision


SPEED_FIELDS = ("channels_last", "tiny_vae", "vae_tiling", "attention_slicing")
# Settings that change the loaded weights (a dtype, int8, compiled code): a new value
# loads the model afresh, since casting back would not give the same numbers.
LOAD_FIELDS = ("bf16", "text_encoder_bf16", "vae_bf16", "quantize", "compile")


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
    The dtypes, int8 and compile are always decided here, because the engine keeps a
    separate loaded model per combination of them (`LOAD_FIELDS`: casting to bf16 and
    back loses the weights' low bits).
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
    native = device_kind(device) == "cpu" and cpu_has_native_bf16()
    for dtype_field, flag in (("unet_dtype", "bf16"), ("text_encoder_dtype", "text_encoder_bf16"),
                              ("vae_dtype", "vae_bf16")):
        value = pick(dtype_field)
        request[flag] = native if value is None else value == "bfloat16"
    request["quantize"] = pick("quantize") or "none"
    request["compile"] = bool(pick("compile"))
    request["deep_cache"] = pick("deep_cache") or 1
    return request


def rewrite_pipeline(pipe: Any, quantize: str, compile: bool, settings: Any) -> dict[str, Any]:
    """Apply int8 weights and torch.compile to a freshly loaded pipeline; say what ran.

    int8 is the UNet's linear layers (torchao, weight-only). compile is each block of the
    UNet (its down, mid and up blocks, so DeepCache's shallow steps run compiled code
    too) and the VAE decoder, with inductor's kernel cache under the studio's home, so
    a new process reuses the kernels an earlier one compiled. An option this install
    cannot do falls back with a SpeedWarning and is recorded as not applied.
    """
    from pathlib import Path

    from studiolo.core.speedups import compile_modules, quantize_int8

    done = {"quantize": "none", "compile": False}
    if quantize == "int8" and quantize_int8(pipe.unet):
        done["quantize"] = "int8"
    if compile:
        unet = pipe.unet
        blocks = [*unet.down_blocks, *([unet.mid_block] if unet.mid_block is not None else []),
                  *unet.up_blocks, pipe.vae.decoder]
        home = Path(getattr(settings, "home", None) or Path.home() / ".studiolo")
        done["compile"] = compile_modules(blocks, home / "cache" / "torch-inductor")
    return done
