"""Opt-in speed-ups that change a model's code or weights: int8 weights and torch.compile.

Each returns what it actually did, so the caller records what ran; an option this
install cannot do (no torchao, no C compiler for inductor) is a `SpeedWarning`
sentence and the run goes on without it. The figures behind the defaults are in
the docstring of benchmarks/diffusion_cpu.py.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from studiolo.core.errors import StudioloWarning


class SpeedWarning(StudioloWarning):
    """A speed option that was asked for could not be used; the run went on without it."""


def torchao_available() -> bool:
    try:
        import torchao.quantization  # noqa: F401
    except ImportError:
        return False
    return True


def quantize_int8(module: Any) -> bool:
    """Store the weights of `module`'s linear layers in int8 (torchao, weight-only).

    Activations stay in the module's dtype; each int8 weight is scaled back per output
    channel inside the matmul. True when done; False, with a SpeedWarning, when torchao
    is not installed.
    """
    if not torchao_available():
        warnings.warn(SpeedWarning(
            "int8 quantization needs torchao, which is not installed (pip install "
            "'studiolo[int8]'); this run keeps the UNet's own weights."), stacklevel=2)
        return False
    from torchao.quantization import Int8WeightOnlyConfig, quantize_

    quantize_(module, Int8WeightOnlyConfig())
    return True


def compile_cache(folder: Path) -> Path:
    """Point inductor's on-disk caches (FX graphs, autotuning, kernels) at `folder`.

    A second process then loads the compiled kernels instead of compiling again. The
    environment is read when inductor compiles, and an earlier setting wins.
    """
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(folder))
    os.environ.setdefault("TORCHINDUCTOR_FX_GRAPH_CACHE", "1")
    os.environ.setdefault("TORCHINDUCTOR_AUTOGRAD_CACHE", "1")
    return Path(os.environ["TORCHINDUCTOR_CACHE_DIR"])


def can_compile() -> str | None:
    """None when inductor can build CPU kernels here, else why not (one sentence)."""
    import shutil

    import torch

    if not hasattr(torch, "compile"):
        return f"torch {torch.__version__} has no torch.compile"
    if not (shutil.which(os.environ.get("CXX", "g++")) or shutil.which("c++") or shutil.which("clang++")):
        return "inductor needs a C++ compiler (g++ or clang++), and none is on the PATH"
    return None


def compile_modules(modules: list[Any], cache: Path) -> bool:
    """`module.compile()` (inductor) for each module, with the kernel cache in `cache`.

    Compiling happens on the first call with each input shape, in that call. False, with
    a SpeedWarning, where inductor cannot run.
    """
    why = can_compile()
    if why:
        warnings.warn(SpeedWarning(f"torch.compile is off for this run: {why}."), stacklevel=2)
        return False
    compile_cache(cache)
    for module in modules:
        module.compile()
    return True
