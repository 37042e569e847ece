"""The Jobs page in a real browser (headless Debian Chromium, Playwright): Cancel and Retry
work through studio.js under the pages' Content-Security-Policy (no inline script, no eval).

The jobs stay queued (`run_here = False`), so the buttons are seen acting on the queue
itself. A screenshot lands in tests/artifacts/jobs.png (gitignored).
"""

from __future__ import annotations

import pytest
from browser_helpers import NEEDS_CHROMIUM, chromium, log_in, new_page, serving_studio, shot
from web_helpers import MEMBER, OWNER, PASSWORD, make_studio, wait_until

pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    made = make_studio(tmp_path_factory.mktemp("queue-browser") / "studio")
    made.jobs.run_here = False  # nothing takes the jobs: they wait for the buttons
    yield made
    made.jobs.shutdown(wait=False)


@pytest.fixture(scope="module")
def server(studio):
    with serving_studio(studio) as url:
        yield url


def test_cancel_and_retry_on_the_jobs_page(studio, server):
    request = {"prompt": "a harbour at dawn", "engine": "painter", "width": 64, "height": 64}
    mine = studio.jobs.submit("create", request, owner=OWNER)
    theirs = studio.jobs.submit("create", {**request, "prompt": "bob's orchard"}, owner=MEMBER)
    with chromium() as browser:
        page = new_page(browser, server, height=700, timeout_ms=30_000)
        problems: list[str] = []
        # A script the CSP refuses is a console error, one that fails a page error, a
        # failed call a response (the browser's own favicon request is no part of the page).
        page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                and not m.location.get("url", "").endswith("/favicon.ico") else None)
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto("/jobs")
        log_in(page, OWNER, PASSWORD)
        page.wait_for_url("**/jobs")
        page.click('nav a[href="/jobs"]')  # the nav link leads here
        row = f'tr[data-job="{mine.id}"]'
        assert page.inner_text(f"{row} td.job-status") == "queued"
        assert theirs.id not in page.content() and "orchard" not in page.content()

        page.click(f"{row} button[data-job-cancel]")
        wait_until(page, f"document.querySelector('{row} td.job-status').textContent === 'cancelled'")
        assert studio.catalog.get_job(mine.id).status == "cancelled"
        shot(page, "jobs")

        page.click(f"{row} button[data-job-retry]")
        wait_until(page, f"document.querySelector('{row} td.job-status').textContent === 'queued'")
        assert studio.catalog.get_job(mine.id).status == "queued"
        assert page.locator(f"{row} button[data-job-cancel]").count() == 1
        assert problems == []
