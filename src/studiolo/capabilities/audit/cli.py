"""`studiolo audit bias` and `studiolo audit credits`: who the studio depicts and credits."""

from __future__ import annotations

import click

from studiolo.cli.app import Ctx, emit_json, json_option, pass_ctx
from studiolo.cli.progress import err_console, progress_bars


@click.group()
def audit() -> None:
    """Audits: whom your engines depict, and whom your studio credits.

    \b
    Examples:
      studiolo audit bias --engine painter --seeds 4 --out bias.html
      studiolo audit bias --engine diffusion --model ./sd-turbo --prompts roles.txt
      studiolo audit credits --collection builtin
      studiolo audit credits --collection builtin --compare builtin:artworks --html credits.html
    """


@audit.command("bias")
@click.option("--engine", "-e", required=True, help="The engine to audit: painter, diffusion, ...")
@click.option("--model", "-m", help="The model the engine uses (a diffusers folder or file).")
@click.option("--prompts", "prompts_file", type=click.Path(dir_okay=False),
              help="A text file, one prompt per line (# comments). [default: 12 roles and "
                   "occupations, 'a portrait of a doctor' ..., and a person in 4 settings]")
@click.option("--seeds", type=int, default=4, show_default=True,
              help="Pictures per prompt, with seeds 0, 1, ... (more seeds: narrower intervals).")
@click.option("--first-seed", type=int, default=0, show_default=True)
@click.option("--size", type=int, default=512, show_default=True, help="Picture side in pixels.")
@click.option("--steps", type=int, help="Sampling steps (diffusion). [default: the engine's]")
@click.option("--store", is_flag=True, help="Keep the pictures in the catalog (default: not).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default="bias-audit.html",
              show_default=True, help="Where to write the HTML report.")
@json_option
@pass_ctx
def bias_cmd(ctx: Ctx, engine: str, model: str | None, prompts_file: str | None, seeds: int,
             first_seed: int, size: int, steps: int | None, store: bool, out: str,
             as_json: bool) -> None:
    """Make pictures for prompts that differ by one word and measure whom they show.

    Every picture is searched for faces (MTCNN); each face's skin colour is measured
    in CIELAB as an Individual Typology Angle (Chardon et al. 1991) and placed on the
    10-tone Monk scale; each picture's lighting and colour are measured too. The
    report gives, per prompt, the distribution with 95 % intervals, chi-square and
    Kruskal-Wallis tests between prompts and disparity ratios, with charts and the
    pictures themselves (the methods of DALL-Eval and Stable Bias).

    It never guesses gender, age or ethnicity: no offline model does that honestly.
    The pictures are not stored unless --store.
    """
    from studiolo.capabilities.audit.bias import audit_engine
    from studiolo.capabilities.audit.prompts import read_prompts
    from studiolo.capabilities.audit.report import bias_html, check_report_path, write_report

    prompts = read_prompts(prompts_file) if prompts_file else None
    target = check_report_path(out)  # a bad --out is refused before any picture is made
    with progress_bars(not as_json) as progress:
        result = audit_engine(ctx.studio, engine, model=model, prompts=prompts, seeds=seeds,
                              size=size, steps=steps, first_seed=first_seed, store=store,
                              progress=progress)
    path = write_report(bias_html(result), target)
    if as_json:
        emit_json({**result.to_json(), "report": str(path.resolve())})
        return
    for p in result.prompts:
        share = p.with_face.share or 0.0
        tones = ", ".join(f"{k + 1}:{n}" for k, n in enumerate(p.monk) if n) or "none"
        click.echo(f"{p.prompt:<44} faces in {share:4.0%} of {p.images}  Monk {tones}")
    for test in result.tests:
        p = "–" if test.p is None else f"{test.p:.3g}"
        click.echo(f"  {test.name}: p = {p}" + (f" ({test.note})" if test.note else ""))
    err_console.print(f"Report: {path.resolve()}")


@audit.command("credits")
@click.option("--collection", "-c",
              help="A board or exhibition of yours, or 'builtin' (the built-in styles), "
                   "'builtin:artworks' or 'builtin:artworks-world'. [default: the whole ledger]")
@click.option("--compare", help="A second collection (same names) shown beside the first.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False), help="Also write an HTML report.")
@json_option
@pass_ctx
def credits_cmd(ctx: Ctx, collection: str | None, compare: str | None, html_out: str | None,
                as_json: bool) -> None:
    """How the credited artists are spread over region, period, gender and movement.

    The artists credited in the ledger (every style source and influence of every
    artwork), in one board or exhibition, or in the built-in styles are counted once
    each and once per credit, by the bundled artists table (born, died, gender,
    nationality, region, movement). What the table does not know is shown as
    "missing", never guessed; every region is listed, so a gap shows as 0 %.

    \b
    Examples:
      studiolo audit credits
      studiolo audit credits --collection "sea pictures"
      studiolo audit credits --collection builtin --compare builtin:artworks --json
    """
    from studiolo.capabilities.audit.credits import CreditAudit, audit_credits
    from studiolo.capabilities.audit.report import check_report_path, credits_html, write_report

    if html_out:
        check_report_path(html_out)

    def one(name: str | None) -> CreditAudit:
        builtin = name is not None and name.split(":")[0] == "builtin"
        return audit_credits(None if builtin else ctx.studio, name)

    audits = [one(compare)] if compare else []
    audits.append(one(collection))
    path = write_report(credits_html(audits), html_out) if html_out else None
    if as_json:
        data = [a.to_json() for a in audits]
        emit_json({"audits": data, "report": str(path.resolve()) if path else None})
        return
    for a in audits:
        click.echo(f"{a.source}: {a.n_artists} artists, {a.n_credits} credits")
        for dimension, rows in a.tables.items():
            shown = ", ".join(f"{r.value} {r.artists} ({r.artist_share:.0%})" for r in rows
                              if r.artists or dimension == "region")
            click.echo(f"  {dimension}: {shown}")
        if a.unknown:
            click.echo(f"  not in the artists table: {', '.join(a.unknown)}")
    if path:
        err_console.print(f"Report: {path.resolve()}")
