"""Login back-off and the security headers of the web studio.

The back-off is tested with an injected clock (no sleeping): per name, per address,
exponential with a cap, the right password refused until the wait is over, a 429 that
says when to try again. The headers are checked on every kind of response (page, API,
static file, redirect, 404, 413, 500, the docs), then in Chromium: the pages run under
the policy with no violation, and no other site can frame them.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("argon2")

from fastapi.testclient import TestClient
from web_helpers import MEMBER, OWNER, PASSWORD, make_studio, wait_until

from studiolo.core.errors import InvalidArgument


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    return make_studio(tmp_path_factory.mktemp("security") / "studio")


def throttled_app(studio, clock, *, name_free=2, address_free=4, **kw):
    from studiolo.web.app import create_app
    from studiolo.web.throttle import LoginThrottle, Policy

    throttle = LoginThrottle(
        clock=clock, name_policy=Policy(free=name_free, base=30.0, cap=600.0, forget=3600.0),
        address_policy=Policy(free=address_free, base=30.0, cap=600.0, forget=3600.0))
    return create_app(studio, login_throttle=throttle, **kw)


def try_login(client, name: str, password: str, **headers):
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf": token},
                       headers=headers, follow_redirects=False)


# -- the back-off on its own ------------------------------------------------------------------
def test_the_wait_doubles_after_the_free_tries_up_to_the_cap():
    from studiolo.web.throttle import Policy

    policy = Policy(free=2, base=1.0, cap=8.0, forget=100.0)
    assert [policy.wait(n) for n in range(1, 8)] == [0, 0, 1, 2, 4, 8, 8]
    assert Policy(free=0, base=1.0, cap=900.0, forget=1.0).wait(10_000) == 900.0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("free", -1, "`free` must be a whole number >= 0, got -1."),
    ("free", True, "`free` must be a whole number >= 0, got True."),
    ("base", 0, "`base` must be a number of seconds > 0, got 0."),
    ("cap", "10", "`cap` must be a number of seconds > 0, got '10'."),
    ("forget", -5.0, "`forget` must be a number of seconds > 0, got -5.0."),
])
def test_a_bad_policy_is_refused(field, value, message):
    from studiolo.web.throttle import Policy

    values = {"free": 1, "base": 1.0, "cap": 10.0, "forget": 60.0, field: value}
    with pytest.raises(InvalidArgument) as caught:
        Policy(**values)
    assert str(caught.value) == message


def make_throttle(clock, **kw):
    from studiolo.web.throttle import LoginThrottle, Policy

    return LoginThrottle(clock=clock, name_policy=Policy(free=2, base=1.0, cap=4.0, forget=60.0),
                         address_policy=Policy(free=3, base=10.0, cap=40.0, forget=60.0), **kw)


def test_per_name_and_per_address():
    clock = Clock()
    throttle = make_throttle(clock)
    for _ in range(3):
        throttle.failed(" Ann ", "10.0.0.1")
    assert throttle.wait("ann", "10.0.0.2") == 1.0  # the name, from anywhere, any case
    assert throttle.wait("bob", "10.0.0.1") == 0.0  # the address has one free try left
    clock.now += 0.25
    assert throttle.wait("ANN", "10.0.0.9") == 0.75
    clock.now += 1
    assert throttle.wait("ann", "10.0.0.1") == 0.0
    throttle.failed("bob", "10.0.0.1")  # the address's fourth failure
    assert throttle.wait("carol", "10.0.0.1") == 10.0 and throttle.wait("carol", "10.0.0.7") == 0


def test_failures_are_forgotten_after_a_quiet_while_and_on_success():
    clock = Clock()
    throttle = make_throttle(clock)
    for _ in range(6):
        throttle.failed("ann", "a")
    assert throttle.wait("ann", "b") == 4.0  # capped
    clock.now += 61
    assert throttle.wait("ann", "b") == 0.0
    assert throttle.failed("ann", "b") == 0.0  # counting starts again
    for _ in range(3):
        throttle.failed("ann", "b")
    throttle.succeeded("ann", "b")
    assert throttle.wait("ann", "b") == 0.0 and throttle.failed("ann", "b") == 0.0


def test_the_state_stays_bounded():
    throttle = make_throttle(Clock(), max_keys=10)
    for n in range(100):
        throttle.failed(f"name{n}", f"addr{n}")
    assert len(throttle._keys) == 10


def test_wait_words():
    from studiolo.web.throttle import wait_words

    assert [wait_words(s) for s in (0.2, 1.0, 40.1, 89.0, 90.0, 900.0)] == [
        "1 second", "1 second", "41 seconds", "89 seconds", "2 minutes", "15 minutes"]


# -- the back-off in the web studio -------------------------------------------------------------
def test_thirty_wrong_passwords_then_the_right_one_is_refused(studio):
    """The issue's case, with the default back-off (its clock stands still here)."""
    from studiolo.web.app import create_app
    from studiolo.web.throttle import LoginThrottle

    with TestClient(create_app(studio, login_throttle=LoginThrottle(clock=Clock()))) as client:
        codes = [try_login(client, MEMBER, f"wrong {n}").status_code for n in range(30)]
        assert codes[:6] == [303] * 6 and set(codes[6:]) == {429}
        right = try_login(client, MEMBER, PASSWORD)
        assert right.status_code == 429 and "try again in" in right.text
        assert client.get("/api/me").status_code == 401


