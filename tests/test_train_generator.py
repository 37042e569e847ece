"""The personal generator: training, checkpoints and resume, the engine, journeys, the CLI.

Everything runs a tiny generator (32 px, width 8, z_dim 16, batch 4) for a few
steps on eight numpy patterns, on one CPU thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image
from safetensors.torch import load_file

from studiolo.capabilities.generator.engine import GeneratorEngine
from studiolo.capabilities.generator.nets import load_generator
from studiolo.capabilities.generator.train import TrainingInterrupted, train_generator
from studiolo.cli import main
from studiolo.cli.app import cli
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument, StudioloError, UnknownName, UnsafeModelFile
from studiolo.core.settings import Settings
from studiolo.core.types import Recipe
from studiolo.features.training_data import TrainingDataWarning
from studiolo.studio import Studio

TINY = {"size": 32, "width": 8, "z_dim": 16, "batch_size": 4}


def patterns(folder, count=8, side=32):
    """Stripes, checks and gradients in different colours: a small 'body of work'."""
    folder.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:side, 0:side]
    for i in range(count):
        colour = np.array([(60 * i) % 256, (255 - 40 * i) % 256, (100 + 70 * i) % 256])
        mask = ((x // (2 + i)) + (y // (3 + i % 3))) % 2 if i % 2 else (x + i * y) % (6 + i) < 3
        pixels = np.where(np.asarray(mask, bool)[..., None], colour, 255 - colour)
        Image.fromarray(pixels.astype(np.uint8)).save(folder / f"work-{i}.png")
    return folder


pytestmark = pytest.mark.usefixtures("one_torch_thread")

@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("generator-home")


@pytest.fixture(autouse=True)
def _env(home, monkeypatch):
    monkeypatch.setenv("STUDIOLO_HOME", str(home))
    monkeypatch.setenv("STUDIOLO_PERSON", "Ada Painter")
    monkeypatch.delenv("STUDIOLO_DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return patterns(tmp_path_factory.mktemp("art"))


@pytest.fixture(scope="module")
def trained(home, data):
    events = []
    os.environ["STUDIOLO_PERSON"] = "Ada Painter"
    settings = Settings.from_env(home)
    result = train_generator(data, name="mine", steps=6, checkpoint_every=3, settings=settings,
                             progress=events.append, **TINY)
    return result, events


def sample(model="mine", seed=0, batch_size=1, **recipe):
    recipe = {"engine": "generator", "mode": "sample", "model": model, "seed": seed, **recipe}
    return GeneratorEngine().run(Request(Recipe(**recipe), batch_size=batch_size))


def px(artwork) -> np.ndarray:
    return np.asarray(artwork.image, dtype=np.int16)


# -- training ---------------------------------------------------------------------------


def test_training_reports_finite_changing_losses_and_writes_safetensors_and_json(trained, data):
    result, events = trained
    steps = [e for e in events if e["stage"] == "train"]
    assert [e["step"] for e in steps] == [1, 2, 3, 4, 5, 6] and steps[0]["total"] == 6
    losses = np.array([[e["losses"]["d"], e["losses"]["g"]] for e in steps])
    assert np.isfinite(losses).all() and np.ptp(losses[:, 0]) > 0 and np.ptp(losses[:, 1]) > 0
    assert "loss D" in steps[0]["message"]
    assert [e["step"] for e in steps if e["preview"] is not None] == [3, 6]
    assert steps[2]["preview"].size == (4 * 32, 4 * 32)
    assert sorted(p.name for p in result.folder.iterdir()) == [
        "config.json", "generator.safetensors", "samples.png"]
    config = json.loads((result.folder / "config.json").read_text())
    assert config["size"] == 32 and config["z_dim"] == 16 and config["steps"] == 6
    assert config["images"] == 8 and len(config["training_sha256"]) == 8
    assert config["trained_by"] == "Ada Painter" and config["date"].startswith("20")
    assert (result.run_folder / "generator-checkpoint.safetensors").is_file()
    assert json.loads((result.run_folder / "generator-checkpoint.json").read_text())["step"] == 6


def test_same_seed_data_steps_give_the_same_weights_and_resume_equals_uninterrupted(
        home, data, trained):
    settings = Settings.from_env(home)

    def stop_at_3(event):
        if event["stage"] == "train" and event["step"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted) as info:
        train_generator(data, name="again", steps=6, checkpoint_every=100, settings=settings,
                        progress=stop_at_3, **TINY)
    assert info.value.step == 3 and info.value.checkpoint.is_file()
    assert not (settings.models_dir / "generators" / "again").exists()
    with pytest.raises(InvalidArgument, match="already exists"):
        train_generator(data, name="again", steps=6, settings=settings, **TINY)
    with pytest.raises(InvalidArgument, match="`size` is 64 but the run being resumed"):
        train_generator(data, name="again", size=64, resume=True, settings=settings)
    resumed = train_generator(data, name="again", resume=True, settings=settings)
    assert resumed.steps == 6
    for kind in ("models/generators/{}/generator.safetensors",
                 "training/{}/generator-checkpoint.safetensors"):
        a, b = (load_file(home / kind.format(n)) for n in ("mine", "again"))
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), kind


def test_ctrl_c_stops_at_the_end_of_the_step_with_a_checkpoint(home, data):
    def ctrl_c_at_2(event):
        if event["stage"] == "train" and event["step"] == 2:
            os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)  # pytest-xdist workers ignore SIGINT
    with pytest.raises(TrainingInterrupted) as info:
        train_generator(data, name="ctrl-c", steps=50, settings=Settings.from_env(home),
                        progress=ctrl_c_at_2, **TINY)
    assert info.value.step == 2 and info.value.total == 50
    assert signal.getsignal(signal.SIGINT) is before  # put back


def test_a_time_budget_mixed_sizes_and_a_corrupt_image(home, tmp_path):
    folder = patterns(tmp_path / "mixed", count=5)
    Image.new("RGB", (90, 50), (200, 30, 30)).save(folder / "wide.jpg")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.warns(TrainingDataWarning, match="broken.png"):
        result = train_generator(folder, name="timed", minutes=0.001, settings=Settings.from_env(home),
                                 **TINY)
    assert result.steps >= 1 and result.config["images"] == 6
    assert [name for name, _ in result.skipped] == ["broken.png"]


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"size": 40}, "`size` has to be a multiple of 16 from 32 to 128 (64 is the default"),
        ({"size": 4096}, "but is 4096"),
        ({"name": "../up"}, "`name` has to be 1-64 letters"),
        ({"steps": 5, "minutes": 1}, "Give `minutes` or `steps`, not both"),
        ({"batch_size": 0}, "`batch_size` has to be a whole number from 1 to 256 but is 0"),
        ({"lr_g": 2}, "`lr_g` has to be a learning rate"),
        ({"resume": True, "name": "never"}, "no checkpoint of a generator run named 'never'"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(home, data, kwargs, words):
    kwargs = {"name": "bad", "steps": 1, **kwargs}
    with pytest.raises(InvalidArgument) as info:
        train_generator(data, settings=Settings.from_env(home), **kwargs)
    assert words in str(info.value)


def test_a_folder_without_images(home, tmp_path):
    with pytest.raises(InvalidArgument, match="has no images"):
        train_generator(tmp_path, name="empty", steps=1, settings=Settings.from_env(home))


# -- the model files and the engine ----------------------------------------------------------


def test_samples_are_seeded_and_a_batch_is_its_seeds(trained):
    a, again, other = sample(seed=5)[0], sample(seed=5)[0], sample(seed=6)[0]
    assert a.image.size == (32, 32) and np.array_equal(px(a), px(again))
    assert np.abs(px(a) - px(other)).mean() > 1
    batch = sample(seed=5, batch_size=3)
    assert [b.recipe.seed for b in batch] == [5, 6, 7]
    assert np.array_equal(px(batch[0]), px(a)) and np.array_equal(px(batch[1]), px(other))
    recipe = a.recipe
    assert (recipe.mode, recipe.model, recipe.width, recipe.generator_device) == (
        "sample", "mine", 32, "cpu")
    assert recipe.model_hash == load_generator("mine").sha256


def test_a_pickle_posing_as_generator_safetensors_is_refused(trained, home):
    result, _ = trained
    evil = home / "models" / "generators" / "evil"
    evil.mkdir()
    (evil / "config.json").write_text((result.folder / "config.json").read_text())
    torch.save({"fc.weight": torch.zeros(2)}, evil / "generator.safetensors")
    with pytest.raises(UnsafeModelFile, match="pickle"):
        load_generator("evil")
    with pytest.raises(UnsafeModelFile, match="pickle"):
        sample(model="evil")


def test_unknown_generator_names_the_known_ones_in_one_sentence(trained):
    with pytest.raises(UnknownName) as info:
        sample(model="mien")
    text = str(info.value)
    assert text.startswith("Unknown generator 'mien': the ones trained in ") and "'mine'" in text
    assert text.count(". ") == 0


def test_bad_sample_requests(trained):
    with pytest.raises(InvalidArgument, match="`mode` has to be 'sample'"):
        sample(mode="txt2img")
    with pytest.raises(InvalidArgument, match="`seed` has to be a whole number"):
        sample(seed=-1)
    with pytest.raises(InvalidArgument, match="`batch_size` has to be from 1 to 64"):
        sample(batch_size=0)
    with pytest.raises(InvalidArgument, match="trained again since"):
        sample(model_hash="0" * 64)
    with pytest.raises(InvalidArgument, match="takes no options"):
        sample(options={"steps": 3})


def test_studio_stores_a_sample_with_recipe_and_credits_and_reruns_it(trained, home):
    studio = Studio(home)
    [art] = studio.sample("mine", seed=11)
    assert art.path.is_file() and studio.get(art.id).recipe == art.recipe
    roles = {(c.name, c.kind, c.role) for c in art.credits}
    assert ("Ada Painter", "artist", "style_source") in roles
    assert ("mine", "model", "model_author") in roles
    source = next(c for c in art.credits if c.role == "style_source")
    assert "8 of their own artworks trained the generator 'mine'" in source.evidence
    [again] = studio.rerun(art.id)
    with Image.open(again.path) as a, Image.open(art.path) as b:
        assert a.tobytes() == b.tobytes()
    with pytest.raises(InvalidArgument, match="cannot do 'txt2img'"):
        studio.run(Recipe(engine="generator", model="mine"))


# -- journeys and the command line ----------------------------------------------------------


def test_a_generator_journey_walks_from_one_seed_to_the_other(trained, home):
    studio = Studio(home)
    frames = studio.explore(1, 2, kind="generator", model="mine", frames=3)
    ends = sample(seed=1)[0], sample(seed=2)[0]
    with Image.open(frames[0].path) as first, Image.open(frames[2].path) as last:
        assert np.array_equal(np.asarray(first), px(ends[0]))
        assert np.array_equal(np.asarray(last), px(ends[1]))
    assert frames[1].recipe.options["journey"] == {"kind": "generator", "a": 1, "b": 2,
                                                   "frames": 3, "index": 1, "t": 0.5}
    [again] = studio.rerun(frames[1].id)
    with Image.open(again.path) as a, Image.open(frames[1].path) as b:
        assert a.tobytes() == b.tobytes()


def test_cli_train_sample_and_explore(trained, home, data, capsys, monkeypatch):
    code = main(["train", "generator", str(data), "--name", "cli", "--steps", "2", "--size", "32",
                 "--batch", "4", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    made = json.loads(out)
    assert made["steps"] == 2 and made["sample"].endswith("sample cli --seed 1 --batch 8")
    assert made["explore"].endswith("explore --generator cli --seeds 1 2")
    code = main(["sample", "mine", "--seed", "4", "--batch", "2", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert [a["recipe"]["seed"] for a in json.loads(out)] == [4, 5]
    code = main(["explore", "--generator", "mine", "--seeds", "1", "2", "--frames", "3",
                 "--out", str(home / "walk")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert Image.open(home / "walk" / "journey.gif").n_frames == 3 and "Contact sheet" in out
    code = main(["explore", "--generator", "mine", "a prompt", "--seeds", "1", "2"])
    assert code == 1 and "give only --seeds A B" in capsys.readouterr().err
    code = main(["sample", "nobody"])
    assert code == 1 and "Unknown generator 'nobody'" in capsys.readouterr().err

    def interrupted(*args, **kwargs):
        raise TrainingInterrupted("cli2", 40, 100, home / "x.safetensors")

    monkeypatch.setattr("studiolo.capabilities.generator.train.train_generator", interrupted)
    code = main(["train", "generator", str(data), "--name", "cli2"])
    err = capsys.readouterr().err
    assert code == 130 and "Stopped at step 40 of 100" in err
    assert f"train generator {data} --name cli2 --resume" in err


# -- end to end through click's CliRunner -----------------------------------------------------


def invoke(*args: str, ok: bool = True):
    result = CliRunner().invoke(cli, list(args))
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


def stored(path: str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


@pytest.fixture(scope="module")
def cli_trained(home, data):
    """`studiolo train generator` at the sizes of the issue's check (default width and z_dim)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("STUDIOLO_PROGRESS", "1")  # bars even though stderr is not a terminal
        return invoke("--home", str(home), "train", "generator", str(data), "--name", "x",
                      "--size", "32", "--steps", "2", "--batch", "4")


