"""The `studiolo` command line: parse, show progress, print; no logic of its own."""

from __future__ import annotations

import sys

import click

from studiolo.core.errors import StudioloError


def main(argv: list[str] | None = None) -> int:
    """Entry point: a mistake the person can fix prints one sentence and exits non-zero."""
    from studiolo.cli.app import cli

    try:
        rv = cli.main(args=argv, prog_name="studiolo", standalone_mode=False)
    except StudioloError as exc:
        click.echo(f"Error: {exc}", err=True)
        return getattr(exc, "exit_code", 1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    return rv if isinstance(rv, int) else 0


def run() -> None:
    sys.exit(main())
