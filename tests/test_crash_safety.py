"""Nothing lost on a kill: a real `studiolo paint --batch 2` SIGKILLed at every crash point.

tests/killer.py kills the process right after each file rename and at each database
commit. After each kill a studio opens on the same folder (it cleans up and says so)
and the catalog must be whole: every row has its file, every file its row, every
artwork its watermark mark, no temporary file left, and the images finished before the
kill kept.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from PIL import Image

from studiolo.catalog.marks import marks_of
from studiolo.core.errors import StudioloWarning
from studiolo.studio import Studio

KILLER = Path(__file__).with_name("killer.py")
PAINT = ["paint", "a stormy sea at night", "--batch", "2", "-W", "256", "-H", "256", "--seed", "3"]


def _run(point: int, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "STUDIOLO_HOME": str(home), "STUDIOLO_PERSON": "kim"}
    return subprocess.run([sys.executable, str(KILLER), str(point), "--", *PAINT],
                          capture_output=True, text=True, env=env, timeout=600, check=False)


def _check_whole(home: Path) -> tuple[int, list[str]]:
    """Open the studio (it cleans up) and check every invariant; (artworks, what was said)."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", StudioloWarning)
        studio = Studio(home, load_entry_points=False)
    rows = studio.list()
    for artwork in rows:
        assert studio.files.exists(artwork.id), f"row {artwork.id[:12]} has no file"
        assert marks_of(studio.catalog, artwork.id), f"artwork {artwork.id[:12]} lost its mark"
        Image.open(artwork.path).verify()  # the file is whole
    for sha in studio.files.iter_ids():
        assert studio.catalog.references_file(sha), f"file {sha[:12]} has no row"
    left = [p for p in home.rglob("*") if p.name.startswith(".tmp-") or p.suffix == ".part"]
    assert left == [], left
    with studio.catalog.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    return len(rows), [str(w.message) for w in said]


@pytest.mark.slow
def test_a_batch_killed_at_every_crash_point_loses_nothing_finished(tmp_path):
    counted = _run(0, tmp_path / "count")
    assert counted.returncode == 0, counted.stderr
    points = int(counted.stdout.strip().splitlines()[-1])
    assert points >= 6  # two files, two rows, their marks, the keys
    complete, _ = _check_whole(tmp_path / "count")
    assert complete == 2
    counts, sentences = [], []
    for point in range(1, points + 1):
        home = tmp_path / f"kill-{point}"
        killed = _run(point, home)
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr[-2000:])
        count, said = _check_whole(home)
        counts.append(count)
        sentences += said
    assert counts == sorted(counts) and counts[0] == 0 and max(counts) <= 2
    assert 1 in counts  # killed while making the second image, the first was kept
    assert any("stored file(s) no artwork pointed at" in s for s in sentences)


def test_a_studio_opening_after_a_crash_removes_leftovers_and_says_so(tmp_path):
    home = tmp_path / "home"
    studio = Studio(home, load_entry_points=False)
    [kept] = studio.paint("a calm sea", seed=1, width=64, height=64)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs: its marker says it was killed at work
    (home / "running").mkdir(exist_ok=True)
    (home / "running" / f"{dead.pid}-abcd").write_text("0")
    orphan, _ = studio.files.put(b"\x89PNG half of a story", "png")
    part = studio.files.root / ".tmp-x.part"
    part.write_bytes(b"half")
    thumb = home / "thumbs" / ".tmp-thumb.webp.123"
    thumb.parent.mkdir(parents=True)
    thumb.write_bytes(b"x")
    with pytest.warns(StudioloWarning, match=r"^studiolo cleaned up after an interrupted run: "
                                             r"removed 2 temporary file\(s\) and 1 stored file"):
        reopened = Studio(home, load_entry_points=False)
    assert not reopened.files.exists(orphan) and not part.exists() and not thumb.exists()
    assert reopened.files.exists(kept.id) and reopened.get(kept.id).id == kept.id
    assert list((home / "running").iterdir()) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error", StudioloWarning)
        Studio(home, load_entry_points=False)  # nothing more to say


def test_nothing_is_removed_while_another_live_process_is_at_work(tmp_path):
    home = tmp_path / "home"
    studio = Studio(home, load_entry_points=False)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (home / "running").mkdir(exist_ok=True)
    (home / "running" / f"{dead.pid}-abcd").write_text("0")
    (home / "running" / f"{os.getppid()}-live").write_text("0")  # a live process, mid-run
    fresh, _ = studio.files.put(b"a file whose row is about to land", "png")
    Studio(home, load_entry_points=False)
    assert studio.files.exists(fresh)


def test_a_failed_store_leaves_no_input_file(tmp_path, monkeypatch):
    studio = Studio(tmp_path / "home", load_entry_points=False)
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 64), (200, 100, 50)).save(photo)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(studio, "store", broken)
    with pytest.raises(OSError, match="disk full"):
        studio.stylize(photo, "The Kiss")
    assert list(studio.files.iter_ids()) == []
