"""Private means private: a private work's pixels, id and prompt words reach no one but its owner.

One test per way it could leak: the recipe in a file whose prompt is private (the
painter's scene, a journey's ends, credit evidence), room names, wall texts and the
introduction of an exhibition, its cover and counts in the list, its share link and
exported site, the ambiguous-prefix error, the parents of a work, and uploads used by
someone else. The web half runs through TestClient as the owner (ann), a member (bob)
and a stranger with no login.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studiolo.core.types import Artwork, Credit, Recipe

pytest.importorskip("fastapi")
pytest.importorskip("argon2")

from fastapi.testclient import TestClient
from web_helpers import MEMBER, OWNER, follow, make_studio

PROMPT = "quiet fields at dawn"
PROMPT_WORDS = ("quiet", "field", "fields", "dawn")


def has_word(text: str, words) -> list[str]:
    """The words of `words` that `text` holds as whole words (any case)."""
    return [w for w in words if re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)]


# -- the recipe written into a file whose prompt is private -------------------------------------
def test_plain_forms():
    from studiolo.provenance.private import plain, words_of

    assert [plain(w) for w in ("fields", "Skies", "churches", "glass", "boxes", "dawn's")] == [
        "field", "sky", "church", "glass", "box", "dawn"]
    assert words_of("Quiet fields at dawn, <lora:fieldLora:0.5> in the style of Vermeer") == {
        "quiet", "field", "dawn", "style", "vermeer"}


def test_private_recipe_blanks_every_option_string_holding_a_prompt_word():
    from studiolo.provenance.private import private_recipe

    recipe = Recipe(engine="painter", prompt=PROMPT, negative_prompt="muddy tones", options={
        "scene": {"prompt": PROMPT, "used_words": ["quiet", "fields", "dawn"],
                  "subjects": [{"name": "field", "score": 1.0, "why": "the word 'field'"}],
                  "mood": {"name": "calm", "score": 1.0, "why": "the word 'quiet'"},
                  "palette": {"name": "natural", "why": "default: colours follow the time of day"}},
        "note": "avoids Muddy tones", "strength": 0.6, "style": "vermeer-girl"})
    shown = private_recipe(recipe)
    assert shown.prompt == "" and shown.negative_prompt == ""
    assert not has_word(json.dumps(shown.options), [*PROMPT_WORDS, "muddy", "tones"])
    scene = shown.options["scene"]
    assert scene["used_words"] == [] and scene["subjects"][0] == {"name": "", "score": 1.0,
                                                                 "why": ""}
    assert scene["mood"] == {"name": "calm", "score": 1.0, "why": ""}  # a concept of its own
    assert scene["palette"]["why"] == "default: colours follow the time of day"
    assert shown.options["strength"] == 0.6 and shown.options["style"] == "vermeer-girl"
    assert recipe.options["scene"]["used_words"] == ["quiet", "fields", "dawn"]  # not changed


def test_a_prompts_journey_keeps_both_ends_out_of_the_file():
    from studiolo.provenance.private import private_recipe, prompt_texts

    recipe = Recipe(engine="journey", mode="explore", prompt="a red barn in snow", options={
        "journey": {"kind": "prompts", "a": "a red barn in snow", "b": "lighthouse beacon at sea",
                    "frames": 8, "index": 0},
        "diffusion": {"clip_skip": 2}})
    assert prompt_texts(recipe) == ["a red barn in snow", "a red barn in snow",
                                    "lighthouse beacon at sea"]
    shown = private_recipe(recipe)
    assert shown.options["journey"] == {"kind": "prompts", "a": "", "b": "", "frames": 8,
                                        "index": 0}
    assert shown.options["diffusion"] == {"clip_skip": 2}
    styles = Recipe(engine="journey", mode="explore", options={
        "journey": {"kind": "styles", "a": "the-kiss", "b": "starry-night", "frames": 4}})
    assert private_recipe(styles).options == styles.options  # style names are no prompt


def test_credit_evidence_quoting_the_prompt_is_replaced_names_stay():
    from studiolo.provenance.private import PRIVATE_EVIDENCE, private_credits

    recipe = Recipe(engine="painter", prompt="a girl after Vermeer at dawn")
    credits = [Credit(name="Johannes Vermeer, Girl with a Pearl Earring", kind="artwork",
                      role="style_source", evidence="the words 'after vermeer'"),
               Credit(name="all-MiniLM-L6-v2", kind="model", role="tool",
                      evidence="read the prompt")]
    out = private_credits(credits, recipe)
    assert [c.evidence for c in out] == [PRIVATE_EVIDENCE, "read the prompt"]
    assert [c.name for c in out] == [c.name for c in credits]


WORDS = st.sampled_from(["quiet", "fields", "dawn", "harbour", "ships", "lanterns", "skies",
                         "meadow", "churches", "foxes", "violet", "storm"])


@settings(max_examples=50, deadline=None)
@given(prompt=st.lists(WORDS, min_size=1, max_size=5), echoed=st.lists(WORDS, max_size=6),
       form=st.sampled_from(["the word {!r}", "{}", "{}.", "close to {} (0.61)", "{}s"]))
def test_no_word_of_the_prompt_survives_in_the_options(prompt, echoed, form):
    from studiolo.provenance.private import plain, private_recipe, private_words

    text = " ".join(prompt)
    options = {"why": [form.format(w) for w in echoed + prompt],
               "nested": {"a": {"b": form.format(prompt[-1])}}, "n": 3}
    shown = private_recipe(Recipe(engine="painter", prompt=text, options=options))
    left = json.dumps(shown.options)
    assert not {plain(w) for w in re.findall(r"[a-z]+", left)} & private_words(
        Recipe(engine="painter", prompt=text))
    assert shown.options["n"] == 3


@pytest.fixture(scope="module")
def private_prompt_studio(tmp_path_factory):
    from studiolo.core.settings import Settings
    from studiolo.studio import Studio

    settings_ = Settings.from_env(tmp_path_factory.mktemp("pp") / "studio", person="ann")
    return Studio(settings=dataclasses.replace(settings_, prompt_in_file=False),
                  load_entry_points=False)


def file_texts(studio, artwork_id: str) -> tuple[str, str]:
    """(the `parameters` chunk, the C2PA manifest as JSON) of a stored artwork's file."""
    from studiolo.core.imagemeta import read_text_chunks
    from studiolo.provenance.c2pa_manifest import active_manifest, read_manifest

    data = studio.files.read(artwork_id)
    manifest = active_manifest(read_manifest(data))
    return read_text_chunks(data).get("parameters", ""), json.dumps(manifest)


