"""Issue 16, ComfyUI: the graph read as a graph, on sample files the tests write themselves.

Each case of `comfy_cases.CASES` is a file in the format ComfyUI (or a common custom
node) saves, and the recipe a person reading its graph would give. The other tests
here pin down one rule each: which sampler is the final one, how passes, switches,
combine nodes and primitives are read, and that `Studio.import_files` keeps the good
files of a batch.
"""

from __future__ import annotations

import json

import pytest
from comfy_cases import (
    CASES,
    HIRES_SEED,
    SEED,
    _flux_custom_advanced,
    _hires_latent,
    base_graph,
    check,
    ksampler,
    node,
    png,
)

from studiolo.core.errors import MetadataError
from studiolo.provenance.comfyui import comfy_recipe
from studiolo.provenance.importers import ImportBatch, ImportFailure, read_recipe


@pytest.mark.parametrize(("name", "write", "expected"), CASES, ids=[c[0] for c in CASES])
def test_comfyui_sample_file(tmp_path, name, write, expected):
    got = read_recipe(write(tmp_path / "sample.png"))
    assert got.source == "comfyui"
    assert check(got.recipe, expected) == []


def test_hires_fix_reports_the_base_pass_and_keeps_the_second(tmp_path):
    """The issue's file: node ids sorted as text took node 11 (seed 204096574905147, 10 steps)."""
    recipe = comfy_recipe(_hires_latent())
    assert (recipe.seed, recipe.steps, recipe.sampler, recipe.mode) == (SEED, 20, "Euler", "txt2img")
    assert (recipe.width, recipe.height, recipe.strength) == (512, 768, None)
    comfy = recipe.options["comfyui"]
    assert comfy["node"] == "3" and comfy["final_node"] == "11"
    assert comfy["hires"] == {"node": "11", "kind": "KSampler", "seed": HIRES_SEED, "steps": 10, "cfg": 8.0,
                              "sampler_name": "dpmpp_2m", "scheduler": "karras", "denoise": 0.5,
                              "upscale": [{"node": "10", "kind": "LatentUpscaleBy",
                                           "upscale_method": "nearest-exact", "scale_by": 1.5}]}
    assert comfy["passes"] == [comfy["hires"]]
    json.dumps(recipe.to_dict())  # options stay JSON


def test_no_output_node_takes_the_sampler_nothing_consumes():
    graph = _hires_latent()
    del graph["8"], graph["9"]
    graph["2"] = ksampler(["4", 0], ["6", 0], ["7", 0], ["5", 0], seed=5)  # a stray sampler, id "2"
    graph["2"]["inputs"]["latent_image"] = ["11", 0]  # ... that takes the hires result: it is last
    recipe = comfy_recipe(graph)
    assert recipe.seed == SEED and recipe.options["comfyui"]["final_node"] == "2"
    assert [p["node"] for p in recipe.options["comfyui"]["passes"]] == ["11", "2"]


def test_save_wins_over_preview_and_the_longer_chain_wins():
    graph = _hires_latent()
    graph["20"] = node("VAEDecode", samples=["3", 0], vae=["4", 2])
    graph["21"] = node("PreviewImage", images=["20", 0])   # a preview of the base pass
    graph["22"] = node("SaveImage", images=["20", 0])      # and a save of it, beside the hires save
    recipe = comfy_recipe(graph)
    assert recipe.options["comfyui"]["final_node"] == "11"  # the save whose chain is longer


def test_a_cycle_of_samplers_is_read_once():
    graph = base_graph()
    graph["3"]["inputs"]["latent_image"] = ["11", 0]
    graph["11"] = ksampler(["4", 0], ["6", 0], ["7", 0], ["3", 0], seed=9)
    recipe = comfy_recipe(graph)
    assert recipe.seed == 9 and recipe.options["comfyui"]["passes"][0]["node"] == "3"


def test_switch_by_index_and_rgthree_any_switch():
    graph = base_graph(**{
        "20": node("CLIPTextEncode", text="first", clip=["4", 1]),
        "21": node("ImpactSwitch", select=2, input1=["20", 0], input2=["6", 0]),
        "22": node("Any Switch (rgthree)", any_02=["7", 0], any_03=["20", 0]),
    })
    graph["3"]["inputs"].update(positive=["21", 0], negative=["22", 0])
    recipe = comfy_recipe(graph)
    assert (recipe.prompt, recipe.negative_prompt) == ("a lighthouse at dusk", "blurry, watermark")


def test_conditioning_zero_out_is_an_empty_negative():
    graph = base_graph(**{"20": node("ConditioningZeroOut", conditioning=["6", 0])})
    graph["3"]["inputs"]["negative"] = ["20", 0]
    assert comfy_recipe(graph).negative_prompt == ""


