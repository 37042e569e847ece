from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# Tests never reach a hub: every model is built in-process.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

PG_URL = os.environ.get("STUDIOLO_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="STUDIOLO_TEST_POSTGRES_URL not set"))]


@pytest.fixture(scope="module")
def one_torch_thread():
    """torch on one thread for a module: small networks gain nothing from more, and the
    two workers of `pytest -n 2` with two threads each spin against each other."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def light_curate_embedder():
    """The curator's light image embedder (the taste one loads torch networks: too slow
    for these tests)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIOLO_CURATE_EMBEDDER", "light")
        yield


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    """A new catalog's URL on each backend: SQLite in a folder not made yet, and (when
    STUDIOLO_TEST_POSTGRES_URL is set) PostgreSQL in a schema of its own, through the
    connection's search path, so tests and xdist workers never see each other's rows."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'deep' / 'folder' / 'catalog.sqlite'}"
        return
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def cat(url):
    """A `Catalog` at `url` (both backends)."""
    from studiolo.catalog import Catalog

    catalog = Catalog(url)
    yield catalog
    catalog.close()


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory) -> Path:
    """A tiny SD 1.x diffusers folder (random seeded weights)."""
    from tiny_models import save_tiny_sd

    return save_tiny_sd(tmp_path_factory.mktemp("models") / "tiny-sd")


@pytest.fixture(scope="session")
def tiny_sd_inpaint(tmp_path_factory) -> Path:
    """A tiny SD 1.x inpainting model (9-channel UNet)."""
    from tiny_models import save_tiny_sd

    return save_tiny_sd(tmp_path_factory.mktemp("models") / "tiny-sd-inpaint", inpainting=True)


@pytest.fixture(scope="session")
def tiny_sdxl(tmp_path_factory) -> Path:
    """A tiny SDXL diffusers folder."""
    from tiny_models import save_tiny_sdxl

    return save_tiny_sdxl(tmp_path_factory.mktemp("models") / "tiny-sdxl")


@pytest.fixture
def studio_home(tmp_path, monkeypatch) -> Path:
    """An empty STUDIOLO_HOME for one test."""
    home = tmp_path / "studio"
    monkeypatch.setenv("STUDIOLO_HOME", str(home))
    monkeypatch.delenv("STUDIOLO_DATABASE_URL", raising=False)
    return home


# -- the web tests: the app on the module's `studio`, and clients logged in --------------------

@pytest.fixture(scope="module")
def app(studio: Any) -> Any:
    """The web app on the module's `studio` (the web tests define it with web_helpers.make_studio)."""
    from studiolo.web.app import create_app

    return create_app(studio)


def _client(app: Any, name: str) -> Any:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        from web_helpers import login

        login(client, name)
        yield client


@pytest.fixture
def owner(app: Any) -> Any:
    """A TestClient logged in as the studio's owner (CSRF header set)."""
    from web_helpers import OWNER

    yield from _client(app, OWNER)


@pytest.fixture
def member(app: Any) -> Any:
    """A TestClient logged in as a member."""
    from web_helpers import MEMBER

    yield from _client(app, MEMBER)
