"""Reading scans and masks: every awkward input accepted with its note, or refused with its sentence."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from studiolo.capabilities.restore import api
from studiolo.capabilities.restore.inputs import read_mask, read_scan
from studiolo.core.errors import ImageError, InvalidArgument, StudioloError

from .conftest import painting


def _png(array: np.ndarray, path, mode: str | None = None):
    Image.fromarray(array, mode).save(path)
    return path


def test_grayscale_scan_is_read_as_grey_and_said(tmp_path):
    grey = painting(side=96)[..., 1]
    scan = read_scan(_png(grey, tmp_path / "grey.png"))
    assert scan.grayscale and scan.pixels.shape == (*grey.shape, 3)
    assert (scan.pixels[..., 0] == scan.pixels[..., 2]).all()
    assert scan.notes == (("grey.png is a grayscale scan: it is analysed as grey, and colour "
                          "correction leaves it grey."),)


@pytest.mark.parametrize("ext", ["png", "tif"])
def test_16_bit_colour_scans_are_read_at_8_bits_and_said(tmp_path, ext):
    rgb = painting(side=64)
    sixteen = rgb.astype(np.uint16) * 257
    path = tmp_path / f"deep.{ext}"
    cv2.imwrite(str(path), sixteen[..., ::-1])
    scan = read_scan(path)
    assert scan.bits == 16
    assert np.abs(scan.pixels.astype(int) - rgb).max() <= 1
    assert scan.notes == ((f"deep.{ext} has 16 bits per channel: it is analysed and restored at 8 "
                          "bits per channel."),)


def test_16_bit_grayscale_png(tmp_path):
    grey = (np.linspace(0, 65535, 40 * 30).reshape(30, 40)).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "g16.png"), grey)
    scan = read_scan(tmp_path / "g16.png")
    assert scan.grayscale and scan.bits == 16 and len(scan.notes) == 2
    assert scan.pixels[0, 0, 0] == 0 and scan.pixels[-1, -1, 0] == 255


def test_alpha_is_laid_over_white_and_left_out_of_the_maps(tmp_path):
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[..., :3] = 40
    rgba[:, :32, 3] = 255  # left half opaque dark, right half transparent
    result = api.damage(_png(rgba, tmp_path / "cut.png", "RGBA"))
    assert result.notes[0] == ("cut.png has an alpha channel: transparent parts were laid over "
                               "white and are left out of the damage maps.")
    scan = read_scan(tmp_path / "cut.png")
    assert (scan.pixels[:, 40:] == 255).all() and (scan.pixels[:, :30] == 40).all()
    assert not result.damage.union()[:, 32:].any()


def test_flat_image_says_no_damage_plainly(tmp_path):
    flat = np.full((80, 120, 3), (120, 130, 140), np.uint8)
    result = api.damage(_png(flat, tmp_path / "flat.png"))
    assert result.notes == (("No damage found: flat.png is one flat colour (120, 130, 140), so "
                            "there is nothing to find."),)
    assert all(k.pixels == 0 for k in result.kinds)


def test_a_file_that_is_not_an_image(tmp_path):
    (tmp_path / "notes.txt").write_text("not a picture at all\n")
    with pytest.raises(ImageError) as caught:
        api.damage(tmp_path / "notes.txt")
    assert str(caught.value) == ("notes.txt is not an image Pillow can read; studiolo reads PNG, "
                                 "JPEG, WEBP, GIF, BMP, TIFF.")


def test_mask_of_another_size_names_both_sizes(tmp_path):
    _png(painting(side=64), tmp_path / "scan.png")
    _png(np.zeros((10, 20), np.uint8), tmp_path / "small.png")
    with pytest.raises(InvalidArgument) as caught:
        api.restore(tmp_path / "scan.png", mask=tmp_path / "small.png")
    h, w = painting(side=64).shape[:2]
    assert str(caught.value) == (f"The mask small.png is 20x10 px but scan.png is {w}x{h} px; "
                                 "give a mask of the image's size (white where to fill).")


def test_mask_that_covers_everything_is_refused(tmp_path):
    image = painting(side=64)
    _png(image, tmp_path / "scan.png")
    _png(np.full(image.shape[:2], 255, np.uint8), tmp_path / "all.png")
    with pytest.raises(InvalidArgument) as caught:
        api.restore(tmp_path / "scan.png", mask=tmp_path / "all.png")
    h, w = image.shape[:2]
    assert str(caught.value) == (f"The mask all.png covers 100% of scan.png ({w}x{h} px), "
                                 "leaving nothing to fill from; mark only the damage, white on "
                                 "black.")


def test_empty_mask_fills_nothing_and_says_so(tmp_path):
    image = painting(side=64)
    _png(image, tmp_path / "scan.png")
    _png(np.zeros(image.shape[:2], np.uint8), tmp_path / "none.png")
    result = api.restore(tmp_path / "scan.png", mask=tmp_path / "none.png")
    assert result.notes == ("Nothing was filled: the mask is empty.",)
    assert (result.restored == image).all()


def test_mask_that_is_not_an_image(tmp_path):
    _png(painting(side=32), tmp_path / "scan.png")
    (tmp_path / "mask.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    with pytest.raises(ImageError) as caught:
        api.restore(tmp_path / "scan.png", mask=tmp_path / "mask.png")
    assert str(caught.value).startswith("The mask mask.png is truncated or corrupt")


def test_array_of_the_wrong_kind():
    with pytest.raises(InvalidArgument) as caught:
        read_scan(np.zeros((4, 4, 2), np.float32))
    assert str(caught.value) == ("`image` must be a non-empty uint8 array of shape (H, W), "
                                 "(H, W, 3) or (H, W, 4), got float32 (4, 4, 2).")


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_scan_or_our_error(data):
    try:
        scan = read_scan(data)
    except StudioloError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)
    else:
        assert scan.pixels.dtype == np.uint8 and scan.pixels.ndim == 3


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_any_mask_image_gives_a_mask_or_our_error(w, h, seed):
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8)).save(buf, "PNG")
    try:
        mask = read_mask(buf.getvalue(), (8, 6), "scan.png", name="m.png")
    except InvalidArgument as exc:
        assert str(exc).startswith("The mask m.png ")
    else:
        assert mask.shape == (6, 8) and mask.dtype == bool
