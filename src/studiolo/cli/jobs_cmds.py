"""`studiolo jobs ls|show|cancel|retry`, `studiolo worker` and `studiolo batch FILE`."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from studiolo.cli.app import Ctx, cli, emit_json, json_option, pass_ctx
from studiolo.core.errors import InvalidArgument
from studiolo.core.types import JOB_STATUSES

console = Console()


def job_dict(job: Any, position: int | None = None) -> dict[str, Any]:
    return {
        "id": job.id, "kind": job.kind, "status": job.status, "owner": job.owner,
        "progress": job.progress, "stage": job.stage, "message": job.message,
        "attempts": job.attempts, "max_attempts": job.max_attempts, "worker": job.worker,
        "lease_until": job.lease_until.isoformat() if job.lease_until else None,
        "heavy": job.heavy, "batch": job.batch, "cancel_requested": job.cancel_requested,
        "result_ids": list(job.result_ids), "error": job.error, "request": job.request,
        "created": job.created.isoformat() if job.created else None,
        "started": job.started.isoformat() if job.started else None,
        "finished": job.finished.isoformat() if job.finished else None,
        "queue_position": position,
    }


def _what(job: Any) -> str:
    request = job.request
    text = request.get("prompt") or request.get("theme") or request.get("artwork") or ""
    text = str(text)
    return text if len(text) < 50 else text[:47] + "..."


def hidden(job: Any, person: str) -> bool:
    """A private job of someone else: it reaches no one but its owner, not even as a row."""
    return bool(job.request.get("private")) and job.owner not in (None, person)


def _visible_job(ctx: Ctx, job_id: str) -> Any:
    from studiolo.core.errors import UnknownName

    catalog = ctx.studio.catalog
    job = catalog.get_job(catalog.resolve_job(job_id))
    if hidden(job, ctx.studio.settings.person):
        raise UnknownName("job", job_id)  # as if it were not there: its id says nothing
    return job


@cli.group()
def jobs() -> None:
    """The job queue: what is waiting, running, done or failed.

    \b
    Examples:
      studiolo jobs ls --status running
      studiolo jobs show 3f2a9c1e
      studiolo jobs cancel 3f2a9c1e
      studiolo jobs retry 3f2a9c1e
    """


@jobs.command("ls")
@click.option("--status", type=click.Choice(JOB_STATUSES), help="Only jobs with this status.")
@click.option("--mine", is_flag=True, help="Only the jobs of the person running the command.")
@click.option("--batch", help="Only the jobs of this batch (its id, from `studiolo batch`).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=30, show_default=True)
@json_option
@pass_ctx
def jobs_ls(ctx: Ctx, status: str | None, mine: bool, batch: str | None, limit: int,
            as_json: bool) -> None:
    """List jobs, newest first, with the counts of the whole queue."""
    catalog = ctx.studio.catalog
    catalog.reap_expired()  # a job whose worker died is shown as what it now is
    owner = ctx.studio.settings.person if mine else None
    person = ctx.studio.settings.person
    # Others' private jobs are left out (over-fetched so that `limit` rows still come back).
    found = [j for j in catalog.list_jobs(status=status, limit=limit * 4, owner=owner,
                                          batch=batch) if not hidden(j, person)][:limit]
    counts = catalog.queue_counts()
    if as_json:
        emit_json({"counts": counts, "jobs": [job_dict(j) for j in found]})
        return
    click.echo("  ".join(f"{n} {s}" for s, n in counts.items()))
    if not found:
        click.echo("No jobs" + (f" {status}" if status else "") + ".")
        return
    table = Table("id", "kind", "status", "owner", "done", "try", "worker", "what", box=None)
    for j in found:
        state = j.status + (" (cancelling)" if j.cancel_requested and j.status == "running" else "")
        table.add_row(j.id[:8], j.kind, state, j.owner or "", f"{j.progress:.0%}",
                      f"{j.attempts}/{j.max_attempts}", (j.worker or "")[:24], _what(j))
    console.print(table)


@jobs.command("show")
@click.argument("job_id")
@json_option
@pass_ctx
def jobs_show(ctx: Ctx, job_id: str, as_json: bool) -> None:
    """One job: its request, status, attempts, results and log."""
    catalog = ctx.studio.catalog
    catalog.reap_expired()
    job = _visible_job(ctx, job_id)
    position = catalog.queue_position(job.id)
    lines = catalog.job_log(job.id)
    if as_json:
        emit_json({**job_dict(job, position),
                   "log": [{"at": line.at.isoformat(), "line": line.line} for line in lines]})
        return
    click.echo(f"{job.id}  {job.kind}  {job.status}  {job.progress:.0%}"
               + (f"  ({position} queued ahead)" if position is not None else ""))
    click.echo(f"owner {job.owner or '-'}; attempt {job.attempts} of {job.max_attempts}; "
               f"{'heavy' if job.heavy else 'light'}" + (f"; on {job.worker}" if job.worker else ""))
    if job.error:
        click.echo(f"error: {job.error}")
    for artwork_id in job.result_ids:
        click.echo(f"made {artwork_id[:12]}")
    for line in lines:
        click.echo(f"  {line.at:%H:%M:%S}  {line.line}")


@jobs.command("cancel")
@click.argument("job_ids", nargs=-1, required=True)
@pass_ctx
def jobs_cancel(ctx: Ctx, job_ids: tuple[str, ...]) -> None:
    """Cancel jobs: a queued one at once, a running one at its next step (what it finished
    is kept, nothing half-made is stored)."""
    for job_id in job_ids:
        _visible_job(ctx, job_id)
        job = ctx.studio.jobs.cancel(job_id, by=ctx.studio.settings.person)
        word = "cancelled" if job.status == "cancelled" else "stops at its next step"
        click.echo(f"{job.id[:8]} {word}.")


@jobs.command("retry")
@click.argument("job_ids", nargs=-1, required=True)
@pass_ctx
def jobs_retry(ctx: Ctx, job_ids: tuple[str, ...]) -> None:
    """Queue failed or cancelled jobs again (what they stored before is not made twice);
    a `studiolo worker` or the web studio runs them."""
    ctx.studio.jobs.run_here = False
    for job_id in job_ids:
        _visible_job(ctx, job_id)
        job = ctx.studio.jobs.retry(job_id, by=ctx.studio.settings.person)
        click.echo(f"{job.id[:8]} queued again.")


def _until_signal() -> threading.Event:
    """An event set by SIGTERM or SIGINT: finish the job in hand, take no more."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@cli.command()
