"""Exhibitions: choosing by a theme, rooms, visual flow, wall texts, storage, export, CLI."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import urlparse

import numpy as np
import pytest
from sqlalchemy import update

from studiolo import Studio
from studiolo.capabilities.curate import features
from studiolo.capabilities.curate.features import image_embedder, image_features
from studiolo.capabilities.curate.flow import path_length, random_tour_length, visual_tour
from studiolo.capabilities.curate.rooms import group_rooms
from studiolo.catalog.schema import artworks as artworks_table
from studiolo.cli import main
from studiolo.core.errors import InvalidArgument, UnknownName, UnsafePath
from studiolo.provenance.ledger import credit_sentence

SEA = ["the sea at night under the moon", "moonlit ocean waves at night",
       "a stormy sea at midnight", "a quiet harbour at night with boats"]
MOUNTAINS = ["snowy mountains at dawn", "a mountain lake in the morning"]
SKIES = ["a starry night sky over a field", "the milky way above a desert"]
ABSTRACT = ["abstract red circles", "abstract blue and yellow circles", "geometric abstract squares"]
OTHER = ["a forest path in autumn"]

pytestmark = pytest.mark.usefixtures("light_curate_embedder")


@pytest.fixture(scope="module")
def gallery(tmp_path_factory, light_curate_embedder) -> tuple[Studio, dict[str, str]]:
    """A studio with 12 small paintings; returns it and {artwork id: prompt}."""
    studio = Studio(tmp_path_factory.mktemp("curate") / "studio", load_entry_points=False)
    prompts = {}
    for k, prompt in enumerate(SEA + MOUNTAINS + SKIES + ABSTRACT + OTHER):
        [art] = studio.paint(prompt, width=96, height=96, seed=k)
        prompts[art.id] = prompt
    return studio, prompts


def prompts_of(exhibition, prompts: dict[str, str]) -> list[list[str]]:
    return [[prompts[a] for a in room.artwork_ids] for room in exhibition.rooms]


def test_a_theme_chooses_the_sea_at_night_over_the_rest(gallery):
    studio, prompts = gallery
    ex = studio.make_exhibition("the sea at night", max_works=24)
    ranked = sorted(((s, prompts[a]) for r in ex.rooms for a, s in zip(r.artwork_ids, r.scores)),
                    reverse=True)
    assert {p for _, p in ranked[:4]} == set(SEA)
    assert not {p for _, p in ranked} & set(ABSTRACT + OTHER)
    assert ex.title == "The sea at night" and ex.theme == "the sea at night"
    capped = studio.make_exhibition("the sea at night", max_works=2)
    assert len(capped.artwork_ids) == 2 and set(prompts_of(capped, prompts)[0]) <= set(SEA)


def test_rooms_group_similar_works(gallery):
    studio, prompts = gallery
    ex = studio.make_exhibition("the sea at night and abstract circles", max_rooms=3)
    rooms = prompts_of(ex, prompts)
    assert len(rooms) >= 2
    with_abstract = [r for r in rooms if set(r) & set(ABSTRACT)]
    assert len(with_abstract) == 1 and not set(with_abstract[0]) & set(SEA)
    assert len({r.name for r in ex.rooms}) == len(ex.rooms) and all(r.name for r in ex.rooms)
    # Three tight, far-apart blobs are three rooms; one blob stays one room.
    rng = np.random.default_rng(0)
    blobs = np.concatenate([rng.normal(c, 0.05, (5, 4)) for c in (0.0, 3.0, -3.0)])
    assert sorted(map(sorted, group_rooms(blobs, 5))) == [list(range(i, i + 5)) for i in (0, 5, 10)]
    assert group_rooms(rng.normal(0, 1, (12, 4)), 1) == [list(range(12))]


def test_a_room_is_hung_as_a_tour_shorter_than_a_random_order(gallery):
    studio, _ = gallery
    looks = image_features(list(gallery[1]), studio.image)
    order = visual_tour(looks)
    assert sorted(order) == list(range(len(looks)))
    assert path_length(looks, order) < 0.9 * random_tour_length(looks)
    line = np.array([[x, 0.0] for x in (5, 1, 4, 0, 3, 2)])
    assert path_length(line, visual_tour(line)) == pytest.approx(5.0)
    ex = studio.make_exhibition("night", max_works=8, max_rooms=1)
    [room] = ex.rooms
    assert room.tour_length <= room.random_length


def test_wall_texts_room_texts_and_introduction(gallery):
    studio, prompts = gallery
    ex = studio.make_exhibition("mountains", title="High places", max_rooms=1)
    shown = studio.exhibition_view(ex.id)
    [room] = shown.rooms
    for artwork, label in room.works:
        assert label.credit == credit_sentence(artwork.credits, artwork.recipe)
        assert label.title == prompts[artwork.id][0].upper() + prompts[artwork.id][1:]
        assert "painter engine" in label.made_with and "style" in label.made_with
        assert label.date[-4:].isdigit()
    assert room.text.startswith(f"{len(room.works)} works, made on ")
    assert f"“{room.works[0][1].title}”" in room.text
    assert shown.introduction.startswith("“High places” brings together")
    assert "“mountains”" in shown.introduction
    data = json.loads(json.dumps(shown.to_dict()))
    assert data["rooms"][0]["works"][0]["credit"] == room.works[0][1].credit


def test_storage_privacy_and_deleting_works(gallery):
    studio, _ = gallery
    recipe = studio.recipe(engine="painter", prompt="the sea at night, moonlit waves", seed=77,
                           steps=1, guidance=0.0, width=96, height=96)
    [theirs] = studio.run(recipe, person="ada")
    with studio.catalog.engine.begin() as conn:
        conn.execute(update(artworks_table).where(artworks_table.c.id == theirs.id)
                     .values(private=True))
    mine = studio.make_exhibition("the sea at night")
    assert theirs.id not in mine.artwork_ids  # someone else's private work is never chosen
    with studio.catalog.engine.begin() as conn:
        conn.execute(update(artworks_table).where(artworks_table.c.id == theirs.id)
                     .values(private=False))
    shared = studio.make_exhibition("the sea at night", public=True)
    assert theirs.id in shared.artwork_ids
    # Read back, list, share link, privacy of exhibitions.
    assert studio.catalog.get_exhibition(mine.id) == mine
    assert studio.catalog.exhibition_by_token(shared.share_token).id == shared.id
    with pytest.raises(UnknownName):
        studio.catalog.exhibition_by_token(mine.share_token)  # private: the link shows nothing
    with pytest.raises(UnknownName, match=f"Unknown exhibition '{mine.id}'"):
        studio.catalog.get_exhibition(mine.id, viewer="ada")
    assert studio.catalog.get_exhibition(shared.id, viewer="ada").id == shared.id
    ids = [e.id for e in studio.list_exhibitions(person="ada")]
    assert shared.id in ids and mine.id not in ids
    # Deleting an artwork removes it from every exhibition; deleting an exhibition keeps works.
    studio.catalog.delete_artwork(theirs.id)
    assert theirs.id not in studio.catalog.get_exhibition(shared.id).artwork_ids
    with pytest.raises(UnknownName):
        studio.delete_exhibition(mine.id, person="ada")  # not even visible to them
    with pytest.raises(InvalidArgument, match="only they can delete it"):
        studio.delete_exhibition(shared.id, person="ada")
    studio.delete_exhibition(shared.id)
    with pytest.raises(UnknownName):
        studio.catalog.get_exhibition(shared.id)
    assert all(studio.catalog.has_artwork(a) for a in mine.artwork_ids)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self.links += [attrs[k] for k in ("src", "href") if attrs.get(k)]


def test_export_writes_a_static_site_whose_links_all_resolve(gallery, tmp_path):
    studio, _ = gallery
    ex = studio.make_exhibition("the sea at night and abstract circles", max_rooms=3)
    index = studio.export_exhibition(ex.id, tmp_path / "site")
    site = index.parent
    pages = sorted(site.glob("*.html"))
    assert index.is_file() and len(pages) == 1 + len(ex.rooms)
    images = sorted((site / "images").iterdir())
    assert len(images) == len(ex.artwork_ids) and all(p.suffix == ".jpg" for p in images)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        parser = _Links()
        parser.feed(text)
        assert "<script" not in text.lower()
        for link in parser.links:
            parsed = urlparse(link)
            assert not parsed.scheme and not parsed.netloc and not link.startswith("/"), link
            target = (site / parsed.path).resolve()
            assert target.is_file() and target.is_relative_to(site.resolve()), link
        if page.name.startswith("room-"):  # every image with its credit line
            assert text.count("<img ") == text.count('class="credit"') >= 1
    assert 'class="credit"' in index.read_text(encoding="utf-8")


def test_export_refuses_unsafe_or_busy_folders(gallery, tmp_path):
    studio, _ = gallery
    ex = studio.make_exhibition("abstract circles", max_works=3)
    with pytest.raises(UnsafePath, match="inside the studio's files"):
        studio.export_exhibition(ex.id, studio.settings.files_dir / "site")
    with pytest.raises(UnsafePath, match="studio folder itself"):
        studio.export_exhibition(ex.id, studio.settings.home)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(InvalidArgument, match="not empty.*--force"):
        studio.export_exhibition(ex.id, busy)
    outside = tmp_path / "outside"
    outside.mkdir()
    (busy / "images").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePath, match="remove that link"):
        studio.export_exhibition(ex.id, busy, force=True)
    assert not any(outside.iterdir())
    (busy / "images").unlink()
    assert studio.export_exhibition(ex.id, busy, force=True).is_file()
    assert (busy / "notes.txt").read_text() == "mine"


def test_bad_input_is_refused_with_one_sentence(gallery):
    studio, _ = gallery
    with pytest.raises(InvalidArgument, match="`theme` must be a few words"):
        studio.make_exhibition("   ")
    with pytest.raises(InvalidArgument, match="`max_works` must be an integer from 1 to 200, got 0"):
        studio.make_exhibition("the sea", max_works=0)
    with pytest.raises(InvalidArgument, match="`max_rooms` must be an integer from 1 to 12, got 0"):
        studio.make_exhibition("the sea", max_rooms=0)
    with pytest.raises(InvalidArgument, match="No artwork fits the theme"):
        studio.make_exhibition("quarterly tax spreadsheet formulas")
    with pytest.raises(UnknownName, match="Unknown exhibition '9999'"):
        studio.exhibition_view(9999)
    with pytest.raises(InvalidArgument, match="positive whole number, got 'x1'"):
        studio.exhibition_view("x1")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_make_ls_show_export(gallery, tmp_path, capsys):
    studio, _ = gallery
    home = str(studio.settings.home)
    code, out, err = run(capsys, "--home", home, "exhibit", "make", "the sea at night",
                         "--max-works", "5", "--rooms", "2", "--title", "Night sea", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["title"] == "Night sea" and made["introduction"] and made["rooms"][0]["works"]
    code, out, _ = run(capsys, "--home", home, "exhibit", "ls", "--json")
    assert code == 0 and made["id"] in [e["id"] for e in json.loads(out)]
    code, out, _ = run(capsys, "--home", home, "exhibit", "show", str(made["id"]))
    assert code == 0 and "Night sea" in out and made["rooms"][0]["works"][0]["credit"] in out
    code, out, _ = run(capsys, "--home", home, "exhibit", "export", str(made["id"]),
                       str(tmp_path / "out"))
    assert code == 0 and (tmp_path / "out" / "index.html").is_file()
    code, _, err = run(capsys, "--home", home, "exhibit", "export", str(made["id"]),
                       str(tmp_path / "out"))
    assert code == 1 and "--force" in err and err.count("\n") == 1
    code, _, err = run(capsys, "--home", home, "exhibit", "show", "424242")
    assert code == 1 and err.startswith("Error: Unknown exhibition '424242'.")
    code, _, err = run(capsys, "--home", home, "exhibit", "make", "")
    assert code == 1 and "`theme`" in err and err.count("\n") == 1
    code, _, err = run(capsys, "--home", home, "exhibit", "make", "sea", "--max-works", "0")
    assert code == 1 and "`max_works`" in err
    code, out, _ = run(capsys, "exhibit", "make", "--help")
    assert code == 0 and "Examples:" in out and "--max-works" in out


def test_the_image_embedder_is_chosen_in_one_place(monkeypatch):
    assert image_embedder("light").name == "light"
    monkeypatch.setattr(features, "_embedders", {})
    monkeypatch.setattr(features, "_taste_embedder", lambda: None)  # taste cannot load here
    assert image_embedder("taste") is features.LIGHT
    with pytest.raises(InvalidArgument, match="must be one of \\['taste', 'light'\\], got 'clip'"):
        image_embedder("clip")
