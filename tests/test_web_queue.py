"""The Jobs page and its cancel and retry routes (web/queue.py), through TestClient.

Jobs stay queued (`studio.jobs.run_here = False`: no worker takes them), so what the
page and the routes do is seen without a painter running. Another person's job, private
or not, is unknown to the viewer: 404, and neither its id nor its prompt on the page.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_helpers import MEMBER, OWNER, login, make_studio

from studiolo.web.app import create_app


@pytest.fixture
def studio(tmp_path):
    made = make_studio(tmp_path / "studio")
    made.jobs.run_here = False  # the jobs stay queued: nothing runs them
    yield made
    made.jobs.shutdown(wait=False)


@pytest.fixture
def app(studio):
    return create_app(studio)


@pytest.fixture
def owner(app):
    with TestClient(app) as client:
        login(client, OWNER)
        yield client


@pytest.fixture
def member(app):
    with TestClient(app) as client:
        login(client, MEMBER)
        yield client


def queue(client, prompt: str, private: bool = False) -> dict:
    reply = client.post("/api/create", json={"prompt": prompt, "engine": "painter", "width": 64,
                                             "height": 64, "private": private})
    assert reply.status_code == 202, reply.text
    return reply.json()


def test_the_page_lists_the_viewers_own_jobs_newest_first_with_counts(owner, member):
    first = queue(owner, "a quiet harbour at dawn", private=True)
    second = queue(owner, "a red kite over hills")
    theirs = queue(member, "bob's lighthouse in fog")
    theirs_private = queue(member, "bob's secret garden", private=True)

    page = owner.get("/jobs")
    assert page.status_code == 200
    assert '<a href="/jobs" aria-current="page">Jobs</a>' in page.text
    text = page.text
    assert first["id"] in text and second["id"] in text
    assert text.index(second["id"]) < text.index(first["id"])  # newest first
    assert "a quiet harbour at dawn" in text and "a red kite over hills" in text
    for job, prompt in ((theirs, "bob's lighthouse"), (theirs_private, "bob's secret garden")):
        assert job["id"] not in text and prompt not in text.replace("&#39;", "'")
    assert 'data-count="queued">queued: 2<' in text  # the owner's own
    assert "the whole queue: 4 waiting, 0 running" in text  # numbers only
    assert text.count("data-job-cancel=") == 2 and "data-job-retry=" not in text
    assert "1 / 3" not in text and "0 / 3" in text  # attempts of max

    theirs_page = member.get("/jobs").text
    assert first["id"] not in theirs_page and "quiet harbour" not in theirs_page
    assert theirs["id"] in theirs_page


def test_an_empty_queue_says_so(owner):
    page = owner.get("/jobs")
    assert 'id="no-jobs"' in page.text and "queued: 0" in page.text


def test_cancel_a_queued_job_then_retry_it(owner, studio):
    job = queue(owner, "a lemon on a plate")
    reply = owner.post(f"/api/jobs/{job['id']}/cancel")
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "cancelled" and reply.json()["can_retry"] is True
    assert studio.catalog.get_job(job["id"]).status == "cancelled"
    page = owner.get("/jobs").text
    assert f'data-job-retry="/api/jobs/{job["id"]}/retry"' in page and "data-job-cancel" not in page

    again = owner.post(f"/api/jobs/{job['id']}/cancel")
    assert again.status_code == 400
    assert again.json()["error"] == (f"Job {job['id'][:8]} has already ended (cancelled); "
                                     "there is nothing to cancel.")

    retried = owner.post(f"/api/jobs/{job['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "queued"
    assert studio.catalog.get_job(job["id"]).status == "queued"
    assert any("queued again by ann" in line.line for line in studio.catalog.job_log(job["id"]))


def test_retry_a_failed_job_and_not_a_queued_one(owner, studio):
    job = queue(owner, "a storm at sea")
    early = owner.post(f"/api/jobs/{job['id']}/retry")
    assert early.status_code == 400
    assert early.json()["error"] == (f"Job {job['id'][:8]} is queued; only a failed or "
                                     "cancelled job can be retried.")
    claimed = studio.catalog.claim_job("test-worker")
    assert claimed is not None and claimed.id == job["id"]
    assert studio.catalog.finish_job(job["id"], "test-worker", claimed.attempts, status="failed",
                                     error="The painter ran out of paint.")
    page = owner.get("/jobs").text
    assert "The painter ran out of paint." in page and "1 / 3" in page

    retried = owner.post(f"/api/jobs/{job['id']}/retry")
    assert retried.status_code == 200, retried.text
    back = studio.catalog.get_job(job["id"])
    assert back.status == "queued" and back.attempts == 0 and back.error is None


@pytest.mark.parametrize("private", [False, True])
def test_a_member_cannot_cancel_or_retry_the_owners_job(owner, member, studio, private):
    job = queue(owner, "ann's still life", private=private)
    for action in ("cancel", "retry"):
        reply = member.post(f"/api/jobs/{job['id']}/{action}")
        assert reply.status_code == 404, reply.text
        # The same sentence as for an id that does not exist: it echoes only what was sent.
        assert reply.json() == {"error": f"Unknown job {job['id']!r}."}
    assert member.get(f"/api/jobs/{job['id']}").status_code == 404
    assert studio.catalog.get_job(job["id"]).status == "queued"  # untouched


def test_an_unknown_job_is_404_and_writes_need_the_csrf_token(owner, app):
    assert owner.post("/api/jobs/0000aaaa/cancel").status_code == 404
    job = queue(owner, "a pear")
    with TestClient(app) as client:
        login(client, OWNER)
        del client.headers["X-CSRF-Token"]
        assert client.post(f"/api/jobs/{job['id']}/cancel").status_code == 403


def test_the_jobs_page_needs_a_login(app):
    with TestClient(app) as client:
        reply = client.get("/jobs", follow_redirects=False)
        assert reply.status_code == 303 and reply.headers["location"].startswith("/login")
