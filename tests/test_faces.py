"""Faces: MTCNN detection on the bundled photo and on paintings, masks, similarity calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import studiolo
from studiolo.core.errors import InvalidArgument
from studiolo.features import faces as F

PHOTO = Path(studiolo.__file__).parent / "data" / "photos" / "astronaut.jpg"
ARTWORKS = Path("/work/shared/artworks")


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(PHOTO).convert("RGB")


@pytest.fixture(scope="module")
def face(photo) -> F.Face:
    found = F.detect_faces(photo)
    assert len(found) == 1
    return found[0]


def test_face_found_where_it_is(face):
    # Eileen Collins' face is at about x 180-270, y 60-175 of the 512 px photo.
    cx, cy = face.center
    assert 200 < cx < 250 and 95 < cy < 140
    assert 60 < face.w < 130 and 70 < face.h < 150
    assert face.score > 0.95
    (lx, ly), (rx, ry) = face.eyes
    assert face.x < lx < rx < face.x + face.w and face.y < ly < face.y + face.h / 2 + 10
    assert abs(ly - ry) < 10  # she holds her head level


def test_weights_are_safetensors_not_pickle():
    head = F.WEIGHTS.read_bytes()[:16]
    assert not head.startswith(b"\x80") and b"PK" not in head[:2]
    header_len = int.from_bytes(head[:8], "little")
    assert F.WEIGHTS.read_bytes()[8:9] == b"{" and header_len < 100_000


def test_no_face_in_a_landscape_and_largest_first_in_a_group():
    sunrise = Image.open(ARTWORKS / "claude-monet__impression-sunrise.jpg")
    assert F.detect_faces(sunrise) == []
    group = F.detect_faces(Image.open(ARTWORKS / "paul-gauguin__nafea-faa-ipoipo-when-will-you-marry.jpg"))
    assert len(group) >= 2
    areas = [f.w * f.h for f in group]
    assert areas == sorted(areas, reverse=True)


def test_scaled_detection_scales_boxes(photo, face):
    small = F.detect_faces(photo.resize((256, 256), Image.Resampling.LANCZOS))[0]
    assert abs(small.x * 2 - face.x) < 12 and abs(small.w * 2 - face.w) < 16


def test_face_mask_is_soft_and_covers_the_face(photo, face):
    mask = np.asarray(F.face_mask(photo, [face], feather=0.25))
    assert mask.shape == (512, 512)
    cx, cy = map(int, face.center)
    assert mask[cy, cx] == 255 and mask[face.y + 5, cx] == 255  # forehead
    assert mask[5, 5] == 0 and mask[500, 500] == 0
    ring = mask[cy, face.x + face.w + 10 : face.x + face.w + 60]
    assert np.any((ring > 10) & (ring < 245))  # a gradient, not a cliff
    hard = np.asarray(F.face_mask(photo, [face], feather=0.0))
    assert np.count_nonzero((hard > 5) & (hard < 250)) < np.count_nonzero((mask > 5) & (mask < 250)) / 5
    assert not np.asarray(F.face_mask(photo, [], feather=0.3)).any()


@pytest.mark.parametrize("feather", [-0.1, 1.5, "soft", True])
def test_bad_feather(photo, face, feather):
    with pytest.raises(InvalidArgument, match="`feather` must be a number between 0 and 1 but is"):
        F.face_mask(photo, [face], feather=feather)


def test_bad_detect_inputs(photo):
    with pytest.raises(InvalidArgument, match="`image` must be a PIL image but is str"):
        F.detect_faces("astronaut.jpg")
    with pytest.raises(InvalidArgument, match="`min_face` must be an integer of at least 12 pixels but is 5"):
        F.detect_faces(photo, min_face=5)
    assert F.detect_faces(Image.new("RGB", (8, 8))) == []


def test_similarity_calibration(photo, face, capsys):
    from studiolo.capabilities.style.transfer import stylize

    itself = F.face_similarity(photo, photo, face)
    styled = stylize(photo, "the starry night", strength=1.0)
    full_style = F.face_similarity(photo, styled, face)
    gentle = F.face_similarity(photo, stylize(photo, "the starry night", strength=0.45, preserve_colors=True), face)
    mona = Image.open(ARTWORKS / "leonardo-da-vinci__mona-lisa.jpg").convert("RGB")
    other = F.face_similarity(photo, mona, face, F.detect_faces(mona)[0])
    with capsys.disabled():
        print(f"\nface_similarity: itself {itself:.3f}, gentle 0.45 {gentle:.3f}, "
              f"full Starry Night {full_style:.3f}, Mona Lisa {other:.3f}")
    assert itself == pytest.approx(1.0, abs=1e-6)
    assert 1.0 > gentle > full_style
    assert gentle > other
    assert 0.0 <= other < 0.8
