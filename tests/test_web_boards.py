"""Boards: the catalog's collections (SQLite always, PostgreSQL when STUDIOLO_TEST_POSTGRES_URL
is set), then /api/boards and the Gallery and Artwork pages through TestClient.

The browser half (add to a new board from the Artwork page, then the Gallery
filtered by it) is in test_web_browser.py, next to the other pages.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

pytest.importorskip("fastapi")
pytest.importorskip("argon2")

from fastapi.testclient import TestClient
from web_helpers import OWNER, login, make_studio

from studiolo.catalog import Catalog, visibility
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import Artwork, Recipe

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


# -- the catalog ----------------------------------------------------------------------------
def sha(n: int) -> str:
    return f"{n:064x}"


def add(cat: Catalog, n: int, owner: str = "ada", private: bool = False) -> str:
    recipe = Recipe(engine="painter", prompt=f"painting {n}", seed=n, width=64, height=48)
    cat.add_artwork(Artwork(recipe=recipe, id=sha(n), owner=owner, width=64, height=48,
                            created=T0 + timedelta(minutes=n)), "png", private=private)
    return sha(n)


def test_boards_in_the_catalog(cat):
    mine, theirs, hidden = add(cat, 1), add(cat, 2, "bo"), add(cat, 3, "bo", private=True)
    board = cat.create_collection("Seas", "ada")
    for artwork_id in (theirs, mine, hidden, mine):  # again: no change
        cat.add_to_collection(board, artwork_id)
    other = cat.create_collection("another", "ada")
    cat.create_collection("Seas", "bo")
    cat.create_collection("Spring show", "ada", kind="exhibition")

    # Counted: the works ada may see (not bo's private one); by name, any case; boards only.
    assert [(b.name, b.count) for b in cat.list_collections("ada")] == [("another", 0), ("Seas", 2)]
    assert cat.list_collections("nobody") == []
    assert [b.id for b in cat.collections_with(mine, "ada")] == [board]
    assert cat.collections_with(mine, "bo") == []
    items, total, capped = visibility.gallery(cat, "ada", board=board)
    assert [a.id for a in items] == [mine, theirs] and (total, capped) == (2, False)  # newest added
    assert visibility.gallery(cat, "ada", board=other)[1] == 0

    # Someone else's board, an exhibition and a missing id answer alike.
    assert cat.board_of(str(board), "ada").name == "Seas"
    exhibition = cat.list_collections("ada", kind="exhibition")[0].id
    for board_id in (board, exhibition, 999):
        who = "bo" if board_id == board else "ada"
        with pytest.raises(UnknownName, match=f"Unknown board '{board_id}'"):
            cat.board_of(board_id, who)
    with pytest.raises(InvalidArgument, match="A board id is a positive whole number, got 'x'"):
        cat.board_of("x", "ada")

    with pytest.raises(InvalidArgument, match="already has a collection named 'another'"):
        cat.rename_collection(board, "another")
    assert cat.rename_collection(board, " Sea and sky ").name == "Sea and sky"
    assert cat.remove_from_collection(board, theirs) is True
    assert cat.remove_from_collection(board, theirs) is False
    assert cat.collection_items(board) == [mine, hidden]
    cat.delete_collection(board)
    with pytest.raises(UnknownName, match="Unknown collection"):
        cat.collection_items(board)
    assert cat.has_artwork(mine) and cat.collection_items(other) == []
    with cat.engine.connect() as conn:
        left = conn.scalar(sa.text("SELECT count(*) FROM collection_items"))
    assert left == 0


# -- the web studio ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """Ann's paintings: `studio.works` (a boat, a lighthouse, a harbour), `studio.secret`
    (private)."""
    studio = make_studio(tmp_path_factory.mktemp("web-boards") / "studio")
    studio.works = [studio.paint(p, width=64, height=64, seed=k)[0].id
                    for k, p in enumerate(["a red boat", "a lighthouse", "a harbour at night"])]
    [secret] = studio.paint("a secret garden", width=64, height=64, seed=9)
    visibility.set_private(studio.catalog, secret.id, True)
    studio.secret = secret.id
    return studio


def new_board(client, name: str | None = None) -> dict:
    reply = client.post("/api/boards", json={"name": name or f"board {uuid.uuid4().hex[:8]}"})
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_make_a_board_add_list_remove_rename_delete(owner, studio):
    board = new_board(owner, "Boats and lights")
    assert board["count"] == 0 and board["urls"]["gallery"] == f"/gallery?board={board['id']}"
    boat, light, _ = studio.works
    for artwork_id in (boat, light[:12], boat):  # a prefix does; again changes nothing
        reply = owner.put(f"/api/boards/{board['id']}/artworks/{artwork_id}")
        assert reply.status_code == 200, reply.text
    assert reply.json()["board"]["count"] == 2
    assert board["id"] in [b["id"] for b in owner.get("/api/boards").json()]

    works = owner.get(f"/api/boards/{board['id']}/artworks", params={"limit": 1}).json()
    assert [a["id"] for a in works["items"]] == [light] and works["next_offset"] == 1
    filtered = owner.get("/api/artworks", params={"board": board["id"]}).json()
    assert [a["id"] for a in filtered["items"]] == [light, boat]  # newest added first
    assert owner.get("/api/artworks", params={"board": board["id"], "q": "boat"}).json()["total"] == 1
    assert [b["name"] for b in owner.get(f"/api/artworks/{boat}/boards").json()] == ["Boats and lights"]

    renamed = owner.patch(f"/api/boards/{board['id']}", json={"name": "Lights"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Lights"
    removed = owner.delete(f"/api/boards/{board['id']}/artworks/{boat}").json()
    assert removed["removed"] is True and removed["board"]["count"] == 1
    assert owner.delete(f"/api/boards/{board['id']}/artworks/{boat}").json()["removed"] is False
    assert owner.delete(f"/api/boards/{board['id']}").json() == {"id": board["id"], "deleted": True}
    assert owner.get(f"/api/boards/{board['id']}").status_code == 404
    assert owner.get(f"/api/artworks/{boat}").status_code == 200  # the works stay


def test_gallery_and_artwork_pages_show_boards(owner, studio):
    board = new_board(owner, "Harbours")
    boat, _, harbour = studio.works
    owner.put(f"/api/boards/{board['id']}/artworks/{harbour}")
    page = owner.get("/gallery", params={"board": board["id"]})
    assert page.status_code == 200 and "Board: Harbours" in page.text
    assert f'/artwork/{harbour}"' in page.text and f'/artwork/{boat}"' not in page.text
    assert f'<option value="{board["id"]}" selected>Harbours (1)</option>' in page.text
    # The lazy loader asks /api/artworks for the next pages with the same filters.
    assert re.search(rf'data-query="[^"]*board={board["id"]}', page.text)
    everything = owner.get("/gallery", params={"board": ""})  # the form's "any board"
    assert everything.status_code == 200 and f'/artwork/{boat}"' in everything.text

    art = owner.get(f"/artwork/{harbour}").text
    assert f'data-remove-board="{board["id"]}"' in art and "Add to board" in art
    art = owner.get(f"/artwork/{boat}").text
    assert "On none of your boards" in art and f'<option value="{board["id"]}">Harbours' in art


def test_boards_are_private_to_their_owner(owner, member, studio):
    board = new_board(owner, "Ann's own")
    owner.put(f"/api/boards/{board['id']}/artworks/{studio.works[0]}")
    missing = {"error": f"Unknown board '{board['id']}'."}
    base = f"/api/boards/{board['id']}"
    for method, url, body in [("GET", base, None), ("GET", f"{base}/artworks", None),
                              ("PATCH", base, {"name": "mine now"}), ("DELETE", base, None),
                              ("PUT", f"{base}/artworks/{studio.works[1]}", None),
                              ("DELETE", f"{base}/artworks/{studio.works[0]}", None),
                              ("GET", f"/api/artworks?board={board['id']}", None)]:
        reply = member.request(method, url, json=body)
        assert (reply.status_code, reply.json()) == (404, missing), (method, url)
    assert member.get("/gallery", params={"board": board["id"]}).status_code == 404
    assert board["id"] not in [b["id"] for b in member.get("/api/boards").json()]
    assert member.get(f"/api/artworks/{studio.works[0]}/boards").json() == []
    after = owner.get(base).json()
    assert (after["name"], after["count"]) == ("Ann's own", 1)


def test_only_artworks_the_viewer_can_see_go_on_a_board(owner, member, studio):
    board = new_board(member)
    refused = member.put(f"/api/boards/{board['id']}/artworks/{studio.secret}")
    assert refused.status_code == 404
    assert refused.json() == {"error": f"Unknown artwork '{studio.secret}'."}
    assert member.delete(f"/api/boards/{board['id']}/artworks/{studio.secret}").status_code == 404
    assert member.get(f"/api/artworks/{studio.secret}/boards").status_code == 404
    assert member.put(f"/api/boards/{board['id']}/artworks/{studio.works[0]}").status_code == 200
    mine = new_board(owner)
    assert owner.put(f"/api/boards/{mine['id']}/artworks/{studio.secret}").status_code == 200


def test_board_writes_need_the_csrf_token(app, studio):
    with TestClient(app) as client:
        login(client, OWNER)
        board = new_board(client)
        del client.headers["X-CSRF-Token"]
        base = f"/api/boards/{board['id']}"
        for method, url, body in [("POST", "/api/boards", {"name": "no token"}),
                                  ("PATCH", base, {"name": "no token"}), ("DELETE", base, None),
                                  ("PUT", f"{base}/artworks/{studio.works[0]}", None),
                                  ("DELETE", f"{base}/artworks/{studio.works[0]}", None)]:
            reply = client.request(method, url, json=body)
            assert reply.status_code == 403, (method, url)
            assert "security token" in reply.json()["error"]
        assert client.get(base).json()["count"] == 0


def test_board_errors_are_sentences(owner):
    assert owner.get("/api/boards/999999").json() == {"error": "Unknown board '999999'."}
    assert owner.get("/api/boards/999999/artworks").status_code == 404
    wrong = owner.get("/api/artworks", params={"board": "seas"})
    assert wrong.status_code == 400
    assert wrong.json()["error"].startswith("A board id is a positive whole number, got 'seas'")
    assert owner.get("/gallery", params={"board": "999999"}).status_code == 404
    board = new_board(owner, "Twice")
    again = owner.post("/api/boards", json={"name": "Twice"})
    assert again.status_code == 400
    assert again.json() == {"error": f"{OWNER} already has a collection named 'Twice'; "
                                     "choose another `name`."}
    other = new_board(owner)
    assert owner.patch(f"/api/boards/{other['id']}", json={"name": "Twice"}).status_code == 400
    blank = owner.post("/api/boards", json={"name": "   "})
    assert blank.status_code == 400 and "`name` must be a non-empty string" in blank.json()["error"]
    assert owner.get(f"/api/boards/{board['id']}").json()["name"] == "Twice"


def test_openapi_lists_the_board_routes(app):
    with TestClient(app) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/boards", "/api/boards/{board_id}", "/api/boards/{board_id}/artworks",
            "/api/boards/{board_id}/artworks/{artwork_id}",
            "/api/artworks/{artwork_id}/boards"} <= set(paths)
    assert paths["/api/boards"]["post"]["summary"] == "Make an empty board"
