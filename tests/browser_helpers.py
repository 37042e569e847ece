"""What every browser test shares: the real server on loopback, headless Debian Chromium
driven by Playwright, a page, a log-in, a screenshot.

    pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM]

    @pytest.fixture(scope="module")
    def server(app):
        with serving(app) as url:
            yield url

    @pytest.fixture(scope="module")
    def browser():
        with chromium() as launched:
            yield launched

Screenshots land in tests/artifacts/ (gitignored), to be looked at.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from server_helpers import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
NEEDS_CHROMIUM = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium (apt-get install chromium)")


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app on a real uvicorn server in a thread, on a free loopback port: its base URL."""
    uvicorn = pytest.importorskip("uvicorn")
    port = free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(10)


@contextmanager
def serving_studio(studio: Any) -> Iterator[str]:
    """The web studio of `studio` (create_app) served as `serving` does: its base URL."""
    from studiolo.web.app import create_app

    with serving(create_app(studio)) as url:
        yield url


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium (Playwright cannot download its own build here)."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield launched
        finally:
            launched.close()


def new_page(browser: Any, base_url: str | None = None, *, width: int = 1280, height: int = 900,
             timeout_ms: int = 60_000, init_script: str | None = None, **context: Any) -> Any:
    """A page in a context of its own (its own cookies): one person, one page."""
    made = browser.new_context(base_url=base_url, viewport={"width": width, "height": height}, **context)
    if init_script:
        made.add_init_script(init_script)
    page = made.new_page()
    page.set_default_timeout(timeout_ms)
    return page


def log_in(page: Any, name: str, password: str) -> None:
    """Fill the login form the page shows and send it."""
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot in tests/artifacts/NAME.png."""
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
