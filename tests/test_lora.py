"""LoRAs: parsing, finding, applying (diffusers/peft and kohya layouts), refusing, metadata."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from studiolo.core.errors import InvalidArgument, ModelError, ModelNotFound, UnsafeModelFile
from studiolo.core.settings import Settings
from studiolo.core.types import LoraSpec
from studiolo.models import apply_loras, load_pipeline, lora_metadata, parse_lora_arg, resolve_model

UNET_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]
TEXT_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj"]


def _peft_lora(unet, text_encoder, seed: int) -> dict[str, torch.Tensor]:
    """A LoRA with random non-zero A and B (peft's init makes B zero, a no-op LoRA)."""
    from peft import LoraConfig, get_peft_model_state_dict

    torch.manual_seed(seed)
    unet.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=UNET_TARGETS, init_lora_weights=False))
    weights = {f"unet.{k}": v for k, v in get_peft_model_state_dict(unet).items()}
    if text_encoder is not None:
        text_encoder.add_adapter(
            LoraConfig(r=4, lora_alpha=4, target_modules=TEXT_TARGETS, init_lora_weights=False)
        )
        weights.update({f"text_encoder.{k}": v for k, v in get_peft_model_state_dict(text_encoder).items()})
    return {k: v.detach().clone().contiguous() for k, v in weights.items()}


def _to_kohya(weights: dict[str, torch.Tensor], rank: int = 4) -> dict[str, torch.Tensor]:
    """diffusers/peft keys -> kohya sd-scripts keys (lora_unet_*, lora_te_*, lora_down/up, alpha)."""
    out = {}
    for key, value in weights.items():
        component, rest = key.split(".", 1)
        module, ab, _ = rest.rsplit(".", 2)
        prefix = "lora_unet_" if component == "unet" else "lora_te_text_model_"
        name = prefix + module.replace(".", "_")
        out[f"{name}.{'lora_down' if ab == 'lora_A' else 'lora_up'}.weight"] = value
        out[f"{name}.alpha"] = torch.tensor(float(rank))  # alpha == rank: scale 1, as peft's
    return out


@pytest.fixture(scope="module")
def lora_files(tmp_path_factory):
    from tiny_models import tiny_sd_components, tiny_sdxl_components

    folder = tmp_path_factory.mktemp("loras")
    sd = tiny_sd_components()
    weights = _peft_lora(sd["unet"], sd["text_encoder"], seed=7)
    diffusers_path = folder / "ink_diffusers.safetensors"
    save_file(weights, str(diffusers_path))
    kohya_path = folder / "ink_kohya.safetensors"
    tags = {"10_ink": {"ink": 12, " red house": 3}, "2_reg": {"ink": 1}}
    save_file(_to_kohya(weights), str(kohya_path),
              metadata={"ss_tag_frequency": json.dumps(tags), "ss_network_dim": "4",
                        "modelspec.title": "Ink"})
    xl = tiny_sdxl_components()
    other_path = folder / "for_sdxl.safetensors"
    save_file(_peft_lora(xl["unet"], None, seed=3), str(other_path))
    nothing_path = folder / "nothing.safetensors"
    save_file({"lora_unet_no_such_block_to_q.lora_down.weight": torch.ones(4, 32),
               "lora_unet_no_such_block_to_q.lora_up.weight": torch.ones(32, 4)}, str(nothing_path))
    return {"diffusers": diffusers_path, "kohya": kohya_path, "other": other_path,
            "nothing": nothing_path}


@pytest.fixture(scope="module")
def pipe(tiny_sd):
    return load_pipeline(resolve_model(str(tiny_sd)))


def _render(pipe):
    return pipe("an ink drawing", num_inference_steps=2, height=32, width=32,
                generator=torch.Generator().manual_seed(0), output_type="np").images


# -- parsing ------------------------------------------------------------------------------

def test_parse_name_and_weight():
    assert parse_lora_arg("ink:0.8") == LoraSpec(name="ink", weight=0.8)
    assert parse_lora_arg("ink") == LoraSpec(name="ink", weight=1.0)
    assert parse_lora_arg("some/dir/ink.safetensors:-0.5") == LoraSpec(name="ink", weight=-0.5)
    assert parse_lora_arg("ink:1e-1").weight == pytest.approx(0.1)