def recipe_in_manifest(manifest_json: str) -> dict:
    from studiolo.provenance.c2pa_manifest import RECIPE_LABEL, assertion

    return assertion(json.loads(manifest_json), RECIPE_LABEL)


def test_a_private_prompt_leaves_no_word_of_it_in_the_file(private_prompt_studio):
    studio = private_prompt_studio
    [art] = studio.paint(PROMPT, width=64, height=64, seed=1)
    parameters, manifest = file_texts(studio, art.id)
    assert "Studiolo:" in parameters and "Seed: 1" in parameters
    assert has_word(parameters, PROMPT_WORDS) == []
    recipe = recipe_in_manifest(manifest)
    assert recipe["prompt_in_file"] is False and recipe["recipe"]["prompt"] == ""
    assert has_word(json.dumps(recipe), PROMPT_WORDS) == []
    assert has_word(manifest, PROMPT_WORDS) == []  # credits, actions, titles too
    # The catalog keeps what the painter read, for its owner.
    kept = studio.get(art.id).recipe
    assert kept.prompt == PROMPT and kept.options["scene"]["used_words"] == ["quiet", "fields",
                                                                            "dawn"]


def test_the_per_artwork_override_keeps_the_words_out_too(tmp_path):
    from studiolo.core.settings import Settings
    from studiolo.studio import Studio

    studio = Studio(settings=Settings.from_env(tmp_path / "studio", person="ann"),
                    load_entry_points=False)
    recipe = studio.recipe(engine="painter", prompt=PROMPT, seed=2, width=64, height=64,
                           steps=1, guidance=0.0)
    [made] = studio.run(recipe, store=False)
    private = studio.store(made, include_prompt=False)
    parameters, manifest = file_texts(studio, private.id)
    assert has_word(parameters + manifest, PROMPT_WORDS) == []
    shown = studio.store(made.replace(image=made.image.rotate(90)))  # the prompt in the file
    assert has_word(file_texts(studio, shown.id)[0], PROMPT_WORDS)


