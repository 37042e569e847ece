"""The click group and the options every command shares."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from studiolo import __version__
from studiolo.core.errors import InvalidArgument

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Ctx:
    """What the group passes to its commands: where the studio lives. The Studio
    itself (torch, diffusers, the catalog) is built only when a command needs it."""

    def __init__(self, home: str | None, device: str | None, person: str | None,
                 prompt_in_file: bool | None = None, training_mining: str | None = None) -> None:
        self.home, self.device, self.person = home, device, person
        self.prompt_in_file, self.training_mining = prompt_in_file, training_mining
        self._studio: Any = None

    @property
    def studio(self) -> Any:
        if self._studio is None:
            from studiolo.core.settings import Settings
            from studiolo.studio import Studio

            settings = Settings.from_env(
                self.home, device=self.device, person=self.person,
                prompt_in_file=self.prompt_in_file, training_mining=self.training_mining)
            self._studio = Studio(settings=settings)
        return self._studio


pass_ctx = click.make_pass_decorator(Ctx)


def _device(value: str | None) -> str | None:
    """Refuse a device this machine does not have before any work starts."""
    if value is None:
        return None
    from studiolo.core.device import check_device
    from studiolo.core.errors import InvalidArgument

    try:
        return check_device(value)
    except InvalidArgument as exc:
        raise click.BadParameter(str(exc)) from None


class StudioGroup(click.Group):
    """The `studiolo` group: its commands are registered on first use, not on import.

    So a capability's command module can import this module (for `Ctx`, `json_option`,
    ...) without a cycle, and `register_commands` runs once, when a command is looked up.
    """

    _registered = False

    def _register(self) -> None:
        if not StudioGroup._registered:
            StudioGroup._registered = True
            register_commands()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._register()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._register()
        return super().list_commands(ctx)


@click.group(cls=StudioGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="studiolo")
@click.option(
    "--home",
    envvar="STUDIOLO_HOME",
    type=click.Path(file_okay=False),
    help="Studio folder: catalog, files, keys. [env STUDIOLO_HOME; default ~/.studiolo]",
)
@click.option("--device", callback=lambda ctx, param, value: _device(value),
              help="auto, cpu, cuda, cuda:1 or mps. [default: the best available]")
@click.option("--as", "person", help="Whose studio work this is (credited as the author).")
@click.option("--prompt-in-file/--private-prompt", "prompt_in_file", default=None,
              help="Write the prompt into the files this command makes, or keep it out (it "
                   "stays in the catalog). [env STUDIOLO_PROMPT_IN_FILE; default: written]")
@click.option("--training-mining", type=click.Choice(["allowed", "notAllowed", "constrained"]),
              help="What the signed credentials say about AI training on these files. "
                   "[env STUDIOLO_TRAINING_MINING; default notAllowed]")
@click.pass_context
def cli(ctx: click.Context, home: str | None, device: str | None, person: str | None,
        prompt_in_file: bool | None, training_mining: str | None) -> None:
    """studiolo: a personal AI art studio.

    Make images from words or pictures, keep every artwork with its recipe in
    a catalog, and see who and what made each one.

    \b
    Examples:
      studiolo generate "a lighthouse at dusk" --model ./sd-turbo --steps 1 --cfg 0
      studiolo img2img photo.jpg "an oil painting" --model ./sd15 --strength 0.6
      studiolo ls
      studiolo show 3f2a9c
    """
    ctx.obj = Ctx(home, device, person, prompt_in_file, training_mining)


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add `--json`: print machine-readable output instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def artwork_dict(artwork: Any) -> dict[str, Any]:
    return {
        "id": artwork.id,
        "path": str(artwork.path) if artwork.path else None,
        "width": artwork.width,
        "height": artwork.height,
        "owner": artwork.owner,
        "created": artwork.created.isoformat() if artwork.created else None,
        "parents": list(artwork.parents),
        "recipe": artwork.recipe.to_dict(),
        "credits": [c.__dict__ for c in artwork.credits],
    }


def report_artworks(artworks: Sequence[Any], as_json: bool, out: str | None = None) -> None:
    """Print what was made (and copy it to `out` when asked)."""
    copies: list[Path | None] = [None] * len(artworks)
    if out:
        folder = Path(out).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        for i, artwork in enumerate(artworks):
            target = folder / f"{artwork.id[:12]}-{artwork.recipe.seed}.png"
            shutil.copyfile(artwork.path, target)
            copies[i] = target
    if as_json:
        emit_json([{**artwork_dict(a), "copy": str(c) if c else None} for a, c in zip(artworks, copies)])
        return
    for artwork, copy in zip(artworks, copies):
        where = copy or artwork.path
        click.echo(
            f"{artwork.id[:12]}  {artwork.width}x{artwork.height}  seed {artwork.recipe.seed}  {where}"
        )


def out_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add `--out DIR`: also copy the results into this folder."""
    return click.option(
        "--out", "-o", type=click.Path(file_okay=False), help="Also copy the result into this folder."
    )(func)


def complete_style(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Tab completion for --style: built-in style names (files complete as usual)."""
    from click.shell_completion import CompletionItem

    from studiolo.features.styles import complete_style_names

    return [CompletionItem(name) for name in complete_style_names(incomplete)]


def style_credit_line(artworks: Sequence[Any]) -> None:
    """One dim line per artwork naming the painters its style is credited to."""
    from studiolo.cli.progress import err_console

    for artwork in artworks:
        styles = [c.name for c in artwork.credits if c.role == "style_source"]
        if styles:
            err_console.print(f"[dim]Style credited to {', '.join(styles)}.[/dim]")


def parse_size(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        w, h = value.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise InvalidArgument(f"`--size` must look like 512x768, got {value!r}.") from None


def parse_options(values: Sequence[str]) -> dict[str, Any]:
    """`--option key=value` pairs; values are read as JSON when they parse, else kept as text."""
    options: dict[str, Any] = {}
    for item in values:
        if "=" not in item:
            raise InvalidArgument(f"`--option` must look like key=value, got {item!r}.")
        key, raw = item.split("=", 1)
        try:
            options[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            options[key.strip()] = raw
    return options


def register_commands() -> None:
    """The studio's own commands, then every capability's (the `register_commands` hook)."""
    from studiolo.cli import (  # noqa: F401  (they attach themselves to `cli`)
        catalog_cmds,
        credit_cmds,
        demo,
        provenance_cmds,
        serve,
        train,
    )
    from studiolo.plugins import default_plugin_manager

    default_plugin_manager().hook.register_commands(cli=cli)
