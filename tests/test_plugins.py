"""A third-party plugin, installed with an entry point, plugs in by the path the built-ins take.

The plugin is a module in a temporary folder with a `*.dist-info` beside it naming it
in the `studiolo` entry-point group, so `importlib.metadata` finds it exactly as it
finds an installed package. It adds an engine, a CLI command, a web page with a nav
link and a credit contribution; each must appear.
"""

from __future__ import annotations

import sys

import pytest
from fastapi.testclient import TestClient

PLUGIN = '''
from typing import Any

import click
from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from PIL import Image
from pydantic import BaseModel

from studiolo.core.types import Artwork
from studiolo.hookspecs import hookimpl
from studiolo.provenance.contributions import CreditContribution


class HelloOptions(BaseModel):
    colour: str = "teal"


class HelloEngine:
    id = "hello"
    capabilities = frozenset({"greet"})
    Options = HelloOptions
    stage_labels = {"greet": "Greeting"}

    def run(self, request, progress=lambda event: None):
        colour = HelloOptions(**request.recipe.options).colour
        progress({"stage": "greet", "step": 1, "total": 1})
        recipe = request.recipe
        return [Artwork(recipe=recipe, image=Image.new("RGB", (recipe.width, recipe.height), colour))]


router = APIRouter()


@router.get("/hello")
def hello_page():
    return HTMLResponse("<h1>Hello from a plugin</h1>")


@click.command()
def hello():
    """Say hello from a plugin."""
    click.echo("hello from a plugin")


@hookimpl
def register_engines(register: Any) -> None:
    register(HelloEngine())


@hookimpl
def register_commands(cli: Any) -> None:
    cli.add_command(hello)


@hookimpl
def register_routes(app: Any) -> None:
    app.include_router(router)


@hookimpl
def nav_links(viewer: Any):
    return [{"href": "/hello", "label": "Hello"}]


@hookimpl
def register_credits(register: Any) -> None:
    register(CreditContribution(engine="hello", tools=(("Hello network", "said hello"),),
                                verbs={"greet": "Greeted"}))


@hookimpl
def register_web_parts(register: Any) -> None:
    from studiolo.web.parts import ArtworkAction, CreateMode

    def greet(studio, req, image, seed, progress):
        return studio.run(studio.recipe(engine="hello", mode="greet", prompt=req.prompt,
                                        width=40, height=30, seed=seed), progress=progress)

    def recolour(studio, artwork, req, progress):
        return studio.run(studio.recipe(engine="hello", mode="greet", prompt="again",
                                        width=20, height=20, options={"colour": "yellow"}),
                          progress=progress)

    register(CreateMode("greet", "a hello card", greet, needs_image=False, order=5))
    register(ArtworkAction("recolour", "Recolour", "Paint a yellow hello", recolour))
'''


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """The plugin on sys.path with an entry point, and the process's plugin caches fresh."""
    from studiolo import plugins
    from studiolo.cli import progress

    (tmp_path / "studiolo_hello.py").write_text(PLUGIN, "utf-8")
    info = tmp_path / "studiolo_hello-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: studiolo-hello\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[studiolo]\nhello = studiolo_hello\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    caches = (plugins.default_plugin_manager, plugins.credit_contributions, progress.stage_labels)
    for cache in caches:
        cache.cache_clear()
    yield
    sys.modules.pop("studiolo_hello", None)
    for cache in caches:
        cache.cache_clear()


