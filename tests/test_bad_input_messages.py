"""The exact sentence each bad input of the taste, training and web issues gets.

Other tests check that these cases are refused (and that nothing is lost); these
pin the whole message a person reads, so a change of wording is a decision.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib

import pytest
from PIL import Image

from studiolo.capabilities.taste.codes import parse_code
from studiolo.core.errors import InvalidArgument
from studiolo.features.training_data import TrainingDataWarning, load_training_folder
from studiolo.web.uploads import size_words

fastapi = pytest.importorskip("fastapi")
pytest.importorskip("argon2")

from fastapi.testclient import TestClient
from web_helpers import OWNER, login, make_studio

from studiolo.web.app import create_app


def png(size: tuple[int, int] = (32, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


def bomb() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


# -- training folders --------------------------------------------------------------------------
def test_training_folder_messages(tmp_path):
    with pytest.raises(InvalidArgument) as missing:
        load_training_folder(tmp_path / "nope", size=32)
    assert str(missing.value) == f"Training folder {tmp_path / 'nope'} does not exist."
    with pytest.raises(InvalidArgument) as empty:
        load_training_folder(tmp_path, size=32)
    assert str(empty.value) == (f"Training folder {tmp_path} has no images (.png, .jpg, .jpeg, "
                                ".webp, .bmp, .tif, .tiff, .gif).")
    (tmp_path / "c.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")  # a corrupt picture
    with warnings.catch_warnings(record=True) as caught, pytest.raises(InvalidArgument) as none:
        warnings.simplefilter("always")
        load_training_folder(tmp_path, size=32)
    assert [str(w.message) for w in caught if w.category is TrainingDataWarning] == [
        "Skipped c.png: c.png is truncated or corrupt: Truncated File Read."]
    assert str(none.value) == (f"Training folder {tmp_path} has 0 usable images; at least 1 are "
                               "needed (skipped: c.png: c.png is truncated or corrupt: Truncated "
                               "File Read.).")


# -- taste codes --------------------------------------------------------------------------------
@pytest.mark.parametrize("code, message", [
    ("stv2-AQEAGWAvPgNCAfsK", ("This is a version 2 taste code; this studiolo reads version 1 "
                              "codes: export it again from a studiolo of the same version.")),
    ("stv1-AQEAGWAvPgNCAfsKxx", ("This taste code is damaged (checksum does not match); copy the "
                                "whole code again.")),
])
def test_taste_code_messages(code, message):
    with pytest.raises(InvalidArgument) as info:
        parse_code(code)
    assert str(info.value) == message


# -- the web studio -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(tmp_path_factory):
    studio = make_studio(tmp_path_factory.mktemp("bad-input") / "studio")
    with TestClient(create_app(studio, upload_limit=2000)) as client:
        login(client, OWNER)
        yield client


@pytest.mark.parametrize("name, data, message", [
    ("photo.png", b"#!/bin/sh\necho hi\n",
     ("The uploaded file is not an image Pillow can read; studiolo reads PNG, JPEG, WEBP, GIF, "
     "BMP, TIFF.")),
    ("a.png", b"", "The upload is empty (0 bytes); choose an image file."),
    ("bomb.png", bomb(),
     ("The uploaded file is 100000x100000 (10000000000 pixels), more than the limit of 40000000 "
     "pixels; refusing it as a possible decompression bomb.")),
    ("big.png", png((200, 200)) + b"\0" * 5000,
     ("The upload is larger than the limit of 2 KB; send a smaller image (or start the server "
     "with a larger --upload-limit).")),
    ("cut.png", png()[:40], "The uploaded file is truncated or corrupt: its header cannot be read."),
])
def test_upload_messages(client, name, data, message):
    reply = client.post("/api/uploads", files={"file": (name, data, "image/png")})
    assert reply.status_code == (413 if name == "big.png" else 422)
    assert reply.json() == {"error": message}


@pytest.mark.parametrize("method, path, body, status, message", [
    ("post", "/api/create", {"prompt": "", "engine": "painter"}, 400,
     "`prompt` is empty: describe the picture to make."),
    ("post", "/api/create", {"prompt": "x", "engine": "painter", "width": 100000}, 422,
     "`width` is invalid: Input should be less than or equal to 2048, got 100000."),
    ("get", "/api/artworks?limit=0", None, 422,
     "`limit` is invalid: Input should be greater than or equal to 1, got '0'."),
    ("get", "/api/artworks?board=abc", None, 400,
     "A board id is a positive whole number, got 'abc'; GET /api/boards lists yours."),
    ("get", "/api/artworks/zz", None, 400,
     "`id_or_prefix` must be hex digits (an artwork id or its start), got 'zz'."),
    ("get", f"/api/artworks/{'0' * 64}", None, 404, f"Unknown artwork '{'0' * 64}'."),
])
def test_api_messages(client, method, path, body, status, message):
    reply = getattr(client, method)(path, **({"json": body} if body is not None else {}))
    assert reply.status_code == status and reply.json() == {"error": message}


def test_size_words():
    assert [size_words(n) for n in (900, 2000, 1 << 20, 25 << 20, 3 << 19)] == [
        "900 bytes", "2 KB", "1 MB", "25 MB", "1.5 MB"]
