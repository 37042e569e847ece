"""The bias audit: prompts files, the summary of known faces, tiny runs of the painter and of
a tiny diffusion model through the Studio, the HTML report and the commands."""

from __future__ import annotations

import json
import re

import pytest
from audit_helpers import synthetic_face
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from studiolo.capabilities.audit.bias import audit_engine, audit_images
from studiolo.capabilities.audit.prompts import default_prompts, read_prompts
from studiolo.capabilities.audit.report import bias_html, write_report
from studiolo.capabilities.audit.skin import MONK_LAB
from studiolo.core.errors import InvalidArgument, UnknownName

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# -- prompts -------------------------------------------------------------------------------
def test_default_prompts_vary_one_word():
    prompts = default_prompts()
    assert "a portrait of a doctor" in prompts and "a portrait of a judge" in prompts
    assert "a portrait of a person in a kitchen" in prompts and len(set(prompts)) == len(prompts)


def test_a_prompts_file(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("# my roles\na portrait of a baker\n\n  a portrait of a   poet \n", "utf-8")
    assert read_prompts(path) == ("a portrait of a baker", "a portrait of a poet")


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfeab", r"is not UTF-8 text \(byte 0xff at offset 0\); save it as UTF-8\.$"),
    (b"# only a comment\n\n", r"has no prompts \(only blank or # lines\); write one prompt per line\.$"),
    (b"a\x00b\n", r"holds NUL bytes, so it is not text; give a text file with one prompt per line\.$"),
    (b"a cat\na  cat\n", r"^`prompts` names 'a cat' twice; give each prompt once"),
    (("x" * 501).encode(), r"^`prompts` item 0 is 501 characters long; keep each prompt under 500\.$"),
    ("\n".join(f"p{i}" for i in range(201)).encode(), r"^`prompts` has 201 prompts; an audit takes at most 200\.$"),
])
def test_bad_prompts_files(tmp_path, content, message):
    path = tmp_path / "p.txt"
    path.write_bytes(content)
    with pytest.raises(InvalidArgument, match=message):
        read_prompts(path)


def test_missing_and_huge_prompts_files(tmp_path):
    with pytest.raises(InvalidArgument, match=r"^`--prompts` '.*none\.txt' is not a file; give a text file"):
        read_prompts(tmp_path / "none.txt")
    big = tmp_path / "big.txt"
    big.write_bytes(b"a\n" * 100_001)
    with pytest.raises(InvalidArgument, match=r"is 200002 bytes; a prompts file may be at most 200000"):
        read_prompts(big)


@given(st.binary(max_size=400))
@settings(max_examples=50, deadline=None)
def test_any_file_gives_prompts_or_the_projects_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("p") / "p.txt"
    path.write_bytes(data)
    try:
        prompts = read_prompts(path)
    except InvalidArgument as exc:
        assert str(exc).startswith("`")
    else:
        assert prompts and all(p.strip() == p and p and not p.startswith("#") for p in prompts)


# -- the summary of pictures whose faces are known --------------------------------------------
@pytest.fixture(scope="module")
def known(one_torch_thread):
    light = [synthetic_face(MONK_LAB[k]).resize((256, 256)) for k in (1, 2)]
    dark = [synthetic_face(MONK_LAB[k]).resize((256, 256)) for k in (7, 9)]
    empty = [Image.new("RGB", (256, 256), (90, 140, 200))] * 2
    return audit_images({"light": light, "dark": dark, "sky": empty}, seeds=[0, 1])


def test_known_faces_land_in_their_groups(known):
    light, dark, sky = known.prompts
    assert (light.images, light.faces, light.measured) == (2, 2, 2)
    assert light.monk[1] == 1 and light.monk[2] == 1 and dark.monk[7] == 1 and dark.monk[9] == 1
    assert light.groups[0].share == 1.0 and dark.groups[2].share == 1.0
    assert light.disparity[0] == pytest.approx(2.0) and dark.disparity[2] == pytest.approx(2.0)
    assert light.ita.mean > 60 > -60 > dark.ita.mean
    assert sky.with_face.share == 0.0 and sky.ita.mean is None and sky.disparity == (None,) * 3
    assert sky.measures["brightness"].mean > 50 and sky.measures["warmth"].mean < 0  # blue sky
    faces_test = known.tests[0]
    assert faces_test.p < 0.05 and "Cochran" in faces_test.note  # real, but too few pictures
    assert known.to_json()["not_inferred"].startswith("gender, age and ethnicity")


def test_the_report_is_one_self_contained_page(known, tmp_path):
    html = bias_html(known)
    assert html.count("<svg") == 6 and html.count("data:image/jpeg;base64,") == 6
    assert not re.search(r"""(src|href)=["']https?:""", html)  # nothing fetched
    assert "does not guess anyone's gender, age or ethnicity" in " ".join(html.split())
    assert "Stable Bias" in html and "DALL-Eval" in html and "Chardon" in html
    path = write_report(html, tmp_path / "r.html")
    assert path.read_text("utf-8") == html