def test_power_lora_loader_and_a_lost_lora_link():
    graph = base_graph(**{"10": node("Power Lora Loader (rgthree)", model=["4", 0], clip=["4", 1],
                                     lora_1={"on": True, "lora": "ink.safetensors", "strength": 0.7},
                                     lora_2={"on": False, "lora": "off.safetensors", "strength": 1},
                                     lora_3={"on": True, "lora": "grain.safetensors", "strength": 0.3})})
    graph["3"]["inputs"]["model"] = ["10", 0]
    recipe = comfy_recipe(graph)
    assert [(lo.name, lo.weight) for lo in recipe.loras] == [("ink", 0.7), ("grain", 0.3)]
    assert recipe.model == "v1-5-pruned-emaonly"


def test_a_wrong_value_in_a_sampler_custom_graph_names_its_node(tmp_path):
    graph = _flux_custom_advanced()
    graph["17"]["inputs"]["steps"] = "many"
    with pytest.raises(MetadataError, match=r"ComfyUI sampler node 13 has a value of the wrong type: "
                                            r"`steps` must be an integer, got 'many'"):
        comfy_recipe(graph)


def test_no_sampler_at_all_is_one_sentence():
    with pytest.raises(MetadataError, match=r"^ComfyUI graph has no sampler node .*nodes: \['SaveImage'\]\.$"):
        comfy_recipe({"9": node("SaveImage", images=["8", 0])})


# -- Studio.import_files: the library path keeps the good files ---------------------------
def test_studio_import_files_imports_the_good_and_reports_each_bad(tmp_path):
    from studiolo.studio import Studio

    studio = Studio(tmp_path / "studio", load_entry_points=False)
    good = png(tmp_path / "good.png", prompt=json.dumps(_hires_latent()))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    empty = png(tmp_path / "empty.png")
    missing = tmp_path / "gone.png"
    batch = studio.import_files([good, bad, empty, missing])
    assert isinstance(batch, ImportBatch)
    assert [p for p, _ in batch.imported] == [str(good)]
    assert batch.imported[0][1].recipe.seed == SEED
    assert [f.file for f in batch.failed] == [str(bad), str(empty), str(missing)]
    assert all(isinstance(f, ImportFailure) and f.error.startswith(f.file) for f in batch.failed)
    assert batch.failed[1].error == (
        f"{empty} carries no recipe: no AUTOMATIC1111 parameters, ComfyUI prompt/workflow, "
        "InvokeAI, NovelAI, SwarmUI, Fooocus or Civitai metadata, nor stealth metadata in the pixels.")
    assert batch.exit_code == 1


# -- EXIF: what is a ComfyUI graph and what stays the other readers' -----------------------
@pytest.mark.parametrize(("comment", "keys"), [
    (json.dumps({"prompt": "a cat", "negativePrompt": "dog", "steps": 20}), ["parameters"]),  # Civitai
    ("Prompt: a cat in a hat", ["parameters"]),
    ("a cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 64x96", ["parameters"]),
    (json.dumps({"prompt": json.dumps(base_graph())}), ["prompt"]),  # the graph as a JSON string
    (json.dumps(base_graph()), ["prompt"]),
    ("workflow:" + json.dumps({"nodes": [], "links": []}), ["workflow"]),
])
def test_jpeg_user_comment_holds_a_graph_or_stays_parameters(tmp_path, comment, keys):
    from comfy_cases import exif_file

    from studiolo.core.imagemeta import read_text_chunks

    path = exif_file(tmp_path / "c.jpg", "JPEG", {}, user_comment=comment)
    assert sorted(read_text_chunks(path)) == keys


def test_workflow_widgets_of_custom_nodes_named_by_their_widget_inputs():
    """Newer frontends list every widget among a node's inputs: custom nodes' values map by name
    (a seed's control word skipped); a list naming only some widgets maps none."""
    from comfy_cases import to_workflow

    from studiolo.provenance.comfyui_graph import workflow_to_graph

    wf = to_workflow([
        (4, "CheckpointLoaderSimple", ["m.safetensors"], {}),
        (5, "EmptyLatentImage", [512, 512, 1], {}),
        (6, "CLIPTextEncode", [""], {"clip": 1, "text": 7}),
        (3, "KSampler", [1, "fixed", 20, 7.0, "euler", "normal", 1.0],
         {"model": 2, "positive": 3, "negative": 3, "latent_image": 4, "seed": 5}),
        (10, "CR Prompt Text", ["a fox at dawn"], {}),
        (11, "easy seed", [123, "fixed"], {}),
        (12, "Custom Half Listed", [1, 2, 3], {}),
    ], [(1, 4, 1, 6, 0, "CLIP"), (2, 4, 0, 3, 0, "MODEL"), (3, 6, 0, 3, 1, "CONDITIONING"),
        (4, 5, 0, 3, 3, "LATENT"), (5, 11, 0, 3, 4, "INT"), (7, 10, 0, 6, 1, "STRING")])
    by_id = {n["id"]: n for n in wf["nodes"]}
    by_id[10]["inputs"] = [{"name": "prompt", "type": "STRING", "widget": {"name": "prompt"}, "link": None}]
    by_id[11]["inputs"] = [{"name": "seed", "type": "INT", "widget": {"name": "seed"}, "link": None}]
    by_id[12]["inputs"] = [{"name": "b", "type": "INT", "widget": {"name": "b"}, "link": None}]
    graph = workflow_to_graph(wf)
    assert graph["10"]["inputs"] == {"prompt": "a fox at dawn"}
    assert graph["11"]["inputs"] == {"seed": 123}
    assert graph["12"]["inputs"] == {}
    recipe = comfy_recipe(graph)
    assert (recipe.prompt, recipe.seed, recipe.model) == ("a fox at dawn", 123, "m")