@click.option("--light", type=click.IntRange(0, 64), default=1, show_default=True,
              help="Light jobs (the offline painter) run side by side.")
@click.option("--device", "devices", multiple=True,
              help="A device for heavy jobs, one at a time each (repeat for more GPUs). "
                   "[default: the studio's device]")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--address", default="auto", show_default=True,
              help="With --backend ray: the cluster's head, HOST:PORT, or auto.")
@click.option("--workers", type=click.IntRange(0, 4096),
              help="With --backend ray: CPU actors. [default: the cluster's CPUs]")
@click.option("--gpu-workers", type=click.IntRange(0, 4096),
              help="With --backend ray: GPU actors. [default: the cluster's GPUs]")
@click.option("--lease", "lease_s", type=click.FloatRange(1, 3600), default=30, show_default=True,
              help="Seconds a job stays this worker's without a word from it.")
@click.option("--until-idle", is_flag=True, help="Stop once nothing is queued or running.")
@pass_ctx
def worker(ctx: Ctx, light: int, devices: tuple[str, ...], backend: str, address: str,
           workers: int | None, gpu_workers: int | None, lease_s: float,
           until_idle: bool) -> None:
    """Take jobs from the queue and run them, until stopped (Ctrl+C finishes the jobs in hand).

    \b
    Examples:
      studiolo worker --light 2
      studiolo worker --device cuda:0 --device cuda:1
      studiolo worker --backend ray --address 10.0.0.5:6379
    """
    studio = ctx.studio
    stop = _until_signal()

    def finished() -> bool:
        if stop.is_set():
            return True
        if not until_idle:
            return False
        counts = studio.catalog.queue_counts()
        return counts["queued"] + counts["running"] == 0

    if backend == "ray":
        from studiolo.jobs.ray_backend import RayPool

        pool = RayPool(studio.settings, address=address, cpu_workers=workers,
                       gpu_workers=gpu_workers, lease_s=lease_s)
        click.echo(f"studiolo worker on Ray: {pool.plan.cpu} CPU and {pool.plan.gpu} GPU "
                   "actor(s) (Ctrl+C to stop)", err=True)
        pool.run()
        try:
            pool.wait(finished)
        finally:
            pool.stop()
        return
    from studiolo.jobs.worker import Worker

    w = Worker(studio, light=light, devices=tuple(devices) or (None,), lease_s=lease_s)
    click.echo(f"studiolo worker {w.name}: {len(w.slots)} slot(s) (Ctrl+C to stop)", err=True)
    stats = w.run_until(finished)
    click.echo(f"{stats.done} done, {stats.failed} failed, {stats.cancelled} cancelled.",
               err=True)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--name", help="The batch's name: submitting a batch of the same name again "
                             "skips its finished rows. [default: the file's path]")
