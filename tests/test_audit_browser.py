"""The audit reports open in a browser on their own: headless Debian Chromium (Playwright)
loads each from disk, every chart and picture renders, nothing is fetched; screenshots go
to tests/artifacts/ (audit-bias.png, audit-credits.png, audit-painter.png,
audit-diffusion.png). The painter and diffusion reports come from real runs of the offline
painter and of the tiny diffusion model (tests/tiny_models.py), pictures not stored."""

from __future__ import annotations

import pytest
from audit_helpers import synthetic_face
from browser_helpers import NEEDS_CHROMIUM, chromium, new_page, shot
from PIL import Image

pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM]


@pytest.fixture(scope="module")
def reports(tmp_path_factory, one_torch_thread):
    from studiolo.capabilities.audit.bias import audit_images
    from studiolo.capabilities.audit.credits import audit_credits
    from studiolo.capabilities.audit.report import bias_html, credits_html, write_report
    from studiolo.capabilities.audit.skin import MONK_LAB

    folder = tmp_path_factory.mktemp("reports")
    pictures = {"a portrait of a person in an office": [synthetic_face(MONK_LAB[k]).resize((256, 256))
                                                        for k in (1, 4, 8)],
                "a portrait of a person in a field": [Image.new("RGB", (256, 256), (70, 130, 60))] * 3}
    bias = write_report(bias_html(audit_images(pictures, seeds=[0, 1, 2])), folder / "bias.html")
    credits = write_report(credits_html([audit_credits(collection="builtin:artworks"),
                                         audit_credits(collection="builtin")]), folder / "credits.html")
    # A tiny audit of each engine: two prompts, two seeds, small pictures.
    from tiny_models import save_tiny_sd

    from studiolo.capabilities.audit.bias import audit_engine
    from studiolo.core.settings import Settings
    from studiolo.studio import Studio

    studio = Studio(settings=Settings.from_env(folder / "studio", person="ann"),
                    load_entry_points=False)
    prompts = ["a portrait of a doctor", "a portrait of a nurse"]
    painter = audit_engine(studio, "painter", prompts=prompts, seeds=2, size=64)
    tiny = save_tiny_sd(folder / "tiny-sd")
    diffusion = audit_engine(studio, "diffusion", model=str(tiny), prompts=prompts, seeds=2,
                             size=64, steps=2)
    return {"audit-bias": bias, "audit-credits": credits,
            "audit-painter": write_report(bias_html(painter), folder / "painter.html"),
            "audit-diffusion": write_report(bias_html(diffusion), folder / "diffusion.html")}


@pytest.mark.parametrize("name", ["audit-bias", "audit-credits", "audit-painter", "audit-diffusion"])
def test_report_renders_offline(reports, name):
    from web_helpers import wait_until

    fetched: list[str] = []
    with chromium() as browser:
        page = new_page(browser, width=1200)
        page.on("request", lambda r: fetched.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(reports[name].as_uri())
        # Polled from here (the studio's pages refuse eval; these follow the same rule).
        wait_until(page, "document.readyState === 'complete' && "
                         "Array.from(document.images).every(i => i.complete)")
        text = page.inner_text("body")
        charts = page.eval_on_selector_all("svg", "els => els.map(e => e.getBoundingClientRect().height)")
        images = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
        picture = shot(page, name)
    assert errors == []
    assert all(url.startswith(("file://", "data:")) for url in fetched), fetched
    assert charts and all(h > 30 for h in charts)
    if name != "audit-credits":
        assert len(images) == (6 if name == "audit-bias" else 4) and all(w > 0 for w in images)
        assert "chi-square" in text.lower() and "Wilson" in text and "Kruskal" in text
        assert "does not guess anyone's gender" in text
    if name in ("audit-painter", "audit-diffusion"):
        assert name.split("-")[1] in text and "a portrait of a nurse" in text
    assert picture.stat().st_size > 20_000