def test_cli_trains_with_progress_then_samples_reruns_and_explores(cli_trained, home, tmp_path):
    assert "Generator x saved in" in cli_trained.stdout and "(2 steps on 8 images" in cli_trained.stdout
    assert "Training: loss D" in cli_trained.stderr  # the progress bar of the training steps
    assert "only 8 images" in cli_trained.stderr
    config = json.loads((home / "models/generators/x/config.json").read_text())
    assert (config["size"], config["steps"], config["batch_size"]) == (32, 2, 4)

    [one] = json.loads(invoke("sample", "x", "--seed", "1", "--json").stdout)
    [two] = json.loads(invoke("sample", "x", "--seed", "2", "--json").stdout)
    assert one["recipe"]["model"] == "x" and one["recipe"]["seed"] == 1
    assert one["recipe"]["model_hash"] == load_generator("x").sha256
    assert stored(one["path"]).shape == (32, 32, 3)
    [again] = json.loads(invoke("rerun", one["id"], "--json").stdout)
    assert np.array_equal(stored(again["path"]), stored(one["path"]))

    walk = json.loads(invoke("explore", "--generator", "x", "--seeds", "1", "2", "--frames", "3",
                             "--out", str(tmp_path / "walk"), "--json").stdout)
    with Image.open(walk["gif"]) as gif:
        assert gif.n_frames == 3
    assert Path(walk["contact_sheet"]).is_file()
    frames = walk["frames"]
    assert [f["recipe"]["options"]["journey"]["t"] for f in frames] == [0.0, 0.5, 1.0]
    assert np.array_equal(stored(frames[0]["path"]), stored(one["path"]))
    assert np.array_equal(stored(frames[-1]["path"]), stored(two["path"]))
    assert not np.array_equal(stored(frames[1]["path"]), stored(one["path"]))


