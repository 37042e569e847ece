"""`studiolo analyse` and `studiolo collection ...`: help, JSON, reports, kept analyses and each
mistake's sentence (light stand-in networks patched in where the real ones are loaded)."""

from __future__ import annotations

import json

import pytest
from analyse_helpers import light_content, light_style, painting, stored_work

from studiolo.cli import main

BASES = {"Ann": (200, 60, 40), "Bob": (40, 80, 190)}


@pytest.fixture
def light(monkeypatch, studio_home):
    """The real networks' entry points replaced by the light stand-ins."""
    monkeypatch.setattr("studiolo.features.style.style_vector", light_style)
    monkeypatch.setattr("studiolo.features.content.image_features", light_content)
    return studio_home


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "works"
    folder.mkdir()
    lines = ["file,artist,title,year"]
    for a, (artist, base) in enumerate(BASES.items()):
        for i in range(3):
            painting(10 * a + i, base).save(folder / f"{artist}{i}.png")
            lines.append(f"{artist}{i}.png,{artist},{artist} {i},{1880 + i}")
    (folder / "list.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [["analyse"], ["collection"], ["collection", "add"],
                                  ["collection", "show"], ["collection", "map"]])
def test_help_has_examples(capsys, argv):
    code, out, _ = run(capsys, *argv, "--help")
    assert code == 0 and "Example" in out and "studiolo " in out


def test_collection_add_ls_show_map_and_analyse(light, folder, tmp_path, capsys):
    code, out, err = run(capsys, "collection", "add", "pair", str(folder), "--manifest",
                         str(folder / "list.csv"), "--json")
    assert code == 0, err
    assert json.loads(out) == {"name": "pair", "works": 6, "artists": 2, "notes": []}
    code, out, _ = run(capsys, "collection", "ls", "--json")
    assert [c["name"] for c in json.loads(out)] == ["builtin", "pair"]
    code, out, _ = run(capsys, "collection", "show", "pair")
    assert out.splitlines()[:3] == ["Collection pair: 6 works by 2 artists", "    3  Ann",
                                    "    3  Bob"]
    code, out, _ = run(capsys, "collection", "map", "pair", "--out", str(tmp_path / "m"),
                       "--json")
    found = json.loads(out)
    assert code == 0 and len(found["points"]) == 6
    assert (tmp_path / "m" / "pair-map.png").stat().st_size > 0
    query = tmp_path / "query.png"
    painting(99, BASES["Ann"]).save(query)
    report = tmp_path / "r.html"
    code, out, err = run(capsys, "analyse", str(query), "--against", "pair", "--claimed", "ann",
                         "--report", "--out", str(report), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert next(a["artist"] for a in result["attribution"]) == "Ann"
    assert sum(a["probability"] for a in result["attribution"]) == pytest.approx(1, abs=1e-3)
    assert isinstance(result["unknown"], bool)
    assert result["authenticity"]["artist"] == "Ann"
    assert {"colour", "composition", "brushwork"} <= set(result)
    assert result["report"] == str(report) and "<html" in report.read_text(encoding="utf-8")
    code, out, _ = run(capsys, "analyse", str(query), "--against", "none")
    assert code == 0 and "palette:" in out and "attribution" not in out


def test_a_catalog_artwork_keeps_its_analysis(studio_home, monkeypatch, capsys):
    from studiolo.studio import Studio

    studio = Studio(studio_home, load_entry_points=False)
    work = stored_work(studio, 3, (200, 40, 40))  # storing reads the real style vector
    monkeypatch.setattr("studiolo.features.style.style_vector", light_style)
    monkeypatch.setattr("studiolo.features.content.image_features", light_content)
    code, out, err = run(capsys, "analyse", work.id[:10], "--against", "none", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["artwork_id"] == work.id and first["collection"] is None
    code, out, _ = run(capsys, "analyse", work.id[:10], "--against", "none", "--json")
    assert json.loads(out)["created"] == first["created"]  # kept, not analysed again
    code, out, _ = run(capsys, "analyse", work.id[:10], "--against", "none", "--refresh")
    assert code == 0 and "palette:" in out
    studio.catalog.delete_artwork(work.id)
    from studiolo.capabilities.analyse.stored import load_analysis

    assert load_analysis(studio.catalog, work.id, None, None) is None


@pytest.mark.parametrize("argv, message", [
    (["analyse", "nowhere.png"],
     ("Error: `IMAGE` must be a picture file or an artwork id, got 'nowhere.png', which is "
     "neither; check the path.")),
    (["analyse", "x.png", "--against", "none", "--claimed", "Ann"],
     ("Error: `--claimed` needs a collection to compare with, got `--against none`; name a "
     "collection that holds the artist.")),
    (["collection", "add", "builtin", "."],
     ("Error: `name` 'builtin' is the studio's own collection of bundled paintings; choose "
     "another name.")),
    (["collection", "add", "bad name!", "."],
     ("Error: `name` must be 1 to 64 letters, digits, '.', '_' or '-' starting with a letter "
     "or digit, got 'bad name!'.")),
])
def test_mistakes_are_one_sentence(light, capsys, argv, message):
    code, _out, err = run(capsys, *argv)
    assert code != 0 and err.strip() == message


def test_an_unknown_collection_is_named(light, tmp_path, capsys):
    query = tmp_path / "q.png"
    painting(1, (10, 20, 30)).save(query)
    code, _, err = run(capsys, "analyse", str(query), "--against", "nosuch")
    assert code != 0 and err.startswith("Error: ") and "nosuch" in err
    assert len(err.strip().splitlines()) == 1
