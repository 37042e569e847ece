"""The offline painter's time per 512 px picture: this checkout against the painter before
issue 22, same prompts, same seed, in one run.

    python benchmarks/painter_speed.py [--old-ref 0bf2d34] [--size 512] [--prompts everyday|all] [--rounds 2]

The old painter is the one in git at `--old-ref` (default 0bf2d34, main before issue 22): its
`src/` is extracted with `git archive` into a temporary folder and run in a subprocess with
that folder first on PYTHONPATH; the new one runs the same way from this checkout's `src/`.
Each side paints one prompt to load its models (MiniLM, the style network), then the timed
pass: wall time per picture, the full engine (read, compose, style transfer). The sides
alternate for `--rounds` rounds and each picture keeps its best time, so a busy moment on a
shared machine does not land on one side only.
Prints each side's median and max and the ratio new / old.

Measured 2026-12-04, AMD EPYC (avx512_bf16), 2 cores shared with other work (load average 4-7
while measured, so the figures move by 20-30% between runs):

    python benchmarks/painter_speed.py --prompts all   old 0.345 s  new 0.538 s  (median; max 0.74 / 0.84)  1.56x
    python benchmarks/painter_speed.py                 old 0.678 s  new 0.808 s  (median; max 0.84 / 1.20)  1.19x
    (an earlier run of the twelve, load ~4: old 0.612 s, new 0.589 s, 0.96x)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_TIMER = r"""
import json, sys, time
from studiolo.capabilities.painter.engine import PainterEngine
from studiolo.core.engine import Request
from studiolo.core.types import Recipe
prompts, size = json.loads(sys.argv[1]), int(sys.argv[2])
engine = PainterEngine()
def paint(p):
    engine.run(Request(Recipe(engine="painter", prompt=p, seed=0, width=size, height=size)))
paint(prompts[0])  # loads the models
times = []
for p in prompts:
    t = time.perf_counter(); paint(p); times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def _time(src: Path, prompts: list[str], size: int, home: Path) -> list[float]:
    env = dict(os.environ, PYTHONPATH=str(src), STUDIOLO_HOME=str(home))
    out = subprocess.run([sys.executable, "-c", _TIMER, json.dumps(prompts), str(size)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _old_src(ref: str, into: Path) -> Path:
    archive = into / "old.tar"
    with archive.open("wb") as f:
        subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], stdout=f, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old-ref", default="0bf2d34", help="git ref of the painter to compare with")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--prompts", choices=("everyday", "all"), default="everyday")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best time of each is kept")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from studiolo.capabilities.painter.prompt_set import EVERYDAY, PROMPTS

    prompts = list(EVERYDAY if args.prompts == "everyday" else PROMPTS)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        old_src = _old_src(args.old_ref, tmp)
        old, new = [float("inf")] * len(prompts), [float("inf")] * len(prompts)
        for _ in range(args.rounds):  # alternate the sides; keep each picture's best time (the machine is shared)
            old = [min(a, b) for a, b in zip(old, _time(old_src, prompts, args.size, tmp / "home-old"), strict=True)]
            new = [min(a, b) for a, b in zip(new, _time(ROOT / "src", prompts, args.size, tmp / "home-new"), strict=True)]
    print(f"{len(prompts)} prompts at {args.size} px, seed 0, full engine (read, compose, style transfer)")
    print(f"{'':10s}{'median s':>10s}{'max s':>10s}")
    for name, times in ((f"old {args.old_ref}", old), ("new", new)):
        print(f"{name:10s}{statistics.median(times):10.3f}{max(times):10.3f}")
    print(f"ratio new / old (median): {statistics.median(new) / statistics.median(old):.2f}x")
    for p, a, b in zip(prompts, old, new, strict=True):
        print(f"  {a:6.3f}  {b:6.3f}  {p}")


if __name__ == "__main__":
    main()
