"""`verify`: intact, tampered and missing credentials; other tools' files; the CLI's exit status."""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Sequence

import c2pa
import numpy as np
import pytest
from PIL import Image

import studiolo.cli.provenance_cmds  # noqa: F401  (attaches `verify` to the group)
from studiolo.cli import main
from studiolo.core.errors import ImageError
from studiolo.core.imageio import open_image
from studiolo.core.imagemeta import encode_jpeg, encode_png, read_text_chunks
from studiolo.core.settings import Settings
from studiolo.core.types import Artwork, Credit, Recipe
from studiolo.provenance.c2pa_manifest import private_recipe, sign_png
from studiolo.provenance.infotext import recipe_to_infotext
from studiolo.provenance.keys import signing_identity
from studiolo.provenance.verify import summary_lines, verify_bytes, verify_file
from studiolo.studio import Studio

RECIPE = Recipe(engine="painter", prompt="a lighthouse at dusk", seed=11, steps=3, width=64,
                height=48)
CREDITS = (Credit(name="ana", kind="person", role="prompt_author", share=1.0,
                  evidence="made the request"),)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "studio", database_url="sqlite://", person="ana")


def picture(seed: int = 1) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))


def signed_png(settings: Settings, recipe: Recipe = RECIPE, **kw) -> bytes:
    png = encode_png(picture(), {"parameters": recipe_to_infotext(recipe)})
    return sign_png(png, recipe=recipe, credits=CREDITS, person="ana", settings=settings, **kw)


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, i = [], 8
    while i < len(data):
        (length, kind) = struct.unpack(">I4s", data[i:i + 8])
        out.append((kind, data[i + 8:i + 8 + length]))
        i += 12 + length
    return out


def build_png(parts: Sequence[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d))
                    for k, d in parts)
    return b"\x89PNG\r\n\x1a\n" + body


def edit_one_pixel(data: bytes) -> bytes:
    """What an editor that keeps metadata does: new pixel data, every other chunk as it was."""
    pixels = np.array(Image.open(io.BytesIO(data)).convert("RGB"))
    pixels[5, 7, 1] ^= 0x01
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)
    parts, done = [], False
    for kind, body in chunks(data):
        if kind == b"IDAT":
            if not done:
                parts.append((b"IDAT", zlib.compress(raw)))
                done = True
            continue
        parts.append((kind, body))
    return build_png(parts)


# -- verdicts -----------------------------------------------------------------
def test_intact_artwork_reports_everything(settings):
    report = verify_bytes(signed_png(settings), settings=settings)
    assert report.status == "intact" and report.exit_code == 0 and report.problems == []
    assert report.signer["name"] == "ana (studiolo)" and report.signer["this_studio"] is True
    assert report.generator.startswith("studiolo ")
    assert [a["action"] for a in report.actions] == ["c2pa.created"]
    assert report.actions[0]["digital_source_type"].endswith("/trainedAlgorithmicMedia")
    assert report.credits == [{**c.__dict__} for c in CREDITS]
    assert Recipe.from_dict(report.recipe) == RECIPE and report.prompt_in_file is True
    assert set(report.training_mining.values()) == {"notAllowed"}
    assert report.infotext["source"] == "studiolo" and report.infotext["recipe"]["seed"] == 11
    assert report.watermark is None  # only asked for when the credentials do not hold
    # Without this studio's roots the signature still checks out, but nobody vouches for the key.
    elsewhere = verify_bytes(signed_png(settings))
    assert elsewhere.status == "intact" and elsewhere.signer["trusted"] is False
    assert json.loads(json.dumps(report.to_dict()))["exit_code"] == 0


def test_pixel_edit_is_tampered(settings):
    signed = signed_png(settings)
    edited = edit_one_pixel(signed)
    assert read_text_chunks(edited) == read_text_chunks(signed)  # metadata kept, one pixel changed
    report = verify_bytes(edited, settings=settings)
    assert report.status == "tampered" and report.exit_code == 1
    assert any("dataHash.mismatch" in p for p in report.problems), report.problems
    assert report.signer["this_studio"] is True
    assert report.recipe is not None  # what was signed is still shown


def test_text_chunk_edit_is_tampered(settings):
    signed = signed_png(settings)
    parts = [(k, d.replace(b"Seed: 11", b"Seed: 12") if k == b"tEXt" else d)
             for k, d in chunks(signed)]
    report = verify_bytes(build_png(parts), settings=settings)
    assert report.status == "tampered" and report.problems


def test_stripped_metadata_has_no_credentials(settings):
    stripped = encode_png(open_image(signed_png(settings)))
    report = verify_bytes(stripped, settings=settings)
    assert report.status == "none" and report.exit_code == 2
    assert report.signer is None and report.infotext is None


