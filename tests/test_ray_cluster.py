"""A real two-node Ray cluster started with the `ray` command line on 127.0.0.1 (a head node
and a second node, one CPU each, in processes of their own), and `studiolo batch --backend
ray --address 127.0.0.1:PORT` running a batch file on it into the shared catalog (SQLite,
and PostgreSQL when STUDIOLO_TEST_POSTGRES_URL is set).

The nodes run `ray start --block` in process groups of their own, so the teardown ends
exactly the processes this test started (SIGTERM to each group, SIGKILL after a grace
period), never another Ray cluster on the machine as a plain `ray stop` would."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from server_helpers import free_port

from studiolo.core.settings import Settings
from studiolo.studio import Studio

ray = pytest.importorskip("ray", reason="ray is not installed (extra `scale`)")
pytestmark = pytest.mark.slow
SRC = str(Path(__file__).resolve().parents[1] / "src")
RAY = Path(sys.executable).parent / "ray"
NODES_SCRIPT = """
import sys, time, ray
ray.init(address=sys.argv[1], logging_level="ERROR", log_to_driver=False)
deadline = time.monotonic() + 90
while time.monotonic() < deadline:
    alive = [n for n in ray.nodes() if n["Alive"]]
    if len(alive) >= 2:
        break
    time.sleep(0.5)
print(len(alive), int(ray.cluster_resources().get("CPU", 0)))
"""


# The cluster's processes start clean of what an in-process `ray.init` (tests/test_ray.py, in
# the same pytest worker) leaves behind: it sets RAY_AUTH_MODE=token in os.environ and writes
# ~/.ray/auth_token, and a node or client that inherits either expects a token this cluster,
# started without token auth, does not have. So: no RAY_* variables but ours, a home of its own.
RAY_HOME = tempfile.mkdtemp(prefix="studiolo-ray-home-")


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAY_") and k != "PYTHONBREAKPOINT"}
    # The nodes' worker processes (the actors) import this worktree's studiolo.
    return {**clean, "RAY_USAGE_STATS_ENABLED": "0", "HOME": RAY_HOME,
            "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}


def node(*args: str) -> subprocess.Popen:
    """`ray start ... --block` on 127.0.0.1 with ports of its own, in a process group of its own."""
    ports = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--disable-usage-stats",
             "--dashboard-agent-listen-port", str(free_port()),
             "--metrics-export-port", str(free_port()), "--block"]
    return subprocess.Popen([str(RAY), "start", *args, *ports], env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def end(process: subprocess.Popen) -> None:
    """The node's whole process group: SIGTERM, then SIGKILL what is left after 5 s."""
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            continue
        try:  # the `ray start` process has ended; wait for the rest of its group
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                os.killpg(process.pid, 0)
                time.sleep(0.2)
        except ProcessLookupError:
            return


@pytest.fixture(scope="module")
def cluster():
    """The address of a head node plus a second node, 1 CPU each; both ended afterwards."""
    if not RAY.exists():
        pytest.skip(f"no `ray` command next to {sys.executable}")
    port = free_port()
    temp = tempfile.mkdtemp(prefix="rayc")  # short: Ray's socket paths live under it
    started: list[subprocess.Popen] = []
    try:
        started.append(node("--head", "--port", str(port), "--include-dashboard", "false",
                            "--temp-dir", temp))
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert started[0].poll() is None, f"the head stopped: {started[0].stderr.read()}"
                assert time.monotonic() < deadline, "the head did not listen within 90 s"
                time.sleep(0.3)
        started.append(node("--address", f"127.0.0.1:{port}"))
        seen = subprocess.run([sys.executable, "-c", NODES_SCRIPT, f"127.0.0.1:{port}"],
                              check=False, env=env(), capture_output=True, text=True, timeout=150)
        assert seen.returncode == 0, seen.stderr[-2000:]
        assert seen.stdout.split()[-2:] == ["2", "2"], seen.stdout  # 2 nodes, 2 CPUs
        yield f"127.0.0.1:{port}"
    finally:
        for process in reversed(started):
            end(process)


