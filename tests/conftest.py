from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# Tests never reach a hub: every model is built in-process.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


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