# -- the web studio: exhibitions, errors, parents, uploads ----------------------------------------
SECRET = "secretalpha"
PUBLIC = ["the sea at night under the moon", "moonlit ocean waves at night",
          "green hills in spring sunshine"]
PRIVATE = [f"{SECRET} and stars over the sea", f"{SECRET} comets above night waves",
           f"{SECRET} glimmer on a midnight sea"]
LEAKY_NAMES = (f"{SECRET.capitalize()} and stars, after Johannes Vermeer",
               f"{SECRET.capitalize()} and moon", "Hills")


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """Ann's three public and three private paintings (`studio.pub`, `studio.priv`: ids), and
    her exhibition (`studio.ex`) whose stored room names were drawn from the private ones."""
    from studiolo.catalog import visibility
    from studiolo.catalog.exhibitions import ExhibitionRoom

    studio = make_studio(tmp_path_factory.mktemp("privacy") / "studio")
    def paint(prompts: list[str]) -> list[str]:
        return [studio.paint(p, width=64, height=64, seed=k)[0].id for k, p in enumerate(prompts)]

    studio.pub, studio.priv = paint(PUBLIC), paint(PRIVATE)
    for sha in studio.priv:
        visibility.set_private(studio.catalog, sha, True)
    pub, priv = studio.pub, studio.priv
    rooms = [ExhibitionRoom(LEAKY_NAMES[0], (priv[0], priv[1]), (0.9, 0.8), 1.0, 2.0),
             ExhibitionRoom(LEAKY_NAMES[1], (priv[2], pub[0], pub[1]), (0.9, 0.7, 0.6), 1.0, 2.0),
             ExhibitionRoom(LEAKY_NAMES[2], (pub[2],), (0.5,))]
    studio.ex = studio.catalog.add_exhibition(OWNER, "Nocturnes", "the sea at night", rooms,
                                              is_public=True)
    return studio


def leaks(text: str, studio) -> list[str]:
    """What of ann's private works `text` shows: their words, their ids (or id starts)."""
    found = [SECRET] if SECRET in text.lower() else []
    return found + [sha[:12] for sha in studio.priv if sha[:12] in text]


def test_the_owner_sees_her_whole_exhibition(owner, studio):
    data = owner.get(f"/api/exhibitions/{studio.ex.id}").json()
    assert [r["name"] for r in data["rooms"]] == list(LEAKY_NAMES)
    assert {w["artwork_id"] for r in data["rooms"] for w in r["works"]} == set(
        studio.pub + studio.priv)


def test_room_names_wall_texts_and_introduction_shown_to_a_member(member, studio):
    reply = member.get(f"/api/exhibitions/{studio.ex.id}")
    assert reply.status_code == 200 and leaks(reply.text, studio) == []
    data = reply.json()
    assert len(data["rooms"]) == 2  # the room of private works only is left out
    assert [w["artwork_id"] for r in data["rooms"] for w in r["works"]] == studio.pub
    assert all(r["name"] and r["text"] for r in data["rooms"]) and data["introduction"]
    page = member.get(f"/exhibitions/{studio.ex.id}")
    assert page.status_code == 200 and leaks(page.text, studio) == []


def test_the_share_link_shows_no_private_work_nor_words(app, studio):
    with TestClient(app) as stranger:
        shown = stranger.get(f"/api/shared/{studio.ex.share_token}")
        page = stranger.get(f"/shared/{studio.ex.share_token}")
        for sha in studio.priv:
            assert stranger.get(f"/shared/{studio.ex.share_token}/images/{sha}").status_code == 404
    assert shown.status_code == 200 and leaks(shown.text, studio) == []
    assert page.status_code == 200 and leaks(page.text, studio) == []
    assert "Room 2:" in page.text and "Room 3:" not in page.text


