"""The Analyse action: a queue job, then the report page and JSON of an artwork kept in the
catalog, and a private work's analysis reaching its owner only."""

from __future__ import annotations

import json

import pytest
from analyse_helpers import light_content, light_style, stored_work
from web_helpers import follow, make_studio


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    studio = make_studio(tmp_path_factory.mktemp("analyse-web"))
    studio.public = stored_work(studio, 5, (200, 60, 40))
    studio.secret = stored_work(studio, 6, (40, 80, 190), private=True)
    return studio


@pytest.fixture(scope="module")
def app(studio):
    from studiolo.web.app import create_app

    studio.analyse_networks = (light_style, light_content)  # what the analysis job runs with
    app = create_app(studio)
    return app


def analyse(client, work, body=None):
    """Press Analyse: queue the job, follow it to the end; (job, events)."""
    reply = client.post(f"/api/artworks/{work.id}/analysis", json=body or {"against": "none"})
    assert reply.status_code == 202, reply.text
    job = reply.json()
    assert job["kind"] == "analysis"
    return job, follow(client, job)


def test_analyse_is_a_job_and_its_page_is_the_kept_report(owner, studio):
    page = owner.get(f"/artwork/{studio.public.id}")
    assert "data-analyse" in page.text
    before = owner.get(f"/artwork/{studio.public.id}/analysis?against=none")
    assert before.status_code == 404 and "Not analysed yet" in before.text
    missing = owner.get(f"/api/artworks/{studio.public.id}/analysis?against=none")
    assert missing.status_code == 404 and missing.json()["error"] == (
        f"Artwork {studio.public.id} has no analysis against 'none' yet; POST "
        f"/api/artworks/{studio.public.id}/analysis to make one (a job).")
    _, events = analyse(owner, studio.public)
    stages = [json.loads(d).get("stage") for e, d in events if e == "progress"]
    assert {"prepare", "figures", "analyse"} <= set(stages), stages
    done = json.loads(next(d for e, d in events if e == "done"))
    assert done["page"] == f"/artwork/{studio.public.id}/analysis?against=none"
    report = owner.get(done["page"])
    assert report.status_code == 200 and "Palette" in report.text
    assert "script-src" not in report.headers["content-security-policy"]
    assert "img-src data:" in report.headers["content-security-policy"]
    data = owner.get(f"/api/artworks/{studio.public.id}/analysis?against=none").json()
    assert data["artwork_id"] == studio.public.id and data["unknown"] is None
    analyse(owner, studio.public)  # kept: shown again, not made again
    again = owner.get(f"/api/artworks/{studio.public.id}/analysis?against=none").json()
    assert again["created"] == data["created"]
    analyse(owner, studio.public, {"against": "none", "refresh": True})
    fresh = owner.get(f"/api/artworks/{studio.public.id}/analysis?against=none").json()
    assert fresh["created"] > data["created"]


def test_a_private_works_analysis_reaches_its_owner_only(owner, member, studio):
    job, events = analyse(owner, studio.secret)
    assert any(e == "done" for e, _ in events), events
    assert owner.get(f"/api/artworks/{studio.secret.id}/analysis?against=none").status_code == 200
    for url in (f"/api/artworks/{studio.secret.id}/analysis?against=none",
                f"/artwork/{studio.secret.id}/analysis?against=none"):
        reply = member.get(url)
        assert reply.status_code == 404
        assert "colour" not in reply.text.lower() and "Palette" not in reply.text
    # The member can neither queue its analysis nor follow or list the owner's job.
    queued = member.post(f"/api/artworks/{studio.secret.id}/analysis", json={"against": "none"})
    assert queued.status_code == 404
    assert member.get(job["events"]).status_code == 404
    assert studio.secret.id not in member.get("/api/jobs").text


def test_a_bad_collection_name_is_one_sentence(owner, studio):
    reply = owner.get(f"/api/artworks/{studio.public.id}/analysis?against=bad%20name")
    assert reply.status_code == 400
    assert "`against` must be a collection's name or 'none', got 'bad name'" in reply.text