def test_cli_resume_after_an_interruption_gives_the_uninterrupted_weights(cli_trained, home, data):
    def stop_after_1(event):
        if event["stage"] == "train" and event["step"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted):
        train_generator(data, name="x-resumed", size=32, steps=2, batch_size=4,
                        settings=Settings.from_env(home), progress=stop_after_1)
    result = invoke("train", "generator", str(data), "--name", "x-resumed", "--resume")
    assert "(2 steps on 8 images" in result.stdout
    a, b = (load_file(home / f"models/generators/{n}/generator.safetensors")
            for n in ("x", "x-resumed"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_cli_skips_corrupt_and_refused_images_with_a_warning(cli_trained, home, tmp_path):
    from studiolo.core.imagemeta import encode_png
    from studiolo.provenance.c2pa_manifest import sign_png

    folder = patterns(tmp_path / "mixed", count=4)
    Image.new("RGB", (90, 50), (200, 30, 30)).save(folder / "wide.jpg")  # another size
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (folder / "noai.png").write_bytes(encode_png(Image.new("RGB", (32, 32), (9, 9, 9)),
                                                 {"robots": "noai, noimageai"}))
    signed = sign_png(encode_png(Image.new("RGB", (40, 40), (90, 9, 9))),
                      recipe=Recipe(engine="x", prompt="mine"), credits=(), person="Bo",
                      training_mining="notAllowed", settings=Settings.from_env(home))
    (folder / "signed.png").write_bytes(signed)
    result = invoke("train", "generator", str(folder), "--name", "skips", "--size", "32",
                    "--steps", "1", "--batch", "4", "--json")
    made = json.loads(result.stdout)
    why = {s["file"]: s["why"] for s in made["skipped"]}
    assert sorted(why) == ["broken.png", "noai.png", "signed.png"] and made["images"] == 5
    assert "noai" in why["noai.png"] and "c2pa.training-mining" in why["signed.png"]
    for name in why:
        assert f"Skipped {name}" in result.stderr
    config = json.loads((home / "models/generators/skips/config.json").read_text())
    refused = {hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in why}
    assert len(config["training_sha256"]) == 5 and not refused & set(config["training_sha256"])


@pytest.mark.parametrize(
    "args, words",
    [
        (["sample", "nope"], "Unknown generator 'nope': the ones trained in "),
        (["explore", "--generator", "nope", "--seeds", "1", "2"], "Unknown generator 'nope': "),
        (["train", "generator", "{art}", "--name", "b", "--size", "100"],
         ("`size` has to be a multiple of 16 from 32 to 128 (64 is the default, 128 the largest "
          "a CPU trains in reasonable time) but is 100.")),
        (["train", "generator", "{empty}", "--name", "b", "--steps", "1"], "has no images"),
        (["train", "generator", "{art}", "--name", "x", "--steps", "1"], "already exists"),
    ],
)
def test_cli_bad_input_is_one_sentence(trained, cli_trained, home, data, tmp_path, args, words):
    (tmp_path / "empty").mkdir()
    args = [a.format(art=data, empty=tmp_path / "empty") for a in args]
    result = invoke(*args, ok=False)
    assert result.exit_code != 0 and isinstance(result.exception, StudioloError)
    text = str(result.exception)
    assert words in text and text.rstrip(".").count(". ") == 0 and text.endswith(".")
    if "Unknown" in words:
        assert "'mine'" in text and "'x'" in text
    assert not (home / "models" / "generators" / "b").exists()
    assert not (home / "training" / "b").exists()
