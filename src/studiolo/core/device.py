"""Device choice and CPU speed settings for diffusion pipelines.

`optimize_pipeline` applies the settings that make a diffusers pipeline
fast on the machine at hand and returns a `SpeedSettings` saying what it
did, so a recipe can record how an image was made. Every default is a
rule taken from measurements; the numbers, the dates and the CPUs are in
the docstring of benchmarks/diffusion_cpu.py. In short:

- bf16 UNet only where the CPU has native bf16 (AVX512-BF16 or AMX): 2.3x
  on SD 1.5 at 20 steps, 1.2x on SD-Turbo at 1 step (16-core Xeon with AMX).
  Without native bf16, PyTorch emulates it.
- bf16 VAE decoder and text-encoder layers on the same CPUs (`run_part_in`:
  inputs cast in, outputs cast back to float32, so latents and prompt
  embeddings stay float32): the decode is most of a 1-step image and runs
  ~2x faster in bf16 on an AVX512-BF16 EPYC without AMX; the pixel cost is
  in benchmarks/diffusion_cpu.py.
- channels_last off: measured no faster (0.99x fp32, 0.97x with bf16).
- VAE tiling above 1024x1024 pixels: at 1024 it saves 2.8 GiB but costs
  1.7x the decode time and shows seams, so only larger images use it.
- attention slicing off: 0.86x the speed and no memory saved, since
  PyTorch's SDPA already keeps attention memory low on CPU.
- threads: left to PyTorch (one per core; 1 of 16 threads is 7x slower).
- tiny VAE (TAESD) only when asked: 2.7x at 1 step, but a lossy decoder.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from studiolo.core.errors import InvalidArgument, ModelNotFound

DEVICES = ("auto", "cpu", "cuda", "mps")

# Above this many pixels the full VAE decode's activations reach gigabytes.
TILING_MIN_PIXELS = 1024 * 1024

TINY_VAE_REPOS = {"sd1": "madebyollin/taesd", "sd2": "madebyollin/taesd", "sdxl": "madebyollin/taesdxl"}

# UNet keyword arguments that carry activations (cast to the UNet's dtype).
# The timestep is left alone: 999 is 1000 in bf16, and the UNet casts its
# time embedding itself.
_ACTIVATION_KWARGS = (
    "sample",
    "encoder_hidden_states",
    "timestep_cond",
    "down_block_additional_residuals",
    "mid_block_additional_residual",
    "down_intrablock_additional_residuals",
)


def available_devices() -> list[str]:
    """The devices this machine and this PyTorch build can run on, best first."""
    found = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        found.append("mps")
    return [*found, "cpu"]


def check_device(preference: str | None) -> str | None:
    """`preference` normalised ("cuda" -> "cuda", "CPU" -> "cpu"), or InvalidArgument.

    Refuses names PyTorch does not know and devices this machine does not have, with
    the devices it has, so `--device cuda` on a CPU-only machine is one sentence, not an
    assertion deep inside PyTorch.
    """
    if preference is None:
        return None
    pref = str(preference).strip().lower()
    kind, _, index = pref.partition(":")
    have = available_devices()
    if kind not in DEVICES or (index and (kind != "cuda" or not index.isascii() or not index.isdigit())):
        raise InvalidArgument(
            f"`device` must be auto, cpu, cuda, cuda:N or mps, got {preference!r}; "
            f"this machine has {', '.join(have)}."
        )
    if kind == "cuda" and not torch.cuda.is_available():
        why = "this PyTorch is a CPU build" if torch.version.cuda is None else "no CUDA GPU is visible"
        raise InvalidArgument(
            f"`device` {preference!r} is not available: {why}; this machine has {', '.join(have)}."
        )
    if kind == "cuda" and index and int(index) >= torch.cuda.device_count():
        raise InvalidArgument(
            f"`device` {preference!r} is not available: there are {torch.cuda.device_count()} "
            f"CUDA devices; this machine has {', '.join(have)}."
        )
    if kind == "mps" and "mps" not in have:
        raise InvalidArgument(
            f"`device` {preference!r} is not available (no Apple GPU); this machine has "
            f"{', '.join(have)}."
        )
    return pref


def choose_device(preference: str | None = None) -> str:
    """The device to run on: the preference when given, else CUDA, then MPS, then CPU."""
    pref = check_device(preference) or "auto"
    if pref != "auto":
        return pref
    return "cuda" if torch.cuda.is_available() else available_devices()[0]


@functools.cache
def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 in hardware (AVX512-BF16 or AMX-BF16).

    Reads the flags in /proc/cpuinfo on Linux. Elsewhere it asks oneDNN,
    which also says yes for plain AVX512 (fast conversion, no bf16 dot
    products): a fair guess where the flags cannot be read.
    """
    try:
        found = cpuinfo_has_bf16(Path("/proc/cpuinfo").read_text())
    except OSError:
        found = None
    if found is not None:
        return found
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def cpuinfo_has_bf16(text: str) -> bool | None:
    """Whether /proc/cpuinfo text lists a bf16 instruction set; None when it has no flags line."""
    for line in text.splitlines():
        if line.startswith("flags"):
            return bool(set(line.split(":", 1)[1].split()) & {"avx512_bf16", "amx_bf16"})
    return None


