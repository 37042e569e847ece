"""Shared by the tests that run a real `studiolo serve` process: a free port, the server
started with its own STUDIOLO_HOME, a `requests` session logged in through the login form
(with the session's CSRF header), and ending the server."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

SRC = str(Path(__file__).resolve().parents[1] / "src")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(home: Path, url: str, port: int, *extra: str) -> subprocess.Popen:
    """`studiolo serve` on 127.0.0.1:port for the studio at `home` (catalog at `url`)."""
    env = {**os.environ, "STUDIOLO_HOME": str(home), "STUDIOLO_DATABASE_URL": url,
           "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    code = "import sys; from studiolo.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, "serve", "--host", "127.0.0.1",
                             "--port", str(port), *extra], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_up(server: subprocess.Popen, port: int, timeout_s: float = 60.0) -> str:
    """The server's address, once it answers (or AssertionError after `timeout_s`)."""
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            requests.get(f"{base}/login", timeout=30)
            return base
        except requests.ConnectionError:
            assert server.poll() is None, f"the server stopped: {server.stderr.read()}"
            assert time.monotonic() < deadline, f"the server did not answer within {timeout_s} s"
            time.sleep(0.1)


def logged_in(base: str, name: str, password: str) -> requests.Session:
    """A session logged in as `name` through the login form, with its CSRF header set."""
    client = requests.Session()
    page = client.get(f"{base}/login", timeout=30)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post(f"{base}/login", data={"name": name, "password": password, "csrf": token},
                allow_redirects=False, timeout=30)
    me = client.get(f"{base}/api/me", timeout=30)
    assert me.status_code == 200, me.text
    client.headers["X-CSRF-Token"] = me.json()["csrf"]
    return client


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.kill()
    server.wait(30)
