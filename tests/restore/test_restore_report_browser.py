"""The HTML report in a real browser (Debian Chromium through Playwright): the slider moves
when dragged and when its range input changes, the per-kind toggles hide their overlay, and
nothing is fetched from outside the file. Screenshots land in tests/artifacts/ to be looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_helpers import ARTIFACTS, CHROMIUM, NEEDS_CHROMIUM

from studiolo.capabilities.restore import detect, report
from studiolo.capabilities.restore import synthetic as syn
from studiolo.capabilities.restore.fill import fill
from studiolo.capabilities.restore.kinds import KINDS

from .conftest import painting

pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM]
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    original = painting(side=480)
    damaged = syn.apply_damage(original, syn.TRAINING_RECIPE, seed=4)
    result = fill(damaged.image, damaged.union(), "auto")
    kinds = [detect.KindSummary(k, float(damaged.masks[k].mean()), 0.9,
                                int(damaged.masks[k].sum()), 0.5) for k in KINDS]
    path = tmp_path_factory.mktemp("report") / "report.html"
    return report.write(report.ReportInputs(
        name="damaged.png", before=damaged.image, after=result.image,
        masks=dict(damaged.masks), damage_source="Damage: the synthetic truth.", kinds=kinds,
        fill=result, numbers={"seconds": "1.00"}, notes=("A note <b>escaped</b>.",)), path)


def test_slider_toggles_and_no_outside_requests(report_file):
    ARTIFACTS.mkdir(exist_ok=True)
    outside = []
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
            ("file:", "data:")) else None)
        page.goto(report_file.as_uri())
        pos = page.eval_on_selector("#compare", "e => e.style.getPropertyValue('--pos')")
        assert pos == "50%"
        box = page.locator("#compare").bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.5, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=6)
        page.mouse.up()
        pos = float(page.eval_on_selector("#compare", "e => e.style.getPropertyValue('--pos')")[:-1])
        assert 15 < pos < 25
        assert float(page.input_value("#slider")) == pytest.approx(pos, abs=0.2)
        page.screenshot(path=str(ARTIFACTS / "restore-report-dragged.png"), full_page=True)
        page.fill("#slider", "80")
        page.dispatch_event("#slider", "input")
        pos = page.eval_on_selector("#compare", "e => e.style.getPropertyValue('--pos')")
        assert pos == "80%"
        assert page.is_visible("#layer-cracks")
        page.uncheck("input[data-layer=cracks]")
        assert not page.is_visible("#layer-cracks") and page.is_visible("#layer-losses")
        assert "A note <b>escaped</b>." in page.inner_text("ul.notes")
        page.screenshot(path=str(ARTIFACTS / "restore-report-toggled.png"), full_page=True)
        browser.close()
    assert outside == []


def test_restore_command_on_a_real_scan_writes_a_report_that_opens(tmp_path, monkeypatch, capsys):
    """`studiolo restore scan.jpg --report` on a scan with real craquelure (Vermeer's)."""
    import json

    from PIL import Image

    from studiolo.cli import main

    from .conftest import PAINTINGS

    monkeypatch.setenv("STUDIOLO_HOME", str(tmp_path / "home"))
    scan = tmp_path / "scan.jpg"
    Image.open(PAINTINGS / "johannes-vermeer-girl-with-a-pearl-earring.jpg").convert("RGB").save(
        scan, quality=95)
    assert main(["restore", str(scan), "--report", "--json"]) == 0, capsys.readouterr().err
    [made] = json.loads(capsys.readouterr().out)
    filled = made["recipe"]["options"]["filled"]
    assert sum(v["pixels"] for v in filled.values()) > 100  # its real cracks were found and filled
    report_path = Path(made["report"])
    assert report_path == tmp_path / "scan-restoration.html"
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(report_path.as_uri())
        assert page.is_visible("#compare") and page.is_visible("#layer-cracks")
        assert "scan.jpg" in page.title() + page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "restore-report-real-scan.png"), full_page=True)
        browser.close()
