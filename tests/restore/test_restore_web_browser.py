"""The artwork page's Damage, Restore and Age actions in a real browser (Debian Chromium
through Playwright, the real server in a thread): each click runs the job, the result appears
in the before/after slider, the slider follows a drag and its range input, and nothing
breaks the site's Content-Security-Policy. Screenshots land in tests/artifacts/."""

from __future__ import annotations

import numpy as np
import pytest
from browser_helpers import ARTIFACTS, CHROMIUM, NEEDS_CHROMIUM
from PIL import Image

from studiolo.capabilities.restore import synthetic as syn

from .conftest import painting

pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM]
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base URL, studio, the owner's damaged scan as an artwork)."""
    from browser_helpers import serving_studio
    from web_helpers import make_studio

    home = tmp_path_factory.mktemp("restore-browser")
    studio = make_studio(home / "studio")
    damaged = syn.apply_damage(painting(side=360), syn.TRAINING_RECIPE, seed=3).image
    scan = home / "scan.png"
    Image.fromarray(damaged).save(scan)
    corner = np.zeros(damaged.shape[:2], np.uint8)
    corner[:2, :2] = 255  # a token mask: the stored work is the damaged scan itself
    Image.fromarray(corner).save(home / "corner.png")
    [work] = studio.restore(scan, mask=home / "corner.png", method="telea")
    with serving_studio(studio) as url:
        yield url, studio, work


def slider_pos(page) -> float:
    return float(page.eval_on_selector("#compare", "e => e.style.getPropertyValue('--pos')")[:-1])


def run_action(page, name: str) -> None:
    from web_helpers import wait_until

    page.click(f'button[data-action="{name}"]')
    page.wait_for_selector(f'#compare-card[data-action="{name}"]', timeout=180_000)
    wait_until(page, "[...document.querySelectorAll('#compare img')].every("
                     "i => i.complete && i.naturalWidth > 0)")


def test_damage_restore_and_age_show_a_slider(served):
    from web_helpers import OWNER, PASSWORD

    base, _studio, work = served
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_context(base_url=base, viewport={"width": 1280, "height": 1000}
                                   ).new_page()
        page.set_default_timeout(60_000)
        problems: list[str] = []
        # (a failed load is reported by the response listener, with its URL; the browser's
        # own favicon request 404s on every page of the studio)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and not
                m.text.startswith("Failed to load resource") else None)
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        # every page records what the CSP refused (an init script runs before the page's own)
        page.add_init_script("""window.violations = [];
            document.addEventListener('securitypolicyviolation',
              (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));""")
        page.goto("/gallery")
        page.fill('input[name="name"]', OWNER)
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_url("**/gallery")
        page.goto(f"/artwork/{work.id}")

        run_action(page, "damage")
        assert page.inner_text("#compare-card h2") == "Damage found: before and after"
        after_src = page.get_attribute("#compare img.after", "src")
        assert after_src.startswith("/api/artworks/") and work.id not in after_src
        assert page.get_attribute("#compare img.before", "src") == f"/api/artworks/{work.id}/file"
        assert slider_pos(page) == 50
        box = page.locator("#compare").bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.5, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.25, y, steps=6)
        page.mouse.up()
        assert 20 < slider_pos(page) < 30
        assert float(page.input_value("#compare-slider")) == pytest.approx(slider_pos(page), abs=0.2)
        # the before image is clipped at the handle: left of it the scan, right the map
        page.screenshot(path=str(ARTIFACTS / "restore-web-damage.png"), full_page=True)

        run_action(page, "restore")
        assert page.locator("#compare-card").count() == 1  # the slider shows the newest result
        page.fill("#compare-slider", "70")
        page.dispatch_event("#compare-slider", "input")
        assert slider_pos(page) == 70
        page.screenshot(path=str(ARTIFACTS / "restore-web-restore.png"), full_page=True)

        run_action(page, "age")
        assert page.inner_text("#compare-card h2") == "Aged: before and after"
        assert page.evaluate("window.violations") == []
        aged = page.get_attribute("#compare img.after", "src")
        page.click("#compare-result")
        page.wait_for_url("**/artwork/*")
        assert "Aged by" in page.inner_text("#credits")
        # the aged work's own page shows the slider against the work it came from
        page.wait_for_selector('#compare-card[data-action="age"]')
        assert page.get_attribute("#compare img.before", "src") == f"/api/artworks/{work.id}/file"
        assert page.get_attribute("#compare img.after", "src") == aged
        assert page.get_attribute("#compare-result", "href") == f"/artwork/{work.id}"
        page.screenshot(path=str(ARTIFACTS / "restore-web-aged-page.png"), full_page=True)
        assert page.evaluate("window.violations") == []
        assert problems == []
        browser.close()