def test_the_right_password_waits_until_the_wait_is_over(studio):
    clock = Clock()
    with TestClient(throttled_app(studio, clock)) as client:
        for _ in range(3):
            assert try_login(client, OWNER, "wrong password").status_code == 303
        refused = try_login(client, OWNER, PASSWORD)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
        sentence = re.search(r'class="error"[^>]*>([^<]+)<', refused.text).group(1)
        assert sentence.startswith("Too many failed logins for this name or from this address; "
                                   "try again in 30 seconds (after ")
        assert sentence.endswith(" UTC). Until then no password is checked, not even the right "
                                 "one.")
        assert client.get("/api/me").status_code == 401
        clock.now += 29
        assert try_login(client, OWNER, PASSWORD).status_code == 429  # one second early
        clock.now += 2
        done = try_login(client, OWNER, PASSWORD)
        assert done.status_code == 303 and done.headers["location"] == "/create"
        assert client.get("/api/me").json()["name"] == OWNER


def test_a_script_gets_the_429_as_json(studio):
    clock = Clock()
    with TestClient(throttled_app(studio, clock)) as client:
        for _ in range(4):
            try_login(client, OWNER, "wrong password", accept="application/json")
        clock.now += 10
        reply = try_login(client, OWNER, "wrong password", accept="application/json")
        assert reply.status_code == 429 and reply.headers["retry-after"] == "20"
        assert reply.json()["error"].startswith("Too many failed logins for this name or from "
                                                "this address; try again in 20 seconds (after ")


def test_one_address_trying_many_names_backs_off(studio):
    clock = Clock()
    app = throttled_app(studio, clock, name_free=10, address_free=2)
    with TestClient(app) as client:
        for name in ("eve", "mallory", "trent"):
            assert try_login(client, name, "guessing away").status_code == 303
        assert try_login(client, MEMBER, PASSWORD).status_code == 429
    with TestClient(app, client=("192.0.2.7", 4000)) as elsewhere:  # another address
        assert try_login(elsewhere, MEMBER, PASSWORD).status_code == 303


# -- the headers ---------------------------------------------------------------------------------
EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def check_headers(reply, csp=None) -> None:
    from studiolo.web.security import CSP

    for key, value in EXPECTED.items():
        assert reply.headers.get(key) == value, (reply.url, key, dict(reply.headers))
    assert reply.headers.get("content-security-policy") == (csp or CSP), reply.url
    assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]


