"""`studiolo verify`: an image's content credentials and what is known of its origin."""

from __future__ import annotations

from pathlib import Path

import click

from studiolo.cli.app import Ctx, cli, emit_json, json_option, pass_ctx
from studiolo.core.errors import StudioloError
from studiolo.core.settings import Settings

# The verdicts' exit statuses are `provenance.c2pa_status.VERDICTS`; a file that cannot be
# read at all gets its own (the table below says the same; tests/test_verify.py checks it).
UNREADABLE = 3


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True))
@json_option
@pass_ctx
@click.pass_context
def verify(click_ctx: click.Context, ctx: Ctx, file: str, as_json: bool) -> None:
    """Check FILE's C2PA content credentials and say what is known of its origin.

    Reads the signed manifest (signer, actions, ingredients, credits, recipe),
    checks the signature and that no byte changed after signing, reads an
    AUTOMATIC1111 / ComfyUI / InvokeAI recipe from the file, and when the
    credentials are gone asks the invisible watermark which artwork of this
    studio it was. A remote manifest is never fetched. --json gives the
    report with its "status", "exit_code" and "exit_meaning".

    \b
    Exit status (status in --json):
      0  intact              the file is as signed (signer.trusted: whether a
                             trust list here knows the signer)
      1  tampered            changed after signing, or the manifest is damaged
      2  none                no content credentials in the file
      2  remote              only points to a remote manifest, not fetched
      2  unverifiable        credentials the library cannot check here
                             (a hash binding it rejects)
      3  (error)             FILE cannot be read as an image
      4  untrusted           as signed, but the signing credential does not
                             hold: expired, revoked, bad time stamp, or an
                             untrusted / failing CAWG identity assertion
      5  ingredient_invalid  as signed, but an ingredient's own credentials
                             are broken
    """
    from studiolo.provenance.verify import cut, summary_lines, verify_file

    settings = Settings.from_env(ctx.home, person=ctx.person)
    catalog = ctx.studio.catalog if _has_studio(settings) else None
    try:
        report = verify_file(file, catalog=catalog, settings=settings)
    except StudioloError as exc:
        click.echo(f"Error: {cut(str(exc), 1000)}", err=True)
        click_ctx.exit(UNREADABLE)
    if as_json:
        emit_json(report.to_dict())
    else:
        for line in summary_lines(report):
            click.echo(line)
    click_ctx.exit(report.exit_code)


def _has_studio(settings: Settings) -> bool:
    """Verify works on any machine; it opens a catalog only where a studio already exists."""
    prefix = "sqlite:///"
    if not settings.database_url.startswith(prefix):
        return True  # a database server: the studio is there
    return Path(settings.database_url[len(prefix):]).exists()


@cli.command()
@click.option("--use", "use", nargs=2, metavar="KEY CHAIN",
              help="Sign with your own key from now on: a PEM private key and its PEM chain "
                   "(signing certificate first).")
@json_option
@pass_ctx
def keys(ctx: Ctx, use: tuple[str, str] | None, as_json: bool) -> None:
    """Show the key that signs this studio's artworks, or replace it with your own.

    The studio makes its own key on first use (a local root and a signing
    certificate under STUDIOLO_HOME/keys); artworks signed with it verify as
    "a key of this studio" here and as an untrusted signer elsewhere. A key
    from a CA on the C2PA trust list makes them verify everywhere.
    """
    from studiolo.provenance.keys import install_identity, signing_identity

    settings = Settings.from_env(ctx.home, person=ctx.person)
    ident = install_identity(settings, *use) if use else signing_identity(settings)
    info = {"subject": ident.subject, "issuer": ident.issuer, "alg": ident.alg,
            "source": ident.source, "key": str(ident.key_path), "chain": str(ident.chain_path)}
    if as_json:
        emit_json(info)
        return
    made = "made by this studio" if ident.source == "generated" else "your own"
    click.echo(f"Signing as {ident.subject} (issued by {ident.issuer}, {ident.alg}), {made}.")
    click.echo(f"key    {ident.key_path}\nchain  {ident.chain_path}")