def test_the_list_gives_a_member_no_private_cover_or_count(owner, member, studio):
    theirs = next(e for e in member.get("/api/exhibitions").json() if e["id"] == studio.ex.id)
    assert theirs["cover"] == f"/api/artworks/{studio.pub[0]}/thumbnail"
    assert theirs["works"] == 3 and theirs["rooms"] == 2
    assert leaks(json.dumps(theirs), studio) == []
    assert leaks(member.get("/exhibitions").text, studio) == []
    mine = next(e for e in owner.get("/api/exhibitions").json() if e["id"] == studio.ex.id)
    assert mine["cover"] == f"/api/artworks/{studio.priv[0]}/thumbnail"
    assert mine["works"] == 6 and mine["rooms"] == 3


def test_a_search_counts_no_private_work(owner, member, studio):
    theirs = member.get("/api/artworks", params={"q": SECRET}).json()
    assert theirs["total"] == 0 and theirs["items"] == []
    assert leaks(member.get("/gallery", params={"q": SECRET}).text.replace(SECRET, ""), studio) == []
    assert owner.get("/api/artworks", params={"q": SECRET}).json()["total"] >= 3


def test_a_members_work_made_private_leaves_the_owners_exhibition(owner, studio):
    from studiolo.catalog import visibility
    from studiolo.catalog.exhibitions import ExhibitionRoom

    [bobs] = studio.acting_as(MEMBER).paint("a quiet harbour with red boats", width=64,
                                            height=64, seed=3)
    ex = studio.catalog.add_exhibition(OWNER, "Harbours", "harbours", [
        ExhibitionRoom("Harbour and boats", (bobs.id, studio.pub[0]))])
    visibility.set_private(studio.catalog, bobs.id, True)
    data = owner.get(f"/api/exhibitions/{ex.id}").json()
    assert [w["artwork_id"] for r in data["rooms"] for w in r["works"]] == [studio.pub[0]]
    assert bobs.id[:12] not in json.dumps(data)
    assert "harbour" not in data["rooms"][0]["name"].lower()


def export_names(client, exhibition_id: int, **params) -> tuple[list[str], str]:
    reply = client.get(f"/api/exhibitions/{exhibition_id}/export", params=params)
    assert reply.status_code == 200, reply.text
    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        names = archive.namelist()
        text = "".join(archive.read(n).decode() for n in names if n.endswith(".html"))
    return names, text


def test_an_exported_site_shows_what_the_share_link_shows(owner, studio):
    names, text = export_names(owner, studio.ex.id)
    assert len([n for n in names if n.endswith(".jpg")]) == 3
    assert leaks(" ".join(names) + text, studio) == []
    assert not any(n.endswith("room-3.html") for n in names)
    names, text = export_names(owner, studio.ex.id, include_private="true")
    assert len([n for n in names if n.endswith(".jpg")]) == 6 and SECRET in text.lower()


def test_an_exhibition_of_private_works_only_is_not_exported_unasked(studio, tmp_path):
    from studiolo.catalog.exhibitions import ExhibitionRoom
    from studiolo.core.errors import InvalidArgument

    ex = studio.catalog.add_exhibition(OWNER, "Secrets", "secrets", [
        ExhibitionRoom("Secretalpha", tuple(studio.priv))])
    with pytest.raises(InvalidArgument) as caught:
        studio.export_exhibition(ex.id, tmp_path / "site", person=OWNER)
    assert str(caught.value) == (
        f"Exhibition {ex.id} has no public works to export (all are private); make some public, "
        "or export with include_private (--include-private) to put your private works in the "
        "site too.")
    index = studio.export_exhibition(ex.id, tmp_path / "site", person=OWNER, include_private=True)
    assert len(list((index.parent / "images").glob("*.jpg"))) == 3


def add_row(studio, sha: str, owner: str, prompt: str, *, private: bool = False,
            parents: tuple[str, ...] = ()) -> str:
    """An artwork row with a chosen id, its file a copy of a painting's (the store's layout:
    ab/cdef….png)."""
    from studiolo.catalog import visibility

    place = studio.files.root / sha[:2] / f"{sha[2:]}.png"
    place.parent.mkdir(parents=True, exist_ok=True)
    place.write_bytes(studio.files.read(studio.pub[0]))

    art = Artwork(recipe=Recipe(engine="painter", prompt=prompt), id=sha, owner=owner,
                  created=datetime.now(UTC), width=64, height=64, parents=parents)
    studio.catalog.add_artwork(art, ext="png")
    if private:
        visibility.set_private(studio.catalog, sha, True)
    return sha


