"""Safe image reading and writing: every bad file gets a precise ImageError."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from studiolo.core.errors import ImageError, InvalidArgument
from studiolo.core.imageio import DEFAULT_MAX_PIXELS, open_image, open_mask, sha256_bytes
from studiolo.core.imagemeta import (
    decode_user_comment,
    encode_jpeg,
    encode_png,
    encode_webp,
    image_info,
    read_text_chunks,
)


def _png(image: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", **kw)
    return buf.getvalue()


def _gradient(w: int = 32, h: int = 24) -> Image.Image:
    a = np.zeros((h, w, 3), np.uint8)
    a[..., 0] = np.arange(w)[None, :] * 8
    a[..., 1] = np.arange(h)[:, None] * 10
    return Image.fromarray(a)


# -- bad input ----------------------------------------------------------------
def test_truncated_png(tmp_path):
    data = _png(Image.effect_noise((64, 64), 50).convert("RGB"))
    path = tmp_path / "half.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"half\.png is truncated or corrupt"):
        open_image(path)
    with pytest.raises(ImageError, match=r"half\.png is truncated or corrupt"):
        read_text_chunks(path)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty\.png is empty \(0 bytes\)"):
        open_image(path)
    with pytest.raises(ImageError, match=r"<image bytes> is empty \(0 bytes\)"):
        open_image(b"")


def _with_ihdr_size(data: bytes, width: int, height: int) -> bytes:
    ihdr = bytearray(data[12:29])  # type + 13 data bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return data[:12] + bytes(ihdr) + crc + data[33:]


def test_decompression_bomb_refused_from_header(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_with_ihdr_size(_png(Image.new("L", (1, 1))), 50000, 50000))
    with pytest.raises(ImageError, match=r"bomb\.png is 50000x50000 \(2500000000 pixels\).*64000000"):
        open_image(path)


def test_bomb_below_pillow_limit_but_above_ours(tmp_path):
    # 9000x9000 = 81 M pixels: Pillow would decode it, our 64 M limit must not.
    data = _with_ihdr_size(_png(Image.new("L", (1, 1))), 9000, 9000)
    with pytest.raises(ImageError, match=r"9000x9000 \(81000000 pixels\), more than the limit"):
        open_image(data, name="big.png")
    with pytest.raises(ImageError, match=r"more than the limit of 100 pixels"):
        open_image(_png(Image.new("RGB", (20, 20))), max_pixels=100)


def test_bomb_in_other_format_caught_from_pillow(tmp_path):
    # A GIF header declaring 65535x65535: Pillow's own bomb check fires on open.
    gif = io.BytesIO()
    Image.new("P", (1, 1)).save(gif, format="GIF")
    data = bytearray(gif.getvalue())
    data[6:10] = struct.pack("<HH", 65535, 65535)
    with pytest.raises(ImageError, match=r"huge\.gif is (too large to open safely|65535x65535)"):
        open_image(bytes(data), name="huge.gif")


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("just some notes, not pixels\n")
    with pytest.raises(ImageError, match=r"notes\.png is not an image Pillow can read"):
        open_image(path)


def test_unknown_formats(tmp_path):
    tga = io.BytesIO()
    Image.new("RGB", (4, 4)).save(tga, format="TGA")
    path = tmp_path / "a.tga"
    path.write_bytes(tga.getvalue())
    with pytest.raises(ImageError, match=r"a\.tga is not an image Pillow can read \(it is a TGA image"):
        open_image(path)
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes(range(7, 250)) * 3)
    with pytest.raises(ImageError, match=r"noise\.bin is not an image Pillow can read; studiolo reads PNG"):
        open_image(noise)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ImageError, match=r"nope\.png does not exist"):
        open_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match=r"is a directory, not an image file"):
        open_image(tmp_path)


def test_bad_arguments():
    with pytest.raises(InvalidArgument, match=r"`mode` must be one of .* got 'CMYK'"):
        open_image(b"x", mode="CMYK")
    with pytest.raises(InvalidArgument, match=r"`max_pixels` must be a positive integer, got 0"):
        open_image(b"x", max_pixels=0)
    with pytest.raises(InvalidArgument, match=r"`source` must be a path or bytes, got int"):
        open_image(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"`size` must be \(width, height\).*got \(0, 4\)"):
        open_mask(b"x", (0, 4))
    with pytest.raises(InvalidArgument, match=r"`quality` must be an integer from 1 to 100, got 0"):
        encode_jpeg(Image.new("RGB", (4, 4)), quality=0)
    with pytest.raises(InvalidArgument, match=r"`text` must map str to str"):
        encode_png(Image.new("RGB", (4, 4)), {"parameters": 3})  # type: ignore[dict-item]


def test_default_limit_is_8000_squared():
    assert DEFAULT_MAX_PIXELS == 64_000_000 >= 8000 * 8000


# -- conversions --------------------------------------------------------------
def test_cmyk_jpeg_to_rgb():
    buf = io.BytesIO()
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(buf, format="JPEG", quality=100)
    im = open_image(buf.getvalue())
    assert im.mode == "RGB"
    r, g, b = im.getpixel((8, 8))
    assert r > 230 and g < 30 and b < 30  # cyan 0, magenta+yellow full = red


def test_16bit_png_scaled_not_clipped():
    values = np.array([[0, 32768, 65535, 257]], dtype=np.uint16)
    data = _png(Image.fromarray(values))
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    im = open_image(data, mode="L")
    assert list(np.asarray(im)[0]) == [0, 128, 255, 1]
    rgb = open_image(data)
    assert rgb.getpixel((1, 0)) == (128, 128, 128)


def test_rgba_composited_over_white_or_kept():
    a = np.zeros((4, 4, 4), np.uint8)
    a[..., 0] = 255
    a[0, 0, 3] = 0  # transparent red -> white
    a[1, 1, 3] = 128  # half red over white
    a[2, 2, 3] = 255
    data = _png(Image.fromarray(a))
    rgb = open_image(data)
    assert rgb.mode == "RGB"
    assert rgb.getpixel((0, 0)) == (255, 255, 255)
    assert rgb.getpixel((2, 2)) == (255, 0, 0)
    r, g, b = rgb.getpixel((1, 1))
    assert r == 255 and 120 <= g <= 135 and g == b
    kept = open_image(data, mode="RGBA")
    assert kept.getpixel((0, 0)) == (255, 0, 0, 0)


def test_la_palette_and_bilevel():
    la = Image.new("LA", (2, 2), (0, 0))
    assert open_image(_png(la)).getpixel((0, 0)) == (255, 255, 255)
    pal = Image.new("P", (2, 2), 1)
    pal.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    assert open_image(_png(pal)).getpixel((1, 1)) == (10, 200, 30)
    pal_t = pal.copy()
    assert open_image(_png(pal_t, transparency=1)).getpixel((0, 0)) == (255, 255, 255)
    bits = Image.new("1", (3, 3), 1)
    assert open_image(_png(bits)).getpixel((2, 2)) == (255, 255, 255)
    gif = io.BytesIO()
    pal.save(gif, format="GIF")
    assert open_image(gif.getvalue()).getpixel((0, 1)) == (10, 200, 30)


def test_exif_orientation_6_is_rotated():
    src = _gradient(32, 16)  # wide, red grows to the right
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    buf = io.BytesIO()
    src.save(buf, format="JPEG", quality=100, exif=exif.tobytes())
    im = open_image(buf.getvalue())
    assert im.size == (16, 32)
    # After a clockwise turn the left column of the source is on top.
    assert im.getpixel((8, 0))[0] < 40 and im.getpixel((8, 31))[0] > 200


def test_open_image_detached_and_mask(tmp_path):
    path = tmp_path / "m.png"
    mask = Image.new("L", (8, 8), 0)
    mask.paste(255, (0, 0, 4, 8))
    path.write_bytes(_png(mask))
    im = open_image(path)
    path.unlink()  # the returned image must not need the file any more
    assert im.getpixel((0, 0)) == (255, 255, 255)
    path.write_bytes(_png(mask))
    m = open_mask(path, (16, 4))
    assert m.mode == "L" and m.size == (16, 4)
    assert set(np.unique(np.asarray(m))) == {0, 255}  # NEAREST keeps it hard
    assert m.getpixel((7, 2)) == 255 and m.getpixel((8, 2)) == 0


# -- metadata -----------------------------------------------------------------
def test_png_text_roundtrip_latin1_and_unicode():
    data = encode_png(_gradient(), {"parameters": "café, Steps: 3", "note": "夜の庭 ✓"})
    assert b"tEXtparameters" in data and b"iTXtnote" in data
    assert read_text_chunks(data) == {"parameters": "café, Steps: 3", "note": "夜の庭 ✓"}
    info = image_info(data)
    assert info == {
        "format": "PNG", "width": 32, "height": 24, "mode": "RGB",
        "text": {"parameters": "café, Steps: 3", "note": "夜の庭 ✓"},
    }


def test_png_ztxt_and_chunks_after_idat():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("prompt", '{"3": {}}', zip=True)
    data = _png(_gradient(), pnginfo=info)
    # Move a tEXt chunk after IDAT, where Pillow only looks after decoding.
    extra = b"workflow\x00{}"
    chunk = struct.pack(">I", len(extra)) + b"tEXt" + extra + struct.pack(">I", zlib.crc32(b"tEXt" + extra))
    iend = data.rindex(b"IEND") - 4
    data = data[:iend] + chunk + data[iend:]
    assert read_text_chunks(data) == {"prompt": '{"3": {}}', "workflow": "{}"}


def _exif_user_comment(payload: bytes, little_endian: bool) -> bytes:
    """A hand-built TIFF/EXIF blob: IFD0 -> ExifIFD -> UserComment, as piexif lays it out."""
    e = "<" if little_endian else ">"
    head = (b"II" if little_endian else b"MM") + struct.pack(e + "HI", 42, 8)
    ifd0 = struct.pack(e + "H", 1) + struct.pack(e + "HHII", 0x8769, 4, 1, 26) + struct.pack(e + "I", 0)
    exif_ifd = struct.pack(e + "H", 1) + struct.pack(e + "HHII", 0x9286, 7, len(payload), 44)
    exif_ifd += struct.pack(e + "I", 0)
    return b"Exif\x00\x00" + head + ifd0 + exif_ifd + payload


@pytest.mark.parametrize("little_endian", [False, True])
@pytest.mark.parametrize("codec", ["utf-16-be", "utf-16-le"])
def test_jpeg_user_comment_both_endiannesses(little_endian, codec):
    text = "a cat, 猫\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5"
    blob = _exif_user_comment(b"UNICODE\x00" + text.encode(codec), little_endian)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="JPEG", exif=blob)
    assert read_text_chunks(buf.getvalue())["parameters"] == text


def test_user_comment_headers():
    assert decode_user_comment(b"ASCII\x00\x00\x00Steps: 4") == "Steps: 4"
    assert decode_user_comment(b"UNICODE\x00" + "hé".encode("utf-16-be")) == "hé"
    assert decode_user_comment(b"UNICODE\x00\xff\xfe" + "x, y".encode("utf-16-le")) == "x, y"
    assert decode_user_comment(b"\x00" * 8 + b"plain") == "plain"


@pytest.mark.parametrize("encode", [encode_jpeg, encode_webp])
def test_encode_with_comment_roundtrip(encode):
    comment = "portrait, «lumière»\nSteps: 20, Seed: 7, Size: 32x24"
    data = encode(_gradient(), comment=comment)
    exif = Image.open(io.BytesIO(data)).getexif().get_ifd(0x8769)
    assert exif[0x9286][:8] == b"UNICODE\x00"
    assert exif[0x9286][8:].decode("utf-16-be") == comment
    assert read_text_chunks(data) == {"parameters": comment}
    back = open_image(data)
    assert back.size == (32, 24)
    diff = np.abs(np.asarray(back, np.int16) - np.asarray(_gradient(), np.int16))
    assert diff.mean() < 4


def test_encode_png_deterministic_and_sha():
    a = encode_png(_gradient(), {"parameters": "x"})
    assert a == encode_png(_gradient(), {"parameters": "x"})
    assert sha256_bytes(a) == __import__("hashlib").sha256(a).hexdigest()
    assert len(sha256_bytes(b"")) == 64
    assert sha256_bytes(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
