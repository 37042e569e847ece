"""The credit ledger: one share rule, model cards, LoRA tags, styles, parents, the sentence."""

from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pytest
from safetensors.numpy import save_file

from studiolo.core.errors import InvalidArgument, MetadataError
from studiolo.core.types import Credit, InputRef, LoraSpec, Recipe
from studiolo.features.styles import list_styles
from studiolo.provenance.credits import basic_credits
from studiolo.provenance.ledger import (
    CARRIED,
    PARENT_FRACTION,
    build_credits,
    credit_sentence,
    evidence_fields,
)
from studiolo.provenance.model_cards import (
    ModelInfo,
    lora_infos_for,
    model_info_for,
    read_folder_info,
    read_front_matter,
)

SD15 = ModelInfo("Stable Diffusion 1.5", ("RunwayML",), "CreativeML OpenRAIL-M",
                 source="README.md front matter")
CARD = """---
license: creativeml-openrail-m
model_name: Tiny Diffusion
authors:
  - Ada Lovelace
  - Studio Test
tags: [stable-diffusion, text-to-image]
---
# Tiny Diffusion
"""


def _random_recipe(rng: random.Random) -> tuple[Recipe, dict]:
    styles = [s for s in list_styles() if s.kind == "painting"]
    mode = rng.choice(["txt2img", "img2img", "inpaint", "stylize", "portrait", "upscale", "curate"])
    engine = rng.choice(["diffusion", "style", "portrait", "painter", "upscale"])
    options = {}
    if rng.random() < 0.5:
        options["styles"] = [{"name": rng.choice(styles).id, "weight": rng.uniform(0.1, 3)}
                             for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3:
            options["styles"].append({"input": "style", "weight": rng.uniform(0.1, 2)})
    inputs = tuple(InputRef(role, f"{i:064x}") for i, role in enumerate(
        rng.sample(["init", "mask", "style", "reference", "control"], rng.randint(0, 4))))
    recipe = Recipe(
        engine=engine, mode=mode, prompt=rng.choice(["", "a cat", "a harbour by monet"]),
        model=rng.choice([None, "some/model", "./x.safetensors"]),
        loras=tuple(LoraSpec(f"l{i}", rng.uniform(-2, 2)) for i in range(rng.randint(0, 3))),
        inputs=inputs, options=options,
    )
    kinds = ["person", "model", "lora", "artwork", "artist"]
    roles = ["prompt_author", "style_source", "reference", "model_author", "editor", "tool"]

    def credit() -> Credit:
        return Credit(f"c{rng.randint(0, 5)}", rng.choice(kinds), rng.choice(roles),
                      share=rng.choice([0.0, rng.random()]))

    extra = {
        "engine_credits": [credit() for _ in range(rng.randint(0, 3))],
        "parent_credits": [[credit() for _ in range(rng.randint(0, 4))]
                           for _ in range(rng.randint(0, 3))],
        "style_credits": [credit() for _ in range(rng.randint(0, 2))],
        "influences": [Credit(f"i{k}", "artist", "influence") for k in range(rng.randint(0, 2))],
        "model_info": rng.choice([None, SD15]),
        "lora_infos": [rng.choice([None, SD15]) for _ in range(rng.randint(0, 3))],
    }
    return recipe, extra


def test_shares_always_sum_to_one_over_random_recipes():
    rng = random.Random(1234)
    for _ in range(400):
        recipe, extra = _random_recipe(rng)
        credits = build_credits(recipe, person="Ana", **extra)
        assert abs(sum(c.share for c in credits) - 1.0) < 1e-9, (recipe, extra)
        assert all(c.share >= 0 for c in credits)
        assert credits[0].name == "Ana" and credits[0].kind == "person"
        keys = [(c.name, c.kind, c.role, c.ref) for c in credits]
        assert len(keys) == len(set(keys))  # one credit per contributor and role


def test_person_role_follows_the_mode_and_alone_holds_everything():
    assert build_credits(Recipe(engine="x", prompt="a"), person="Ana")[0].role == "prompt_author"
    assert build_credits(Recipe(engine="x", mode="img2img"), person="Ana")[0].role == "editor"
    assert build_credits(Recipe(engine="x", mode="curate"), person="Ana")[0].role == "curator"
    (alone,) = build_credits(Recipe(engine="painterless", prompt="a"), person="Ana")
    assert alone.share == pytest.approx(1.0)


def test_the_weights_of_the_rule():
    recipe = Recipe(engine="diffusion", prompt="a cat", model="m", loras=(LoraSpec("l", 0.5),))
    credits = {c.name: c.share for c in build_credits(recipe, person="Ana")}
    # person 1/2; model (weight 2) and LoRA (weight 1) split the other half 2:1
    assert credits == pytest.approx({"Ana": 0.5, "m": 1 / 3, "l": 1 / 6})
    assert basic_credits(recipe, "Ana") == build_credits(recipe, person="Ana")


def test_empty_person_is_refused():
    with pytest.raises(InvalidArgument, match="`person`"):
        build_credits(Recipe(engine="x"), person=" ")


def test_model_card_licence_from_a_diffusers_folder(tiny_sd, tmp_path):
    folder = tmp_path / "tiny-card"
    shutil.copytree(tiny_sd, folder)
    (folder / "README.md").write_text(CARD, "utf-8")
    recipe = Recipe(engine="diffusion", prompt="a cat", model=str(folder), model_hash="ab" * 32)
    info = model_info_for(recipe)
    assert info == ModelInfo("Tiny Diffusion", ("Ada Lovelace", "Studio Test"),
                             "CreativeML OpenRAIL-M", ("stable-diffusion", "text-to-image"),
                             None, "README.md front matter", "ab" * 32)
    credits = build_credits(recipe, person="Ana", model_info=info)
    model = next(c for c in credits if c.kind == "model")
    assert evidence_fields(model.evidence)["licence"] == "CreativeML OpenRAIL-M"
    assert credit_sentence(credits, recipe) == (
        "Made by Ana with Tiny Diffusion (Ada Lovelace, Studio Test, CreativeML OpenRAIL-M).")


def test_hub_snapshot_names_its_owner_and_known_models(tmp_path):
    snap = tmp_path / "hub" / "models--runwayml--stable-diffusion-v1-5" / "snapshots" / "abc"
    snap.mkdir(parents=True)
    (snap / "README.md").write_text("---\nlicense: creativeml-openrail-m\n---\n", "utf-8")
    info = read_folder_info(snap)
    assert (info.name, info.authors, info.licence) == (
        "Stable Diffusion 1.5", ("RunwayML",), "CreativeML OpenRAIL-M")
    other = tmp_path / "hub" / "models--someone--thing" / "snapshots" / "def"
    other.mkdir(parents=True)
    assert read_folder_info(other).authors == ("someone",)


def test_broken_front_matter_is_a_clear_error_and_the_ledger_falls_back(tiny_sd, tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(tiny_sd, folder)
    (folder / "README.md").write_text("---\nlicense: [unclosed\n---\n", "utf-8")
    with pytest.raises(MetadataError, match="not valid YAML"):
        read_front_matter(folder / "README.md")
    recipe = Recipe(engine="diffusion", prompt="a", model=str(folder))
    assert model_info_for(recipe) is None
    credits = build_credits(recipe, person="Ana", model_info=None)
    assert any(c.name == str(folder) and "no model card" in c.evidence for c in credits)


def test_single_file_modelspec_metadata(tmp_path):
    path = tmp_path / "dreamy.safetensors"
    save_file({"w": np.zeros((2, 2), np.float32)}, str(path), metadata={
        "modelspec.title": "Dreamy XL", "modelspec.author": "Bea Maker",
        "modelspec.license": "openrail++", "modelspec.architecture": "stable-diffusion-xl-v1-base",
    })
    info = model_info_for(Recipe(engine="diffusion", model=str(path)))
    assert (info.name, info.authors, info.licence) == ("Dreamy XL", ("Bea Maker",),
                                                      "CreativeML OpenRAIL++-M")
    assert info.source == "safetensors modelspec"


def test_lora_training_tags_from_kohya_metadata(tmp_path):
    path = tmp_path / "inkwash.safetensors"
    freq = {"10_ink": {"ink wash": 12, "mountain": 30, "mist": 5}, "5_more": {"ink wash": 20}}
    save_file({"lora_unet_x.lora_down.weight": np.zeros((2, 2), np.float32)}, str(path), metadata={
        "ss_tag_frequency": json.dumps(freq), "ss_sd_model_name": "v1-5-pruned.safetensors",
        "ss_output_name": "inkwash",
    })
    recipe = Recipe(engine="diffusion", prompt="a", loras=(LoraSpec("inkwash", 0.7, str(path)),))
    (info,) = lora_infos_for(recipe)
    assert info.tags == ("ink wash", "mountain", "mist")  # 32, 30, 5: most frequent first
    assert info.base_model == "v1-5-pruned.safetensors"
    lora = next(c for c in build_credits(recipe, person="Ana", lora_infos=[info]) if c.kind == "lora")
    fields = evidence_fields(lora.evidence)
    assert fields["tags"] == "ink wash, mountain, mist" and fields["weight"] == "0.7"


def test_builtin_painting_credits_its_artist_and_the_sentence():
    recipe = Recipe(engine="diffusion", prompt="a harbour", model="sd15",
                    options={"styles": [{"name": "starry night"}]})
    credits = build_credits(recipe, person="Ana", model_info=SD15)
    style = next(c for c in credits if c.role == "style_source")
    assert (style.name, style.kind, style.ref) == (
        "Vincent van Gogh", "artist", "vincent-van-gogh-the-starry-night")
    assert credit_sentence(credits, recipe) == (
        "Made by Ana with Stable Diffusion 1.5 (RunwayML, CreativeML OpenRAIL-M) in the style "
        "of Vincent van Gogh, The Starry Night (1889).")


def test_engine_style_credits_merge_with_the_recipe_styles():
    recipe = Recipe(engine="style", mode="stylize", options={"styles": [
        {"name": "vincent-van-gogh-the-starry-night", "id": "vincent-van-gogh-the-starry-night",
         "weight": 0.75}, {"name": "claude-monet-impression-sunrise",
                           "id": "claude-monet-impression-sunrise", "weight": 0.25}]})
    engine = [Credit("Vincent van Gogh, The Starry Night (1889)", "artwork", "style_source", 0.75,
                     ref="vincent-van-gogh-the-starry-night"),
              Credit("Magenta arbitrary image stylization (Ghiasi et al. 2017)", "model", "tool")]
    credits = build_credits(recipe, person="Ana", engine_credits=engine)
    styles = {c.name: c.share for c in credits if c.role == "style_source"}
    assert list(styles) == ["Vincent van Gogh", "Claude Monet"]
    assert styles["Vincent van Gogh"] == pytest.approx(3 * styles["Claude Monet"])
    assert sum(c.role == "tool" for c in credits) == 1


def test_a_style_image_carries_its_own_credits():
    sha = "cd" * 32
    recipe = Recipe(engine="style", mode="stylize", inputs=(InputRef("style", sha),))
    own = [Credit("Bob", "person", "prompt_author", 0.5), Credit("SD", "model", "model_author", 0.5)]
    credits = build_credits(recipe, person="Ana", style_credits=own)
    styles = {c.name: c for c in credits if c.role == "style_source"}
    assert set(styles) == {"Bob", "SD"} and styles["Bob"].share == pytest.approx(styles["SD"].share)
    bare = build_credits(recipe, person="Ana")
    assert any(c.ref == sha and c.role == "style_source" for c in bare)


def test_credit_flows_through_parents():
    first = build_credits(Recipe(engine="diffusion", prompt="a cat", model="sd"), person="Ana",
                          model_info=SD15)
    edit = Recipe(engine="diffusion", mode="img2img", prompt="oil", model="sd",
                  inputs=(InputRef("init", "ee" * 32),))
    second = build_credits(edit, person="Bob", parent_credits=[first], model_info=SD15)
    by = {(c.name, c.role): c for c in second}
    assert by[("Ana", "prompt_author")].share == pytest.approx(PARENT_FRACTION * 0.5)
    assert by[("Ana", "prompt_author")].evidence.startswith(CARRIED)
    assert by[("Bob", "editor")].share == pytest.approx((1 - PARENT_FRACTION) * 0.5)
    assert not any(c.role == "reference" for c in second)  # the init image is the parent
    # the same model in parent and child is one credit
    assert sum(c.name == "Stable Diffusion 1.5" for c in second) == 1
    third = build_credits(Recipe(engine="upscale", mode="upscale"), person="Cy", parent_credits=[second])
    assert {(c.name, c.role): c for c in third}[("Ana", "prompt_author")].share == pytest.approx(
        PARENT_FRACTION * PARENT_FRACTION * 0.5)
    assert credit_sentence(third, Recipe(engine="upscale", mode="upscale")) == (
        "Upscaled by Cy from a work by Bob and Ana.")
    two = build_credits(edit, person="Bob", parent_credits=[first, first[:1]])
    ana = {(c.name, c.role): c for c in two}[("Ana", "prompt_author")]
    assert ana.share == pytest.approx(PARENT_FRACTION * (0.5 * 0.5 + 0.5 * 1.0))
