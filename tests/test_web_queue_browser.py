"""The Jobs page in a real browser (headless Debian Chromium, Playwright): Cancel and Retry
work through studio.js under the pages' Content-Security-Policy (no inline script, no eval).

The jobs stay queued (`run_here = False`), so the buttons are seen acting on the queue
itself. A screenshot lands in tests/artifacts/jobs.png (gitignored).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian chromium at /usr/bin/chromium (apt-get install chromium)"),
]
playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from web_helpers import MEMBER, OWNER, PASSWORD, make_studio, wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    made = make_studio(tmp_path_factory.mktemp("queue-browser") / "studio")
    made.jobs.run_here = False  # nothing takes the jobs: they wait for the buttons
    yield made
    made.jobs.shutdown(wait=False)


@pytest.fixture(scope="module")
def server(studio):
    from studiolo.web.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(studio), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


def test_cancel_and_retry_on_the_jobs_page(studio, server):
    request = {"prompt": "a harbour at dawn", "engine": "painter", "width": 64, "height": 64}
    mine = studio.jobs.submit("create", request, owner=OWNER)
    theirs = studio.jobs.submit("create", {**request, "prompt": "bob's orchard"}, owner=MEMBER)
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        try:
            page = browser.new_context(base_url=server, viewport={"width": 1280, "height": 700}
                                       ).new_page()
            page.set_default_timeout(30_000)
            problems: list[str] = []
            # A script the CSP refuses is a console error, one that fails a page error, a
            # failed call a response (the browser's own favicon request is no part of the page).
            page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                    and not m.location.get("url", "").endswith("/favicon.ico") else None)
            page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                    if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto("/jobs")
            page.fill('input[name="name"]', OWNER)
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.wait_for_url("**/jobs")
            page.click('nav a[href="/jobs"]')  # the nav link leads here
            row = f'tr[data-job="{mine.id}"]'
            assert page.inner_text(f"{row} td.job-status") == "queued"
            assert theirs.id not in page.content() and "orchard" not in page.content()

            page.click(f"{row} button[data-job-cancel]")
            wait_until(page, f"document.querySelector('{row} td.job-status').textContent === 'cancelled'")
            assert studio.catalog.get_job(mine.id).status == "cancelled"
            page.screenshot(path=str(ARTIFACTS / "jobs.png"), full_page=True)

            page.click(f"{row} button[data-job-retry]")
            wait_until(page, f"document.querySelector('{row} td.job-status').textContent === 'queued'")
            assert studio.catalog.get_job(mine.id).status == "queued"
            assert page.locator(f"{row} button[data-job-cancel]").count() == 1
            assert problems == []
        finally:
            browser.close()
