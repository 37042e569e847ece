"""Run a studiolo command and SIGKILL it at its N-th crash point (a test helper, never shipped).

    python tests/killer.py N -- studiolo-arguments...

Crash points: right after each file rename (`os.replace`: a file is whole, its row not yet
written) and at each database commit (the row about to land). N = 0 counts them instead
and prints the count as the last line of stdout.
"""

from __future__ import annotations

import os
import signal
import sys

N = int(sys.argv[1])
ARGS = sys.argv[sys.argv.index("--") + 1:]
seen = 0


def point() -> None:
    global seen
    seen += 1
    if seen == N:
        os.kill(os.getpid(), signal.SIGKILL)


_replace = os.replace


def replace(src, dst, *args, **kwargs):
    _replace(src, dst, *args, **kwargs)
    point()


os.replace = replace

from sqlalchemy import event
from sqlalchemy.engine import Engine

event.listen(Engine, "commit", lambda conn: point())

from studiolo.cli import main

code = main(ARGS)
if N == 0:
    print(seen)
sys.exit(code)
