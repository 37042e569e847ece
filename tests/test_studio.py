"""The Studio's one path: recipe -> engine -> PNG with infotext -> file store + catalog."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studiolo.core.errors import ImageError, InvalidArgument, ModelNotFound, UnknownName
from studiolo.core.imagemeta import read_text_chunks
from studiolo.provenance.infotext import infotext_to_recipe
from studiolo.studio import Studio


@pytest.fixture
def studio(studio_home):
    return Studio()


def small(**kw):
    base = {"steps": 2, "width": 64, "height": 64, "seed": 7}
    base.update(kw)
    return base


def test_generate_stores_png_with_recipe_and_catalog_row(studio, tiny_sd):
    [art] = studio.generate("a lighthouse at dusk", model=str(tiny_sd), **small())
    assert art.id and art.path.is_file()
    assert art.path.name.startswith(art.id[2:6])  # content-addressed ab/cdef... name
    with Image.open(art.path) as im:
        assert im.size == (64, 64)
    text = read_text_chunks(art.path)["parameters"]
    assert "Steps: 2" in text and "Seed: 7" in text and "Size: 64x64" in text
    assert infotext_to_recipe(text) == art.recipe
    again = studio.get(art.id[:10])
    assert again.recipe == art.recipe
    assert next(c.role for c in again.credits) == "prompt_author"
    assert abs(sum(c.share for c in again.credits) - 1.0) < 1e-9
    assert [a.id for a in studio.list()] == [art.id]


def test_same_recipe_same_pixels_and_rerun(studio, tiny_sd):
    [a] = studio.generate("a lighthouse at dusk", model=str(tiny_sd), **small())
    [b] = studio.generate("a lighthouse at dusk", model=str(tiny_sd), **small())
    [c] = studio.generate("a lighthouse at dusk", model=str(tiny_sd), **small(seed=8))
    # Each stored file carries its own signed manifest (its own time and instance
    # id), so content ids differ; the pixels, watermark included, are the same.
    def pixels(art):
        return np.asarray(Image.open(art.path))

    assert np.array_equal(pixels(a), pixels(b))
    assert not np.array_equal(pixels(a), pixels(c))
    [r] = studio.rerun(a.id)
    assert np.array_equal(pixels(r), pixels(a)) and r.recipe == a.recipe


def test_img2img_keeps_input_and_parent(studio, tiny_sd, tmp_path):
    [a] = studio.generate("a lighthouse at dusk", model=str(tiny_sd), **small())
    [b] = studio.img2img(a.path, "an oil painting", model=str(tiny_sd), strength=0.5, steps=4,
                         seed=1)
    assert b.parents == (a.id,)
    init = b.recipe.input("init")
    assert init and studio.files.exists(init)
    assert b.recipe.strength == 0.5


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"width": 60}, InvalidArgument, "divisible by 8"),
        ({"steps": 0}, InvalidArgument, "`steps`"),
        ({"sampler": "Warp drive"}, UnknownName, "Euler a"),
        ({"prompt": ""}, InvalidArgument, "`prompt`"),
    ],
)
def test_bad_generation_writes_nothing(studio, tiny_sd, kwargs, error, words):
    prompt = kwargs.pop("prompt", "a lighthouse")
    with pytest.raises(error, match=None) as info:
        studio.generate(prompt, model=str(tiny_sd), **small(**kwargs))
    assert words in str(info.value)
    assert studio.list() == []
    assert list(studio.files.iter_ids()) == []


def test_unknown_model_names_the_pull_command(studio):
    with pytest.raises(ModelNotFound) as info:
        studio.generate("a lighthouse", model="nobody/no-such-model", **small())
    assert "studiolo models pull nobody/no-such-model" in str(info.value)
    assert studio.list() == []


def test_truncated_input_image_refused_and_nothing_written(studio, tiny_sd, tmp_path):
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 64), "red").save(good)
    broken = tmp_path / "broken.png"
    broken.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(ImageError) as info:
        studio.img2img(broken, "a lighthouse", model=str(tiny_sd), steps=2)
    assert "broken.png" in str(info.value)
    assert studio.list() == [] and list(studio.files.iter_ids()) == []


def test_jobs_run_in_background_and_record_results(studio, tiny_sd):
    job = studio.jobs.submit(
        "generate", {"prompt": "a boat"},
        lambda progress: studio.generate("a boat", model=str(tiny_sd), progress=progress, **small()),
    )
    done = studio.jobs.wait(job.id, timeout=120)
    assert done.status == "done" and done.progress == 1.0
    assert len(done.result_ids) == 1 and studio.get(done.result_ids[0])
    failing = studio.jobs.submit(
        "generate", {"prompt": ""},
        lambda progress: studio.generate("", model=str(tiny_sd), **small()),
    )
    failed = studio.jobs.wait(failing.id, timeout=120)
    assert failed.status == "failed" and "`prompt`" in failed.error