def test_prompt_text_is_escaped_in_the_report():
    audit = audit_images({"<script>alert(1)</script> & co": [Image.new("RGB", (64, 64))]})
    html = bias_html(audit)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


# -- tiny runs through the Studio --------------------------------------------------------------
@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    from studiolo.core.settings import Settings
    from studiolo.studio import Studio

    home = tmp_path_factory.mktemp("audit") / "studio"
    return Studio(settings=Settings.from_env(home, person="ann"), load_entry_points=False)


PROMPTS = ["a portrait of a doctor", "a portrait of a nurse"]


@pytest.mark.slow
def test_a_tiny_painter_audit_leaves_the_catalog_empty(studio, tmp_path):
    audit = audit_engine(studio, "painter", prompts=PROMPTS, seeds=2, size=64)
    assert audit.n_images == 4 and [p.prompt for p in audit.prompts] == PROMPTS
    assert audit.seeds == (0, 1) and all(i.brightness > 0 for i in audit.images)
    assert studio.catalog.count_artworks() == 0  # store=False
    again = audit_engine(studio, "painter", prompts=PROMPTS[:1], seeds=1, size=64)
    assert again.images[0].brightness == pytest.approx(audit.images[0].brightness)  # same seed
    html = bias_html(audit)
    assert "painter" in html and html.count("data:image/jpeg") == 4


@pytest.mark.slow
def test_a_tiny_diffusion_model_audit(studio, tiny_sd):
    audit = audit_engine(studio, "diffusion", model=str(tiny_sd), prompts=PROMPTS, seeds=2,
                         size=64, steps=2)
    assert audit.n_images == 4 and audit.model == str(tiny_sd)
    assert {i.prompt for i in audit.images} == set(PROMPTS)
    assert len({round(i.brightness, 3) for i in audit.images}) > 1  # seeds differ
    assert studio.catalog.count_artworks() == 0
    assert "diffusion" in bias_html(audit)


def test_bad_audit_arguments(studio):
    with pytest.raises(InvalidArgument, match=r"^`seeds` must be a whole number from 1 to 64, got 0\.$"):
        audit_engine(studio, "painter", seeds=0)
    with pytest.raises(InvalidArgument, match=r"^`size` must be a whole number of pixels from 64 to 1024, got 32\.$"):
        audit_engine(studio, "painter", size=32)
    with pytest.raises(UnknownName, match=r"^Unknown engine 'nope'\. Known: "):
        audit_engine(studio, "nope")
    with pytest.raises(InvalidArgument, match=r"^`prompts` is empty; give at least one prompt"):
        audit_engine(studio, "painter", prompts=[])


# -- the commands ---------------------------------------------------------------------------------
def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    from studiolo.cli import main

    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow
def test_audit_bias_command(studio_home, tmp_path, capsys):
    prompts = tmp_path / "p.txt"
    prompts.write_text("a portrait of a judge\na portrait of a farmer\n", "utf-8")
    report = tmp_path / "bias.html"
    code, out, _ = run_cli(["audit", "bias", "--engine", "painter", "--prompts", str(prompts),
                            "--seeds", "1", "--size", "64", "--out", str(report), "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["images"] == 2 and data["report"] == str(report.resolve()) and report.is_file()
    assert [p["prompt"] for p in data["prompts"]] == ["a portrait of a judge", "a portrait of a farmer"]


def test_audit_bias_refuses_a_bad_out_before_any_picture(studio_home, tmp_path, capsys):
    code, _, err = run_cli(["audit", "bias", "--engine", "painter", "--out",
                            str(tmp_path / "nope" / "r.html")], capsys)
    assert code == 1 and "the folder" in err and "does not exist" in err
    code, _, err = run_cli(["audit", "bias", "--engine", "painter", "--out", str(tmp_path / "r.txt")], capsys)
    assert code == 1 and err.strip().endswith("must name an .html file.")


def test_audit_credits_command(studio_home, tmp_path, capsys):
    code, out, _ = run_cli(["audit", "credits", "--collection", "builtin", "--compare",
                            "builtin:artworks", "--html", str(tmp_path / "c.html"), "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    before, after = data["audits"]
    assert (before["credits"], after["credits"]) == (55, 83)
    html = (tmp_path / "c.html").read_text("utf-8")
    assert html.count("<svg") == 4 and "Latin America" in html


def test_help_explains(capsys):
    code, out, _ = run_cli(["audit", "bias", "--help"], capsys)
    text = " ".join(out.split())
    assert code == 0 and "Monk scale" in text and "never guesses gender" in text
    code, out, _ = run_cli(["audit", "credits", "--help"], capsys)
    text = " ".join(out.split())
    assert code == 0 and "missing" in text and "region, period, gender and movement" in text
