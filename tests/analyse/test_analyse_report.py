"""`analyse`: the JSON a CLI prints, the summary, and the self-contained HTML report."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from analyse_helpers import painting
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from studiolo.capabilities.analyse.collection import add_collection, load_collection
from studiolo.capabilities.analyse.report import analyse, render_report, write_report
from studiolo.core.errors import InvalidArgument, UnknownName

BASES = {"Ann": (200, 60, 40), "Bob": (40, 80, 190), "Cy": (60, 160, 70)}


@pytest.fixture(scope="module")
def small(tmp_path_factory, light_networks):
    folder = tmp_path_factory.mktemp("works")
    lines = ["file,artist,title,year"]
    for artist, base in BASES.items():
        for i in range(3):
            painting(100 * len(artist) + i, base).save(folder / f"{artist}{i}.png")
            lines.append(f"{artist}{i}.png,{artist},{artist} study {i},{1870 + 10 * i}")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")
    root = tmp_path_factory.mktemp("home")
    add_collection(root, "small", folder, networks=light_networks)
    return load_collection(root, "small"), folder


def test_analyse_json_has_every_part(small, light_networks):
    index, _ = small
    a = analyse(painting(7, BASES["Bob"]), index, claimed="bob", networks=light_networks)
    j = json.loads(json.dumps(a.to_json()))
    assert j["attribution"][0]["artist"] == "Bob"
    probs = [c["probability"] for c in j["attribution"]]
    assert probs == sorted(probs, reverse=True) and abs(sum(probs) - 1) < 1e-3
    assert j["unknown"] in (True, False) and j["authenticity"]["artist"] == "Bob"
    assert {"palette", "harmony", "colourfulness"} <= j["colour"].keys()
    assert {"focal_points", "thirds_points", "symmetry_lr"} <= j["composition"].keys()
    assert {"orientation_histogram", "stroke_length_median"} <= j["brushwork"].keys()
    assert j["calibration"]["queries"] == 9
    text = a.summary()
    assert "attribution against 'small'" in text and "authenticity:" in text


def test_a_work_of_the_collection_is_not_compared_with_itself(small, light_networks):
    index, folder = small
    a = analyse(folder / "Ann1.png", index, networks=light_networks)
    assert a.notes[-1] == ("This picture is in collection 'small' (Ann study 1 by Ann); it is "
                           "left out so that it is not compared with itself.")
    assert a.attribution.candidates[0].artist == "Ann"


def test_without_a_collection_only_the_figures(light_networks):
    a = analyse(painting(3, (120, 120, 40)))
    assert a.attribution is None and a.to_json()["attribution"] == []
    assert a.to_json()["unknown"] is None


def test_report_is_self_contained(small, light_networks, tmp_path):
    index, _ = small
    a = analyse(painting(8, BASES["Cy"]), index, claimed="Cy", source="cy-new.png",
                networks=light_networks)
    path = write_report(a, tmp_path / "out" / "report.html")
    page = path.read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 4
    assert not re.search(r'(src|href)="(https?:)?//', page)
    for part in ('id="attribution"', 'id="authenticity"', 'id="colour"', 'id="composition"',
                 'id="brushwork"'):
        assert part in page
    assert "Authenticity: Cy" in page and a.attribution.verdict.replace("'", "&#39;") in page


def test_claimed_artist_not_in_the_collection(small, light_networks):
    index, _ = small
    with pytest.raises(UnknownName) as err:
        analyse(painting(9, BASES["Ann"]), index, claimed="Rembrandt", networks=light_networks)
    assert str(err.value) == ("Unknown artist in collection 'small' 'Rembrandt'. Known: 'Ann', "
                              "'Bob', 'Cy'.")


def test_bad_images(tmp_path):
    (tmp_path / "x.png").write_bytes(b"not a picture at all")
    with pytest.raises(Exception) as err:
        analyse(tmp_path / "x.png")
    assert str(err.value) == (f"{tmp_path / 'x.png'} is not an image Pillow can read; studiolo "
                              "reads PNG, JPEG, WEBP, GIF, BMP, TIFF.")
    with pytest.raises(InvalidArgument) as err:
        analyse(Image.new("RGB", (31, 400)))
    assert str(err.value) == ("`image` is 31x400 px; analysis needs at least 32 px on each side, "
                              "so use a larger scan of the work.")
    with pytest.raises(InvalidArgument) as err:
        analyse(42)
    assert str(err.value) == "`image` must be a PIL image, a path or bytes, got int."


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_any_bytes_give_an_analysis_or_an_error(small, light_networks, data):
    from studiolo.core.errors import StudioloError

    index, _ = small
    try:
        a = analyse(data, index, networks=light_networks)
    except StudioloError as exc:
        assert str(exc).endswith(".")
    else:
        assert np.isfinite(a.colour.colourfulness)


def test_report_without_a_collection():
    page = render_report(analyse(painting(1, (10, 10, 10))))
    assert 'id="colour"' in page and 'id="attribution"' not in page
