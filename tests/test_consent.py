"""Consent: the opt-out registry, the studio's policy in both modes, the training-data gate."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from PIL import Image

from studiolo.catalog import Catalog
from studiolo.core.errors import ConsentRefused, ImageError, InvalidArgument, UnknownName
from studiolo.core.imagemeta import encode_png
from studiolo.core.settings import Settings
from studiolo.core.types import Recipe
from studiolo.provenance.consent import (
    check_request,
    require_training_allowed,
    training_allowed,
)
from studiolo.provenance.ledger import build_credits, credit_sentence


@pytest.fixture
def cat(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}")
    yield catalog
    catalog.close()


def _settings(tmp_path, policy: str) -> Settings:
    return Settings.from_env(tmp_path, consent_policy=policy)


def test_registry_add_list_remove(cat):
    cat.add_optout("Greg Rutkowski", note="asked publicly, 2022")
    cat.add_optout("Studio Ghibli", kind="style")
    assert [(o.name, o.kind) for o in cat.list_optouts()] == [
        ("Greg Rutkowski", "artist"), ("Studio Ghibli", "style")]
    assert cat.list_optouts()[0].note == "asked publicly, 2022"
    with pytest.raises(InvalidArgument, match="already in the opt-out registry"):
        cat.add_optout("greg  RUTKOWSKI")  # the same name, spelt otherwise
    cat.remove_optout("greg rutkowski")
    assert [o.name for o in cat.list_optouts()] == ["Studio Ghibli"]
    with pytest.raises(UnknownName, match="Studio Ghibli"):
        cat.remove_optout("Nobody Here")


@pytest.mark.parametrize("name,kind", [("", "artist"), ("  ", "artist"), ("Ok", "painter"),
                                       ("!!!", "artist")])
def test_registry_bad_input(cat, name, kind):
    with pytest.raises(InvalidArgument):
        cat.add_optout(name, kind=kind)


def test_refuse_policy_names_the_policy(cat, tmp_path):
    cat.add_optout("Greg Rutkowski")
    recipe = Recipe(engine="diffusion", prompt="a castle by rutkowski, epic")
    with pytest.raises(ConsentRefused, match="consent policy is 'refuse'") as info:
        check_request(recipe, cat, _settings(tmp_path, "refuse"))
    assert "Greg Rutkowski" in str(info.value) and "'rutkowski'" in str(info.value)
    # the default policy is refuse
    with pytest.raises(ConsentRefused):
        check_request(recipe, cat, Settings.from_env(tmp_path))
    # the negative prompt asks to avoid a style: allowed
    clean = Recipe(engine="diffusion", prompt="a castle", negative_prompt="greg rutkowski")
    assert check_request(clean, cat, _settings(tmp_path, "refuse")) == ()


def test_a_style_request_counts_as_its_artist(cat, tmp_path):
    cat.add_optout("Vincent van Gogh")
    recipe = Recipe(engine="style", mode="stylize", options={"styles": [{"name": "starry night"}]})
    with pytest.raises(ConsentRefused, match="Vincent van Gogh"):
        check_request(recipe, cat, _settings(tmp_path, "refuse"))
    portrait = Recipe(engine="portrait", mode="portrait", options={"style": "the starry night"})
    with pytest.raises(ConsentRefused):
        check_request(portrait, cat, _settings(tmp_path, "refuse"))


def test_credit_policy_allows_with_credit(cat, tmp_path):
    cat.add_optout("Greg Rutkowski", note="asked publicly")
    recipe = Recipe(engine="diffusion", prompt="a castle by Greg Rutkowski", model="m")
    (credit,) = check_request(recipe, cat, _settings(tmp_path, "credit"))
    assert (credit.name, credit.role) == ("Greg Rutkowski", "influence")
    assert "'credit'" in credit.evidence and "asked publicly" in credit.evidence
    credits = build_credits(recipe, person="Ana", influences=[credit])
    assert any(c.name == "Greg Rutkowski" and c.share > 0 for c in credits)
    assert "influenced by Greg Rutkowski" in credit_sentence(credits, recipe)


def test_unknown_policy_is_refused(cat, tmp_path):
    with pytest.raises(InvalidArgument, match="`consent_policy`.*'maybe'"):
        check_request(Recipe(engine="x", prompt="a"), cat, _settings(tmp_path, "maybe"))


def _png(text: dict[str, str] | None = None) -> bytes:
    return encode_png(Image.new("RGB", (32, 32), (120, 80, 40)), text)


def test_training_gate_on_png_text_chunks():
    assert training_allowed(_png())[0] is True
    allowed, why = training_allowed(_png({"robots": "noai, noimageai"}))
    assert allowed is False and "PNG text chunk 'robots'" in why and "noai" in why
    # a recipe is not a rights statement: "noai" in a prompt does not count
    assert training_allowed(_png({"parameters": "a noai sign\nSteps: 1, Seed: 1, Size: 32x32"}))[0]
    with pytest.raises(ConsentRefused, match="cat.png is refused as training data"):
        require_training_allowed(_png({"noai": "true"}), "cat.png")


def test_training_gate_on_xmp_and_exif():
    image = Image.new("RGB", (32, 32))
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
           b'plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"/>'
           b"</rdf:RDF></x:xmpmeta>")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", xmp=xmp)
    allowed, why = training_allowed(buffer.getvalue())
    assert allowed is False and "XMP" in why
    exif = Image.Exif()
    exif[0x8298] = "(c) Ana, noai"  # Copyright
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    allowed, why = training_allowed(buffer.getvalue())
    assert allowed is False and "EXIF tag 0x8298" in why
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    assert training_allowed(buffer.getvalue())[0] is True


def test_training_gate_bad_input():
    with pytest.raises(InvalidArgument, match="`data`"):
        training_allowed("cat.png")  # type: ignore[arg-type]
    with pytest.raises(ImageError):
        training_allowed(b"not an image at all")


def test_training_gate_on_a_c2pa_manifest(tmp_path):
    c2pa_manifest = pytest.importorskip("studiolo.provenance.c2pa_manifest")
    pytest.importorskip("c2pa")
    settings = Settings.from_env(tmp_path / "home")
    recipe = Recipe(engine="x", prompt="a cat")
    signed = {
        choice: c2pa_manifest.sign_png(_png(), recipe=recipe, credits=(), person="Ana",
                                       training_mining=choice, settings=settings)
        for choice in ("notAllowed", "allowed")
    }
    allowed, why = training_allowed(signed["notAllowed"])
    assert allowed is False and "c2pa.training-mining" in why and "c2pa.ai_training" in why
    assert training_allowed(signed["allowed"])[0] is True


def test_cli_optout_and_credits(tmp_path):
    from studiolo.cli import credit_cmds  # noqa: F401  (attaches the commands)
    from studiolo.cli.app import cli
    from studiolo.core.types import Artwork
    from studiolo.studio import Studio

    home = str(tmp_path / "studio")
    runner = CliRunner()
    out = runner.invoke(cli, ["--home", home, "optout", "add", "Greg Rutkowski", "--note", "public"])
    assert out.exit_code == 0, out.output
    assert "consent policy: refuse" in out.output
    out = runner.invoke(cli, ["--home", home, "optout", "ls", "--json"])
    assert [e["name"] for e in json.loads(out.output)] == ["Greg Rutkowski"]
    assert runner.invoke(cli, ["--home", home, "optout", "rm", "greg rutkowski"]).exit_code == 0
    out = runner.invoke(cli, ["--home", home, "optout", "rm", "greg rutkowski"])
    assert out.exit_code == 1 and "Unknown opt-out" in str(out.exception)

    studio = Studio(home, load_entry_points=False)
    recipe = Recipe(engine="diffusion", prompt="a cat", model="m")
    credits = build_credits(recipe, person="Ana")
    stored = studio.store(Artwork(recipe=recipe, image=Image.new("RGB", (16, 16)), credits=credits),
                          person="Ana")
    out = runner.invoke(cli, ["--home", home, "credits", stored.id[:12], "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["sentence"] == "Made by Ana with m."
    assert abs(sum(c["share"] for c in data["credits"]) - 1) < 1e-9
    out = runner.invoke(cli, ["--home", home, "credits", stored.id[:12]])
    assert "Made by Ana with m." in out.output and "prompt_author" in out.output


def _photo() -> Image.Image:
    import numpy as np

    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (64, 80, 3), dtype=np.uint8))


def test_studio_refuses_an_opted_out_style_and_stores_nothing(tmp_path):
    from studiolo.studio import Studio

    studio = Studio(tmp_path / "studio")
    studio.catalog.add_optout("Vincent van Gogh")
    with pytest.raises(ConsentRefused, match="Vincent van Gogh"):
        studio.stylize(_photo(), "The Starry Night", work_side=64)
    assert studio.list() == []
    assert not any(p.is_file() for p in studio.files.root.rglob("*.png"))


def test_studio_credit_policy_stores_with_the_artist_credited(tmp_path):
    from studiolo.studio import Studio

    studio = Studio(settings=Settings.from_env(tmp_path / "studio", consent_policy="credit"))
    studio.catalog.add_optout("Vincent van Gogh", note="estate asked")
    [art] = studio.stylize(_photo(), "The Starry Night", work_side=64)
    names = {c.name: c for c in studio.catalog.get_artwork(art.id).credits}
    assert "Vincent van Gogh" in names and names["Vincent van Gogh"].share > 0
    assert abs(sum(c.share for c in names.values()) - 1) < 1e-9


def test_privacy_mode_keeps_the_prompt_out_of_the_file(tmp_path):
    from studiolo.studio import Studio

    prompt = "a secret lighthouse called Ardnamurchan"
    private = Studio(settings=Settings.from_env(tmp_path / "private", prompt_in_file=False))
    [art] = private.paint(prompt, width=128, height=96, seed=3)
    data = art.path.read_bytes()
    assert b"Ardnamurchan" not in data and b"ardnamurchan" not in data.lower()
    assert private.catalog.get_artwork(art.id).recipe.prompt == prompt  # kept in the catalog
    public = Studio(tmp_path / "public")
    [shown] = public.paint(prompt, width=128, height=96, seed=3)
    assert b"Ardnamurchan" in shown.path.read_bytes()
