"""The invisible watermark: round trips, attacks, unmarked images, bad input, and marks in the catalog."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

import studiolo
from studiolo.capabilities.painter.engine import PainterEngine
from studiolo.catalog import Catalog
from studiolo.catalog.marks import add_mark, find_by_mark, marks_of
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import Artwork, Recipe
from studiolo.provenance import convcode
from studiolo.provenance.watermark import (
    MARK_BITS,
    MIN_SIDE,
    can_carry_mark,
    embed_mark,
    new_mark,
    read_mark,
    read_mark_detail,
)
from studiolo.provenance.watermark_over import embed_mark_over, remove_mark

PAINTINGS_DIR = Path(studiolo.__file__).parent / "data" / "paintings"
PAINTINGS = ["claude-monet-impression-sunrise", "johannes-vermeer-girl-with-a-pearl-earring",
             "katsushika-hokusai-the-great-wave-off-kanagawa"]
MARKS = [0x5EED_0000_0001, 0xABCD_EF01_2345, 0x0000_0000_00FF]


def painting(name: str, size: int = 512) -> Image.Image:
    with Image.open(PAINTINGS_DIR / f"{name}.jpg") as im:
        return ImageOps.fit(im.convert("RGB"), (size, size), Image.LANCZOS)


def jpeg(image: Image.Image, quality: int = 75) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def crop(image: Image.Image, fraction: float = 0.10, centred: bool = True) -> Image.Image:
    w, h = image.size
    if centred:
        dx, dy = round(w * fraction / 2), round(h * fraction / 2)
        return image.crop((dx, dy, w - dx, h - dy))
    return image.crop((round(w * fraction), round(h * fraction), w, h))


def half(image: Image.Image) -> Image.Image:
    return image.resize((image.width // 2, image.height // 2), Image.BICUBIC)


ATTACKS = {
    "jpeg75": jpeg,
    "resize50": half,
    "crop10": crop,
    "crop10_corner": lambda im: crop(im, centred=False),
}


def psnr(a: Image.Image, b: Image.Image) -> float:
    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    return float(10 * np.log10(255**2 / np.mean(diff**2)))


@pytest.fixture(scope="module")
def marked() -> list[tuple[Image.Image, Image.Image, int]]:
    out = []
    for name, mark in zip(PAINTINGS, MARKS, strict=True):
        original = painting(name)
        out.append((original, embed_mark(original, mark), mark))
    return out


@pytest.fixture(scope="module")
def painted(tmp_path_factory) -> Image.Image:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIOLO_HOME", str(tmp_path_factory.mktemp("home")))
        recipe = Recipe(engine="painter", prompt="a lighthouse on a stormy sea at dusk", seed=7,
                        width=512, height=512)
        return PainterEngine().run(Request(recipe))[0].image


def test_round_trip_is_invisible_and_exact(marked):
    for original, image, mark in marked:
        assert image.size == original.size and image.mode == "RGB"
        assert 38.0 < psnr(original, image) < 45.0
        detail = read_mark_detail(image)
        assert detail.mark == mark and detail.check_ok and detail.confidence > 8
        assert len(detail.bits) == 64 and len(detail.channel_bits) == convcode.coded_length(64)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_each_attack_keeps_the_mark(marked, attack):
    for _, image, mark in marked:
        assert read_mark(ATTACKS[attack](image)) == mark, attack


def test_the_offline_painters_image_keeps_its_mark(painted):
    image = embed_mark(painted, MARKS[0])
    assert psnr(painted, image) > 38.0
    assert read_mark(jpeg(half(crop(image, centred=False)))) == MARKS[0]


def test_all_attacks_at_once_on_a_large_image():
    original = painting(PAINTINGS[1], 1024)
    image = embed_mark(original, MARKS[1])
    assert read_mark(jpeg(half(crop(image)))) == MARKS[1]


def test_unmarked_images_read_as_none(marked, painted):
    rng = np.random.default_rng(0)
    unmarked = [original for original, _, _ in marked] + [painted, jpeg(painted)]
    unmarked += [Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)),
                 Image.new("RGB", (512, 512), (90, 120, 200))]
    for image in unmarked:
        detail = read_mark_detail(image)
        assert detail.mark is None and detail.confidence < 6.0


def test_a_new_mark_over_an_old_one_wins(marked):
    """What an engine that makes an image from a marked one needs: the same sync twice
    garbles the word, so the inherited mark is taken out first, wherever its tiles lie."""
    original, image, mark = marked[0]
    assert read_mark(embed_mark(image, MARKS[1])) is None  # both at once: neither reads
    for inherited in (image, crop(image, centred=False)):  # tiles at the corner, or shifted
        cleared = remove_mark(inherited)
        assert read_mark_detail(cleared).confidence < 6.0 and psnr(inherited, cleared) > 38.0
        over = embed_mark_over(inherited, MARKS[1])
        assert read_mark(over) == MARKS[1] and read_mark(jpeg(over)) == MARKS[1]
        assert psnr(inherited, over) > 33.0
    assert remove_mark(original) is original  # nothing to take out: the same image
    assert embed_mark_over(original, MARKS[1]) == embed_mark(original, MARKS[1])
    grey = remove_mark(embed_mark(original.convert("LA"), mark))
    assert grey.mode == "LA" and read_mark(grey) is None


def test_alpha_and_grey_images_keep_their_mode(marked):
    original = marked[0][0]
    rgba = original.convert("RGBA")
    rgba.putalpha(Image.new("L", rgba.size, 200))
    out = embed_mark(rgba, MARKS[0])
    assert out.mode == "RGBA" and out.getchannel("A").getextrema() == (200, 200)
    assert read_mark(out) == MARKS[0]
    grey = embed_mark(original.convert("L"), MARKS[2])
    assert grey.mode == "L" and read_mark(grey) == MARKS[2]


def test_small_images_cannot_carry_a_mark_and_read_as_none():
    small = Image.new("RGB", (MIN_SIDE - 1, 600), (10, 20, 30))
    assert not can_carry_mark(small) and can_carry_mark(Image.new("RGB", (MIN_SIDE, MIN_SIDE)))
    with pytest.raises(InvalidArgument, match=f"at least {MIN_SIDE} px.*255x600"):
        embed_mark(small, MARKS[0])
    for size in ((1, 1), (64, 64), (2000, 3)):
        assert read_mark(Image.new("RGB", size, (50, 50, 50))) is None


@pytest.mark.parametrize("mark", [0, -1, 2**MARK_BITS, "12", 1.0, True, None])
def test_bad_marks_are_refused(marked, mark):
    with pytest.raises(InvalidArgument, match="`mark`"):
        embed_mark(marked[0][0], mark)


@pytest.mark.parametrize("call", [embed_mark, read_mark, read_mark_detail])
def test_non_images_are_refused(call):
    args = (np.zeros((512, 512, 3)), 5) if call is embed_mark else (np.zeros((512, 512, 3)),)
    with pytest.raises(InvalidArgument, match="`image` must be a PIL image, got ndarray"):
        call(*args)


def test_new_marks_are_48_bit_and_distinct():
    drawn = {new_mark() for _ in range(200)}
    assert len(drawn) == 200 and all(0 < m < 2**MARK_BITS for m in drawn)


def test_convolutional_code_corrects_errors():
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2, 64).astype(np.uint8)
    soft = 2.0 * convcode.encode(bits) - 1.0
    flipped = rng.choice(soft.size, 12, replace=False)  # 12 wrong of 140, spread out
    soft[flipped] *= -1
    assert np.array_equal(convcode.decode(soft + rng.normal(0, 0.3, soft.size)), bits)


# -- marks in the catalog ----------------------------------------------------------
def _artwork(cat: Catalog, n: int) -> str:
    recipe = Recipe(engine="painter", prompt=f"artwork {n}", seed=n, width=512, height=512)
    sha = hashlib.sha256(str(n).encode()).hexdigest()
    cat.add_artwork(Artwork(recipe=recipe, id=sha, owner="ada", width=512, height=512), "png")
    return sha


def test_marks_find_their_artwork(cat):
    first, second = _artwork(cat, 1), _artwork(cat, 2)
    big = 2**63 - 1  # the largest BIGINT round-trips
    add_mark(cat, MARKS[0], first)
    add_mark(cat, big, first[:8])  # a unique prefix is enough
    add_mark(cat, MARKS[0], first)  # again for the same artwork: nothing changes
    add_mark(cat, MARKS[1], second)
    assert find_by_mark(cat, MARKS[0]) == first and find_by_mark(cat, big) == first
    assert find_by_mark(cat, MARKS[1]) == second and find_by_mark(cat, MARKS[2]) is None
    assert marks_of(cat, first) == [MARKS[0], big]
    with pytest.raises(InvalidArgument, match=f"`mark` {MARKS[0]} already names artwork {first}"):
        add_mark(cat, MARKS[0], second)
    cat.delete_artwork(first)
    assert find_by_mark(cat, MARKS[0]) is None and find_by_mark(cat, MARKS[1]) == second


def test_bad_mark_rows_are_refused(cat):
    sha = _artwork(cat, 3)
    with pytest.raises(UnknownName, match="artwork"):
        add_mark(cat, MARKS[0], "f" * 64)
    for bad in (0, -5, 2**63, "7", True):
        with pytest.raises(InvalidArgument, match="`mark` must be a positive integer"):
            add_mark(cat, bad, sha)
        with pytest.raises(InvalidArgument, match="`mark` must be a positive integer"):
            find_by_mark(cat, bad)