@dataclass(frozen=True)
class SpeedSettings:
    """What `optimize_pipeline` did, recorded so a recipe can say how it ran."""

    device: str
    unet_dtype: str = "float32"
    text_encoder_dtype: str = "float32"
    vae_dtype: str = "float32"
    quantize: str = "none"  # the UNet's linear weights: "none" or "int8"
    compile: bool = False
    deep_cache: int = 1  # full UNet every N steps (1: every step)
    channels_last: bool = False
    tiny_vae: bool = False
    vae_tiling: bool = False
    attention_slicing: bool = False
    threads: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_options(self) -> dict[str, Any]:
        """The settings as plain JSON values, for a recipe's options."""
        return {
            "device": self.device,
            "unet_dtype": self.unet_dtype,
            "text_encoder_dtype": self.text_encoder_dtype,
            "vae_dtype": self.vae_dtype,
            "quantize": self.quantize,
            "compile": self.compile,
            "deep_cache": self.deep_cache,
            "channels_last": self.channels_last,
            "tiny_vae": self.tiny_vae,
            "vae_tiling": self.vae_tiling,
            "attention_slicing": self.attention_slicing,
            "threads": self.threads,
        }


def find_tiny_vae(family: str):
    """The TAESD decoder for a model family from the local HF cache, or None when absent.

    Never downloads. `family` is "sd1", "sd2" or "sdxl".
    """
    if family not in TINY_VAE_REPOS:
        raise InvalidArgument(
            f"`family` must be one of {tuple(TINY_VAE_REPOS)}, got {family!r}."
        )
    try:
        return _load_tiny_vae(TINY_VAE_REPOS[family])
    except ModelNotFound:
        return None


def _load_tiny_vae(ref: str | os.PathLike):
    from diffusers import AutoencoderTiny

    try:
        return AutoencoderTiny.from_pretrained(str(ref), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelNotFound(
            f"Tiny VAE {str(ref)!r} is neither a local folder nor in the Hugging Face cache "
            f"({exc.__class__.__name__}). Get it on a connected machine with "
            f"`hf download {ref}` (or `huggingface-cli download {ref}`), or leave `tiny_vae` unset."
        ) from exc


def _check_inputs(device, threads, width, height, tiny_vae) -> None:
    if device.split(":")[0] not in DEVICES[1:]:
        raise InvalidArgument(f"`device` must be one of {DEVICES[1:]}, got {device!r}.")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise InvalidArgument(f"`threads` must be a positive integer, got {threads!r}.")
    for name, value in (("width", width), ("height", height)):
        if value is not None and (not isinstance(value, int) or value < 8):
            raise InvalidArgument(f"`{name}` must be an integer of at least 8, got {value!r}.")
    if tiny_vae is not None and not isinstance(tiny_vae, (bool, str, os.PathLike, torch.nn.Module)):
        raise InvalidArgument(
            "`tiny_vae` must be a bool, an AutoencoderTiny, a folder or a repo id, "
            f"got {type(tiny_vae).__name__}."
        )


def _cast_tree(value, dtype: torch.dtype):
    if torch.is_tensor(value):
        return value.to(dtype) if value.is_floating_point() else value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_tree(v, dtype) for v in value)
    return value


