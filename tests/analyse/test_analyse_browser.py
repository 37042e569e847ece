"""The report and the collection map in a real browser: they render, and the map's hover and
colouring switch work. Screenshots go to the test's folder (look at them)."""

from __future__ import annotations

import shutil

import pytest
from analyse_helpers import painting
from analyse_synthetic import collection

from studiolo.capabilities.analyse.attribution import fit_attribution
from studiolo.capabilities.analyse.collection import add_collection, load_collection
from studiolo.capabilities.analyse.connections import connections
from studiolo.capabilities.analyse.mapplot import write_map
from studiolo.capabilities.analyse.report import analyse, write_report

CHROMIUM = "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="no chromium")]


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def test_report_renders(browser, tmp_path, light_networks):
    folder = tmp_path / "works"
    folder.mkdir()
    lines = ["file,artist,title,year"]
    for artist, base in {"Ann": (200, 60, 40), "Bob": (40, 80, 190)}.items():
        for i in range(3):
            painting(len(artist) * 10 + i, base, size=(160, 120)).save(folder / f"{artist}{i}.png")
            lines.append(f"{artist}{i}.png,{artist},{artist} {i},1880")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")
    add_collection(tmp_path / "home", "pair", folder, networks=light_networks)
    index = load_collection(tmp_path / "home", "pair")
    a = analyse(painting(77, (190, 70, 50), size=(320, 240)), index, claimed="Ann",
                source="new-work.png", networks=light_networks)
    path = write_report(a, tmp_path / "report.html")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.as_uri())
    assert page.locator("#attribution .bar").count() == 2
    width = page.locator("#attribution .bar .fill").first.evaluate("e => e.offsetWidth")
    assert width > 50  # the best artist's bar is drawn, not zero
    assert page.locator("img").evaluate_all("imgs => imgs.every(i => i.naturalWidth > 0)")
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 20_000


def test_map_hover_and_colour_switch(browser, tmp_path):
    index, _ = collection([3, 3, 2])
    html_path, png_path = write_map(connections(fit_attribution(index)), tmp_path, "map")
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    page.goto(html_path.as_uri())
    circle = page.locator("circle").first
    before = circle.get_attribute("fill")
    circle.hover(force=True)  # clustered points overlap: whichever is on top answers
    tip = page.locator("#tip")
    assert tip.is_visible() and " — Artist " in tip.text_content()
    page.locator("input[value=period]").check()
    assert page.locator("#legend-period").is_visible()
    assert not page.locator("#legend-artist").is_visible()
    assert before == circle.get_attribute("data-artist-fill")
    assert circle.get_attribute("fill") == circle.get_attribute("data-period-fill")
    page.screenshot(path=str(tmp_path / "map.png"))
    assert png_path.stat().st_size > 5_000
