"""`studiolo jobs`: a private job reaches no one but its owner, not even as a row."""

from __future__ import annotations

import json

from studiolo.cli import main
from studiolo.studio import Studio


def run(capsys, monkeypatch, person: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("STUDIOLO_PERSON", person)
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_private_jobs_are_seen_only_by_their_owner(studio_home, capsys, monkeypatch):
    studio = Studio(studio_home, load_entry_points=False)
    studio.jobs.run_here = False  # no worker: the jobs stay queued
    secret = studio.jobs.submit("make", {"prompt": "my secret garden", "private": True},
                                owner="bob")
    shared = studio.jobs.submit("make", {"prompt": "a public square"}, owner="bob")
    studio.catalog.close()
    code, out, err = run(capsys, monkeypatch, "ada", "jobs", "ls", "--json")
    assert code == 0, err
    assert [j["id"] for j in json.loads(out)["jobs"]] == [shared.id]
    assert "secret" not in out
    for command in ("show", "cancel", "retry"):
        code, out, err = run(capsys, monkeypatch, "ada", "jobs", command, secret.id[:8])
        assert code == 1 and f"Unknown job '{secret.id[:8]}'" in err and "secret" not in out + err
    code, out, _ = run(capsys, monkeypatch, "bob", "jobs", "ls", "--json")
    assert {j["id"] for j in json.loads(out)["jobs"]} == {secret.id, shared.id}
    code, out, err = run(capsys, monkeypatch, "bob", "jobs", "show", secret.id[:8])
    assert code == 0 and "attempt 0 of 3" in out, err
    code, out, err = run(capsys, monkeypatch, "bob", "jobs", "cancel", secret.id[:8])
    assert code == 0 and f"{secret.id[:8]} cancelled." in out, err
