"""Latent journeys: prompts and seeds on tiny seeded diffusion models, styles on the real
Magenta networks at small sizes, the GIF / MP4 / contact-sheet writers, the CLI."""

from __future__ import annotations

import json

import imageio
import imageio.v3 as iio
import numpy as np
import pytest
import torch
from PIL import Image

import studiolo
from studiolo.capabilities.journey import media as journeys
from studiolo.capabilities.journey.engine import JourneyEngine, lerp_embeddings, slerp
from studiolo.capabilities.style.engine import StyleTransferEngine
from studiolo.capabilities.style.transfer import stylize
from studiolo.cli import main
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import Recipe
from studiolo.features.styles import style_image
from studiolo.studio import Studio

PHOTO = studiolo.__file__.replace("__init__.py", "data/photos/astronaut.jpg")
SMALL = {"steps": 2, "width": 32, "height": 32, "seed": 7}
CALM, STORMY = "a calm sea", "a stormy sea at night"
needs_explore = pytest.mark.skipif(not hasattr(Studio, "explore"),
                                   reason="Studio.explore (studio_journeys.JourneyVerbs) not mixed in")


@pytest.fixture(autouse=True)
def _home(studio_home):
    """Hash caches go to a throwaway STUDIOLO_HOME."""


@pytest.fixture(scope="module")
def engine():
    return JourneyEngine()


def journey(engine, model=None, images=None, **spec):
    base = dict(SMALL, model=str(model) if model else None)
    base.update(spec.pop("recipe", {}))
    recipe = Recipe(engine="journey", mode="explore", **base, options={"journey": spec})
    return engine.run(Request(recipe, images=images or {}))


def plain(engine, model, prompt, **kw):
    """A plain txt2img with the journey's own diffusion engine (same loaded model)."""
    recipe = Recipe(engine="diffusion", **{**SMALL, **kw}, prompt=prompt, model=str(model))
    return engine._diffusion.run(Request(recipe))[0]


def px(image) -> np.ndarray:
    return np.asarray(getattr(image, "image", image), dtype=np.int16)


def dist(a, b) -> float:
    return float(np.abs(px(a) - px(b)).mean())


@pytest.fixture(scope="module")
def content() -> Image.Image:
    return Image.open(PHOTO).convert("RGB").resize((96, 80), Image.Resampling.LANCZOS)


# -- the math ---------------------------------------------------------------------------


def test_slerp_keeps_the_norm_of_gaussian_noise_and_the_ends():
    gen = torch.Generator("cpu").manual_seed(0)
    a, b = torch.randn(4, 16, 16, generator=gen), torch.randn(4, 16, 16, generator=gen)
    assert torch.equal(slerp(a, b, 0.0), a) and torch.equal(slerp(a, b, 1.0), b)
    mid = slerp(a, b, 0.5)
    assert abs(mid.norm() / a.norm() - 1) < 0.05  # on the sphere ...
    assert torch.lerp(a, b, 0.5).norm() / a.norm() < 0.8  # ... where a straight line is not
    assert torch.allclose(slerp(a, 2 * a, 0.5), 1.5 * a)  # parallel: a straight line


def test_lerp_embeddings_pads_the_shorter_prompt_and_keeps_the_ends():
    short = {"prompt_embeds": torch.ones(1, 77, 8), "negative_prompt_embeds": torch.zeros(1, 77, 8)}
    long = {"prompt_embeds": torch.full((1, 154, 8), 3.0), "negative_prompt_embeds": torch.zeros(1, 154, 8)}
    pad = {"prompt_embeds": torch.full((1, 77, 8), -1.0),
           "negative_prompt_embeds": torch.full((1, 77, 8), -1.0)}
    short["pooled_prompt_embeds"], long["pooled_prompt_embeds"] = torch.ones(1, 8), torch.zeros(1, 8)
    assert lerp_embeddings(short, long, 0.0, pad)["prompt_embeds"] is short["prompt_embeds"]
    mid = lerp_embeddings(short, long, 0.5, pad)
    assert mid["prompt_embeds"].shape == (1, 154, 8)
    assert torch.allclose(mid["prompt_embeds"][:, :77], torch.full((1, 77, 8), 2.0))
    assert torch.allclose(mid["prompt_embeds"][:, 77:], torch.full((1, 77, 8), 1.0))  # (-1+3)/2
    assert torch.allclose(mid["pooled_prompt_embeds"], torch.full((1, 8), 0.5))  # SDXL's pooled
    assert not mid["negative_prompt_embeds"].any()  # zeros (SDXL's empty negative) pad with zeros


