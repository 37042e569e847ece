"""Taste codes: a profile as a short text to share, like Midjourney's `--p` codes.

A code is "stv1-" and the base64url (no padding) of, in order:

    1 byte   format version (1)
    1 byte   embedder: 1 = "lite0-v1"; 0 = named next (1 byte length, ASCII)
    2 bytes  pairs the profile was fitted on (big-endian, capped at 65535)
    1 byte   held-out accuracy in percent (255: not measured)
    1 byte   k, the number of weights
    2 bytes  weight scale (float16): the largest |weight|
    2 bytes  posterior std of a weight (float16, the root mean of the diagonal)
    2 bytes  fingerprint of the reference paintings the reduced space was built on
    k bytes  weights, int8, weight = q / 127 * scale
    2 bytes  the low 16 bits of the CRC-32 of everything before

The weights live in the embedder's reduced space, whose projection every
studiolo computes the same way from the same bundled paintings (the "projection
reference" is the embedder id, checked by the paintings' fingerprint): ~87
characters for the default embedder. An imported profile predicts like the
original within the 8-bit quantisation (utilities within ~1% of their spread)
and keeps only an isotropic posterior.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from studiolo.capabilities.taste.model import TasteModel
from studiolo.capabilities.taste.profile import TasteProfile, save_profile
from studiolo.core.errors import InvalidArgument
from studiolo.core.maker import Maker
from studiolo.features.embed import get_embedder

PREFIX = "stv"
VERSION = 1
EMBEDDER_CODES = {1: "lite0-v1"}
_HEAD = struct.Struct(">HBBeeH")  # pairs, accuracy, k, scale, posterior std, reference
_CODE = re.compile(r"stv(\d+)-([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class CodeContents:
    """What a taste code holds."""

    embedder: str
    weights: np.ndarray
    posterior_std: float
    n_pairs: int
    accuracy: float | None
    reference: int  # `Space.fingerprint` of the space the weights live in


def export_code(profile: TasteProfile) -> str:
    """The taste code of a profile (builds its embedder's space if this process has not)."""
    weights = np.asarray(profile.model.weights, dtype=np.float64)
    if weights.ndim != 1 or not 0 < len(weights) < 256:
        raise InvalidArgument(f"A taste code holds 1 to 255 weights, this profile has "
                              f"{weights.size}.")
    scale = float(np.abs(weights).max(initial=0.0))
    scale16 = float(np.float16(scale))
    if scale16 < scale:  # round the scale up so no weight saturates
        scale16 = float(np.nextafter(np.float16(scale), np.float16(np.inf)))
    q = np.zeros(len(weights), np.int8) if scale16 == 0 else np.clip(
        np.round(weights / scale16 * 127), -127, 127).astype(np.int8)
    std = float(np.sqrt(max(float(np.mean(np.diag(profile.model.covariance))), 0.0)))
    code = next((c for c, name in EMBEDDER_CODES.items() if name == profile.embedder), 0)
    emb = bytes([code]) if code else bytes([0, len(profile.embedder)]) + _ascii(profile.embedder)
    accuracy = 255 if profile.accuracy is None else round(profile.accuracy * 100)
    body = (bytes([VERSION]) + emb
            + _HEAD.pack(min(profile.n_pairs, 65535), accuracy, len(q), scale16,
                         min(std, 65000.0), _fingerprint(profile.embedder, profile.home))
            + q.tobytes())
    body += struct.pack(">H", zlib.crc32(body) & 0xFFFF)
    return f"{PREFIX}{VERSION}-" + base64.urlsafe_b64encode(body).decode().rstrip("=")


def _fingerprint(embedder: str, home: Any) -> int:
    return get_embedder(embedder).space(home).fingerprint


def _ascii(name: str) -> bytes:
    data = name.encode("ascii", "replace")
    if len(data) > 255:
        raise InvalidArgument(f"The embedder id is too long for a taste code: {name[:40]!r}...")
    return data


def _damaged(why: str) -> InvalidArgument:
    return InvalidArgument(f"This taste code is damaged ({why}); copy the whole code again.")


def parse_code(code: str) -> CodeContents:
    """Read a taste code; a clear error for another version or a damaged code."""
    if not isinstance(code, str):
        raise InvalidArgument(f"A taste code must be text, got {type(code).__name__}.")
    text = "".join(code.split())
    found = _CODE.fullmatch(text)
    if found is None:
        shown = text if len(text) <= 24 else text[:21] + "..."
        raise InvalidArgument(f"Not a taste code: it should look like 'stv1-...', got {shown!r}.")
    if int(found.group(1)) != VERSION:
        raise InvalidArgument(
            f"This is a version {found.group(1)} taste code; this studiolo reads version "
            f"{VERSION} codes: export it again from a studiolo of the same version."
        )
    try:
        data = base64.urlsafe_b64decode(found.group(2) + "=" * (-len(found.group(2)) % 4))
    except (binascii.Error, ValueError):
        raise _damaged("not base64") from None
    if len(data) < 3 or struct.unpack(">H", data[-2:])[0] != zlib.crc32(data[:-2]) & 0xFFFF:
        raise _damaged("checksum does not match")
    body = data[:-2]
    if body[0] != VERSION:
        raise _damaged(f"it says format {body[0]} inside a version {VERSION} code")
    pos = 2
    if body[1]:
        embedder = EMBEDDER_CODES.get(body[1])
        if embedder is None:
            raise InvalidArgument(f"This taste code uses embedder number {body[1]}, which this "
                                  "studiolo does not know: upgrade studiolo.")
    else:
        length = body[2]
        embedder = body[3:3 + length].decode("ascii", "replace")
        pos = 3 + length
    try:
        pairs, accuracy, k, scale, std, reference = _HEAD.unpack_from(body, pos)
    except struct.error:
        raise _damaged("too short") from None
    q = np.frombuffer(body[pos + _HEAD.size:], dtype=np.int8)
    if len(q) != k or not (np.isfinite(scale) and np.isfinite(std)):
        raise _damaged(f"{len(q)} weights where it says {k}")
    return CodeContents(embedder, q.astype(np.float64) / 127 * float(scale), float(std),
                        int(pairs), None if accuracy == 255 else accuracy / 100, int(reference))


def profile_from_code(code: str, person: str, name: str, *, home: Any = None) -> TasteProfile:
    """An (unsaved) profile from a taste code; checks its embedder is usable here."""
    contents = parse_code(code)
    embedder = get_embedder(contents.embedder)
    if embedder.reduced_size != len(contents.weights):
        raise InvalidArgument(
            f"This taste code has {len(contents.weights)} weights but embedder "
            f"{contents.embedder!r} here has {embedder.reduced_size}: it was made by another "
            "studiolo version."
        )
    if _fingerprint(embedder.id, home) != contents.reference:
        raise InvalidArgument(
            "This taste code was made on another set of reference paintings (another studiolo "
            "version), so its weights would mean something else here: export it again from a "
            "studiolo of the same version."
        )
    k = len(contents.weights)
    var = max(contents.posterior_std, 1e-6) ** 2
    model = TasteModel(contents.weights, np.eye(k) * var, 1.0 / var, contents.n_pairs)
    return TasteProfile(person, name, model, embedder.id, contents.n_pairs, contents.accuracy,
                        home=home)


def import_code(studio: Maker, code: str, name: str, *, person: str | None = None) -> TasteProfile:
    """Save a taste code as the profile `name` of `person` (a new version if it exists)."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(f"`name` must be a non-empty profile name, got {name!r}.")
    profile = profile_from_code(code, person or studio.settings.person, name.strip(),
                                home=studio.settings.home)
    return replace(profile, version=save_profile(studio, profile))
