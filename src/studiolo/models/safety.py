"""Weights files are checked by their content before anything loads them.

A pickle (what `torch.save` writes, and what `.ckpt` / `.bin` / `.pt` files
are) runs code when it is unpickled, so studiolo loads only safetensors and
ONNX. A renamed pickle is recognised by its first bytes, not its extension.

safetensors layout: 8 bytes little-endian header length N, N bytes of JSON
(`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`),
then the tensor data; offsets are relative to the end of the header.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from studiolo.core.errors import UnsafeModelFile

# Suffixes of files that hold weights; the pickle ones are refused.
PICKLE_SUFFIXES = frozenset({".bin", ".ckpt", ".pt", ".pth", ".pkl", ".pickle"})
SAFE_SUFFIXES = frozenset({".safetensors", ".onnx"})
WEIGHT_SUFFIXES = PICKLE_SUFFIXES | SAFE_SUFFIXES

# Real headers are a few MB at most (tens of thousands of tensors); a bigger
# length means the file is not safetensors, and we must not allocate for it.
MAX_HEADER_BYTES = 100 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"

_CONVERT_HINT = (
    "Convert it with `python -c \"import torch, safetensors.torch as st; "
    "st.save_file(torch.load('IN', weights_only=True), 'OUT.safetensors')\"` on a machine "
    "you trust, or get a .safetensors version"
)


def _looks_like_pickle(head: bytes) -> bool:
    # torch.save writes a zip (new format) or a raw pickle (legacy); pickle
    # protocols 2-5 start with PROTO (0x80) then the protocol number.
    if head.startswith(_ZIP_MAGIC):
        return True
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _pickle_error(path: Path) -> UnsafeModelFile:
    return UnsafeModelFile(
        f"{path} is a pickle file posing as safetensors; studiolo loads only safetensors "
        f"and ONNX. {_CONVERT_HINT}."
    )


def read_safetensors_header(path: str | Path) -> dict[str, Any]:
    """The parsed JSON header of a safetensors file, after checking that it is one."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
            if _looks_like_pickle(head):
                raise _pickle_error(path)
            if len(head) < 8:
                raise UnsafeModelFile(
                    f"{path} is not a safetensors file: it has {size} bytes, fewer than the "
                    "8-byte header length."
                )
            (length,) = struct.unpack("<Q", head)
            if length < 2 or length > MAX_HEADER_BYTES or 8 + length > size:
                raise UnsafeModelFile(
                    f"{path} is not a valid safetensors file: its header claims {length} bytes "
                    f"but the file has {size} bytes (truncated or not safetensors)."
                )
            raw = fh.read(length)
    except OSError as exc:
        raise UnsafeModelFile(f"{path} cannot be read: {exc.strerror or exc}.") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UnsafeModelFile(
            f"{path} is not a valid safetensors file: its header is not JSON."
        ) from None
    if not isinstance(header, dict):
        raise UnsafeModelFile(f"{path} is not a valid safetensors file: its header is not an object.")
    data_size = size - 8 - length
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= data_size
        ):
            raise UnsafeModelFile(
                f"{path} is truncated or corrupt: tensor {name!r} has offsets {offsets} outside "
                f"its {data_size} data bytes."
            )
    return header


def _check_onnx(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(2)
    if _looks_like_pickle(head + b"\x00"):
        raise _pickle_error(path)
    # An ONNX ModelProto starts with field 1 (ir_version, varint): tag byte 0x08.
    if not head or head[0] != 0x08:
        raise UnsafeModelFile(f"{path} is not an ONNX model: it does not start like one.")


def check_weights_file(path: str | Path) -> None:
    """Raise `UnsafeModelFile` unless `path` is a well-formed safetensors (or .onnx) file."""
    path = Path(path)
    if not path.is_file():
        raise UnsafeModelFile(f"{path} is not a file.")
    if path.suffix.lower() == ".onnx":
        _check_onnx(path)
        return
    if path.suffix.lower() in PICKLE_SUFFIXES:
        # A real safetensors file under a pickle name is fine; anything else is refused.
        with path.open("rb") as fh:
            if _looks_like_pickle(fh.read(2)):
                raise UnsafeModelFile(
                    f"{path} is a pickle file; studiolo loads only safetensors and ONNX. "
                    f"{_CONVERT_HINT}."
                )
    read_safetensors_header(path)


def read_safetensors_metadata(path: str | Path) -> dict[str, str]:
    """The `__metadata__` of a safetensors file (modelspec.*, kohya ss_* keys); {} if none."""
    meta = read_safetensors_header(path).get("__metadata__") or {}
    return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}


def safetensors_keys(path: str | Path) -> list[str]:
    """The tensor names of a safetensors file, read from its header only."""
    return [k for k in read_safetensors_header(path) if k != "__metadata__"]


def weight_files(folder: str | Path) -> list[Path]:
    """Every weights file under `folder` (any format), sorted by relative path."""
    folder = Path(folder)
    found = [p for p in folder.rglob("*") if p.suffix.lower() in WEIGHT_SUFFIXES and p.is_file()]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def check_model_folder(folder: str | Path) -> list[Path]:
    """Check every safe weights file of a model folder; refuse folders with only pickles.

    A component folder (unet/, vae/, ...) may hold both `.bin` and `.safetensors`
    (hub repos often do): diffusers then reads the safetensors, so that is fine.
    A component with only pickle weights is refused. Returns the safe files.
    """
    folder = Path(folder)
    files = weight_files(folder)
    by_dir: dict[Path, list[Path]] = {}
    for f in files:
        by_dir.setdefault(f.parent, []).append(f)
    safe: list[Path] = []
    for parent, group in by_dir.items():
        good = [f for f in group if f.suffix.lower() in SAFE_SUFFIXES]
        if not good:
            names = ", ".join(f.name for f in group)
            raise UnsafeModelFile(
                f"{parent} holds only pickle weights ({names}); studiolo loads only safetensors "
                f"and ONNX. {_CONVERT_HINT}."
            )
        for f in good:
            check_weights_file(f)
        safe.extend(good)
    return safe
