"""Seconds per LoRA training step (`studiolo.capabilities.lora.train.train_lora`) on this machine.

Two models, both random seeded weights saved as diffusers folders in a temporary
folder (nothing is downloaded):

- "tiny": the tests' tiny SD (tests/tiny_models.py), 32 and 64 px;
- "sd15": Stable Diffusion 1.5's real shapes (860M-parameter UNet, CLIP ViT-L text
  encoder, the SD VAE; built by benchmarks/diffusion_cpu.py), 256 and 512 px.

Each (model, size) runs in a fresh child process: it trains a rank-4 LoRA (batch 1,
float32, the defaults of `studiolo train lora`) on four random pictures for a few
steps and reports the median time between progress events of the steps after the
first (the first pays for oneDNN's kernel builds), the time to load the model and
cache the latents, and the child's peak resident memory.

    python benchmarks/lora_train.py                      # tiny 32/64 px, sd15 256/512 px
    python benchmarks/lora_train.py --models tiny        # seconds
    python benchmarks/lora_train.py --models sd15 --sizes 256 --steps 4

Random weights measure time and memory, not what a LoRA learns.

"cpu s/step" is the process's CPU time per step: on a busy machine it is the steadier
figure (wall time there depends on what else runs); with one thread it is what an idle
core would take.

Measurements
------------
2026-11-23, AMD EPYC (AVX2, no native bf16), 2 cores, 23 GiB, torch 2.13.0 CPU,
diffusers 0.42.1, peft 0.21.2, `--threads 1`. The machine was shared with other jobs
(load average 6-11 on 2 cores), so the wall times are upper bounds; the CPU times
are what one idle core needs. Rank 4, batch 1, float32, UNet LoRA only.

    model  px   wall s/step  cpu s/step  setup s  peak GiB   (steps: wall s each)
    tiny    32      0.041       0.027       11.5     0.53     (20 steps, 0.03-0.07)
    tiny    64      0.040       0.026        9.6     0.53
    sd15   256     18.7         9.06        61.7     4.96     (4 steps: 18.2 18.7 18.2 21.1)
    sd15   512     71.6        31.1        220.9     7.24     (4 steps: 91.2 71.6 62.8 77.5)

`python benchmarks/lora_train.py --models sd15 --threads 1 --steps 4`: 133 s to build
and save the random SD 1.5 folder, then the two children. "setup" is loading the
model, hashing it (the first time), reading the pictures and encoding them with the
VAE. So on this CPU a 400-step SD 1.5 LoRA takes about an hour of one core's time at
256 px and three and a half hours at 512 px (less with both cores on an idle
machine); the tiny test model trains 400 steps in about 15 s. A GPU is the place for
real LoRAs; the CPU path is for small runs and for tests.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

SIZES = {"tiny": (32, 64), "sd15": (256, 512)}
STEPS = {"tiny": 20, "sd15": 4}


def save_pictures(folder: Path, count: int = 4) -> Path:
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (600, 520, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def save_model(model: str, folder: Path) -> Path:
    if model == "tiny":
        from tiny_models import save_tiny_sd

        return save_tiny_sd(folder)
    import os

    from diffusion_cpu import save_model as save_real

    save_real(model, folder)
    os.sync()  # a freshly written 4 GB folder would otherwise slow the first read
    return folder


def child(job: dict) -> dict:
    """One training run; the times of each step from the progress events."""
    import torch

    from studiolo.capabilities.lora.train import train_lora
    from studiolo.core.settings import Settings

    if job.get("threads"):
        torch.set_num_threads(job["threads"])
    stamps: list[tuple[float, float]] = []  # (wall, process CPU) at each step's end
    marks: dict[str, float] = {"start": time.perf_counter()}

    def progress(event: dict) -> None:
        if event["stage"] == "train":
            stamps.append((time.perf_counter(), time.process_time()))
            marks.setdefault("train", stamps[-1][0])

    with tempfile.TemporaryDirectory() as home:
        train_lora(job["model_dir"], job["pictures"], trigger="ohwx", steps=job["steps"],
                   resolution=job["size"], settings=Settings.from_env(home), progress=progress)
    steps = [b[0] - a[0] for a, b in pairwise(stamps)]
    cpu = [b[1] - a[1] for a, b in pairwise(stamps)]
    return {
        "model": job["model"], "size": job["size"], "threads": torch.get_num_threads(),
        "steps": steps, "median": statistics.median(steps[1:] or steps),
        "cpu_median": statistics.median(cpu[1:] or cpu),
        "setup": marks["train"] - marks["start"],
        "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny,sd15", help="comma list of: tiny, sd15")
    parser.add_argument("--sizes", help="comma list of pixel sizes [default: per model]")
    parser.add_argument("--steps", type=int, help="training steps per run [default: tiny 20, sd15 4]")
    parser.add_argument("--threads", type=int, help="torch threads [default: torch's own]")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        pictures = save_pictures(Path(tmp) / "pictures")
        for model in args.models.split(","):
            started = time.perf_counter()
            model_dir = save_model(model, Path(tmp) / model)
            print(f"{model}: saved in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else SIZES[model]
            for size in sizes:
                job = {"model": model, "model_dir": str(model_dir), "pictures": str(pictures),
                       "size": size, "steps": args.steps or STEPS[model], "threads": args.threads}
                done = subprocess.run([sys.executable, __file__, "--child", json.dumps(job)],
                                      capture_output=True, text=True, check=False)
                if done.returncode:
                    print(done.stderr[-3000:], file=sys.stderr)
                    return done.returncode
                results.append(json.loads(done.stdout.strip().splitlines()[-1]))
                row = results[-1]
                print(f"{model:5s} {size:4d}px  {row['threads']} threads  {row['median']:8.3f} s/step"
                      f"  cpu {row['cpu_median']:8.3f} s/step  setup "
                      f"{row['setup']:6.1f} s  peak {row['peak_gib']:5.2f} GiB  steps "
                      + " ".join(f"{s:.2f}" for s in row["steps"]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