def _bf16_pre_hook(module, args, kwargs):
    dtype = module.dtype
    # Positionally: (sample, timestep, encoder_hidden_states, ...); the timestep stays.
    args = tuple(_cast_tree(a, dtype) if i in (0, 2) else a for i, a in enumerate(args))
    for name in _ACTIVATION_KWARGS:
        if kwargs.get(name) is not None:
            kwargs[name] = _cast_tree(kwargs[name], dtype)
    return args, kwargs


def _float32_post_hook(module, args, output):
    # The scheduler's arithmetic and the latents stay float32.
    if isinstance(output, tuple):
        return (output[0].float(),) + tuple(output[1:])
    if hasattr(output, "sample"):
        output.sample = output.sample.float()
    return output


def run_unet_in(unet: torch.nn.Module, dtype: torch.dtype) -> None:
    """Put the UNet's weights in `dtype` and cast at its boundary.

    Inputs arrive in the pipeline's float32 and are cast to `dtype`; the
    noise prediction goes back as float32, so latents and scheduler math
    never leave float32. Calling it again replaces the earlier hooks.
    """
    for handle in getattr(unet, "_studiolo_dtype_hooks", ()):
        handle.remove()
    if unet.dtype != dtype:  # (an int8-quantized UNet keeps its weights as they are)
        unet.to(dtype)
    if dtype == torch.float32:
        unet._studiolo_dtype_hooks = ()
        return
    unet._studiolo_dtype_hooks = (
        unet.register_forward_pre_hook(_bf16_pre_hook, with_kwargs=True),
        unet.register_forward_hook(_float32_post_hook),
    )


def _to_float32(value):
    """Floating tensors in `value` (a tensor, tuple, list or model output) as float32."""
    if torch.is_tensor(value):
        return value.float() if value.is_floating_point() else value
    if isinstance(value, (list, tuple)) and not hasattr(value, "keys"):
        return type(value)(_to_float32(v) for v in value)
    if hasattr(value, "keys"):  # transformers ModelOutput / diffusers BaseOutput
        for name in list(value.keys()):
            value[name] = _to_float32(value[name])
    return value


def _inputs_to_module_dtype(module, args, kwargs):
    dtype = next(module.parameters()).dtype
    return _cast_tree(args, dtype), {k: _cast_tree(v, dtype) for k, v in kwargs.items()}


def _outputs_to_float32(module, args, output):
    return _to_float32(output)


def run_part_in(part: torch.nn.Module, dtype: torch.dtype) -> None:
    """Put one block of a float32 model in `dtype`, casting at the block's boundary.

    Its inputs are cast to `dtype` and its outputs back to float32, so what surrounds it
    (a pipeline's latents, a text encoder's embeddings and final norm) never sees the
    other dtype. Calling it again replaces the earlier hooks.
    """
    for handle in getattr(part, "_studiolo_dtype_hooks", ()):
        handle.remove()
    part.to(dtype)
    part._studiolo_dtype_hooks = () if dtype == torch.float32 else (
        part.register_forward_pre_hook(_inputs_to_module_dtype, with_kwargs=True),
        part.register_forward_hook(_outputs_to_float32),
    )


def _dtype_name(modules: list) -> str:
    """"bfloat16" for a module whose first weight is bf16 (what the recipe records)."""
    weight = next((p for m in modules if m is not None for p in m.parameters()), None)
    return "float32" if weight is None else str(weight.dtype).removeprefix("torch.")


def text_encoder_parts(pipe) -> list[torch.nn.Module]:
    """The transformer layers of each text encoder (the embeddings and final norm excluded).

    The embeddings stay float32 so `text_encoder.dtype` (which diffusers uses for the
    prompt embeddings, and through them for the latents) stays float32.
    """
    parts = []
    for name in ("text_encoder", "text_encoder_2"):
        model = getattr(pipe, name, None)
        if model is None:
            continue
        inner = getattr(model, "text_model", model)  # transformers 4.x nests a text_model
        if isinstance(getattr(inner, "encoder", None), torch.nn.Module):
            parts.append(inner.encoder)
    return parts