def test_detailer_and_tiled_upscale_after_the_sampler_are_kept_as_later_passes():
    graph = base_graph(**{
        "20": node("FaceDetailer", image=["8", 0], model=["4", 0], clip=["4", 1], vae=["4", 2],
                   positive=["6", 0], negative=["7", 0], guide_size=384, seed=42, steps=12, cfg=6.0,
                   sampler_name="euler", scheduler="normal", denoise=0.4, bbox_detector=["30", 0]),
        "21": node("UltimateSDUpscale", image=["20", 0], model=["4", 0], positive=["6", 0],
                   negative=["7", 0], vae=["4", 2], upscale_by=2.0, seed=43, steps=8, cfg=6.0,
                   sampler_name="euler", scheduler="normal", denoise=0.25, upscale_model=["31", 0],
                   tile_width=512, tile_height=512),
        "9": node("SaveImage", filename_prefix="ComfyUI", images=["21", 0]),
    })
    recipe = comfy_recipe(graph)
    assert (recipe.seed, recipe.steps, recipe.prompt) == (SEED, 20, "a lighthouse at dusk")
    after = recipe.options["comfyui"]["after"]
    assert [(a["node"], a["kind"], a["seed"], a["denoise"]) for a in after] == [
        ("20", "FaceDetailer", 42, 0.4), ("21", "UltimateSDUpscale", 43, 0.25)]
    assert after[1]["upscale_by"] == 2.0 and after[0]["guide_size"] == 384


def test_sampler_custom_and_dual_cfg_guider():
    graph = base_graph(**{
        "20": node("KSamplerSelect", sampler_name="dpmpp_2m"),
        "21": node("KarrasScheduler", steps=18, sigma_max=14.6, sigma_min=0.03, rho=7.0),
        "3": node("SamplerCustom", add_noise=True, noise_seed=99, cfg=4.5, model=["4", 0],
                  positive=["6", 0], negative=["7", 0], sampler=["20", 0], sigmas=["21", 0],
                  latent_image=["5", 0]),
    })
    recipe = comfy_recipe(graph)
    assert (recipe.seed, recipe.steps, recipe.guidance, recipe.sampler) == (99, 18, 4.5, "DPM++ 2M Karras")
    assert (recipe.prompt, recipe.negative_prompt, recipe.width) == ("a lighthouse at dusk", "blurry, watermark", 512)
    graph.update({
        "22": node("CLIPTextEncode", text="in the style of an etching", clip=["4", 1]),
        "23": node("DualCFGGuider", model=["4", 0], cond1=["6", 0], cond2=["22", 0], negative=["7", 0],
                   cfg_conds=6.0, cfg_cond2_negative=2.0),
        "24": node("RandomNoise", noise_seed=5),
        "3": node("SamplerCustomAdvanced", noise=["24", 0], guider=["23", 0], sampler=["20", 0],
                  sigmas=["21", 0], latent_image=["5", 0]),
    })
    recipe = comfy_recipe(graph)
    assert (recipe.seed, recipe.guidance) == (5, 6.0)
    assert recipe.prompt == "a lighthouse at dusk, in the style of an etching"
    assert recipe.negative_prompt == "blurry, watermark"


def test_a_saver_that_reaches_no_sampler_gives_way_to_a_preview():
    graph = base_graph(**{"20": node("LoadImage", image="mask.png"), "21": node("SaveImage", images=["20", 0]),
                          "9": node("PreviewImage", images=["8", 0])})
    graph["11"] = ksampler(["4", 0], ["6", 0], ["7", 0], ["5", 0], seed=1)  # a stray: not what was shown
    graph["3"]["inputs"]["latent_image"] = ["5", 0]
    recipe = comfy_recipe(graph)
    assert recipe.seed == SEED and recipe.options["comfyui"]["node"] == "3"