def test_every_kind_of_response_carries_the_headers(studio):
    from studiolo.web.app import create_app
    from studiolo.web.security import DOCS_CSP

    app = create_app(studio, upload_limit=1024)

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("an error no handler answers")

    with TestClient(app, raise_server_exceptions=False) as client:
        replies = [client.get("/login"), client.get("/api/me"), client.get("/gallery",
                   follow_redirects=False), client.get("/static/studio.js"),
                   client.get("/no/such/page"), client.get("/shared/nothing-here")]
        check_headers(client.post("/api/uploads", content=b"x" * 70_000,
                                  headers={"content-type": "application/octet-stream"}))
        try_login(client, OWNER, PASSWORD)
        replies += [client.get("/api/me"), client.get("/create"), client.get("/api/artworks")]
        crash = client.get("/api/boom")
        docs = client.get("/docs")
    assert [r.status_code for r in replies] == [200, 401, 303, 200, 404, 404, 200, 200, 200]
    for reply in replies:
        check_headers(reply)
    assert crash.status_code == 500 and crash.json()["error"].startswith(
        "The studio hit an unexpected error")
    check_headers(crash)
    check_headers(docs, DOCS_CSP)
    assert "strict-transport-security" not in replies[0].headers


def test_https_adds_hsts(studio):
    from studiolo.web.app import create_app

    with TestClient(create_app(studio, secure_cookies=True), base_url="https://testserver") as c:
        reply = c.get("/login")
    assert reply.headers["strict-transport-security"] == "max-age=31536000"
    check_headers(reply)


def test_a_header_the_app_sets_itself_is_kept(studio):
    from studiolo.web.app import create_app

    app = create_app(studio)

    @app.get("/api/framed")
    def framed():
        from fastapi.responses import JSONResponse

        return JSONResponse({}, headers={"X-Frame-Options": "SAMEORIGIN"})

    with TestClient(app) as client:
        reply = client.get("/api/framed")
    assert reply.headers["x-frame-options"] == "SAMEORIGIN"
    assert reply.headers.get_list("x-frame-options") == ["SAMEORIGIN"]


# -- in a real browser ---------------------------------------------------------------------------
RECORD_VIOLATIONS = """window.violations = [];
document.addEventListener('securitypolicyviolation', e => window.violations.push(
  `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""


@pytest.fixture(scope="module")
def server(studio):
    from browser_helpers import serving_studio

    with serving_studio(studio) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from browser_helpers import chromium

    with chromium() as launched:
        yield launched


@pytest.mark.slow
def test_the_pages_run_under_the_policy(browser, server, studio):
    [art] = studio.paint("a lighthouse at dusk", width=64, height=64, seed=3)
    from browser_helpers import log_in, new_page

    page = new_page(browser, server, init_script=RECORD_VIOLATIONS)
    page.goto("/login")
    log_in(page, OWNER, PASSWORD)
    page.wait_for_url("**/create")
    seen = {}
    for path in ("/create", "/gallery", f"/artwork/{art.id}", "/exhibitions", "/rate"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("typeof api === 'function' && typeof csrf === 'function'"), path
        seen[path] = page.evaluate("window.violations")
    # The script's own calls go through: the artwork page's verification is fetched by it.
    page.goto(f"/artwork/{art.id}")
    assert page.evaluate("api('GET', '/api/me').then(me => me.name)") == OWNER
    seen["api"] = page.evaluate("window.violations")
    assert all(v == [] for v in seen.values()), seen
    # The record is live: an image from elsewhere is blocked, and noted.
    page.evaluate("() => { const i = new Image(); i.src = 'http://192.0.2.1/x.png'; "
                  "document.body.append(i); }")
    wait_until(page, "window.violations.length > 0")
    assert page.evaluate("window.violations")[0].startswith("img-src http://192.0.2.1/x.png")
    page.context.close()


@pytest.mark.slow
def test_no_other_site_can_frame_a_page(browser, server):
    page = browser.new_page()
    page.set_content(f'<iframe id="f" src="{server}/login" width="400" height="300"></iframe>')
    page.wait_for_timeout(1500)
    frame = page.frame_locator("#f")
    assert frame.locator('input[name="name"]').count() == 0
    page.close()
