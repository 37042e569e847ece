"""`studiolo serve` (the web studio) and `studiolo users` (its accounts)."""

from __future__ import annotations

import socket
import sys
import threading
import webbrowser

import click

from studiolo.cli.app import Ctx, cli, emit_json, json_option, pass_ctx
from studiolo.core.errors import InvalidArgument


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets other machines in (put HTTPS in front).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option("--open", "open_browser", is_flag=True, help="Open the studio in a web browser.")
@click.option("--upload-limit", default=20, show_default=True, type=click.IntRange(1, 1024),
              help="Largest upload, in MB.")
@click.option("--secure-cookies", is_flag=True,
              help="Send cookies over HTTPS only (when a TLS proxy is in front).")
@click.option("--lease", "lease_s", type=click.FloatRange(1, 3600), default=30, show_default=True,
              help="Seconds a job stays this server's without a word from it (after a crash, "
                   "its jobs are taken up again once their lease ends).")
@pass_ctx
def serve(ctx: Ctx, host: str, port: int, open_browser: bool, upload_limit: int,
          secure_cookies: bool, lease_s: float) -> None:
    """Start the web studio: create, gallery, credits and verification in the browser.

    \b
    The first time, make the owner's account:
      studiolo users add NAME --owner
      studiolo serve --open
    """
    import uvicorn

    from studiolo.catalog import accounts
    from studiolo.web.app import create_app

    sock = _listen(host, port)  # before anything is printed: a bad address is one sentence
    studio = ctx.studio
    if not accounts.has_users(studio.catalog):
        click.echo("No accounts yet: make the owner's with `studiolo users add NAME --owner`, "
                   "then log in.", err=True)
    app = create_app(studio, upload_limit=upload_limit * 1024 * 1024,
                     secure_cookies=secure_cookies)
    studio.jobs.configure(lease_s=lease_s)
    if studio.jobs.run_here:
        # Started now, not at the first Create: the jobs a killed server left queued or
        # running (their lease ends) are taken up again without waiting for a new one.
        studio.jobs.worker()
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    click.echo(f"studiolo web studio on {url} (Ctrl+C to stop)", err=True)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port), or a ClickException saying why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise click.ClickException(
            f"--host {host!r} is not an address of this machine ({exc}); try 127.0.0.1."
        ) from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise click.ClickException(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}. Pick another --port, or "
            "--host 127.0.0.1."
        ) from None
    sock.set_inheritable(True)
    return sock


@cli.group()
def users() -> None:
    """Accounts of the web studio: the owner and the people they let in."""


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("name")
@click.option("--owner", is_flag=True, help="The studio's owner (the first account should be).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@pass_ctx
def users_add(ctx: Ctx, name: str, owner: bool, password_stdin: bool) -> None:
    """Add an account for NAME (their artworks in this studio become theirs).

    \b
    Examples:
      studiolo users add ada --owner
      echo "$PASSWORD" | studiolo users add grace --password-stdin
    """
    from studiolo.catalog import accounts

    catalog = ctx.studio.catalog
    first = not accounts.has_users(catalog)
    if first and not owner:
        raise InvalidArgument("The first account must be the owner's: run "
                              f"`studiolo users add {name} --owner`.")
    user = accounts.add_user(catalog, name, _read_password(password_stdin),
                             role="owner" if owner else "member")
    click.echo(f"Added {user.name} ({user.role}). Start the studio with `studiolo serve`.")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@pass_ctx
def users_password(ctx: Ctx, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (their open sessions end)."""
    from studiolo.catalog import accounts

    accounts.set_password(ctx.studio.catalog, name, _read_password(password_stdin))
    click.echo(f"New password set for {name}.")


@users.command("ls")
@json_option
@pass_ctx
def users_ls(ctx: Ctx, as_json: bool) -> None:
    """List the accounts."""
    from studiolo.catalog import accounts

    found = accounts.list_users(ctx.studio.catalog)
    if as_json:
        emit_json([{"name": u.name, "role": u.role, "created": u.created.isoformat()} for u in found])
        return
    if not found:
        click.echo("No accounts yet: `studiolo users add NAME --owner`.")
    for u in found:
        click.echo(f"{u.name}  {u.role}  since {u.created:%Y-%m-%d}")
