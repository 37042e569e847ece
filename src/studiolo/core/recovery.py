"""After a crash: what a killed process left half-done, found and removed when a studio opens.

While a Studio makes artworks it holds a run marker, `HOME/running/<pid>-<token>`. A
marker whose process is gone means that process was killed while it worked; the next
studio to open then removes, and says it removed:

- temporary files (`.tmp-*`) in the file store and under the studio folder, which a
  write-then-rename never finished;
- stored files no artwork points at (neither an artwork's own file nor an input of a
  recipe), written after the killed run began: a file whose catalog row never landed.

Nothing is removed while another live process holds a marker (it may be between a file
and its row); the markers of dead processes stay until a studio can clean up after them.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from studiolo.core.atomic import TEMP_PREFIX

MARKERS = "running"
# Files written up to this long before a marker count as that run's (clocks and mtimes are coarse).
SLACK_S = 5.0


@dataclass(frozen=True)
class Cleanup:
    temporary: int = 0
    orphans: int = 0

    def __bool__(self) -> bool:
        return bool(self.temporary or self.orphans)

    def sentence(self) -> str:
        return (f"studiolo cleaned up after an interrupted run: removed {self.temporary} "
                f"temporary file(s) and {self.orphans} stored file(s) no artwork pointed at.")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@contextmanager
def run_marker(home: Path) -> Iterator[Path]:
    """Hold a marker while making artworks; it is removed when the work ends, killed or not."""
    folder = home / MARKERS
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f"{os.getpid()}-{secrets.token_hex(4)}"
    marker.write_text(str(time.time()))
    try:
        yield marker
    finally:
        marker.unlink(missing_ok=True)


def _markers(home: Path) -> tuple[list[Path], list[Path]]:
    """(markers of dead processes, markers of live ones)."""
    folder = home / MARKERS
    dead, live = [], []
    for marker in sorted(folder.iterdir()) if folder.is_dir() else []:
        pid = marker.name.split("-", 1)[0]
        # This process's own markers are live: a run of ours is still going.
        (live if pid.isdigit() and _alive(int(pid)) else dead).append(marker)
    return dead, live


def recover(home: Path, files: object, is_referenced: Callable[[str], bool]) -> Cleanup:
    """Clean up after killed runs (see the module docstring); a `Cleanup` of what went."""
    dead, live = _markers(home)
    if not dead or live:
        return Cleanup()
    since = min(m.stat().st_mtime for m in dead) - SLACK_S
    temporary = files.clean_temporary()  # type: ignore[attr-defined]
    for path in home.rglob(f"{TEMP_PREFIX}*"):
        if path.is_file() and files.root not in path.parents:  # type: ignore[attr-defined]
            path.unlink(missing_ok=True)
            temporary += 1
    orphans = 0
    for sha in list(files.iter_ids()):  # type: ignore[attr-defined]
        path = files.path(sha)  # type: ignore[attr-defined]
        if path.stat().st_mtime >= since and not is_referenced(sha):
            files.delete(sha)  # type: ignore[attr-defined]
            orphans += 1
    for marker in dead:
        marker.unlink(missing_ok=True)
    return Cleanup(temporary, orphans)
