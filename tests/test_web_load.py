"""Many clients at once against a real `studiolo serve` process: 8 people, each logged in
through the login form in a thread of their own, submit 5 Create jobs each through
`POST /api/create` at the same time (40 jobs). No job is lost, none runs twice, no artwork
is stored twice, and each person sees exactly their own jobs; on SQLite and (with
STUDIOLO_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from server_helpers import free_port, logged_in, serve, stop, wait_up
from web_helpers import PASSWORD

from studiolo.catalog import accounts
from studiolo.core.settings import Settings
from studiolo.studio import Studio

pytestmark = pytest.mark.slow
CLIENTS, EACH = 8, 5
PEOPLE = [f"p{i}" for i in range(CLIENTS)]


def test_many_clients_submitting_at_once_lose_nothing_and_run_nothing_twice(tmp_path, url):
    home = tmp_path / "home"
    studio = Studio(settings=Settings.from_env(home, person=PEOPLE[0], database_url=url),
                    load_entry_points=False)
    studio.jobs.run_here = False  # this process only reads the catalog
    accounts.add_user(studio.catalog, PEOPLE[0], PASSWORD, role="owner")
    for name in PEOPLE[1:]:
        accounts.add_user(studio.catalog, name, PASSWORD)

    port = free_port()
    server = serve(home, url, port, "--lease", "5")
    try:
        base = wait_up(server, port)
        with ThreadPoolExecutor(CLIENTS) as pool:
            clients = list(pool.map(lambda name: logged_in(base, name, PASSWORD), PEOPLE))
        gate = threading.Barrier(CLIENTS)

        def submit(index: int) -> list[tuple[int, str]]:
            client, out = clients[index], []
            gate.wait(30)  # every client starts at once
            for k in range(EACH):
                reply = client.post(f"{base}/api/create", timeout=60, json={
                    "prompt": f"{PEOPLE[index]}'s harbour, take {k}", "engine": "painter",
                    "width": 64, "height": 64, "seed": 1000 * index + k})
                out.append((reply.status_code, reply.json().get("id", reply.text)))
            return out

        with ThreadPoolExecutor(CLIENTS) as pool:
            replies = list(pool.map(submit, range(CLIENTS)))
        assert all(code == 202 for person in replies for code, _ in person), replies
        ids = [job_id for person in replies for _, job_id in person]
        assert len(ids) == CLIENTS * EACH == len(set(ids))

        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            jobs = studio.catalog.get_jobs(ids)
            if all(job.ended for job in jobs.values()):
                break
            assert server.poll() is None, f"the server stopped: {server.stderr.read()}"
            time.sleep(0.2)
        for index, client in enumerate(clients):  # each person's own, through the API
            mine = {job_id for _, job_id in replies[index]}
            for job_id in mine:
                shown = client.get(f"{base}/api/jobs/{job_id}", timeout=30).json()
                assert shown["status"] == "done", shown
            other = replies[(index + 1) % CLIENTS][0][1]
            assert client.get(f"{base}/api/jobs/{other}", timeout=30).status_code == 404
    finally:
        stop(server)

    jobs = studio.catalog.get_jobs(ids)
    assert len(jobs) == CLIENTS * EACH == len(studio.catalog.list_jobs(limit=100))  # none lost
    assert {job.status for job in jobs.values()} == {"done"}
    assert all(job.attempts == 1 for job in jobs.values())  # none ran twice
    assert all(len(job.result_ids) == 1 for job in jobs.values())
    artworks = [job.result_ids[0] for job in jobs.values()]
    assert len(set(artworks)) == CLIENTS * EACH == studio.catalog.count_artworks()
    for index, person in enumerate(replies):  # each job made its own person's picture
        for k, (_, job_id) in enumerate(person):
            made = studio.get(jobs[job_id].result_ids[0])
            assert made.recipe.seed == 1000 * index + k and made.owner == PEOPLE[index]
            assert studio.files.exists(made.id)
    studio.catalog.close()
