"""The artwork page's Restore action: run as a job, stored as a child, private stays private."""

from __future__ import annotations

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
