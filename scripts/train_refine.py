"""Train the damage refiner (`refine.py`), the detector's second stage (CPU, seeded).

    python scripts/train_damage.py --parts refine          # or this script directly
    python scripts/train_refine.py --steps 40 --paintings 4 --out /tmp/r.safetensors  # smoke

It reads what the bundled segmenter (`weights/damage_unet.safetensors`) makes of whole
training paintings (`synthetic.split`: the benchmark's held-out fifth and the paintings with
real craquelure are never read), each with the benchmark's own mix of damage
(`synthetic.DamageRecipe()`, seeds of its own), because the refiner corrects the
segmenter where it works: on whole paintings, not on dense training crops. From each of
`--paintings` paintings it keeps `--crops` random 96 px crops of the refiner's inputs (uint8)
and the truth; the last `--calibration` paintings are kept whole to choose the thresholds.
Loss: binary cross-entropy plus soft Dice per refined kind, AdamW, one-cycle schedule.
Same seed and arguments -> the same weights (torch CPU kernels at a fixed thread count).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from studiolo.capabilities.restore import classical, detect, net, refine, synthetic
from studiolo.capabilities.restore.kinds import KINDS

CROP = 96


def segmenter_probabilities(image: np.ndarray, loaded) -> np.ndarray:
    """The segmenter's (K, H, W) float32 probabilities over a whole picture, tile by tile
    exactly as `detect` reads them (without the refiner)."""
    h, w = image.shape[:2]
    out = np.zeros((len(KINDS), h, w), np.float32)
    for tile in detect.tiles(h, w, detect.TILE, detect.MARGIN):
        rgb = np.ascontiguousarray(image[tile.outer_slices])
        prob = detect.segmenter_tile(rgb, loaded)
        out[(slice(None), *tile.core_slices)] = prob[(slice(None), *tile.inner)]
    return out


def painting_inputs(image: np.ndarray, seed: int, loaded) -> tuple[np.ndarray, np.ndarray]:
    """(refiner input (C, H, W) float32, truth (len(REFINED), H, W) uint8) for one painting."""
    damaged = synthetic.apply_damage(image, synthetic.DamageRecipe(), seed)
    prob = segmenter_probabilities(damaged.image, loaded)
    x = refine.inputs(damaged.image, classical.cues(damaged.image), prob)
    truth = np.stack([damaged.masks[k] for k in refine.REFINED]).astype(np.uint8)
    return x, truth


def f1_by_threshold(probs, truths, grid) -> np.ndarray:
    """(kinds, len(grid)) pixel F1 summed over the pictures."""
    k = len(refine.REFINED)
    tp, fp, fn = np.zeros((k, len(grid))), np.zeros((k, len(grid))), np.zeros((k, len(grid)))
    for prob, truth in zip(probs, truths, strict=True):
        for i in range(k):
            t = truth[i] > 0
            for j, g in enumerate(grid):
                d = prob[i] >= g
                tp[i, j] += (d & t).sum()
                fp[i, j] += (d & ~t).sum()
                fn[i, j] += (~d & t).sum()
    return 2 * tp / np.maximum(2 * tp + fp + fn, 1)


def train(paintings: list[np.ndarray], names: list[str], out: Path, steps: int = 350,
          n_paintings: int = 14, crops: int = 120, calibration: int = 3, batch: int = 16,
          lr: float = 3e-3, seed: int = 0) -> dict[str, float]:
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model_s, config_s, _ = net.load()
    loaded = (model_s, config_s)
    chosen = np.linspace(0, len(paintings) - 1, n_paintings + calibration).round().astype(int)
    started = time.monotonic()
    xs, ys, cal = [], [], []
    with net.one_thread():
        for j, idx in enumerate(chosen):
            x, truth = painting_inputs(paintings[idx], 7000 + seed * 1000 + j, loaded)
            if j >= n_paintings:
                cal.append((x, truth))
                continue
            q = np.rint(x * 255).astype(np.uint8)
            h, w = truth.shape[1:]
            for _ in range(crops):
                y0, x0 = rng.integers(0, h - CROP + 1), rng.integers(0, w - CROP + 1)
                xs.append(q[:, y0:y0 + CROP, x0:x0 + CROP])
                ys.append(truth[:, y0:y0 + CROP, x0:x0 + CROP])
            print(f"refine inputs {j + 1}/{n_paintings}: {names[idx]} "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
    data_x, data_y = np.stack(xs), np.stack(ys)
    config = refine.RefinerConfig()
    model = refine.build(config)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, lr, total_steps=steps,
                                                   pct_start=0.05)
    model.train()
    base = 3 + len(classical.CUE_NAMES)
    for step in range(steps):
        pick = rng.integers(0, len(data_x), batch)
        xb = torch.from_numpy(data_x[pick].astype(np.float32) / 255.0)
        yb = torch.from_numpy(data_y[pick].astype(np.float32))
        if step % 2:
            xb, yb = xb.flip(-1), yb.flip(-1)
        logits = refine.base_logits(xb[:, base:base + len(KINDS)]) + model(xb)
        p = torch.sigmoid(logits)
        inter = (p * yb).sum(dim=(0, 2, 3))
        total = p.sum(dim=(0, 2, 3)) + yb.sum(dim=(0, 2, 3))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, yb)
        loss = loss + (1 - (2 * inter + 1) / (total + 1)).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 50 == 0 or step == steps - 1:
            print(f"refine step {step:5d} loss {loss.item():.4f} "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
    model.eval()
    grid = np.round(np.arange(0.2, 0.81, 0.05), 2)
    with net.one_thread():
        refined = [refine.refine(model, config, x) for x, _ in cal]
    before = f1_by_threshold([x[base + np.array([KINDS.index(k) for k in refine.REFINED])]
                              for x, _ in cal], [t for _, t in cal], grid)
    after = f1_by_threshold(refined, [t for _, t in cal], grid)
    thresholds = {k: float(grid[int(np.argmax(after[i]))]) for i, k in enumerate(refine.REFINED)}
    for i, k in enumerate(refine.REFINED):
        print(f"calibration F1 {k}: segmenter {before[i].max():.3f}, refined {after[i].max():.3f}"
              f" at {thresholds[k]}")
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
    refine.save(model, out, config, {
        "thresholds": json.dumps(thresholds), "steps": str(steps), "seed": str(seed),
        "paintings": str(n_paintings), "crops": str(crops), "batch": str(batch), "lr": str(lr),
        "segmenter_sha256": hashlib.sha256(net.weights_path().read_bytes()).hexdigest()[:16],
        "training_paintings_sha256": digest,
        "minutes": f"{(time.monotonic() - started) / 60:.1f}",
    })
    print(f"refiner weights -> {out} ({out.stat().st_size / 1e3:.0f} kB)")
    return thresholds


def main() -> None:
    import torch
    from train_damage import default_artworks, load_paintings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artworks", type=Path, default=default_artworks())
    parser.add_argument("--steps", type=int, default=350)
    parser.add_argument("--paintings", type=int, default=14)
    parser.add_argument("--crops", type=int, default=120)
    parser.add_argument("--calibration", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=refine.path())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = sorted(p.name for p in args.artworks.glob("*.jpg"))
    train_names, _ = synthetic.split(names)
    paintings = load_paintings(args.artworks, train_names)  # as train_damage.py does
    train(paintings, train_names, args.out, args.steps, args.paintings, args.crops,
          args.calibration, seed=args.seed)


if __name__ == "__main__":
    main()