def test_parse_path_with_colons(tmp_path):
    folder = tmp_path / "a:b"
    folder.mkdir()
    path = folder / "x:y.safetensors"
    save_file({"w": torch.ones(1)}, str(path))
    spec = parse_lora_arg(f"{path}:0.3")
    assert (spec.name, spec.weight, spec.path) == ("x:y", 0.3, str(path.resolve()))
    spec = parse_lora_arg(str(path))  # no weight: the text after the last colon is not a number
    assert (spec.name, spec.weight, spec.path) == ("x:y", 1.0, str(path.resolve()))


@pytest.mark.parametrize(("text", "message"), [
    ("", r"`lora` must be 'NAME_OR_PATH\[:WEIGHT\]', got ''"),
    ("ink:", "ends with ':' but has no weight"),
    (":0.5", "has a weight but no name or path"),
    ("ink:50", "weight must be between -10 and 10, got 50.0"),
    ("file.safetensors:abc", r"`lora` weight must be a number, got 'abc' in 'file.safetensors:abc'"),
    ("ink:high", r"`lora` weight must be a number, got 'high'"),
])
def test_parse_bad_input(text, message):
    with pytest.raises(InvalidArgument, match=message):
        parse_lora_arg(text)


# -- applying -------------------------------------------------------------------------------

def test_diffusers_and_kohya_loras_change_output_the_same_way(pipe, lora_files):
    base = (apply_loras(pipe, []), _render(pipe))[1]
    filled = apply_loras(pipe, [LoraSpec(name="ink", weight=0.8, path=str(lora_files["diffusers"]))])
    with_diffusers = _render(pipe)
    assert filled[0].sha256 and len(filled[0].sha256) == 64 and filled[0].path
    assert abs(with_diffusers - base).max() > 1e-3
    assert (_render(pipe) == with_diffusers).all()  # reproducible
    apply_loras(pipe, [LoraSpec(name="ink", weight=0.8, path=str(lora_files["kohya"]))])
    assert abs(_render(pipe) - with_diffusers).max() < 1e-5  # same weights, other key layout
    apply_loras(pipe, [LoraSpec(name="ink", weight=0.0, path=str(lora_files["kohya"]))])
    assert (_render(pipe) == base).all()
    apply_loras(pipe, [])  # unloads: a cached pipeline is back to the plain model
    assert (_render(pipe) == base).all()
    assert not pipe.get_list_adapters() or not any(pipe.get_list_adapters().values())


def test_names_resolve_in_studio_loras(pipe, lora_files, studio_home):
    settings = Settings.from_env(studio_home)
    (studio_home / "loras").mkdir(parents=True)
    (studio_home / "loras" / "ink.safetensors").write_bytes(lora_files["diffusers"].read_bytes())
    filled = apply_loras(pipe, [parse_lora_arg("ink:0.5")], settings)
    assert filled[0].path == str((studio_home / "loras" / "ink.safetensors").resolve())
    assert filled[0].weight == 0.5
    apply_loras(pipe, [])
    with pytest.raises(ModelNotFound, match=r"LoRA 'ghost' is not a file and is not in .*loras"):
        apply_loras(pipe, [parse_lora_arg("ghost")], settings)


def test_pickle_lora_is_refused(pipe, tmp_path):
    path = tmp_path / "evil.safetensors"
    torch.save({"lora_unet_x.lora_down.weight": torch.ones(1)}, path)
    with pytest.raises(UnsafeModelFile, match="evil.safetensors is a pickle file posing as safetensors"):
        apply_loras(pipe, [LoraSpec(name="evil", path=str(path))])


def test_lora_for_other_architecture_is_refused(pipe, lora_files):
    base = (apply_loras(pipe, []), _render(pipe))[1]
    with pytest.raises(ModelError, match=r"LoRA .*for_sdxl.safetensors does not fit this model"):
        apply_loras(pipe, [LoraSpec(name="xl", path=str(lora_files["other"]))])
    with pytest.raises(ModelError, match=r"LoRA .*nothing.safetensors .*(does not fit|no keys that match)"):
        apply_loras(pipe, [LoraSpec(name="n", path=str(lora_files["nothing"]))])
    assert (_render(pipe) == base).all()  # a failed load leaves the model as it was


def test_lora_metadata(lora_files):
    meta = lora_metadata(lora_files["kohya"])
    assert meta["ss_network_dim"] == "4" and meta["modelspec.title"] == "Ink"
    assert meta["ss_tag_frequency"]["10_ink"]["ink"] == 12
    assert meta["tags"] == [("ink", 13), ("red house", 3)]
    assert lora_metadata(lora_files["diffusers"]) == {}
    assert set(load_file(lora_files["kohya"])) >= {
        "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight"
    }
