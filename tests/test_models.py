"""Model references, weights safety, hashes, listing, pull (offline path), loading, single files."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from studiolo.core.errors import InvalidArgument, ModelError, ModelNotFound, UnsafeModelFile
from studiolo.core.settings import Settings
from studiolo.models import load_pipeline, resolve_model
from studiolo.models.hashing import file_sha256, hash_cache_path, model_hash, short_hash
from studiolo.models.listing import list_models
from studiolo.models.pull import pull_model
from studiolo.models.safety import check_weights_file, read_safetensors_metadata


def _render(pipe, size: int = 32):
    return pipe("a red house", num_inference_steps=2, height=size, width=size,
                generator=torch.Generator().manual_seed(0), output_type="np").images


@pytest.fixture
def settings(studio_home) -> Settings:
    return Settings.from_env(studio_home)


@pytest.fixture
def hub_cache(tmp_path, monkeypatch) -> Path:
    cache = tmp_path / "hf" / "hub"
    cache.mkdir(parents=True)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


def _fake_snapshot(cache: Path, repo_id: str, folder: Path) -> Path:
    """Lay `folder` out as huggingface_hub does: blobs, a snapshot of symlinks, refs/main."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    commit = hashlib.sha1(repo_id.encode()).hexdigest()
    snapshot = repo / "snapshots" / commit
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = f.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snapshot / f.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


# -- safety -----------------------------------------------------------------------

def test_valid_safetensors_passes_and_metadata_is_read(tmp_path):
    path = tmp_path / "ok.safetensors"
    save_file({"w": torch.ones(2, 3)}, str(path), metadata={"ss_output_name": "cats", "modelspec.title": "C"})
    check_weights_file(path)
    assert read_safetensors_metadata(path) == {"ss_output_name": "cats", "modelspec.title": "C"}


def test_torch_save_zip_named_safetensors_is_refused(tmp_path):
    path = tmp_path / "evil.safetensors"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(UnsafeModelFile, match="is a pickle file posing as safetensors") as info:
        check_weights_file(path)
    assert str(path) in str(info.value)


def test_raw_pickle_named_safetensors_is_refused(tmp_path):
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps({"w": [1, 2, 3]}, protocol=4))
    with pytest.raises(UnsafeModelFile, match="pickle file posing as safetensors"):
        check_weights_file(path)


