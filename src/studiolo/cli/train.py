"""`studiolo train`: the group that the trainers' commands attach to
(`train_lora.py`: `train lora`, `train_generator.py`: `train generator`)."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from studiolo.cli.app import CONTEXT, Ctx, cli
from studiolo.cli.progress import warnings_shown


@cli.group(context_settings=CONTEXT)
def train() -> None:
    """Teach the studio your own face, subjects or style from a folder of your pictures.

    \b
    Examples:
      studiolo train lora ./my-photos --model ./sd15 --trigger ohwx --steps 400
      studiolo train generator ./my-art --name my-art --minutes 20

    Every image passes the consent checks first: files marked noai, or whose
    content credentials say `c2pa.training-mining: notAllowed`, are skipped
    with a warning, as are unreadable ones. Training shows progress, and can
    be stopped with Ctrl-C and resumed from its last checkpoint with --resume.
    """


def studiolo_command(ctx: Ctx) -> str:
    """`studiolo` as the person ran it (with --home when they gave one), for the hints we print."""
    return f"studiolo --home {shlex.quote(str(Path(ctx.home)))}" if ctx.home else "studiolo"


@contextmanager
def skipped_pictures_shown() -> Iterator[None]:
    """Show each TrainingDataWarning (a skipped picture) as one yellow line on stderr."""
    from studiolo.features.training_data import TrainingDataWarning

    with warnings_shown(TrainingDataWarning):
        yield