# -- diffusion journeys -------------------------------------------------------------------


@pytest.fixture(scope="module")
def prompt_journey(engine, tiny_sd):
    return journey(engine, tiny_sd, kind="prompts", a=CALM, b=STORMY, frames=3)


@pytest.fixture(scope="module")
def seed_journey(engine, tiny_sd):
    return journey(engine, tiny_sd, kind="seeds", a=7, b=8, frames=3, recipe={"prompt": CALM})


def test_prompt_journey_runs_from_a_plain_picture_of_a_to_one_of_b(engine, tiny_sd, prompt_journey):
    first, middle, last = prompt_journey
    a, b = plain(engine, tiny_sd, CALM), plain(engine, tiny_sd, STORMY)
    assert np.array_equal(px(first), px(a)) and np.array_equal(px(last), px(b))
    assert dist(middle, a) > 0.5 and dist(middle, b) > 0.5
    assert dist(middle, a) < dist(last, a)  # the middle lies between the ends
    assert [f.recipe.options["journey"]["index"] for f in prompt_journey] == [0, 1, 2]
    assert [f.recipe.options["journey"]["t"] for f in prompt_journey] == [0.0, 0.5, 1.0]
    assert (first.recipe.prompt, last.recipe.prompt) == (CALM, STORMY)
    assert first.recipe.engine == "journey" and first.recipe.generator_device == "cpu"


def test_seed_journey_slerps_the_noise_between_two_plain_pictures(engine, tiny_sd, seed_journey):
    first, middle, last = seed_journey
    assert np.array_equal(px(first), px(plain(engine, tiny_sd, CALM, seed=7)))
    assert np.array_equal(px(last), px(plain(engine, tiny_sd, CALM, seed=8)))
    assert dist(middle, first) > 0.5 and dist(middle, last) > 0.5
    assert [f.recipe.seed for f in seed_journey] == [7, 8, 8]  # the nearer end's seed


def test_a_stored_frame_recipe_makes_that_frame_again(engine, seed_journey):
    recipe = seed_journey[1].recipe
    [again] = engine.run(Request(recipe))
    assert np.array_equal(px(again), px(seed_journey[1]))
    assert again.recipe.options["journey"]["index"] == 1


def test_sdxl_prompt_journey_blends_pooled_embeddings_too(tiny_sdxl):
    sdxl = JourneyEngine()
    frames = journey(sdxl, tiny_sdxl, kind="prompts", a=CALM, b=STORMY, frames=3)
    assert [f.image.size for f in frames] == [(32, 32)] * 3
    assert np.array_equal(px(frames[2]), px(plain(sdxl, tiny_sdxl, STORMY)))
    assert dist(frames[1], frames[0]) > 0.5 and dist(frames[1], frames[2]) > 0.5


# -- style journeys --------------------------------------------------------------------


def style_engine(content, name):
    recipe = Recipe(engine="style", mode="stylize", options={"styles": [{"name": name}]})
    return StyleTransferEngine().run(Request(recipe, images={"init": content}))[0]


@pytest.mark.parametrize("a, b", [("The Starry Night", "The Great Wave off Kanagawa"),
                                  ("magenta-3", "magenta-7")])
def test_style_journey_ends_are_the_style_engine_pictures(engine, content, a, b):
    frames = journey(engine, images={"init": content}, kind="styles", a=a, b=b, frames=3)
    assert np.array_equal(px(frames[0]), px(style_engine(content, a)))
    assert np.array_equal(px(frames[2]), px(style_engine(content, b)))
    assert dist(frames[1], frames[0]) > 5 and dist(frames[1], frames[2]) > 5


def test_style_journey_credits_both_artists_by_t_and_records_ids(engine, content):
    frames = journey(engine, images={"init": content}, kind="styles", a="starry night",
                     b="The Great Wave off Kanagawa", frames=5)
    shares = [{c.ref: c.share for c in f.credits if c.role == "style_source"} for f in frames]
    assert shares[0] == {"vincent-van-gogh-the-starry-night": 1.0}
    assert shares[1] == pytest.approx({"vincent-van-gogh-the-starry-night": 0.75,
                                       "katsushika-hokusai-the-great-wave-off-kanagawa": 0.25})
    assert "katsushika" in frames[4].credits[0].ref and len(shares[4]) == 1
    assert frames[2].recipe.options["journey"]["a"] == "vincent-van-gogh-the-starry-night"
    [again] = engine.run(Request(frames[3].recipe, images={"init": content}))
    assert np.array_equal(px(again), px(frames[3]))


