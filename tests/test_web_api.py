"""The web studio's REST API and pages through FastAPI's TestClient (no browser).

One studio for the module (the painter's text model loads once); each test
logs in its own client.
"""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("argon2")

from fastapi.testclient import TestClient
from PIL import Image
from web_helpers import OWNER, PASSWORD, follow, login, make_studio

from studiolo.catalog import accounts
from studiolo.core.errors import ConsentRefused, ImageError, ModelNotFound, UnknownName
from studiolo.web.app import create_app, status_of


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    return make_studio(tmp_path_factory.mktemp("web") / "studio")


@pytest.fixture(scope="module")
def made(app):
    """One painting of the owner's, made through the API and followed to the end."""
    with TestClient(app) as client:
        login(client, OWNER)
        reply = client.post("/api/create", json={"prompt": "a red boat on a calm sea", "seed": 5,
                                                 "width": 96, "height": 96})
        assert reply.status_code == 202, reply.text
        events = follow(client, reply.json())
        job = client.get(f"/api/jobs/{reply.json()['id']}").json()
    return {"events": events, "job": job, "id": job["result_ids"][0]}


def png_bytes(size=(32, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


# -- accounts, sessions, CSRF ----------------------------------------------------------------
def test_everything_needs_a_login(app):
    with TestClient(app) as client:
        reply = client.get("/api/artworks")
        assert reply.status_code == 401
        assert "studiolo users add" in reply.json()["error"]
        page = client.get("/gallery?q=boat", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/gallery%3Fq%3Dboat"


def test_wrong_password_and_forged_login_are_refused(app):
    with TestClient(app) as client:
        token = client.get("/login").cookies.get("studiolo_login_csrf") or client.cookies.get(
            "studiolo_login_csrf")
        wrong = client.post("/login", data={"name": OWNER, "password": "nope", "csrf": token},
                            follow_redirects=False)
        assert wrong.status_code == 303 and "error=" in wrong.headers["location"]
        assert client.get("/api/me").status_code == 401
        client.cookies.clear()
        forged = client.post("/login", data={"name": OWNER, "password": PASSWORD, "csrf": "x"})
        assert forged.status_code == 403


def test_login_never_redirects_off_site(app):
    with TestClient(app) as client:
        client.get("/login")
        token = client.cookies.get("studiolo_login_csrf")
        reply = client.post("/login", data={"name": OWNER, "password": PASSWORD, "csrf": token,
                                            "next": "//evil.example/x"}, follow_redirects=False)
        assert reply.headers["location"] == "/create"
        cookie = reply.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_writes_need_the_session_csrf_token(owner, made):
    csrf = owner.headers.pop("X-CSRF-Token")
    body = {"prompt": "a field", "width": 64, "height": 64}
    refused = owner.post("/api/create", json=body)
    assert refused.status_code == 403 and "token" in refused.json()["error"]
    assert owner.put(f"/api/artworks/{made['id']}/private", json={"private": True},
                     headers={"X-CSRF-Token": "stale"}).status_code == 403
    assert owner.post("/logout", data={"csrf": "stale"}).status_code == 403
    out = owner.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and owner.get("/api/me").status_code == 401


def test_sessions_are_stored_hashed(studio, owner):
    from sqlalchemy import select

    from studiolo.catalog.schema import sessions

    token = owner.cookies.get("studiolo_session")
    with studio.catalog.engine.connect() as conn:
        stored = list(conn.scalars(select(sessions.c.token_hash)))
    assert token and token not in stored and len(stored[0]) == 64


# -- create, jobs, events ---------------------------------------------------------------------
def test_create_streams_progress_then_results(made):
    kinds = [k for k, _ in made["events"]]
    assert kinds[-1] == "done" and "result" in kinds
    steps = [json.loads(d) for k, d in made["events"] if k == "progress"]
    # Every stage the painter went through is streamed, even one that began and ended
    # between two polls of the hub, in order.
    stages = [p["stage"] for p in steps]
    for stage in ("understand", "compose", "paint", "store"):
        assert stage in stages, stages
    assert stages.index("compose") < stages.index("paint") < stages.index("store")
    assert any(p["stage"] == "paint" and p["total"] == 1 for p in steps)
    assert all(0.0 <= p["fraction"] <= 1.0 for p in steps)
    assert made["job"]["status"] == "done" and made["job"]["progress"] == 1.0


def test_artwork_json_credits_and_verify(owner, made):
    art = owner.get(f"/api/artworks/{made['id']}").json()
    assert art["owner"] == OWNER and art["engine"] == "painter" and art["width"] == 96
    assert "Seed: 5" in art["parameters"] and art["credit_sentence"].startswith("Made by ann")
    credits = owner.get(f"/api/artworks/{made['id']}/credits").json()
    assert credits["credits"][0]["name"] == OWNER
    verify = owner.get(f"/api/artworks/{made['id']}/verify").json()
    assert verify["status"] == "intact" and verify["lines"][0].startswith("Content credentials intact")


def test_artwork_page_leaves_a_first_check_to_the_script(studio, made):
    """A first view does not read the file for its provenance check: the page says
    "checking" and names the check's URL; once checked, the page shows the report itself."""
    with TestClient(create_app(studio)) as client:  # an app of its own: nothing remembered
        login(client, OWNER)
        first = client.get(f"/artwork/{made['id']}").text
        assert f'data-verify="/api/artworks/{made["id"]}/verify"' in first
        assert "status-checking" in first and "Content credentials intact" not in first
        verify = client.get(f"/api/artworks/{made['id']}/verify").json()
        assert verify["status"] == "intact"
        again = client.get(f"/artwork/{made['id']}").text
        assert "data-verify=" not in again and "status-intact" in again
        assert "Content credentials intact" in again


def test_gallery_search_pages_and_filters(owner, made):
    found = owner.get("/api/artworks", params={"q": "RED BOAT"}).json()
    assert [a["id"] for a in found["items"]] == [made["id"]] and found["next_offset"] is None
    assert owner.get("/api/artworks", params={"q": "no such words"}).json()["total"] == 0
    assert owner.get("/api/artworks", params={"credit": "minilm"}).json()["total"] >= 1
    assert owner.get("/api/artworks", params={"engine": "diffusion"}).json()["total"] == 0
    assert owner.get("/api/artworks", params={"owner": OWNER, "limit": 1}).json()["total"] >= 1
    page = owner.get("/gallery", params={"q": "red boat"})
    assert page.status_code == 200 and 'loading="lazy"' in page.text and made["id"] in page.text


def test_thumbnails_are_cached_on_disk(studio, owner, made):
    first = owner.get(f"/api/artworks/{made['id']}/thumbnail")
    assert first.status_code == 200 and first.headers["content-type"] == "image/webp"
    cached = studio.settings.home / "thumbs" / "256" / made["id"][:2] / f"{made['id']}.webp"
    assert cached.is_file() and cached.read_bytes() == first.content
    assert owner.get(f"/api/artworks/{made['id']}/thumbnail?size=99").status_code == 400


def test_private_works_are_seen_by_their_owner_only(owner, member, made):
    assert member.get(f"/api/artworks/{made['id']}").status_code == 200
    assert member.put(f"/api/artworks/{made['id']}/private", json={"private": True}).status_code == 400
    assert owner.put(f"/api/artworks/{made['id']}/private", json={"private": True}).status_code == 200
    try:
        for url in ("", "/file", "/thumbnail", "/credits", "/verify"):
            assert member.get(f"/api/artworks/{made['id']}{url}").status_code == 404, url
        assert member.get("/api/artworks", params={"q": "red boat"}).json()["total"] == 0
        assert member.get(f"/artwork/{made['id']}").status_code == 404
        assert owner.get("/api/artworks", params={"q": "red boat"}).json()["total"] == 1
        assert member.get(f"/api/jobs/{made['job']['id']}").status_code == 404
    finally:
        owner.put(f"/api/artworks/{made['id']}/private", json={"private": False})


def test_restyle_job_credits_the_style(owner, made):
    reply = owner.post(f"/api/artworks/{made['id']}/restyle", json={"style": "The Starry Night"})
    assert reply.status_code == 202
    events = follow(owner, reply.json())
    assert events[-1][0] == "done", events[-1]
    new_id = json.loads(events[-1][1])["result_ids"][0]
    art = owner.get(f"/api/artworks/{new_id}").json()
    assert made["id"] in art["parents"] and art["mode"] == "stylize"
    assert any(c["role"] == "style_source" for c in art["credits"])


# -- errors as JSON -----------------------------------------------------------------------------
def test_errors_are_json_sentences(owner):
    unknown_style = owner.post("/api/create", json={"prompt": "a sea", "style": "Mona Lisaa"})
    assert unknown_style.status_code == 404 and "Mona Lisa" in unknown_style.json()["error"]
    too_big = owner.post("/api/create", json={"prompt": "a sea", "width": 9000})
    assert too_big.status_code == 422 and too_big.json()["error"].startswith("`width` is invalid")
    empty = owner.post("/api/create", json={"prompt": "  "})
    assert empty.status_code == 400 and "prompt" in empty.json()["error"]
    assert owner.get("/api/jobs/nope").status_code == 404
    assert owner.get("/api/artworks/abcdef0123").json() == {"error": "Unknown artwork 'abcdef0123'."}
    assert owner.get("/api/nothing").json()["error"].startswith("Nothing at /api/nothing")


def test_studiolo_errors_map_to_status_codes():
    assert status_of(ModelNotFound("no model")) == 404
    assert status_of(UnknownName("engine", "x")) == 404
    assert status_of(ConsentRefused("no")) == 403
    assert status_of(ImageError("bad")) == 422


def test_failed_job_reports_its_error(owner):
    reply = owner.post("/api/create", json={"prompt": "x", "mode": "img2img"})
    events = follow(owner, reply.json())
    assert events[-1][0] == "failed" and "input image" in json.loads(events[-1][1])["error"]


def test_openapi_lists_the_api(app):
    with TestClient(app) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/create", "/api/artworks", "/api/jobs/{job_id}/events", "/api/uploads"} <= set(paths)


# -- uploads ---------------------------------------------------------------------------------------
def test_upload_is_kept_by_content_never_by_name(studio, owner):
    data = png_bytes()
    reply = owner.post("/api/uploads", files={"file": ("../../evil.sh", data, "text/x-sh")})
    assert reply.status_code == 201, reply.text
    sha = reply.json()["sha256"]
    assert studio.files.path(sha).name.startswith(sha[2:]) or sha in str(studio.files.path(sha))
    assert not list(studio.settings.home.rglob("evil*"))


def test_upload_type_is_sniffed_from_content(owner):
    reply = owner.post("/api/uploads", files={"file": ("photo.png", b"#!/bin/sh\necho hi\n", "image/png")})
    assert reply.status_code == 422 and "not an image" in reply.json()["error"]
    empty = owner.post("/api/uploads", files={"file": ("a.png", b"", "image/png")})
    assert empty.status_code == 422 and "empty" in empty.json()["error"]


def test_decompression_bomb_is_refused(owner):
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) \
        + chunk(b"IEND", b"")
    reply = owner.post("/api/uploads", files={"file": ("bomb.png", bomb, "image/png")})
    assert reply.status_code == 422 and "decompression bomb" in reply.json()["error"]


def test_upload_size_limit(studio):
    small = create_app(studio, upload_limit=2000)
    with TestClient(small) as client:
        login(client, OWNER)
        # just over the limit (read in chunks), and far over it (refused before reading)
        for extra in (5000, 200_000):
            reply = client.post("/api/uploads",
                                files={"file": ("big.png", png_bytes((200, 200)) + b"\0" * extra)})
            assert reply.status_code == 413
            assert reply.json()["error"].startswith("The upload is larger than the limit of 2 KB;")


def test_restyle_an_upload(owner):
    sha = owner.post("/api/uploads", files={"file": ("x.png", png_bytes((64, 64)))}).json()["sha256"]
    reply = owner.post("/api/create", json={"mode": "stylize", "image": sha, "style": "The Great Wave off Kanagawa",
                                            "private": True})
    events = follow(owner, reply.json())
    assert events[-1][0] == "done", events[-1]
    new_id = json.loads(events[-1][1])["result_ids"][0]
    assert owner.get(f"/api/artworks/{new_id}").json()["private"] is True


# -- the command line ------------------------------------------------------------------------------
def test_users_add_from_the_command_line(tmp_path, monkeypatch, capsys):
    from studiolo.cli import main
    from studiolo.studio import Studio

    home = str(tmp_path / "s")

    def run(*args: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main(["--home", home, "users", *args])

    assert run("add", "zoe", "--password-stdin", stdin="long enough pw\n") == 1
    assert "--owner" in capsys.readouterr().err
    assert run("add", "zoe", "--owner", "--password-stdin", stdin="long enough pw\n") == 0
    assert run("add", "yan", "--password-stdin", stdin="abc\n") == 1
    assert "at least 8" in capsys.readouterr().err
    assert run("ls", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(u["name"], u["role"]) for u in listed] == [("zoe", "owner")]
    assert accounts.authenticate(Studio(home).catalog, "zoe", "long enough pw") is not None


# -- taste on the Create page -----------------------------------------------------------------
def test_create_with_the_viewers_taste_keeps_its_favourite(studio, app, owner, member):
    import numpy as np

    from studiolo.capabilities.taste.profile import fit_profile
    from studiolo.core.types import Artwork, Recipe
    from studiolo.web.work import studio_as

    as_owner = studio_as(studio, OWNER)
    made = []
    for k in range(6):  # warm to cool; the owner always picks the warmer one
        pixels = np.zeros((64, 64, 3), np.uint8)
        pixels[..., 0], pixels[..., 2] = 40 * k + 20, 220 - 40 * k
        made.append(as_owner.store(Artwork(recipe=Recipe(engine="painter", prompt=f"tone {k}", seed=k),
                                           image=Image.fromarray(pixels))))
    for i in range(6):
        for j in range(i + 1, 6):
            studio.catalog.add_pair(OWNER, made[j].id, made[i].id)
    fit_profile(as_owner, name="warmth")

    assert 'value="warmth"' in owner.get("/create").text
    assert 'value="warmth"' not in member.get("/create").text  # a profile is its owner's only
    body = {"prompt": "a quiet bay", "seed": 3, "width": 64, "height": 64, "taste": "warmth",
            "candidates": 3, "taste_search": False}
    job = owner.post("/api/create", json=body).json()
    follow(owner, job)
    done = owner.get(f"/api/jobs/{job['id']}").json()
    assert done["status"] == "done", done
    [kept] = done["result_ids"]
    note = owner.get(f"/api/artworks/{kept}").json()["recipe"]["options"]["taste"]
    assert note["profile"] == "warmth" and note["candidates"] == 3
    assert note["predicted"] == max(note["scores"])

    refused = member.post("/api/create", json=body).json()
    follow(member, refused)
    failed = member.get(f"/api/jobs/{refused['id']}").json()
    assert failed["status"] == "failed" and "warmth" in failed["error"]