def batch(home: Path, url: str, rows: Path, address: str) -> subprocess.CompletedProcess:
    code = "import sys; from studiolo.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(  # noqa: PLW1510  (the test reads returncode itself)
        [sys.executable, "-c", code, "batch", str(rows), "--backend", "ray", "--address",
         address, "--workers", "2", "--json"],
        env={**env(), "STUDIOLO_HOME": str(home), "STUDIOLO_DATABASE_URL": url,
             "STUDIOLO_PERSON": "ada"},
        capture_output=True, text=True, timeout=300)


def test_a_batch_runs_on_a_two_node_cluster_into_the_shared_catalog(cluster, tmp_path, url):
    rows = tmp_path / "rows.csv"
    rows.write_text("prompt,seed,width,height\n"
                    "a lighthouse in fog,1..6,96,96\n")
    home = tmp_path / "home"
    ran = batch(home, url, rows, cluster)
    assert ran.returncode == 0, ran.stderr[-3000:]
    report = json.loads(ran.stdout)
    assert report["done"] == 6 and report["failed"] == 0, report

    studio = Studio(settings=Settings.from_env(home, person="ada", database_url=url),
                    load_entry_points=False)
    jobs = studio.catalog.list_jobs(limit=100)
    assert len(jobs) == 6 and {j.status for j in jobs} == {"done"}
    assert all(j.attempts == 1 for j in jobs)  # none ran twice
    # Two one-CPU actors on two one-CPU nodes: each on a node of its own, both took jobs.
    pids = {j.worker.split(":")[-2] for j in jobs}
    assert all(j.worker.startswith("ray:") for j in jobs) and len(pids) == 2, pids
    ids = [i for j in jobs for i in j.result_ids]
    assert len(ids) == 6 == len(set(ids)) == studio.catalog.count_artworks()
    for artwork_id in ids:
        assert studio.files.exists(artwork_id)
    assert sorted(studio.get(i).recipe.seed for i in ids) == [1, 2, 3, 4, 5, 6]

    again = batch(home, url, rows, cluster)  # the same file again: nothing is redone
    assert again.returncode == 0, again.stderr[-3000:]
    assert (json.loads(again.stdout)["done"], json.loads(again.stdout)["done_before"]) == (6, 6)
    assert studio.catalog.count_artworks() == 6
    studio.catalog.close()


def test_a_batch_on_the_cluster_writes_into_an_s3_store(cluster, tmp_path, url):
    """The actors write each artwork into a real S3-compatible server (moto's, with IAM
    checks on); the nodes were started without its address or key, which reach the actors
    from this process (jobs/ray_backend.store_env). A studio on another folder reads them back."""
    pytest.importorskip("s3fs", reason="s3fs is not installed (extra `scale`)")
    pytest.importorskip("moto", reason="moto is not installed (extra `test`)")
    from s3_helpers import BUCKET, s3_server

    rows = tmp_path / "rows.csv"
    rows.write_text("prompt,seed,width,height\na windmill at noon,1..4,96,96\n")
    store = f"s3://{BUCKET}/cluster"
    with s3_server() as s3, pytest.MonkeyPatch.context() as mp:
        extra = {**s3.env(), "STUDIOLO_FILES_URL": store}
        for name, value in extra.items():
            mp.setenv(name, value)
        ran = batch(tmp_path / "maker", url, rows, cluster)
        assert ran.returncode == 0, ran.stderr[-3000:]
        assert json.loads(ran.stdout)["done"] == 4, ran.stdout
        objects = s3.objects("cluster/")
        assert len(objects) == 4

        reader = Studio(settings=Settings.from_env(tmp_path / "reader", person="ada",
                                                   database_url=url, files_url=store),
                        load_entry_points=False)
        jobs = reader.catalog.list_jobs(limit=100)
        assert {j.worker.split(":")[0] for j in jobs} == {"ray"}
        ids = [i for j in jobs for i in j.result_ids]
        assert len(set(ids)) == 4
        for artwork_id in ids:
            data = reader.files.path(artwork_id).read_bytes()  # fetched from the bucket
            assert hashlib.sha256(data).hexdigest() == artwork_id
            assert data in objects.values()
        reader.catalog.close()
