"""`--taste NAME` on paint and generate: make candidates, keep the best by a real fitted profile."""

from __future__ import annotations

import itertools
import json
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from studiolo.capabilities.painter.engine import PainterEngine
from studiolo.capabilities.taste.model import TasteModel
from studiolo.capabilities.taste.profile import (
    TasteProfile,
    fit_profile,
    load_profile,
    save_profile,
)
from studiolo.cli import main
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument, TasteWarning, UnknownName
from studiolo.core.types import Artwork, Recipe
from studiolo.studio import Studio

PROMPT = "a calm lake under hills"
TINY_SEARCH = {"rounds": 2, "population": 4, "work_side": 64}


def picture(red: float, blue: float, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = np.clip(np.array([red, 0.45, blue]) + rng.normal(0, 0.12, (48, 64, 3)), 0, 1)
    return Image.fromarray((pixels * 255).astype(np.uint8))


def warmth(image: Image.Image) -> float:
    a = np.asarray(image.convert("RGB"), np.float32)
    return float(a[..., 0].mean() - a[..., 2].mean())


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A studio whose person picked the warmer picture: 6 pairs ("early"), then 24 ("warm")."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("taste-steering") / "studio"
        mp.setenv("STUDIOLO_HOME", str(home))
        mp.delenv("STUDIOLO_DATABASE_URL", raising=False)
        studio = Studio()
        made = [studio.store(Artwork(recipe=Recipe(engine="painter", prompt=f"field {k}", seed=k),
                                     image=picture(k / 9, 1 - k / 9, k))) for k in range(10)]
        heat = {a.id: warmth(a.image) for a in made}
        pairs = list(itertools.combinations([a.id for a in made], 2))
        order = np.random.default_rng(0).permutation(len(pairs))[:24]
        person = studio.settings.person
        for n, k in enumerate(order, start=1):
            studio.catalog.add_pair(person, *sorted(pairs[k], key=lambda i: -heat[i]))
            if n == 6:
                fit_profile(studio, name="early")
        fit_profile(studio, name="warm")
        yield studio
        studio.catalog.close()
    torch.set_num_threads(before)


def note(artwork: Artwork) -> dict:
    return artwork.recipe.options["taste"]


def file_pixels(artwork: Artwork) -> np.ndarray:
    with Image.open(artwork.path) as im:
        return np.asarray(im.convert("RGB"), np.int16)


def painted(recipe: Recipe, seed: int) -> Image.Image:
    """The painter's picture of a stored recipe at another seed, without the taste note."""
    options = {k: v for k, v in recipe.options.items() if k != "taste"}
    return PainterEngine().run(Request(recipe.replace(seed=seed, options=options)))[0].image


def test_paint_keeps_the_candidate_the_profile_rates_highest(studio):
    count = len(studio.list())
    [kept] = studio.paint(PROMPT, seed=5, width=96, height=96, taste="warm", candidates=4, taste_search=False)
    assert len(studio.list()) == count + 1  # only the kept one is stored
    record = note(kept)
    assert (record["profile"], record["candidates"], record["rank"], record["pairs"]) == ("warm", 4, 1, 24)
    assert record["seeds"] == [5, 6, 7, 8] and "search" not in record
    # Repaint every candidate and score it with the saved profile: the kept seed is the argmax.
    images = [painted(kept.recipe, s) for s in record["seeds"]]
    scores = load_profile(studio, "warm").score_images(images)
    assert np.allclose(scores, record["scores"], atol=1e-5)
    assert kept.recipe.seed == record["seeds"][int(np.argmax(scores))]
    assert record["predicted"] == pytest.approx(float(scores.max()), abs=1e-5)
    # The stored file is that candidate (under an invisible watermark), not another one.
    diffs = [np.abs(file_pixels(kept) - np.asarray(im, np.int16)).mean() for im in images]
    assert int(np.argmin(diffs)) == int(np.argmax(scores)) and min(diffs) < 1.5 < sorted(diffs)[1]
    # The recipe alone makes the same pixels again.
    [again] = studio.rerun(kept.id)
    assert again.recipe == kept.recipe and np.array_equal(file_pixels(again), file_pixels(kept))


def test_search_then_best_of_n_keeps_a_batch_with_the_searched_options(studio):
    kept = studio.paint(PROMPT, seed=11, width=96, height=96, taste="warm", candidates=3, batch_size=2,
                        taste_search=TINY_SEARCH)
    first, second = (note(a) for a in kept)
    assert [first["rank"], second["rank"]] == [1, 2] and first["predicted"] > second["predicted"]
    assert sorted(first["scores"], reverse=True)[:2] == [first["predicted"], second["predicted"]]
    search = first["search"]
    assert search["rounds"] == 2 and 4 <= search["tried"] <= 8 and "palette" in search["searched"]
    assert search["predicted"] >= search["predicted_default"]
    # Both are the searched options painted at another seed.
    strip = {"taste", "scene"}
    assert ({k: v for k, v in kept[0].recipe.options.items() if k not in strip}
            == {k: v for k, v in kept[1].recipe.options.items() if k not in strip})
    assert kept[0].recipe.seed != kept[1].recipe.seed
    [again] = studio.rerun(kept[1].id)
    assert np.array_equal(file_pixels(again), file_pixels(kept[1]))


def test_diffusion_keeps_the_best_seed_and_suggests_style_words(studio, tiny_sd):
    [kept] = studio.generate("a lighthouse at dusk", model=str(tiny_sd), steps=2, width=64, height=64,
                             seed=7, taste="warm", candidates=3)
    record = note(kept)
    assert record["seeds"] == [7, 8, 9] and kept.recipe.seed == 7 + int(np.argmax(record["scores"]))
    assert "search" not in record
    words = record["style_words"]
    assert words and all(isinstance(w, str) for w in words) and words[0].startswith("in the style of ")
    assert kept.recipe.prompt == "a lighthouse at dusk"  # suggested, not applied
    # The diffusion engine refuses unknown options: the note must not reach it on a rerun.
    [again] = studio.rerun(kept.id)
    assert again.recipe == kept.recipe and np.array_equal(file_pixels(again), file_pixels(kept))
    with pytest.raises(InvalidArgument, match="`taste_search` works with the painter only"):
        studio.generate("a lighthouse", model=str(tiny_sd), taste="warm", taste_search=True)


def test_plain_errors_and_nothing_stored(studio):
    count = len(studio.list())
    with pytest.raises(UnknownName, match=r"Unknown taste profile of me 'cold'\. Known: 'early', 'warm'\."):
        studio.paint(PROMPT, width=96, height=96, taste="cold")
    with pytest.raises(InvalidArgument, match=r"`candidates` \(3\) only applies with `taste`"):
        studio.paint(PROMPT, width=96, height=96, candidates=3)
    with pytest.raises(InvalidArgument, match=r"`candidates` must be an integer from 1 to 64, got 0"):
        studio.paint(PROMPT, width=96, height=96, taste="warm", candidates=0)
    with pytest.raises(InvalidArgument, match=r"`batch_size` \(the artworks kept\) must be from 1 to "
                                              r"`candidates` \(2\), got 3"):
        studio.generate(PROMPT, engine="painter", width=96, height=96, taste="warm", candidates=2,
                        batch_size=3)
    with pytest.raises(InvalidArgument, match="`taste` must name a taste profile"):
        studio.paint(PROMPT, taste=3)
    # A profile saved before the embedder's space changed says how to refit it.
    old = TasteProfile(studio.settings.person, "old", TasteModel.prior(5), "lite0-v1", 24, 0.9)
    save_profile(studio, old)
    with pytest.raises(InvalidArgument, match=r"'old' has 5 weights but embedder 'lite0-v1' now gives 55 "
                                              r"features: refit it with `studiolo taste fit old`"):
        studio.paint(PROMPT, taste="old")
    studio.catalog.delete_taste_profile(studio.settings.person, "old")
    assert len(studio.list()) == count


def test_an_unsure_profile_still_works_but_warns_with_its_accuracy(studio):
    with pytest.warns(TasteWarning, match=r"'early' is fitted on only 6 rated pairs: right on \d+% of "
                                          r"pairs it has not seen \(6 pairs\).*rate ~14 more"):
        [kept] = studio.paint(PROMPT, seed=2, width=96, height=96, taste="early", candidates=2,
                              taste_search=False)
    assert note(kept)["profile"] == "early" and note(kept)["pairs"] == 6
    with warnings.catch_warnings():
        warnings.simplefilter("error", TasteWarning)  # 24 pairs: no warning
        studio.paint(PROMPT, seed=2, width=96, height=96, taste="warm", candidates=1, taste_search=False)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_paint_and_generate_with_taste(studio, capsys, monkeypatch):
    home = str(studio.settings.home)
    code, out, err = run(capsys, "--home", home, "paint", PROMPT, "--taste", "warm", "--candidates", "3",
                         "--no-taste-search", "-W", "96", "-H", "96", "--seed", "3", "--json")
    assert code == 0, err
    [made] = json.loads(out)
    record = made["recipe"]["options"]["taste"]
    assert record["candidates"] == 3 and made["recipe"]["seed"] == 3 + int(np.argmax(record["scores"]))

    monkeypatch.setattr("studiolo.capabilities.taste.verbs.SEARCH_DEFAULTS", TINY_SEARCH)
    code, out, err = run(capsys, "--home", home, "generate", PROMPT, "--engine", "painter", "--taste", "early",
                         "--candidates", "2", "--size", "96x96", "--seed", "4")
    assert code == 0, err
    assert "'early' is fitted on only 6 rated pairs" in err
    assert "Kept the best of 2 by taste 'early'" in err and "Searched " in err
    assert len(out.strip().splitlines()) == 1  # one artwork kept and reported

    code, out, err = run(capsys, "--home", home, "paint", PROMPT, "--taste", "cold", "-W", "96", "-H", "96")
    assert code == 1 and "Unknown taste profile of me 'cold'" in err and "Traceback" not in err
    code, out, err = run(capsys, "--home", home, "generate", PROMPT, "--candidates", "2")
    assert code == 1 and "only applies with `taste`" in err