def test_a_plugin_adds_an_engine_a_command_a_page_with_a_nav_link_and_credits(
        installed, tmp_path, capsys):
    from web_helpers import follow, login

    from studiolo.catalog import accounts
    from studiolo.cli import main
    from studiolo.cli.app import cli, register_commands
    from studiolo.cli.progress import stage_labels
    from studiolo.core.settings import Settings
    from studiolo.core.types import Recipe
    from studiolo.provenance.ledger import credit_sentence
    from studiolo.studio import Studio
    from studiolo.web.app import create_app

    studio = Studio(settings=Settings.from_env(tmp_path / "home", person="ann"))
    # 1. the engine, through Studio.run like any built-in
    assert "hello" in studio.engines.ids() and "painter" in studio.engines.ids()
    [made] = studio.run(Recipe(engine="hello", mode="greet", prompt="hi", width=32, height=24,
                               options={"colour": "red"}))
    from PIL import Image

    red, green, blue = Image.open(studio.get(made.id).path).convert("RGB").getpixel((5, 5))
    assert red > 200 and green < 60 and blue < 60  # the engine's red (a watermark moves it a bit)
    # 2. its credit contribution: the tool credited, the mode's verb in the sentence
    assert "Hello network" in [c.name for c in made.credits if c.role == "tool"]
    assert credit_sentence(made.credits, made.recipe).startswith("Greeted by ann")
    assert stage_labels()["greet"] == "Greeting"
    # 3. the command, registered by the hook the built-ins use
    register_commands()
    try:
        assert main(["hello"]) == 0
        assert capsys.readouterr().out.strip() == "hello from a plugin"
    finally:
        cli.commands.pop("hello", None)
    # 4. the page and its nav link
    accounts.add_user(studio.catalog, "ann", "correct horse battery", role="owner")
    with TestClient(create_app(studio)) as client:
        assert client.get("/hello").text == "<h1>Hello from a plugin</h1>"
        login(client, "ann", "correct horse battery")
        page = client.get("/gallery").text
        assert '<a href="/hello"' in page and ">Hello</a>" in page
        assert page.index('href="/rate"') < page.index('href="/exhibitions"')  # built-ins too
        # 5. its Create mode and artwork action: shown, run, described in the API
        create = client.get("/create").text
        assert '<option value="greet">a hello card</option>' in create
        assert create.index('value="txt2img"') < create.index('value="greet"') < create.index(
            'value="stylize"')  # in its order among the built-ins
        csrf = client.get("/api/me").json()["csrf"]
        job = client.post("/api/create", json={"prompt": "hi", "mode": "greet"},
                          headers={"X-CSRF-Token": csrf}).json()
        events = follow(client, job)
        assert events[-1][0] == "done", events
        [card_id] = client.get(f"/api/jobs/{job['id']}").json()["result_ids"]
        assert client.get(f"/api/artworks/{card_id}").json()["width"] == 40
        assert 'data-action="recolour">Recolour</button>' in client.get(f"/artwork/{card_id}").text
        job = client.post(f"/api/artworks/{card_id}/recolour",
                          headers={"X-CSRF-Token": csrf}).json()
        assert follow(client, job)[-1][0] == "done"
        [again] = client.get(f"/api/jobs/{job['id']}").json()["result_ids"]
        assert client.get(f"/api/artworks/{again}").json()["prompt"] == "again"
        paths = client.get("/openapi.json").json()["paths"]
        assert paths["/api/artworks/{artwork_id}/recolour"]["post"]["summary"] == "Paint a yellow hello"
        assert "greet" in [m["name"] for m in client.get("/api/modes").json()["modes"]]


def test_without_the_plugin_none_of_it_is_there(tmp_path):
    from studiolo.core.errors import InvalidArgument, UnknownName
    from studiolo.studio import Studio

    studio = Studio(tmp_path / "home", load_entry_points=False)
    assert "hello" not in studio.engines.ids()
    from studiolo.web.parts import collect

    parts = collect(studio.plugins)
    assert [m.name for m in parts.modes] == ["txt2img", "stylize", "portrait", "img2img"]
    assert [a.name for a in parts.actions] == ["variation", "restyle", "upscale", "damage",
                                              "restore", "age",
                                              "rerun"]
    with pytest.raises(InvalidArgument, match="Unknown mode 'greet'; use one of: txt2img, stylize"):
        parts.mode("greet")
    with pytest.raises(UnknownName, match="Unknown engine 'hello'"):
        studio.engines.get("hello")