def test_jpeg_reencode_loses_the_manifest_but_keeps_infotext(settings):
    signed = signed_png(settings)
    infotext = read_text_chunks(signed)["parameters"]
    jpeg = encode_jpeg(open_image(signed), quality=90, comment=infotext)
    report = verify_bytes(jpeg, settings=settings)
    assert report.status == "none" and report.format == "JPEG"
    assert report.infotext["recipe"]["prompt"] == RECIPE.prompt


def test_private_prompt_stays_private_in_the_report(settings):
    png = encode_png(picture(), {"parameters": recipe_to_infotext(private_recipe(RECIPE))})
    signed = sign_png(png, recipe=RECIPE, credits=CREDITS, person="ana", settings=settings,
                      include_prompt=False)
    report = verify_bytes(signed, settings=settings)
    assert report.status == "intact" and report.prompt_in_file is False
    assert report.recipe["prompt"] == "" and report.infotext["recipe"]["prompt"] == ""
    assert "lighthouse" not in json.dumps(report.to_dict())


def test_a1111_png_from_another_tool_is_read():
    text = ("a castle on a hill, <lora:ink:0.6>\nNegative prompt: ugly\n"
            "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 123, "
            "Size: 64x48, Model hash: abcdef1234, Model: dreamshaper_8, Version: v1.9.4")
    report = verify_bytes(encode_png(picture(), {"parameters": text}))
    assert report.status == "none"
    assert report.infotext["source"] == "automatic1111"
    recipe = report.infotext["recipe"]
    assert recipe["prompt"].startswith("a castle on a hill") and recipe["seed"] == 123
    assert recipe["model"] == "dreamshaper_8" and recipe["negative_prompt"] == "ugly"


def test_c2pa_from_another_signer(settings, tmp_path):
    elsewhere = Settings(home=tmp_path / "elsewhere", database_url="sqlite://", person="bo")
    other = signing_identity(elsewhere)
    manifest = {
        "claim_generator_info": [{"name": "othertool", "version": "2.0"}], "title": "photo",
        "format": "image/png",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
            "action": "c2pa.created",
            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]}}],
    }
    out = io.BytesIO()
    info = c2pa.C2paSignerInfo(other.alg, other.chain_pem, other.key_pem, None)
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
        builder.sign(signer, "image/png", io.BytesIO(encode_png(picture())), out)
    report = verify_bytes(out.getvalue(), settings=settings)
    assert report.status == "intact" and report.generator == "othertool 2.0"
    assert report.signer["name"] == "bo (studiolo)" and report.signer["trusted"] is False
    assert report.actions[0]["digital_source_type"].endswith("/digitalCapture")
    assert report.credits == [] and report.recipe is None


def test_not_an_image_and_truncated_files_raise_clear_errors(settings, tmp_path):
    with pytest.raises(ImageError, match="not an image"):
        verify_bytes(b"just some text, not a picture")
    with pytest.raises(ImageError, match="truncated or corrupt"):
        verify_bytes(signed_png(settings)[:300])
    with pytest.raises(ImageError, match="empty"):
        verify_bytes(b"")
    with pytest.raises(ImageError, match="does not exist"):
        verify_file(tmp_path / "nothing.png")
    with pytest.raises(ImageError, match="directory"):
        verify_file(tmp_path)


# -- with a studio: catalog, watermark, the store prototype ------------------------
def test_stored_artworks_verify_with_their_lineage(studio_home):
    studio = Studio(load_entry_points=False)
    first = studio.store(Artwork(recipe=RECIPE, image=picture(1)))
    edit = RECIPE.replace(mode="img2img", strength=0.5)
    second = studio.store(Artwork(recipe=edit, image=picture(2)), parents=[first.id])
    report = verify_file(second.path, catalog=studio.catalog, settings=studio.settings)
    assert report.status == "intact" and report.catalog_artwork == second.id
    [parent] = report.ingredients
    assert parent["artwork"] == first.id and parent["in_catalog"] and parent["signed"]
    assert parent["relationship"] == "parentOf" and parent["problems"] == []
    assert [a["action"] for a in report.actions] == ["c2pa.opened", "c2pa.edited"]