def optimize_pipeline(
    pipe,
    device: str,
    *,
    bf16: bool | None = None,
    text_encoder_bf16: bool | None = None,
    vae_bf16: bool | None = None,
    channels_last: bool | None = None,
    tiny_vae=None,
    vae_tiling: bool | None = None,
    attention_slicing: bool | None = None,
    threads: int | None = None,
    width: int | None = None,
    height: int | None = None,
) -> SpeedSettings:
    """Move `pipe` to `device` and apply the speed settings that suit it.

    None means "the measured default" (see the module docstring). `tiny_vae`
    is an AutoencoderTiny, or a folder / repo id of TAESD weights loaded
    offline, or True for the family's TAESD from the HF cache (ModelNotFound
    when absent); None or False keeps the full VAE. `width` and `height` are the image
    size, used to decide VAE tiling.
    """
    # 1. Check inputs
    _check_inputs(device, threads, width, height, tiny_vae)
    on_cpu = device.split(":")[0] == "cpu"
    notes: list[str] = []

    # 2. Resolve defaults from the measured rules
    if bf16 is None:
        bf16 = on_cpu and cpu_has_native_bf16()
        if on_cpu and not bf16:
            notes.append("float32 UNet: this CPU has no native bf16")
    if text_encoder_bf16 is None:
        text_encoder_bf16 = on_cpu and cpu_has_native_bf16()
    if vae_bf16 is None:
        vae_bf16 = on_cpu and cpu_has_native_bf16()
    if channels_last is None:
        channels_last = False
    if vae_tiling is None:
        vae_tiling = (width or 0) * (height or 0) > TILING_MIN_PIXELS
    if attention_slicing is None:
        attention_slicing = False

    # 3. Apply
    if threads is not None:
        torch.set_num_threads(threads)
    if tiny_vae is False:
        tiny_vae = None
    if tiny_vae is True:  # the TAESD for this pipeline's family, from the local cache
        family = "sdxl" if getattr(pipe, "text_encoder_2", None) is not None else "sd1"
        tiny_vae = TINY_VAE_REPOS[family]
    if tiny_vae is not None:
        if not isinstance(tiny_vae, torch.nn.Module):
            tiny_vae = _load_tiny_vae(tiny_vae)
        if tiny_vae.dtype != pipe.vae.dtype:  # the dtype the pipeline hands its decoder
            tiny_vae = tiny_vae.to(pipe.vae.dtype)
        pipe.register_modules(vae=tiny_vae)
        notes.append("tiny VAE (TAESD) decode")
    pipe.to(device)
    if on_cpu or bf16:
        # On CUDA/MPS the UNet keeps the dtype it was loaded in (float16) unless bf16 is asked.
        run_unet_in(pipe.unet, torch.bfloat16 if bf16 else torch.float32)
    if on_cpu or text_encoder_bf16:
        for part in text_encoder_parts(pipe):
            run_part_in(part, torch.bfloat16 if text_encoder_bf16 else torch.float32)
    decoder = getattr(pipe.vae, "decoder", None)  # none where another runtime decodes (OpenVINO)
    if isinstance(decoder, torch.nn.Module) and (on_cpu or vae_bf16):
        # The decoder only: the encoder (img2img) and post_quant_conv are tiny next to it.
        run_part_in(decoder, torch.bfloat16 if vae_bf16 else torch.float32)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    for module in (pipe.unet, pipe.vae):
        weight = next((p for p in module.parameters() if p.ndim == 4), None)
        if weight is not None and not weight.is_contiguous(memory_format=layout):
            module.to(memory_format=layout)  # also undoes an earlier channels_last
    if vae_tiling:
        if hasattr(pipe.vae, "enable_tiling"):
            pipe.vae.enable_tiling()
        else:
            vae_tiling = False
            notes.append(f"{type(pipe.vae).__name__} cannot tile")
    elif hasattr(pipe.vae, "disable_tiling"):
        pipe.vae.disable_tiling()
    if attention_slicing:
        pipe.enable_attention_slicing()
    # Off is left as found: disabling would reset custom attention processors.

    return SpeedSettings(
        device=device,
        unet_dtype=str(pipe.unet.dtype).removeprefix("torch."),
        text_encoder_dtype=_dtype_name(text_encoder_parts(pipe)[:1] or [pipe.text_encoder]),
        vae_dtype=_dtype_name([decoder] if isinstance(decoder, torch.nn.Module) else []),
        channels_last=channels_last,
        tiny_vae=tiny_vae is not None,
        vae_tiling=vae_tiling,
        attention_slicing=attention_slicing,
        threads=torch.get_num_threads() if on_cpu else None,
        notes=tuple(notes),
    )