def test_style_journey_to_a_style_image(engine, content):
    kiss = style_image("The Kiss").resize((128, 128))
    frames = journey(engine, images={"init": content, "style_b": kiss}, kind="styles",
                     a="The Starry Night", b={"input": "style_b"}, frames=2)
    assert np.array_equal(px(frames[1]), px(stylize(content, kiss)))
    assert frames[1].recipe.options["styles"][1]["input"] == "style_b"


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, recipe, words",
    [
        ({"kind": "prompts", "a": "x", "b": "y", "frames": 1}, {}, "`frames` has to be between 2 and 240 but is 1"),
        ({"kind": "prompts", "a": "x", "b": "y", "frames": 241}, {}, "but is 241"),
        ({"kind": "prompts", "a": "x", "b": "y", "frames": 3, "index": 3}, {}, "`index` has to be between 0 and 2"),
        ({"kind": "prompts", "a": "a sea", "b": "a sea"}, {}, "`a` and `b` are the same ('a sea')"),
        ({"kind": "seeds", "a": 4, "b": 4}, {}, "are the same (4)"),
        ({"kind": "seeds", "a": "four", "b": 5}, {}, "`a` of a seeds journey has to be a seed"),
        ({"kind": "prompts", "a": "  ", "b": "y"}, {}, "has to be a non-empty prompt"),
        ({"kind": "prompts", "a": "x", "b": "y"}, {"model": None}, "pass --model PATH, or make an offline style"),
        ({"kind": "waves", "a": "x", "b": "y"}, {}, "Option `journey.kind`"),
        ({"kind": "prompts", "a": "x", "b": "y"}, {"width": 30}, "divisible by 8 but are 32 and 30"),
    ],
)
def test_bad_journeys_are_refused_before_any_work(engine, spec, recipe, words):
    base = dict(SMALL, model="no/such-model")
    base.update(recipe)
    with pytest.raises(InvalidArgument) as info:
        engine.run(Request(Recipe(engine="journey", mode="explore", **base, options={"journey": spec})))
    assert words in str(info.value)


def test_batch_size_and_missing_journey_option_are_refused(engine):
    with pytest.raises(InvalidArgument, match="Option `journey` is missing"):
        engine.run(Request(Recipe(engine="journey", mode="explore")))
    spec = {"journey": {"kind": "prompts", "a": "x", "b": "y"}}
    with pytest.raises(InvalidArgument, match="`batch_size` has to be 1"):
        engine.run(Request(Recipe(engine="journey", mode="explore", model="m", options=spec), batch_size=2))


def test_bad_style_journeys(engine, content):
    with pytest.raises(UnknownName) as info:
        journey(engine, images={"init": content}, kind="styles", a="Starry Nite", b="The Kiss")
    assert "The Starry Night" in str(info.value)  # the close names are listed
    with pytest.raises(InvalidArgument, match="are the same style"):
        journey(engine, images={"init": content}, kind="styles", a="starry night", b="The Starry Night")
    with pytest.raises(InvalidArgument, match=r"images\['init'\]"):
        journey(engine, kind="styles", a="The Kiss", b="The Starry Night")
    with pytest.raises(InvalidArgument, match="not among the request's images"):
        journey(engine, images={"init": content}, kind="styles", a="The Kiss", b={"input": "style_b"})


# -- files ------------------------------------------------------------------------------


def gradient_frames(count=5, size=(41, 31)) -> list[Image.Image]:
    x = np.linspace(0, 1, size[0])[None, :, None]
    return [Image.fromarray((255 * np.broadcast_to(x * (i + 1) / count, (size[1], size[0], 3)))
                            .astype(np.uint8)) for i in range(count)]


