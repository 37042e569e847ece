"""The artwork page's Restore action: run as a job, stored as a child, private stays private."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from .conftest import painting

pytest.importorskip("fastapi")


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    from web_helpers import make_studio

    studio = make_studio(tmp_path_factory.mktemp("restore-web") / "studio")
    image = Image.fromarray(painting(side=160))
    ImageDraw.Draw(image).ellipse((50, 40, 70, 60), fill=(250, 250, 245))
    path = tmp_path_factory.mktemp("scan") / "scan.png"
    image.save(path)
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).ellipse((48, 38, 72, 62), fill=255)
    mask.save(path.with_name("mask.png"))
    [studio.pub] = studio.restore(path, mask=path.with_name("mask.png"), method="telea")
    [studio.priv] = studio.acting_as("ann", private=True).restore(
        path, mask=path.with_name("mask.png"), method="ns")
    return studio


def test_restore_action_makes_a_child(owner, studio):
    from web_helpers import follow

    page = owner.get(f"/artwork/{studio.pub.id}").text
    assert 'data-action="restore">Restore</button>' in page
    job = owner.post(f"/api/artworks/{studio.pub.id}/restore").json()
    events = follow(owner, job)
    assert events[-1][0] == "done", events
    [child_id] = owner.get(f"/api/jobs/{job['id']}").json()["result_ids"]
    child = studio.get(child_id)
    assert child.parents == (studio.pub.id,) and child.recipe.engine == "restore"
    assert child.recipe.options["colour"] is True


def test_a_private_works_restoration_reaches_only_its_owner(owner, member, studio):
    from web_helpers import follow

    from studiolo.catalog import visibility

    assert member.post(f"/api/artworks/{studio.priv.id}/restore").status_code == 404
    job = owner.post(f"/api/artworks/{studio.priv.id}/restore").json()
    assert follow(owner, job)[-1][0] == "done"
    [child_id] = owner.get(f"/api/jobs/{job['id']}").json()["result_ids"]
    assert visibility.is_private(studio.catalog, child_id)
    assert member.get(f"/api/artworks/{child_id}").status_code == 404
    assert owner.get(f"/api/artworks/{child_id}").status_code == 200


def test_the_page_has_damage_restore_and_age_with_the_sliders_script(owner, studio):
    page = owner.get(f"/artwork/{studio.pub.id}")
    text = page.text
    for name, label in (("damage", "Damage"), ("restore", "Restore"), ("age", "Age")):
        assert f'data-action="{name}">{label}</button>' in text
    assert text.count('<script src="/restore/static/compare.js" defer></script>') == 1
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = owner.get("/restore/static/compare.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "studiolo:action-done" in script.text
    assert owner.get("/restore/static/compare.css").headers["content-type"].startswith("text/css")
    assert owner.get("/restore/static/..%2Fweb.py").status_code == 404
    assert owner.get("/restore/static/web.py").status_code == 404
    # studio.js tells the action's script when a job ends
    assert "studiolo:action-done" in owner.get("/static/studio.js").text


@pytest.mark.parametrize("action", ["damage", "age"])
def test_damage_and_age_actions_make_a_child(owner, studio, action):
    from web_helpers import follow

    job = owner.post(f"/api/artworks/{studio.pub.id}/{action}").json()
    assert follow(owner, job)[-1][0] == "done"
    [child_id] = owner.get(f"/api/jobs/{job['id']}").json()["result_ids"]
    child = studio.get(child_id)
    assert child.parents == (studio.pub.id,) and child.recipe.mode == action
    assert (child.width, child.height) == (studio.pub.width, studio.pub.height)
    before = np.asarray(studio.image(studio.pub.id).convert("RGB"), np.float32)
    after = np.asarray(studio.image(child_id).convert("RGB"), np.float32)
    assert np.abs(after - before).mean() > 3  # it changed the picture
    shown = owner.get(f"/api/artworks/{child_id}").json()
    assert shown["urls"]["file"] == f"/api/artworks/{child_id}/file"
    if action == "age":
        state = child.recipe.options["state"]
        assert child.recipe.options["years"] == 100 and state["varnish"] > 0
        # yellowed: blue falls more than red
        assert (before[..., 2] - after[..., 2]).mean() > (before[..., 0] - after[..., 0]).mean()
        assert "Aged by" in owner.get(f"/artwork/{child_id}").text
    else:
        assert set(child.recipe.options["found"]) == {
            "cracks", "scratches", "losses", "stains", "tears"}
        assert "Damage mapped by" in owner.get(f"/artwork/{child_id}").text


@pytest.mark.parametrize("action", ["damage", "age"])
def test_a_private_works_damage_and_age_reach_only_its_owner(owner, member, studio, action):
    from web_helpers import follow

    from studiolo.catalog import visibility

    assert member.post(f"/api/artworks/{studio.priv.id}/{action}").status_code == 404
    assert member.get(f"/artwork/{studio.priv.id}").status_code == 404
    job = owner.post(f"/api/artworks/{studio.priv.id}/{action}").json()
    assert follow(owner, job)[-1][0] == "done"
    [child_id] = owner.get(f"/api/jobs/{job['id']}").json()["result_ids"]
    assert visibility.is_private(studio.catalog, child_id)
    assert member.get(f"/api/artworks/{child_id}").status_code == 404
    assert member.get(f"/api/artworks/{child_id}/file").status_code == 404
    assert owner.get(f"/api/artworks/{child_id}/file").status_code == 200


def test_a_stored_age_replays_to_the_same_pixels(studio):
    from studiolo.capabilities.restore.verbs import age

    [made] = age(studio, studio.pub.path, years=60, lux=300)
    [again] = studio.rerun(made.id)
    assert again.id == made.id or np.array_equal(
        np.asarray(studio.image(again.id)), np.asarray(studio.image(made.id)))
