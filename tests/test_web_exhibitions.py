"""Exhibitions in the web studio: the REST API through TestClient, then the pages in Chromium.

The API half makes a few small paintings for two people, builds exhibitions
through /api/exhibitions (a job followed by its events), and checks who sees
what: private works never reach a share link, only the owner changes,
exports or deletes, every write needs the CSRF token. The browser half
(headless Debian Chromium via Playwright, like test_web_browser.py) builds
one from the Exhibitions page, opens the share link with no login, downloads
the export, and opens the unzipped index.html from disk. Screenshots go to
tests/artifacts/.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("argon2")

from fastapi.testclient import TestClient
from web_helpers import OWNER, follow, make_studio, wait_until

from studiolo.capabilities.curate.web import slug
from studiolo.catalog import visibility

SEA = ["the sea at night under the moon", "moonlit ocean waves at night", "a stormy sea at midnight"]
HILLS = ["green hills in spring sunshine", "a mountain lake in the morning"]
SECRET = "a private sea at night nobody else may see"

pytestmark = pytest.mark.usefixtures("light_curate_embedder")


@pytest.fixture(scope="module")
def studio(tmp_path_factory, light_curate_embedder):
    """Ann's sea and hill paintings (one sea private); `studio.prompts`: prompt by id."""
    studio = make_studio(tmp_path_factory.mktemp("web-ex") / "studio")
    studio.prompts = {}
    for k, prompt in enumerate(SEA + HILLS + [SECRET]):
        [art] = studio.paint(prompt, width=64, height=64, seed=k)
        studio.prompts[art.id] = prompt
        if prompt == SECRET:
            visibility.set_private(studio.catalog, art.id, True)
    return studio


def make(client, **body) -> dict:
    """POST /api/exhibitions, follow the job's events to the end; the exhibition's JSON."""
    reply = client.post("/api/exhibitions", json=body)
    assert reply.status_code == 202, reply.text
    job = reply.json()
    events = follow(client, job)
    kinds = [k for k, _ in events]
    assert kinds[-1] == "done", events
    stages = [json.loads(d).get("message") for k, d in events if k == "progress"]
    assert "choosing works" in stages or any("exhibition" in (s or "") for s in stages)
    done = json.loads(events[-1][1])
    assert done["page"].startswith("/exhibitions/")
    assert client.get(f"/api/jobs/{job['id']}").json()["page"] == done["page"]
    return client.get("/api" + done["page"]).json()


def works_of(data: dict) -> list[dict]:
    return [w for room in data["rooms"] for w in room["works"]]


# -- the API --------------------------------------------------------------------------------
def test_make_view_and_list(owner, studio):
    data = make(owner, theme="the sea at night", max_works=4, max_rooms=2)
    prompts = [studio.prompts[w["artwork_id"]] for w in works_of(data)]
    assert set(prompts) & set(SEA) and not set(prompts) & set(HILLS[:1])
    assert data["title"] == "The sea at night" and data["mine"] and data["introduction"]
    for room in data["rooms"]:
        assert room["name"] and room["text"]
        for w in room["works"]:
            assert w["title"] and w["credit"].startswith("Made by") and w["made_with"]
            assert w["image"] == f"/api/artworks/{w['artwork_id']}/thumbnail?size=512"
            assert owner.get(w["image"]).headers["content-type"] == "image/webp"
    listed = owner.get("/api/exhibitions").json()
    assert [e["id"] for e in listed][:1] == [data["id"]]
    assert listed[0]["works"] == len(works_of(data)) and listed[0]["urls"]["shared"] is None
    page = owner.get(f"/exhibitions/{data['id']}")
    assert page.status_code == 200 and data["introduction"] in page.text.replace("&#39;", "'")
    assert "Room 1:" in page.text and 'class="credit"' in page.text
    assert "The sea at night" in owner.get("/exhibitions").text


def test_bad_requests_are_explained(owner):
    reply = owner.post("/api/exhibitions", json={"theme": "   "})
    assert reply.status_code == 400 and "theme" in reply.json()["error"]
    reply = owner.post("/api/exhibitions", json={"theme": "sea", "max_rooms": 99})
    assert reply.status_code == 422 and "max_rooms" in reply.json()["error"]
    assert owner.get("/api/exhibitions/999").status_code == 404
    assert owner.get("/api/exhibitions/not-a-number").status_code == 400


def test_every_write_needs_the_csrf_token(owner):
    data = make(owner, theme="green hills", max_works=2, max_rooms=1)
    token = owner.headers.pop("X-CSRF-Token")
    try:
        for method, url, body in [
            ("POST", "/api/exhibitions", {"theme": "sea"}),
            ("PUT", f"/api/exhibitions/{data['id']}/public", {"public": True}),
            ("DELETE", f"/api/exhibitions/{data['id']}", None),
        ]:
            reply = owner.request(method, url, json=body)
            assert reply.status_code == 403 and "security token" in reply.json()["error"], url
    finally:
        owner.headers["X-CSRF-Token"] = token
    assert owner.get(f"/api/exhibitions/{data['id']}").status_code == 200