def test_gif_mp4_and_contact_sheet_read_back_with_every_frame(tmp_path):
    frames = gradient_frames()
    gif = journeys.write_gif(frames, tmp_path / "j.gif", fps=10)
    with Image.open(gif) as im:
        assert im.n_frames == 5 and im.info["loop"] == 0 and im.info["duration"] == 100
    assert iio.imread(gif).shape == (5, 31, 41, 3)
    mp4 = journeys.write_mp4(frames, tmp_path / "sub" / "j.mp4", fps=10)
    with imageio.get_reader(mp4) as reader:
        assert reader.get_meta_data()["fps"] == 10
        read = [frame for frame in reader]  # list() asks len(), which is inf here
    assert len(read) == 5 and read[0].shape == (32, 42, 3)  # odd sides padded to even
    assert np.abs(read[4][:31, :41].astype(int) - np.asarray(frames[4], dtype=int)).mean() < 8
    sheet = journeys.contact_sheet(frames, tmp_path / "c.png", thumb=64, margin=4)
    with Image.open(sheet) as im:
        assert im.width == 4 + 3 * (64 + 4)  # 5 frames: 3 columns, 2 rows
        assert im.height > 2 * (48 + 4)
    assert len(journeys.bounce(frames)) == 8


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda p: journeys.write_gif([], p / "x.gif"), "`images` is empty"),
        (lambda p: journeys.write_mp4(gradient_frames(2) + gradient_frames(1, (8, 8)), p / "x.mp4"),
         "Frame 2 is 8x8 but frame 0 is 41x31"),
        (lambda p: journeys.write_gif(gradient_frames(2), p / "x.gif", fps=0), "`fps` has to be"),
        (lambda p: journeys.contact_sheet(gradient_frames(2), p / "x.png", labels=["a"]),
         "`labels` has 1 entries but there are 2 frames"),
    ],
)
def test_writers_refuse_bad_input(tmp_path, call, words):
    with pytest.raises(InvalidArgument) as info:
        call(tmp_path)
    assert words in str(info.value)


# -- studio and command line ----------------------------------------------------------


def test_studio_stores_every_frame_and_reruns_one(studio_home, content):
    studio = Studio()
    recipe = Recipe(engine="journey", mode="explore", options={"journey": {
        "kind": "styles", "a": "magenta-1", "b": "The Kiss", "frames": 3}})
    frames = studio.run(recipe, {"init": content})
    assert len({f.id for f in frames}) == 3 and all(f.path.is_file() for f in frames)
    assert sorted(a.id for a in studio.list()) == sorted(f.id for f in frames)
    [again] = studio.rerun(frames[1].id)
    # every stored file carries its own signed manifest, so compare pixels, not ids
    with Image.open(again.path) as a, Image.open(frames[1].path) as b:
        assert a.tobytes() == b.tobytes()
    paths = journeys.write_journey(frames, studio_home / "j", fps=4, bounce_back=True)
    assert Image.open(paths["gif"]).n_frames == 4
    record = json.loads(paths["json"].read_text())
    assert [f["id"] for f in record["frames"]] == [f.id for f in frames]


def cli(capsys, *args):
    code = main(["explore", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "args, words",
    [
        (["a calm sea", "a stormy sea"], "pass --model PATH, or use --styles A B"),
        (["a calm sea", "--seeds", "1", "2", "--model", "m", "x"], "takes one PROMPT"),
        (["--styles", "The Kiss", "magenta-1"], "pass --image PHOTO"),
        (["one prompt", "--model", "m"], "Give two prompts A B"),
        (["a", "b", "--model", "m", "--fps", "0"], "`fps` has to be"),
    ],
)
def test_cli_mistakes_are_one_sentence(studio_home, capsys, args, words):
    code, _, err = cli(capsys, *args)
    assert code == 1 and err.startswith("Error: ") and words in err and "Traceback" not in err


@needs_explore
def test_cli_prompt_journey_writes_gif_mp4_and_contact_sheet(studio_home, tiny_sd, capsys):
    code, out, err = cli(capsys, CALM, STORMY, "--model", str(tiny_sd), "--frames", "2",
                         "--steps", "2", "--size", "32x32", "--seed", "3", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["folder"] == str(studio_home / "journeys" / made["id"])
    assert len(made["frames"]) == 2 and made["frames"][1]["recipe"]["prompt"] == STORMY
    assert Image.open(made["gif"]).n_frames == 2 and Image.open(made["contact_sheet"]).width > 64


@needs_explore
def test_cli_style_journey_and_its_errors(studio_home, tmp_path, content, capsys):
    photo = tmp_path / "photo.png"
    content.save(photo)
    code, out, err = cli(capsys, "--styles", "magenta-2", "The Kiss", "--image", str(photo),
                         "--frames", "3", "--out", str(tmp_path / "j"))
    assert code == 0, err
    assert (tmp_path / "j" / "journey.mp4").is_file() and "Contact sheet" in out
    assert main(["ls"]) == 0
    listing, _ = capsys.readouterr()
    assert "explore: " in listing and "{" not in listing and "overlap" not in listing
    code, _, err = cli(capsys, "--styles", "magenta-2", "Starry Nite", "--image", str(photo))
    assert code == 1 and "Unknown style 'Starry Nite'" in err and "The Starry Night" in err
    code, _, err = cli(capsys, "--styles", "magenta-2", "The Kiss", "--image", str(photo),
                       "--frames", "300")
    assert code == 1 and "`frames` has to be between 2 and 240 but is 300" in err
