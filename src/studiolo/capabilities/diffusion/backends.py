"""Which runtime runs the diffusion engine's networks: torch (the default) or OpenVINO.

`backend` (a recipe option, `--backend` on the command line):

- "torch" (what unset means): the diffusers model in PyTorch, with the speed
  settings of `speed.py`.
- "openvino": the UNet, text encoder and VAE decoder converted to OpenVINO
  and compiled for the CPU (`openvino_backend.py`). Without the `openvino`
  package (the extra `fast`) this is an error, in one sentence.
- "auto": OpenVINO when the package is installed and the device is the CPU,
  else torch: the documented fallback, with no error.

The backend and the OpenVINO precision that ran go into the recipe's speed
record; a rerun of the recipe on the same kind of device uses them again, so
it makes the same pixels (an OpenVINO recipe on a machine without OpenVINO
is the same one-sentence error, not a silent switch to other pixels).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from studiolo.core.errors import InvalidArgument, ModelError

BACKENDS = ("torch", "openvino", "auto")
DEFAULT_BACKEND = "torch"
BACKEND_HELP = ("torch, or openvino for the UNet, text encoder and VAE decoder on the CPU; "
                "auto = openvino when installed, else torch [default: torch]")
PRECISION_HELP = "OpenVINO inference precision [default: bf16 where the CPU has it, else f32]"
MISSING = ("The OpenVINO backend needs the `openvino` package, which is not installed: "
           "run `pip install 'studiolo[fast]'` or use `--backend torch`.")


def import_openvino() -> Any:
    """The `openvino` module, or None when it cannot be imported."""
    try:
        import openvino
    except ImportError:
        return None
    return openvino


def default_precision() -> str:
    """"bf16" where OpenVINO's CPU plugin computes bf16 natively, else "f32"."""
    from studiolo.features.onnx_runtime import cpu_has_bf16

    if import_openvino() is None:
        raise ModelError(MISSING)
    return "bf16" if cpu_has_bf16() else "f32"


def choose(options: Any, device: str) -> tuple[str, str | None]:
    """(backend, precision) of a run: the option, else the recipe's record, else the default."""
    kind = device.split(":")[0].lower()
    record = options.speed
    if record is not None and record.device.split(":")[0].lower() != kind:
        record = None
    asked = options.backend or (record.backend if record is not None else None) or DEFAULT_BACKEND
    if asked == "openvino" and kind != "cpu":
        raise InvalidArgument(f"The OpenVINO backend runs on the CPU, not on {device!r}: "
                              "use `--device cpu` or `--backend torch`.")
    if asked == "torch" or kind != "cpu":
        return "torch", None
    if import_openvino() is None:
        if asked == "openvino":
            raise ModelError(MISSING)
        return "torch", None  # "auto" without the package
    precision = options.openvino_precision or (record.precision if record is not None else None)
    return "openvino", precision or default_precision()


def cache_folder(settings: Any, model_hash: str | None, model_path: Any, precision: str) -> Path:
    """Where one model's IR lives: STUDIOLO_HOME/cache/openvino/<weights' sha256>/<precision>."""
    # Without a content hash the folder's path stands in.
    key = model_hash or "path-" + hashlib.sha256(str(model_path).encode()).hexdigest()[:32]
    return Path(settings.home) / "cache" / "openvino" / key / precision


def install(pipe: Any, backend: tuple[str, str | None], settings: Any, model_hash: str | None,
            model_path: Any) -> dict[str, bool] | None:
    """Put `backend`'s networks into a freshly loaded `pipe` (nothing to do for torch)."""
    name, precision = backend
    if name == "torch":
        return None
    from studiolo.capabilities.diffusion.openvino_backend import install_openvino

    return install_openvino(pipe, cache_folder(settings, model_hash, model_path, precision), precision)


def check_request(backend: tuple[str, str | None], loras: Any) -> None:
    """One sentence for what the OpenVINO backend cannot run."""
    if backend[0] == "openvino" and loras:
        raise InvalidArgument("LoRAs cannot run on the OpenVINO backend (its weights are converted "
                              "without them): use `--backend torch`.")


def record(speed: Any, backend: tuple[str, str | None]) -> dict[str, Any]:
    """The speed record a recipe keeps: the settings used, the backend and its precision."""
    return {**speed.as_options(), "backend": backend[0], "precision": backend[1]}