def test_share_link_shows_public_works_only_and_needs_no_login(owner, app, studio):
    data = make(owner, theme="the sea at night", max_works=10, max_rooms=2)
    ids = {w["artwork_id"] for w in works_of(data)}
    secret = next(i for i, p in studio.prompts.items() if p == SECRET)
    assert secret in ids  # the owner's own exhibition shows her private work to her
    assert "share_token" in data and data["urls"]["shared"] is None
    changed = owner.put(f"/api/exhibitions/{data['id']}/public", json={"public": True}).json()
    assert changed["is_public"] and changed["shared_works"] == len(ids) - 1
    link = changed["urls"]["shared"]
    with TestClient(app) as stranger:  # no login at all
        page = stranger.get(link)
        assert page.status_code == 200 and "Room 1:" in page.text
        assert SECRET not in page.text and secret[:12] not in page.text
        shown = stranger.get("/api" + link).json()
        assert {w["artwork_id"] for w in works_of(shown)} == ids - {secret}
        assert "share_token" not in shown and all(w["page"] is None for w in works_of(shown))
        image = stranger.get(works_of(shown)[0]["image"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
        # Its private work, and any other artwork, stay closed through the link.
        assert stranger.get(f"{link}/images/{secret}").status_code == 404
        assert stranger.get(f"/api/artworks/{secret}/thumbnail").status_code == 401
        assert stranger.get(f"/api/exhibitions/{data['id']}").status_code == 401
        owner.put(f"/api/exhibitions/{data['id']}/public", json={"public": False})
        assert stranger.get(link).status_code == 404
        assert stranger.get(works_of(shown)[0]["image"]).status_code == 404


def test_only_the_owner_changes_exports_or_deletes(owner, member):
    mine = make(owner, theme="the sea at night", max_works=3, max_rooms=1)
    assert member.get(f"/api/exhibitions/{mine['id']}").status_code == 404  # private
    owner.put(f"/api/exhibitions/{mine['id']}/public", json={"public": True})
    seen = member.get(f"/api/exhibitions/{mine['id']}").json()
    assert not seen["mine"] and "share_token" not in seen
    assert mine["id"] in [e["id"] for e in member.get("/api/exhibitions").json()]
    for method, url, body in [
        ("PUT", f"/api/exhibitions/{mine['id']}/public", {"public": False}),
        ("DELETE", f"/api/exhibitions/{mine['id']}", None),
        ("GET", f"/api/exhibitions/{mine['id']}/export", None),
    ]:
        reply = member.request(method, url, json=body)
        assert reply.status_code == 400 and "only they can" in reply.json()["error"], url
    gone = owner.delete(f"/api/exhibitions/{mine['id']}")
    assert gone.status_code == 200 and gone.json()["deleted"]
    assert owner.get(f"/api/exhibitions/{mine['id']}").status_code == 404
    assert all(owner.get(f"/api/artworks/{w['artwork_id']}").status_code == 200
               for w in works_of(mine))  # the works stay


def test_export_is_a_zip_of_the_static_site(owner, studio):
    scratch = set(Path(tempfile.gettempdir()).glob("studiolo-export-*"))
    data = make(owner, theme="the sea at night", max_works=3, max_rooms=2, title="Night / Sea")
    public = [w for w in works_of(data) if studio.prompts[w["artwork_id"]] != SECRET]
    reply = owner.get(f"/api/exhibitions/{data['id']}/export")
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/zip"
    name = f"exhibition-{data['id']}-night-sea"
    assert f'filename="{name}.zip"' in reply.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        names = archive.namelist()
        assert all(n.startswith(f"{name}/") and ".." not in n for n in names)
        assert {f"{name}/index.html", f"{name}/style.css", f"{name}/room-1.html"} <= set(names)
        # What the share link shows: her private work stays out unless she asks.
        assert len([n for n in names if n.endswith(".jpg")]) == len(public)
        index = archive.read(f"{name}/index.html").decode()
    assert "Night / Sea" in index and "Made by" in index
    everything = owner.get(f"/api/exhibitions/{data['id']}/export?include_private=true")
    with zipfile.ZipFile(io.BytesIO(everything.content)) as archive:
        assert len([n for n in archive.namelist() if n.endswith(".jpg")]) == len(works_of(data))
    assert set(Path(tempfile.gettempdir()).glob("studiolo-export-*")) == scratch  # cleaned up


def test_slug():
    assert slug("Night / Sea: à l'aube!") == "night-sea-l-aube"
    assert slug("***") == "untitled" and len(slug("x" * 100)) == 40


# -- in a real browser -----------------------------------------------------------------------
IMAGES_LOADED = "[...document.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0)"


@pytest.fixture(scope="module")
def browser_server(app):
    """The real server (uvicorn in a thread, on a free port) for the same studio."""
    from browser_helpers import serving

    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(browser_server):
    from browser_helpers import chromium

    with chromium() as launched:
        yield launched


def new_page(browser, base_url):
    from browser_helpers import new_page

    return new_page(browser, base_url, accept_downloads=True)


@pytest.mark.slow
def test_build_share_and_export_in_the_browser(browser, browser_server, studio, tmp_path):
    from browser_helpers import log_in, shot
    from web_helpers import PASSWORD

    page = new_page(browser, browser_server)
    page.goto("/exhibitions")
    log_in(page, OWNER, PASSWORD)
    page.wait_for_url("**/exhibitions")
    assert page.get_attribute('nav a[aria-current="page"]', "href") == "/exhibitions"

    # Build one from the page: the job's progress, then its page with rooms and wall texts.
    page.fill('input[name="theme"]', "the sea at night")
    page.fill('input[name="title"]', "Nocturnes")
    page.fill('input[name="max_works"]', "6")
    page.fill('input[name="max_rooms"]', "2")
    page.click("#make-exhibition")
    page.wait_for_url("**/exhibitions/*", timeout=120_000)
    assert page.inner_text("h1") == "Nocturnes"
    assert page.locator("section.room h2").first.inner_text().startswith("Room 1: ")
    assert page.locator(".room-text").count() == page.locator("section.room").count() >= 1
    works = page.locator("figure.work")
    assert works.count() >= 3
    credits = page.locator("figure.work .credit").all_inner_texts()
    assert len(credits) == works.count() and all(c.startswith(f"Made by {OWNER}") for c in credits)
    assert page.inner_text(".intro")
    wait_until(page, IMAGES_LOADED)
    shot(page, "exhibition")

    # Make it public: the share link opens in a fresh browser with no login.
    page.check("#ex-public")
    page.wait_for_selector("#share", state="visible")
    link = page.get_attribute("#share-link", "href")
    assert link.startswith("/shared/") and "left out" in page.inner_text("#shared-count")
    stranger = new_page(browser, browser_server)
    stranger.goto(link)
    assert "/login" not in stranger.url and stranger.inner_text("h1") == "Nocturnes"
    assert stranger.locator(".who").count() == 0 and stranger.locator("#ex-actions").count() == 0
    assert SECRET not in stranger.inner_text("main")
    assert stranger.locator("figure.work").count() == works.count() - 1  # the private one
    wait_until(stranger, IMAGES_LOADED)
    shot(stranger, "exhibition-shared")
    stranger.context.close()

    # Export: download the .zip, unzip it, open index.html from disk (file://).
    with page.expect_download() as download:
        page.click("#export")
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "site")
    [index] = (tmp_path / "site").glob("*/index.html")
    offline = new_page(browser, browser_server)
    offline.goto(index.as_uri())
    assert offline.inner_text("h1") == "Nocturnes" and "Made by" in offline.inner_text("main")
    wait_until(offline, IMAGES_LOADED)
    shot(offline, "exhibition-export-index")
    offline.click("ol.rooms a >> nth=0")
    offline.wait_for_url("**/room-1.html")
    wait_until(offline, IMAGES_LOADED)
    labels = offline.locator("figcaption .credit").all_inner_texts()
    assert labels and all(label.startswith("Made by") for label in labels)
    shot(offline, "exhibition-export-room")
    offline.context.close()

    # Delete it from its page: back to the list, where it is gone.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-exhibition")
    page.wait_for_url("**/exhibitions")
    assert "Nocturnes" not in page.inner_text("#exhibitions")
    shot(page, "exhibitions")
    page.context.close()


def test_gallery_count_stops_at_the_cap(owner, monkeypatch):
    """The gallery's match count stops at COUNT_CAP (a scan of 100,000 rows otherwise)."""
    monkeypatch.setattr(visibility, "COUNT_CAP", 2)
    found = owner.get("/api/artworks", params={"limit": 2}).json()
    assert found["total"] == 2 and found["total_capped"] and found["next_offset"] == 2
    assert set(found["items"][0]) >= {"id", "prompt", "urls"} and "recipe" not in found["items"][0]
    rest = owner.get("/api/artworks", params={"limit": 200, "offset": 2}).json()
    assert rest["next_offset"] is None and len(rest["items"]) == len(SEA + HILLS) + 1 - 2
    assert "2+ artworks" in owner.get("/gallery").text
    monkeypatch.setattr(visibility, "COUNT_CAP", 1000)
    exact = owner.get("/api/artworks", params={"q": "hills"}).json()
    assert exact["total"] == 1 and not exact["total_capped"] and exact["next_offset"] is None