@click.option("--seeds", help="Grid: seeds for rows that give none, like 1..8 or 1;5;9.")
@click.option("--styles", help="Grid: styles for rows that give none, like 'The Kiss;Starry Night'.")
@click.option("--engines", help="Grid: engines for rows that give none, like painter;diffusion.")
@click.option("--submit-only", is_flag=True, help="Queue the jobs and return; workers run them.")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--address", default="auto", show_default=True, help="With --backend ray.")
@click.option("--workers", type=click.IntRange(1, 4096), help="With --backend ray: CPU actors.")
@click.option("--light", type=click.IntRange(0, 64), default=1, show_default=True,
              help="With --backend local: light jobs side by side.")
@json_option
@pass_ctx
def batch(ctx: Ctx, file: str, name: str | None, seeds: str | None, styles: str | None,
          engines: str | None, submit_only: bool, backend: str, address: str,
          workers: int | None, light: int, as_json: bool) -> None:
    """Run a batch file: one job a row, CSV (with a header) or JSONL, with one progress bar.

    \b
    Fields: prompt, engine, style, seed, width, height, steps, model, negative_prompt,
    strength, count, mode (txt2img or stylize), image, private. Grids multiply: in JSONL
    prompt, seed, style and engine may be lists; in CSV seed may be 1..8 or 1;5;9 and style
    and engine a;b. A bad row is reported by its line and the rest still runs; running the
    same file again does not redo its finished rows.

    \b
    Examples:
      studiolo batch prompts.csv --seeds 1..4
      studiolo batch grid.jsonl --backend ray --address auto
    """
    from studiolo.jobs.batch import follow_batch, submit_batch
    from studiolo.jobs.batchfile import read_batch

    defaults = {"seed": seeds, "style": _names(styles), "engine": _names(engines)}
    parsed = read_batch(file, defaults={k: v for k, v in defaults.items() if v is not None})
    studio = ctx.studio
    studio.jobs.run_here = False  # this command chooses who runs the jobs
    began = time.monotonic()
    submitted = submit_batch(studio, parsed, name=name)
    if not submitted.lines:
        _print_report(follow_batch(studio, submitted, started=began), as_json)
        raise click.exceptions.Exit(1)
    if not submit_only:
        _run_batch(studio, submitted, backend, address, workers, light, as_json)
    else:
        click.echo(f"Queued batch {submitted.batch}: {submitted.outcomes}.", err=True)
    report = follow_batch(studio, submitted, started=began, timeout=0 if submit_only else None)
    _print_report(report, as_json)
    if report.failed or report.problems:
        raise click.exceptions.Exit(1)


def _names(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(";") if v.strip()]
    if not names:
        raise InvalidArgument(f"A grid list must name something, got {value!r}.")
    return names


def _run_batch(studio: Any, submitted: Any, backend: str, address: str, workers: int | None,
               light: int, as_json: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from studiolo.cli.progress import err_console
    from studiolo.jobs.batch import batch_ended

    total = len(submitted.lines)
    if batch_ended(studio, submitted) >= total:
        return  # every row ended before (the same file again): no worker to start
    stop = _until_signal()

    def finished() -> bool:
        return stop.is_set() or batch_ended(studio, submitted) >= total

    with Progress("[bold]Batch", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, disable=as_json) as bars:
        task = bars.add_task("batch", total=total, completed=batch_ended(studio, submitted))

        def drawn() -> bool:
            bars.update(task, completed=batch_ended(studio, submitted))
            return finished()

        if backend == "ray":
            from studiolo.jobs.ray_backend import RayPool

            pool = RayPool(studio.settings, address=address, cpu_workers=workers)
            pool.run(batch=submitted.batch)
            try:
                pool.wait(drawn)
            finally:
                pool.stop()
        else:
            from studiolo.jobs.worker import Worker

            Worker(studio, light=light).run_until(drawn)


def _print_report(report: Any, as_json: bool) -> None:
    if as_json:
        emit_json(report.to_json())
        return
    for line in report.lines():
        click.echo(line)
