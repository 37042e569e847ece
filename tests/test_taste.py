"""Taste: features, the preference model, active selection, profiles, codes and the CLI."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from studiolo.capabilities.taste.codes import export_code, parse_code, profile_from_code
from studiolo.capabilities.taste.model import (
    TasteModel,
    heldout_accuracy,
    implied_pairs,
    information_gain,
    next_pair,
    pair_diffs,
)
from studiolo.capabilities.taste.profile import (
    TasteProfile,
    fit_profile,
    load_profile,
    suggest_pair,
    training_pairs,
)
from studiolo.cli import main
from studiolo.cli.app import cli
from studiolo.core.errors import InvalidArgument, ModelNotFound, UnknownName, UnsafeModelFile
from studiolo.core.types import Artwork, Recipe
from studiolo.features import content as effnet
from studiolo.features.colour import STAT_NAMES, image_stats
from studiolo.features.embed import DefaultEmbedder, get_embedder

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def picture(red: float, blue: float, seed: int, size: tuple[int, int] = (64, 48)) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = np.array([red, 0.45, blue])
    pixels = np.clip(base + rng.normal(0, 0.12, (size[1], size[0], 3)), 0, 1)
    return Image.fromarray((pixels * 255).astype(np.uint8))


def warmth_of(image: Image.Image) -> float:
    a = np.asarray(image, np.float32)
    return float(a[..., 0].mean() - a[..., 2].mean())


# -- features ----------------------------------------------------------------------


def test_bundled_effnet_weights_load_checked_and_classify():
    assert effnet._sha256(effnet.weights_path()) == effnet.WEIGHTS_SHA256
    net = effnet.load_network()  # strict state-dict load of every key
    with torch.inference_mode():
        logits = net(effnet.to_input(picture(0.8, 0.2, 0)))
    assert logits.shape == (1, 1000) and torch.isfinite(logits).all()


def test_effnet_refuses_weights_whose_sha_differs(tmp_path, monkeypatch):
    fake = tmp_path / "efficientnet-lite0.pth"
    torch.save({"x": torch.zeros(1)}, fake)
    monkeypatch.setattr(effnet, "weights_path", lambda: fake)
    effnet.load_network.cache_clear()
    try:
        with pytest.raises(UnsafeModelFile, match="have sha256 .* expected 579344248a93"):
            effnet.load_network()
    finally:
        effnet.load_network.cache_clear()


def test_default_embedder_shapes_and_determinism():
    embedder = get_embedder()
    assert isinstance(embedder, DefaultEmbedder) and get_embedder("lite0-v1") is embedder
    images = [picture(0.8, 0.2, 1), picture(0.2, 0.8, 2, size=(40, 72))]
    raw = embedder.embed(images)
    assert raw.shape == (2, len(STAT_NAMES) + 100 + 1280) and raw.dtype == np.float32
    assert np.isfinite(raw).all()
    assert np.array_equal(raw, embedder.embed(images))
    reduced = embedder.reduce(raw)
    assert reduced.shape == (2, embedder.reduced_size) == (2, 15 + 8 + 24 + 8)
    space = embedder.space()
    assert len(space.reference_titles) == space.reference.shape[0] > 40
    # Each block has unit average variance over the reference paintings.
    for name, cols in embedder.reduced_slices().items():
        assert np.mean(space.reference[:, cols].var(axis=0)) == pytest.approx(1.0, rel=0.05), name
    with pytest.raises(InvalidArgument, match="Image 0 is 8x8 px"):
        embedder.embed([Image.new("RGB", (8, 8))])
    with pytest.raises(InvalidArgument, match="Image 0 must be a PIL image"):
        embedder.embed(["not an image"])


def test_stats_read_warmth_and_symmetry():
    warm, cool = image_stats(picture(0.9, 0.1, 3)), image_stats(picture(0.1, 0.9, 3))
    i = STAT_NAMES.index("warmth")
    assert warm[i] > 0.5 > -0.5 > cool[i]
    half = np.asarray(picture(0.5, 0.5, 4, size=(32, 48)))
    mirrored = Image.fromarray(np.concatenate([half, half[:, ::-1]], axis=1))
    assert image_stats(mirrored)[STAT_NAMES.index("symmetry")] == pytest.approx(1.0, abs=1e-3)


def test_unknown_and_absent_embedders_say_what_to_do(tmp_path):
    with pytest.raises(UnknownName, match="Unknown embedder 'vgg'. Known: 'default'"):
        get_embedder("vgg")
    with pytest.raises(ModelNotFound, match="studiolo models pull openai/clip-vit-base-patch32"):
        get_embedder("clip")
    with pytest.raises(ModelNotFound, match="No DINO model in the folder"):
        get_embedder(f"dino:{tmp_path}")


def test_a_local_clip_folder_is_an_embedder(tmp_path, monkeypatch):
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    from studiolo.features import embed as features
    torch.manual_seed(0)
    config = CLIPVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                              num_attention_heads=2, image_size=32, patch_size=8,
                              projection_dim=12)
    CLIPVisionModelWithProjection(config).save_pretrained(tmp_path)
    CLIPImageProcessor(size={"shortest_edge": 32},
                       crop_size={"height": 32, "width": 32}).save_pretrained(tmp_path)
    paintings = features.reference_images()[:16]  # enough for 12 principal axes, and quick
    monkeypatch.setattr(features, "reference_images", lambda: paintings)
    embedder = get_embedder(f"clip:{tmp_path}")
    assert embedder.id == f"clip:{tmp_path}" and embedder.reduced_size == 15 + 12
    raw = embedder.embed([picture(0.8, 0.2, 5)])
    assert raw.shape == (1, 15 + 12) and np.linalg.norm(raw[0, 15:]) == pytest.approx(1, abs=1e-5)
    assert embedder.reduce(raw).shape == (1, 27)


# -- the model ---------------------------------------------------------------------


def hidden_world(seed: int, n: int = 60, k: int = 16):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k))
    w = rng.normal(size=k)
    return x, w * 4 / np.linalg.norm(w), rng


def pick(u: np.ndarray, i: int, j: int, rng) -> tuple[int, int]:
    """A person whose picks follow utility u, with Bradley-Terry noise."""
    return (i, j) if rng.random() < 1 / (1 + np.exp(-(u[i] - u[j]))) else (j, i)


def ranking_accuracy(x: np.ndarray, truth: np.ndarray, model: TasteModel) -> float:
    u, m = x @ truth, model.utility(x)[0]
    i, j = np.triu_indices(len(x), 1)
    return float(np.mean(np.sign(u[i] - u[j]) == np.sign(m[i] - m[j])))


def test_learns_a_hidden_preference_from_30_pairs():
    x, truth, rng = hidden_world(0)
    u = x @ truth
    pairs = [pick(u, *map(int, rng.choice(len(x), 2, replace=False)), rng) for _ in range(30)]
    model = TasteModel.fit_pairs(x, pairs)
    assert ranking_accuracy(x, truth, model) > 0.75  # chance is 0.5
    held = heldout_accuracy(pair_diffs(x, pairs)[0])
    assert held.n_pairs == 30 and held.accuracy > 0.6  # 0.67: its picks are noisy too
    assert held.sentence().startswith(f"right on {held.accuracy:.0%} of pairs it has not seen "
                                      "(30 pairs); trustworthy from ~20")
    mean, std = model.utility(x[:3])
    assert mean.shape == std.shape == (3,) and (std > 0).all()
    p = model.prob_prefers(x[:5], x[5:10])
    assert np.allclose(p + model.prob_prefers(x[5:10], x[:5]), 1.0)
    assert np.array_equal(TasteModel.from_dict(model.to_dict()).weights, model.weights)


def test_too_few_pairs_say_how_many_more():
    with pytest.raises(InvalidArgument, match="needs at least 5 pairs, got 2; rate 3 more"):
        TasteModel.fit(np.ones((2, 4)))
    assert heldout_accuracy(np.ones((3, 4))).accuracy is None


def test_active_selection_asks_more_informative_pairs_than_random():
    x, truth, rng = hidden_world(1, n=40)
    model = TasteModel.fit_pairs(x, [pick(x @ truth, 2 * t, 2 * t + 1, rng) for t in range(6)])
    i, j = next_pair(model, x)
    a, b = rng.integers(0, len(x), size=(2, 200))
    random_gain = information_gain(model, x[a[a != b]] - x[b[a != b]]).mean()
    assert information_gain(model, (x[i] - x[j])[None])[0] > 2 * random_gain
    # Over whole rating sessions: a sharper posterior and better rankings than random pairs.
    logdet, accuracy = {True: [], False: []}, {True: [], False: []}
    for seed in range(8):
        x, truth, _ = hidden_world(10 + seed, n=40, k=12)
        for active in (True, False):
            rng = np.random.default_rng(seed)
            pairs: list[tuple[int, int]] = []
            model = TasteModel.prior(12)
            for _ in range(15):
                if active:
                    i, j = next_pair(model, x, exclude=pairs)
                else:
                    i, j = map(int, rng.choice(len(x), 2, replace=False))
                pairs.append(pick(x @ truth, i, j, rng))
                if len(pairs) >= 5:
                    model = TasteModel.fit_pairs(x, pairs, prior_precision=1.0)
            logdet[active].append(np.linalg.slogdet(model.covariance)[1])
            accuracy[active].append(ranking_accuracy(x, truth, model))
    assert np.mean(logdet[True]) < np.mean(logdet[False]) - 1.0
    assert np.mean(accuracy[True]) > np.mean(accuracy[False])


def test_likes_and_stars_become_implied_pairs():
    pairs = implied_pairs({"a": 5.0, "b": 1.0, "c": 4.0, "d": 3.0})
    assert pairs[0] == ("a", "b", 0.5)  # the clearest first
    assert {(w, lo) for w, lo, _ in pairs} == {("a", "b"), ("c", "b"), ("a", "d"), ("d", "b")}


# -- profiles, codes, the CLI ----------------------------------------------------------


@pytest.fixture
def rated(studio_home):
    """A studio with 10 small artworks and a person who picks the warmer one, 12 times."""
    from studiolo.studio import Studio

    studio = Studio()
    ids, warmth = [], {}
    for k in range(10):
        image = picture(k / 9, 1 - k / 9, k)
        made = studio.store(Artwork(recipe=Recipe(engine="painter", prompt=f"field {k}", seed=k),
                                    image=image))
        ids.append(made.id)
        warmth[made.id] = warmth_of(image)
    person = studio.settings.person
    for r in range(12):
        a, b = suggest_pair(studio, person, seed=r)
        studio.catalog.add_pair(person, *sorted((a, b), key=lambda i: -warmth[i]))
    yield studio, ids
    studio.catalog.close()


def test_profile_fits_saves_scores_and_round_trips_as_a_code(rated):
    studio, ids = rated
    profile = fit_profile(studio)
    assert (profile.name, profile.version, profile.n_pairs) == ("default", 1, 12)
    assert profile.accuracy is not None and profile.accuracy >= 0.75
    assert "rate ~8 more" in profile.trust()
    assert profile.describe().startswith("likes warm")
    loaded = load_profile(studio, "default")
    images = [picture(0.9, 0.1, 50), picture(0.1, 0.9, 51), picture(0.5, 0.5, 52)]
    scores = loaded.score_images(images)
    assert scores.shape == (3,) and scores[0] > scores[2] > scores[1]
    assert np.allclose(loaded.score_artworks(studio, ids[:3]), profile.score_artworks(studio, ids[:3]))
    # A taste code: short, and the same predictions within the 8-bit quantisation.
    code = export_code(loaded)
    assert code.startswith("stv1-") and len(code) < 100
    copy = profile_from_code(code, "bob", "borrowed")
    assert (copy.embedder, copy.n_pairs, copy.accuracy) == ("lite0-v1", 12,
                                                             round(profile.accuracy, 2))
    again = copy.score_images(images)
    assert np.abs(again - scores).max() < 0.02 * (np.ptp(scores) + 1e-9) + 0.02
    assert np.argsort(again).tolist() == np.argsort(scores).tolist()


def test_profile_errors_are_plain(rated, studio_home):
    studio, ids = rated
    with pytest.raises(InvalidArgument, match="has no taste profile 'default' yet"):
        load_profile(studio)
    fit_profile(studio)
    with pytest.raises(UnknownName, match="Unknown taste profile of .* 'cold'. Known: 'default'"):
        load_profile(studio, "cold")
    with pytest.raises(InvalidArgument, match="bob has 0 usable pairs; a taste profile needs 5: "
                                              "rate 5 more"):
        fit_profile(studio, "bob")
    studio.catalog.add_stars("bob", ids[0], 5)
    studio.catalog.add_like("bob", ids[1], liked=False)
    assert len(training_pairs(studio, "bob").implied) == 1


@pytest.mark.parametrize("code, words", [
    ("hello", "Not a taste code: it should look like 'stv1-...', got 'hello'"),
    ("stv2-AQEAGWAvPgNCAfsK", "This is a version 2 taste code; this studiolo reads version 1"),
    ("stv1-AQEAGWAvPgNCAfsKxx", "This taste code is damaged"),
    ("stv1-!!!", "Not a taste code"),
])
def test_bad_taste_codes_are_named(code, words):
    with pytest.raises(InvalidArgument, match=words):
        parse_code(code)


def test_a_code_for_another_space_size_is_refused():
    model = TasteModel(np.ones(5), np.eye(5), 1.0, 5)
    code = export_code(TasteProfile("ada", "x", model, "lite0-v1", 5, None))
    assert parse_code(code).accuracy is None and np.allclose(parse_code(code).weights, 1.0)
    with pytest.raises(InvalidArgument, match="has 5 weights but embedder 'lite0-v1' here has 55"):
        profile_from_code(code, "ada", "x")


def test_a_code_made_on_other_reference_paintings_is_refused(monkeypatch):
    from studiolo.capabilities.taste import codes
    model = TasteModel(np.linspace(-1, 1, 55), np.eye(55), 1.0, 9)
    code = export_code(TasteProfile("ada", "x", model, "lite0-v1", 9, 0.8))
    assert np.allclose(profile_from_code(code, "ada", "y").model.weights, model.weights, atol=0.01)
    monkeypatch.setattr(codes, "_fingerprint", lambda embedder, home: 12345)
    with pytest.raises(InvalidArgument, match="made on another set of reference paintings"):
        profile_from_code(code, "ada", "y")


def test_cli_rate_in_the_terminal_then_show_export_import(rated, capsys):
    _, ids = rated
    runner = CliRunner()
    result = runner.invoke(cli, ["rate", "--terminal"], input="1\n2\ns\nq\n")
    assert result.exit_code == 0, result.output
    assert "Which do you prefer?" in result.output and "14 pairs rated in all." in result.output
    assert "Profile: right on" in result.output
    result = runner.invoke(cli, ["rate", "--like", ids[9][:8], "--stars", ids[0][:8], "1"])
    assert result.exit_code == 0 and f"{ids[9][:12]}  liked" in result.output
    code, out, err = run(capsys, "taste", "show", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["pairs"] == 14 and shown["likes"].startswith("likes warm")
    code, out, _ = run(capsys, "taste", "export")
    taste_code = out.strip()
    assert code == 0 and taste_code.startswith("stv1-")
    code, out, _ = run(capsys, "taste", "import", taste_code, "--name", "friend")
    assert code == 0 and "Saved friend version 1: likes warm" in out
    code, out, _ = run(capsys, "taste", "ls")
    assert out.split() == ["default", "friend"]
    for args, words in [(["taste", "import", "stv9-abc", "--name", "x"], "version 9 taste code"),
                        (["taste", "show", "nope"], "Unknown taste profile"),
                        (["rate", "--stars", ids[0][:8], "9"], "`stars` must be a whole number"),
                        (["rate", "--like", "abcdef99"], "Unknown artwork 'abcdef99'")]:
        code, out, err = run(capsys, *args)
        assert code == 1 and err.startswith("Error: ") and words in err, (args, err)
        assert "Traceback" not in err


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_rating_page_records_clicks_with_its_token(rated):
    from studiolo.capabilities.taste.rate_page import RatingSession, make_rating_server

    studio, _ = rated
    session = RatingSession(studio, studio.settings.person, rounds=1)
    server, url = make_rating_server(session)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = urllib.request.urlopen(url, timeout=60).read().decode()
        first, second = session.pair
        assert f"/img/{first}?t={session.token}" in page and "Which do you prefer?" in page
        image = urllib.request.urlopen(url.replace("/?", f"/img/{second}?"), timeout=60).read()
        assert image.startswith(b"\x89PNG")
        with pytest.raises(urllib.error.HTTPError, match="403"):
            urllib.request.urlopen(url.split("?")[0], timeout=60)
        base = url.split("/?")[0]
        forged = urllib.request.Request(f"{base}/pick", data=b"t=wrong&choice=1")
        with pytest.raises(urllib.error.HTTPError, match="403"):
            urllib.request.urlopen(forged, timeout=60)
        before = studio.catalog.count_ratings(session.person, "pair")
        body = f"t={session.token}&choice=2".encode()
        done = urllib.request.urlopen(urllib.request.Request(f"{base}/pick", data=body), timeout=60)
        assert "Thank you" in done.read().decode()
        [last] = studio.catalog.list_ratings(session.person, "pair")[-1:]
        assert (last.artwork_id, last.other_id) == (second, first)
        assert studio.catalog.count_ratings(session.person, "pair") == before + 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
