"""Analyse on an artwork page in a real browser (headless Debian Chromium, Playwright): the
person logs in, chooses a reference collection, clicks Analyse, sees the job's progress and
then the report. The artwork is a real painting of ../shared/artworks; the collection other
paintings of it (light stand-in networks, so the test takes seconds). Screenshots go to
tests/artifacts/analyse-*.png (gitignored; look at them).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from analyse_helpers import light_content, light_style
from browser_helpers import ARTIFACTS, CHROMIUM, NEEDS_CHROMIUM

ARTWORKS = Path("/work/shared/artworks")
HELD_OUT = "claude-monet__water-lilies.jpg"  # the artwork analysed (not in the collection)
ARTISTS = ("claude-monet", "vincent-van-gogh", "edgar-degas")

pytestmark = [
    pytest.mark.slow,
    NEEDS_CHROMIUM,
    pytest.mark.skipif(not (ARTWORKS / "manifest.csv").is_file(),
                       reason="needs the paintings of ../shared/artworks"),
]
playwright_api = pytest.importorskip("playwright.sync_api")

from web_helpers import MEMBER, OWNER, PASSWORD, make_studio, wait_until


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    from PIL import Image

    from studiolo.capabilities.analyse.collection import add_collection
    from studiolo.core.types import Artwork, Recipe
    from studiolo.provenance.ledger import build_credits

    home = tmp_path_factory.mktemp("analyse-browser")
    made = make_studio(home / "studio")
    made.analyse_networks = (light_style, light_content)  # what the analysis job runs with
    with open(ARTWORKS / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)
                if r["file"].split("__")[0] in ARTISTS and r["file"] != HELD_OUT]
    manifest = home / "manifest.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["file", "artist", "title", "year"])
        out.writerows([r["file"], r["artist"], r["title"], r["year"]] for r in rows)
    add_collection(made.catalog, "masters", ARTWORKS, manifest, networks=made.analyse_networks)
    image = Image.open(ARTWORKS / HELD_OUT).convert("RGB")
    image.thumbnail((640, 640))
    recipe = Recipe(engine="diffusion", prompt="water lilies, after Monet", model="m")
    made.work = made.store(Artwork(recipe=recipe, image=image,
                                   credits=build_credits(recipe, person=OWNER)),
                           person=OWNER, private=True)
    yield made
    made.jobs.shutdown(wait=False)


@pytest.fixture(scope="module")
def server(studio):
    from browser_helpers import serving_studio

    with serving_studio(studio) as url:
        yield url


def log_in(page, name: str, path: str) -> None:
    from browser_helpers import log_in as fill_login

    page.goto(path)
    fill_login(page, name, PASSWORD)


def test_analyse_button_shows_progress_then_the_report(studio, server):
    ARTIFACTS.mkdir(exist_ok=True)
    work = studio.work.id
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        try:
            page = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900}
                                       ).new_page()
            page.set_default_timeout(60_000)
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                    and not m.location.get("url", "").endswith("/favicon.ico") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            log_in(page, OWNER, f"/artwork/{work}")
            page.wait_for_url(f"**/artwork/{work}")
            wait_until(page, "document.querySelector('#analyse-against option[value=masters]')"
                             " !== null")
            page.select_option("#analyse-against", "masters")
            page.click("button[data-analyse]")
            wait_until(page, "!document.getElementById('job').hidden")  # the progress shows
            page.screenshot(path=str(ARTIFACTS / "analyse-progress.png"), full_page=True)
            page.wait_for_url(f"**/artwork/{work}/analysis?against=masters", timeout=120_000)
            assert page.locator("#attribution .bar").count() >= 1
            text = page.inner_text("body").lower()  # headings are upper-cased by the style
            assert "brushwork" in text and "composition" in text and "compared with collection “masters”" in text
            artists = page.locator("#attribution").inner_text()
            assert any(a in artists for a in ("Claude Monet", "Vincent van Gogh",
                                              "Edgar Degas", "nknown")), artists
            assert page.locator("img").evaluate_all("imgs => imgs.every(i => i.naturalWidth > 0)")
            page.screenshot(path=str(ARTIFACTS / "analyse-report.png"), full_page=True)
            assert (ARTIFACTS / "analyse-report.png").stat().st_size > 50_000
            assert problems == [], problems

            # Another member: the private work's report is not there for them.
            other = browser.new_context(base_url=server).new_page()
            log_in(other, MEMBER, "/gallery")
            reply = other.goto(f"/artwork/{work}/analysis?against=masters")
            assert reply.status == 404
            assert "Palette" not in other.content() and "Monet" not in other.content()
        finally:
            browser.close()