def test_zero_byte_file_is_refused(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    with pytest.raises(UnsafeModelFile, match="has 0 bytes, fewer than the 8-byte header"):
        check_weights_file(path)


def test_truncated_safetensors_is_refused(tmp_path):
    path = tmp_path / "cut.safetensors"
    save_file({"w": torch.ones(64, 64)}, str(path))
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    with pytest.raises(UnsafeModelFile, match=r"cut.safetensors is truncated or corrupt: tensor 'w'"):
        check_weights_file(path)


def test_header_longer_than_file_is_refused(tmp_path):
    path = tmp_path / "short.safetensors"
    path.write_bytes(struct.pack("<Q", 10_000) + b"{}")
    with pytest.raises(UnsafeModelFile, match="header claims 10000 bytes but the file has 10 bytes"):
        check_weights_file(path)


def test_header_not_json_is_refused(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(struct.pack("<Q", 4) + b"nope")
    with pytest.raises(UnsafeModelFile, match="its header is not JSON"):
        check_weights_file(path)


def test_onnx_checked_by_content(tmp_path):
    good = tmp_path / "m.onnx"
    good.write_bytes(b"\x08\x07\x12\x04test")
    check_weights_file(good)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(pickle.dumps([1], protocol=2))
    with pytest.raises(UnsafeModelFile, match="pickle file posing"):
        check_weights_file(bad)


def test_folder_with_only_bin_weights_is_refused(tiny_sd, tmp_path):
    folder = tmp_path / "bin-only"
    shutil.copytree(tiny_sd, folder)
    unet = folder / "unet" / "diffusion_pytorch_model.safetensors"
    unet.unlink()
    torch.save({"w": torch.ones(1)}, folder / "unet" / "diffusion_pytorch_model.bin")
    source = resolve_model(str(folder))
    with pytest.raises(UnsafeModelFile, match=r"unet holds only pickle weights \(diffusion_pytorch_model.bin\)"):
        load_pipeline(source)


def test_folder_with_pickle_posing_as_safetensors_is_refused(tiny_sd, tmp_path):
    folder = tmp_path / "posing"
    shutil.copytree(tiny_sd, folder)
    torch.save({"w": torch.ones(1)}, folder / "vae" / "diffusion_pytorch_model.safetensors")
    with pytest.raises(UnsafeModelFile, match="vae/diffusion_pytorch_model.safetensors is a pickle file posing"):
        load_pipeline(resolve_model(str(folder)))


# -- references ---------------------------------------------------------------------

def test_resolve_folder_family_and_inpainting(tiny_sd, tiny_sd_inpaint, tiny_sdxl, settings):
    sd = resolve_model(str(tiny_sd), settings)
    assert (sd.kind, sd.family, sd.is_inpainting, sd.path) == ("diffusers", "sd1", False, tiny_sd.resolve())
    assert resolve_model(str(tiny_sd_inpaint), settings).is_inpainting is True
    xl = resolve_model(str(tiny_sdxl), settings)
    assert (xl.family, xl.is_inpainting) == ("sdxl", False)


def test_resolve_name_in_models_dir(tiny_sd, settings, tmp_path):
    settings.models_dir.mkdir(parents=True)
    (settings.models_dir / "mine").symlink_to(tiny_sd, target_is_directory=True)
    save_file({"w": torch.ones(2)}, str(settings.models_dir / "flat.safetensors"))
    assert resolve_model("mine", settings).kind == "diffusers"
    flat = resolve_model("flat", settings)
    assert (flat.kind, flat.name, flat.family) == ("single_file", "flat", None)


def test_folder_without_model_index_is_refused(tmp_path, settings):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFound, match="has no model_index.json"):
        resolve_model(str(tmp_path / "empty"), settings)


def test_unknown_repo_id_message(settings, hub_cache, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelNotFound) as info:
        resolve_model("someone/nothing-here", settings)
    assert str(info.value) == (
        "Model 'someone/nothing-here' is not a local file or folder and is not in the Hugging "
        f"Face cache (looked in ./someone/nothing-here, {settings.models_dir}, {hub_cache}); "
        "download it once with `studiolo models pull someone/nothing-here`."
    )


def test_unknown_plain_name_points_at_models_dir(settings, hub_cache):
    with pytest.raises(ModelNotFound, match=r"put a diffusers folder or ghost.safetensors in .*models"):
        resolve_model("ghost", settings)


def test_hub_cache_snapshot_resolves_and_loads(tiny_sd, settings, hub_cache):
    snapshot = _fake_snapshot(hub_cache, "tiny/sd", tiny_sd)
    source = resolve_model("tiny/sd", settings)
    assert (source.kind, source.path, source.family) == ("hub", snapshot, "sd1")
    cached = _render(load_pipeline(source))
    local = _render(load_pipeline(resolve_model(str(tiny_sd), settings)))
    assert cached.shape == (1, 32, 32, 3)
    assert (cached == local).all()
    assert model_hash(source) == model_hash(tiny_sd)


def test_load_pipeline_modes(tiny_sd, settings):
    source = resolve_model(str(tiny_sd), settings)
    assert type(load_pipeline(source, mode="img2img")).__name__ == "StableDiffusionImg2ImgPipeline"
    with pytest.raises(InvalidArgument, match="`mode` must be one of .* got 'paint'"):
        load_pipeline(source, mode="paint")


# -- hashes --------------------------------------------------------------------------

def test_file_sha256_and_cache_reuse(tmp_path, settings):
    path = tmp_path / "w.safetensors"
    save_file({"w": torch.arange(10.0)}, str(path))
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert file_sha256(path) == expected
    assert file_sha256(path, settings) == expected
    cache_file = hash_cache_path(settings)
    cache = json.loads(cache_file.read_text())
    assert cache[str(path.resolve())]["sha256"] == expected
    # A planted answer is returned: proof that the file was not read again.
    cache[str(path.resolve())]["sha256"] = "f" * 64
    cache_file.write_text(json.dumps(cache))
    assert file_sha256(path, settings) == "f" * 64
    # A changed file (new mtime) is hashed again.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert file_sha256(path, settings) == expected
    assert short_hash(expected) == expected[:10]


def test_model_hash_of_folder_follows_weights(tiny_sd, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(tiny_sd, folder)
    parts = sorted(
        (p.relative_to(folder).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in folder.rglob("*.safetensors")
    )
    expected = hashlib.sha256("".join(f"{r}\0{h}\n" for r, h in parts).encode()).hexdigest()
    assert model_hash(folder) == expected == model_hash(tiny_sd)
    (folder / "scheduler" / "scheduler_config.json").write_text("{}")  # configs do not count
    assert model_hash(folder) == expected
    save_file({"w": torch.ones(1)}, str(folder / "vae" / "diffusion_pytorch_model.safetensors"))
    assert model_hash(folder) != expected


# -- listing and pull ----------------------------------------------------------------

def test_list_models_sizes_hashes_and_sources(tiny_sd, settings, hub_cache):
    settings.models_dir.mkdir(parents=True)
    shutil.copytree(tiny_sd, settings.models_dir / "local-sd")
    single = settings.models_dir / "one.safetensors"
    save_file({"w": torch.ones(4)}, str(single))
    (settings.models_dir / "notes.txt").write_text("ignored")
    (settings.home / "loras").mkdir()
    lora = settings.home / "loras" / "ink.safetensors"
    save_file({"lora_unet_x.lora_down.weight": torch.ones(2, 2)}, str(lora))
    _fake_snapshot(hub_cache, "tiny/sd", tiny_sd)

    found = {m.name: m for m in list_models(settings, with_hash=True)}
    assert set(found) == {"local-sd", "one", "tiny/sd", "ink"}
    local = found["local-sd"]
    assert (local.kind, local.source, local.family) == ("diffusers", "local", "sd1")
    assert local.size_bytes == sum(p.stat().st_size for p in tiny_sd.rglob("*") if p.is_file())
    assert local.sha256 == model_hash(tiny_sd)
    assert found["one"].size_bytes == single.stat().st_size
    assert found["one"].sha256 == hashlib.sha256(single.read_bytes()).hexdigest()
    hub = found["tiny/sd"]
    assert (hub.kind, hub.source) == ("hub", "hf-cache")
    assert hub.size_bytes == local.size_bytes and hub.sha256 == local.sha256
    assert (found["ink"].kind, found["ink"].sha256) == ("lora", hashlib.sha256(lora.read_bytes()).hexdigest())
    assert all(m.sha256 is None for m in list_models(settings))


def test_pull_offline_says_no_network(settings, hub_cache):
    with pytest.raises(ModelError, match=r"Cannot download 'org/name': there is no network here .*"
                                         r"`studiolo models pull org/name` on a connected machine"):
        pull_model("org/name", settings)


def test_pull_rejects_bad_repo_id(settings):
    with pytest.raises(InvalidArgument, match=r"`repo_id` must look like 'org/name', got 'not a repo'"):
        pull_model("not a repo", settings)


# -- single-file checkpoints -----------------------------------------------------------

def test_single_file_loads_same_as_folder(tiny_sd, tmp_path, settings):
    from single_file_util import diffusers_to_single_file

    path = diffusers_to_single_file(tiny_sd, tmp_path / "tiny-ldm.safetensors")
    source = resolve_model(str(path), settings)
    assert (source.kind, source.family, source.is_inpainting) == ("single_file", "sd1", False)
    single = _render(load_pipeline(source, config=tiny_sd))
    folder = _render(load_pipeline(resolve_model(str(tiny_sd), settings)))
    assert (single == folder).all()
    assert model_hash(source) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_single_file_without_cached_base_says_what_to_pull(tiny_sd, tmp_path, settings, hub_cache):
    from single_file_util import diffusers_to_single_file

    path = diffusers_to_single_file(tiny_sd, tmp_path / "tiny-ldm.safetensors")
    with pytest.raises(ModelNotFound, match=r"needs the configs of 'stable-diffusion-v1-5/stable-diffusion-v1-5'.*"
                                            r"`studiolo models pull stable-diffusion-v1-5/stable-diffusion-v1-5`"):
        load_pipeline(resolve_model(str(path), settings))


def test_single_file_uses_cached_base_repo(tiny_sd, tmp_path, settings, hub_cache):
    from single_file_util import diffusers_to_single_file

    _fake_snapshot(hub_cache, "stable-diffusion-v1-5/stable-diffusion-v1-5", tiny_sd)
    path = diffusers_to_single_file(tiny_sd, tmp_path / "tiny-ldm.safetensors")
    pipe = load_pipeline(resolve_model(str(path), settings))
    assert type(pipe).__name__ == "StableDiffusionPipeline"


def test_pickle_single_file_is_refused_at_resolve(tmp_path, settings):
    path = tmp_path / "model.safetensors"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(UnsafeModelFile, match="model.safetensors is a pickle file posing as safetensors"):
        resolve_model(str(path), settings)