def test_an_ambiguous_prefix_names_no_private_work(owner, member, studio):
    visible = add_row(studio, "b7814c" + "1" * 58, OWNER, "public one")
    hidden = [add_row(studio, "b7814c" + c * 58, OWNER, f"{SECRET} {c}", private=True)
              for c in "23"]
    # One visible match among hidden ones: it is the one meant.
    reply = member.get("/api/artworks/b7814c")
    assert reply.status_code == 200 and reply.json()["id"] == visible, reply.text
    add_row(studio, "b7814c" + "4" * 58, MEMBER, "bob's public one")
    reply = member.get("/api/artworks/b7814c")
    assert reply.status_code == 400
    assert reply.json()["error"] == (
        f"Artwork prefix 'b7814c' is ambiguous: it matches {visible}, {'b7814c' + '4' * 58}; "
        "give more digits.")
    # Hidden works only: as if there were none.
    for url in ("/api/artworks/b7814c2", "/api/artworks/b7814c3/thumbnail", "/artwork/b7814c3"):
        reply = member.get(url)
        assert reply.status_code == 404 and leaks(reply.text, studio) == [], url
        assert hidden[0] not in reply.text
    assert member.get("/api/artworks/b7814c2").json()["error"] == "Unknown artwork 'b7814c2'."
    # The owner sees her own: all four are named to her.
    error = owner.get("/api/artworks/b7814c").json()["error"]
    assert all(sha in error for sha in hidden)


def test_a_private_parent_is_not_named_to_others(owner, member, studio):
    child = add_row(studio, "c0ffee" + "0" * 58, OWNER, "a restyled sea", parents=(studio.priv[0],))
    reply = member.get(f"/api/artworks/{child}")
    assert reply.status_code == 200 and reply.json()["parents"] == [], reply.text
    assert studio.priv[0][:12] not in member.get(f"/artwork/{child}").text
    assert owner.get(f"/api/artworks/{child}").json()["parents"] == [studio.priv[0]]


def png_bytes(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "PNG")
    return out.getvalue()


def test_an_upload_is_used_by_its_uploader_only(owner, member, studio):
    sha = owner.post("/api/uploads", files={"file": ("a.png", png_bytes((200, 40, 40)))}).json()[
        "sha256"]
    body = {"mode": "stylize", "image": sha, "style": "vincent-van-gogh-the-starry-night"}
    jobs_before = len(member.get("/api/jobs").json())
    reply = member.post("/api/create", json=body)
    assert reply.status_code == 404
    assert reply.json()["error"] == f"Unknown upload '{sha[:12]}…'."
    assert len(member.get("/api/jobs").json()) == jobs_before  # nothing was started
    # The same bytes sent by the member are theirs too: one file, two uploads.
    again = member.post("/api/uploads", files={"file": ("b.png", png_bytes((200, 40, 40)))})
    assert again.json()["sha256"] == sha
    job = member.post("/api/create", json=body)
    assert job.status_code == 202, job.text
    assert [k for k, _ in follow(member, job.json())][-1] == "done"


def test_what_is_made_from_a_private_work_is_private(owner, member, studio):
    from studiolo.catalog import visibility

    reply = owner.post(f"/api/artworks/{studio.priv[0]}/restyle",
                       json={"style": "vincent-van-gogh-the-starry-night", "private": False})
    assert reply.status_code == 202, reply.text
    events = follow(owner, reply.json())
    assert events[-1][0] == "done", events
    [made] = owner.get(f"/api/jobs/{reply.json()['id']}").json()["result_ids"]
    assert visibility.is_private(studio.catalog, made)
    assert member.get(f"/api/artworks/{made}").status_code == 404


def test_a_work_made_from_a_private_one_through_the_library_is_private(tmp_path):
    from studiolo.catalog import visibility
    from studiolo.studio import Studio

    studio = Studio(tmp_path / "home", load_entry_points=False)
    [secret] = studio.acting_as("ann", private=True).paint("a secret garden", seed=1,
                                                           width=64, height=64)
    [child] = studio.acting_as("ann").stylize(secret.path, "The Kiss")
    assert child.parents == (secret.id,)
    assert visibility.is_private(studio.catalog, child.id)
