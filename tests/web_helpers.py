"""Shared by the web tests: a studio with two accounts, and logging a client in (the
fixtures `app`, `owner` and `member` on a module's `studio` are in conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

OWNER, MEMBER, PASSWORD = "ann", "bob", "correct horse battery"


def make_studio(home: Path) -> Any:
    from studiolo.catalog import accounts
    from studiolo.core.settings import Settings
    from studiolo.studio import Studio

    studio = Studio(settings=Settings.from_env(home, person=OWNER), load_entry_points=False)
    accounts.add_user(studio.catalog, OWNER, PASSWORD, role="owner")
    accounts.add_user(studio.catalog, MEMBER, PASSWORD)
    return studio


def login(client: Any, name: str, password: str = PASSWORD) -> str:
    """Log the TestClient in through the login form; return the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"name": name, "password": password, "csrf": token},
                follow_redirects=False)
    csrf = client.get("/api/me").json()["csrf"]
    client.headers["X-CSRF-Token"] = csrf
    return csrf


def follow(client: Any, job: dict[str, Any]) -> list[tuple[str, str]]:
    """Read a job's server-sent events to the end: [(event, data), ...]."""
    events: list[tuple[str, str]] = []
    kind = None
    with client.stream("GET", job["events"]) as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, line[6:]))
    return events



def wait_until(page: Any, expression: str, timeout: float = 60.0) -> None:
    """Wait until a JavaScript expression is true on the page.

    The pages run under a Content-Security-Policy without 'unsafe-eval', and Playwright's
    `wait_for_function` compiles a string predicate with eval inside the page, which that
    policy refuses whenever the first check is false. `page.evaluate` goes through the
    browser's debugging protocol, which the policy does not govern, so the expression is
    polled from here instead.
    """
    import time

    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            if page.evaluate(expression):
                return
        except PlaywrightError as error:  # not there yet (null element), or a navigation in flight
            last = error
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for: {expression}"
                                 + (f" (last error: {last})" if last else ""))
        page.wait_for_timeout(100)