def scene(seed: int, size: tuple[int, int] = (320, 256)) -> Image.Image:
    """A picture with smooth areas and texture, big enough to carry a watermark."""
    w, h = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(w, h)
    base = np.stack([120 + 90 * np.sin(6 * x + seed), 110 + 80 * np.cos(5 * y),
                     140 + 60 * np.sin(4 * (x + y))], axis=-1)
    noisy = base + rng.normal(0, 12, base.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def test_watermark_fallback_names_the_artwork(studio_home):
    """Metadata stripped by a JPEG re-encode: the real mark in the pixels still finds the record."""
    studio = Studio(load_entry_points=False)
    recipe = RECIPE.replace(width=320, height=256)
    stored = studio.store(Artwork(recipe=recipe, image=scene(3)))
    buf = io.BytesIO()
    open_image(stored.path).save(buf, "JPEG", quality=85)
    report = verify_bytes(buf.getvalue(), catalog=studio.catalog, settings=studio.settings)
    assert report.status == "none"
    assert report.watermark is not None and report.watermark["artwork"] == stored.id
    assert any(line.startswith("Its record: ") for line in summary_lines(report))
    intact = verify_file(stored.path, catalog=studio.catalog, settings=studio.settings)
    assert intact.status == "intact" and intact.watermark is None
    # an unmarked picture of the same size names nobody
    plain = verify_bytes(encode_png(scene(4)), catalog=studio.catalog, settings=studio.settings)
    assert plain.watermark is None or plain.watermark["artwork"] is None


def test_marks_follow_pixels_and_reruns_keep_the_first_record(studio_home):
    from studiolo.catalog.marks import find_by_mark, marks_of

    studio = Studio(load_entry_points=False)
    recipe = RECIPE.replace(width=320, height=256)
    first = studio.store(Artwork(recipe=recipe, image=scene(5)))
    rerun = studio.store(Artwork(recipe=recipe, image=scene(5)))  # same recipe, same pixels
    other = studio.store(Artwork(recipe=recipe, image=scene(6)))  # same recipe, new pixels
    assert len({first.id, rerun.id, other.id}) == 3
    [mark] = marks_of(studio.catalog, first.id)
    assert marks_of(studio.catalog, rerun.id) == []  # its mark names the identical first
    [other_mark] = marks_of(studio.catalog, other.id)
    assert other_mark != mark
    with Image.open(first.path) as a, Image.open(rerun.path) as b:
        assert a.tobytes() == b.tobytes()
    studio.catalog.delete_artwork(other.id)
    assert find_by_mark(studio.catalog, other_mark) is None


# -- the command ----------------------------------------------------------------
def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_verify_exit_status(studio_home, tmp_path, capsys):
    settings = Settings.from_env()
    signed = tmp_path / "art.png"
    signed.write_bytes(signed_png(settings))
    code, out, err = run(capsys, "verify", str(signed))
    assert code == 0, err
    assert "Content credentials intact" in out and "a key of this studio" in out
    assert "a lighthouse at dusk" in out and "ana (prompt_author, 100%)" in out
    code, out, _ = run(capsys, "verify", str(signed), "--json")
    assert code == 0 and json.loads(out)["status"] == "intact"

    edited = tmp_path / "edited.png"
    edited.write_bytes(edit_one_pixel(signed.read_bytes()))
    code, out, _ = run(capsys, "verify", str(edited))
    assert code == 1 and "Changed after signing" in out and "dataHash.mismatch" in out
    assert "a key of this studio" in out  # who signed is still known; what they signed changed

    stripped = tmp_path / "stripped.jpg"
    stripped.write_bytes(encode_jpeg(open_image(signed)))
    code, out, _ = run(capsys, "verify", str(stripped))
    assert code == 2 and "No content credentials" in out


def test_cli_verify_unreadable_files(studio_home, tmp_path, capsys):
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    code, _, err = run(capsys, "verify", str(text))
    assert code == 3 and err.startswith("Error:") and "not an image" in err
    cut = tmp_path / "cut.png"
    cut.write_bytes(encode_png(picture())[:200])
    code, _, err = run(capsys, "verify", str(cut))
    assert code == 3 and "truncated or corrupt" in err
    code, _, err = run(capsys, "verify", str(tmp_path / "missing.png"))
    assert code == 3 and "does not exist" in err
    assert not (studio_home / "catalog.sqlite").exists()  # verify made no studio


def test_cli_keys_shows_and_replaces_the_signing_key(studio_home, tmp_path, capsys):
    code, out, err = run(capsys, "keys", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["source"] == "generated" and shown["alg"] == "es256"
    mine = Settings(home=tmp_path / "mine", database_url="sqlite://", person="ana")
    other = signing_identity(mine)
    code, out, _ = run(capsys, "keys", "--use", str(other.key_path), str(other.chain_path))
    assert code == 0 and "your own" in out
    assert signing_identity(Settings.from_env()).key_pem == other.key_pem
    code, _, err = run(capsys, "keys", "--use", str(other.key_path), str(tmp_path / "none.pem"))
    assert code == 1 and "does not exist" in err
