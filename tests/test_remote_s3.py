"""The shared file store on a real S3-compatible server (moto's, over HTTP on 127.0.0.1,
with IAM checks on): a batch's worker writes each artwork into the bucket as it is made,
and a studio on another folder (nothing of its own on disk, the same catalog) shows them
through the web studio's gallery and file endpoints, fetched from the bucket. Refused
credentials and an endpoint with nothing listening are one sentence."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from s3_helpers import BUCKET, s3_server
from server_helpers import free_port

pytest.importorskip("s3fs", reason="s3fs is not installed (extra `scale`)")
pytest.importorskip("moto", reason="moto is not installed (extra `test`)")
SRC = str(Path(__file__).resolve().parents[1] / "src")
STORE = f"s3://{BUCKET}/studio"  # the refusals' store: nothing is written there


@pytest.fixture(scope="module")
def s3():
    with s3_server() as server:
        yield server


@pytest.fixture
def store():
    """A prefix of its own in the bucket for each test (the server is the module's)."""
    prefix = uuid.uuid4().hex[:10]
    return prefix, f"s3://{BUCKET}/{prefix}"


def run_batch(home: Path, url: str, rows: Path, env: dict[str, str], store: str) -> dict:
    import os

    code = "import sys; from studiolo.cli import main; sys.exit(main(sys.argv[1:]))"
    ran = subprocess.run(
        [sys.executable, "-c", code, "batch", str(rows), "--json"],
        env={**os.environ, **env, "PYTHONPATH": SRC, "STUDIOLO_HOME": str(home),
             "STUDIOLO_DATABASE_URL": url, "STUDIOLO_FILES_URL": store,
             "STUDIOLO_PERSON": "ann"},
        capture_output=True, text=True, timeout=300, check=False)
    assert ran.returncode == 0, ran.stderr[-3000:]
    return json.loads(ran.stdout)


def test_a_batch_writes_into_the_bucket_and_another_studio_shows_it(s3, store, tmp_path, url,
                                                                    monkeypatch):
    prefix, store = store
    rows = tmp_path / "rows.csv"
    rows.write_text("prompt,seed,width,height,private\n"
                    "a harbour at dusk,1..3,96,96,false\n"
                    "a secret garden,9,96,96,true\n")
    report = run_batch(tmp_path / "maker", url, rows, s3.env(), store)
    assert (report["done"], report["failed"]) == (4, 0), report

    # In the bucket, under the store's prefix: one object per artwork, named by its sha256.
    objects = s3.objects(f"{prefix}/")
    assert len(objects) == 4
    for key, data in objects.items():
        sha = key.split("/", 1)[1].replace("/", "").rsplit(".", 1)[0]
        assert hashlib.sha256(data).hexdigest() == sha, key

    # A studio on another folder, with the same catalog and store: its own files folder is
    # empty, so what it shows comes from the bucket.
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STUDIOLO_DATABASE_URL", url)
    monkeypatch.setenv("STUDIOLO_FILES_URL", store)
    from fastapi.testclient import TestClient
    from web_helpers import MEMBER, OWNER, login, make_studio

    from studiolo.web.app import create_app

    reader = tmp_path / "reader"
    studio = make_studio(reader)
    assert not list((reader / "files").rglob("*.png"))
    app = create_app(studio)
    with TestClient(app) as owner:
        login(owner, OWNER)
        gallery = owner.get("/api/artworks").json()
        assert gallery["total"] == 4
        for item in gallery["items"]:
            got = owner.get(item["urls"]["file"])
            assert got.status_code == 200 and got.content[:8] == b"\x89PNG\r\n\x1a\n"
            assert hashlib.sha256(got.content).hexdigest() == item["id"]
            assert got.content in objects.values()
            assert owner.get(item["urls"]["thumbnail"]).status_code == 200
        secret = next(i["id"] for i in gallery["items"] if i["private"])
    assert len(list((reader / "files").rglob("*.png"))) == 4  # fetched once, kept
    with TestClient(app) as member:  # privacy holds: the private work's file is not theirs
        login(member, MEMBER)
        assert member.get("/api/artworks").json()["total"] == 3
        assert member.get(f"/api/artworks/{secret}/file").status_code == 404
    studio.catalog.close()


def test_refused_credentials_are_one_sentence(s3, tmp_path):
    from studiolo.core.errors import CatalogError
    from studiolo.core.remote_files import MirroredStore

    with pytest.MonkeyPatch.context() as mp:
        for name, value in s3.env(AWS_SECRET_ACCESS_KEY="not-the-secret").items():
            mp.setenv(name, value)
        with pytest.raises(CatalogError) as caught:
            MirroredStore(tmp_path / "files", STORE)
    assert str(caught.value) == (
        f"The shared file store '{STORE}' refused this machine's credentials (The request "
        "signature we calculated does not match the signature you provided. Check your key "
        "and signing method); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")


def test_an_endpoint_with_nothing_listening_is_one_sentence(s3, tmp_path):
    from studiolo.core.errors import CatalogError
    from studiolo.core.settings import Settings
    from studiolo.studio import Studio

    port = free_port()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in s3.env(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}").items():
            mp.setenv(name, value)
        with pytest.raises(CatalogError) as caught:
            Studio(settings=Settings.from_env(tmp_path, files_url=STORE), load_entry_points=False)
    assert str(caught.value) == (
        f"The shared file store '{STORE}' cannot be reached (Could not connect to the endpoint "
        f"URL: \"http://127.0.0.1:{port}/{BUCKET}?list-type=2&prefix=studio%2F&delimiter=%2F"
        "&encoding-type=url\"); check that it is running and AWS_ENDPOINT_URL names it.")
