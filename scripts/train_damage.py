"""Train the damage segmenter on synthetic damage over public-domain paintings (CPU, seeded).

    python scripts/train_damage.py                      # ../shared/artworks, 1200 steps
    python scripts/train_damage.py --steps 50 --out /tmp/w.safetensors   # a smoke run

Each step draws a batch of 192 px crops from the training paintings (`synthetic.split`: the
held-out fifth and the paintings with real craquelure are never seen), flips them, sometimes
yellows or fades them, paints `synthetic.TRAINING_RECIPE` damage over them, sometimes
JPEG-compresses the result, and computes the classical cues. Loss: binary cross-entropy
plus soft Dice per kind (Milletari, Navab and Ahmadi, "V-Net", 3DV 2016), which keeps thin
rare kinds from being drowned by background. AdamW with a cosine schedule.

At the end batch norm is folded into the convolutions, each kind's threshold is chosen to
maximise F1 on 96 validation crops (training paintings, seeds of their own), and the net is
written as float16 safetensors (about 0.6 MB) with its config, thresholds, seed and step
count in the header. Same seed and steps -> the same weights (torch CPU kernels are
deterministic at a fixed thread count). The colour-correction regressor is fitted too
(`colour.fit_model`, seconds) and written beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from studiolo.capabilities.restore import classical, colour, learned, net, synthetic
from studiolo.capabilities.restore.kinds import KINDS

CROP = 192


def load_paintings(folder: Path, names: list[str], max_side: int = 2600) -> list[np.ndarray]:
    out = []
    for name in names:
        image = cv2.cvtColor(cv2.imread(str(folder / name)), cv2.COLOR_BGR2RGB)
        scale = max_side / max(image.shape[:2])
        if scale < 1:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        out.append(image)
    return out


def sample(paintings: list[np.ndarray], seed: int,
           recipe: synthetic.DamageRecipe = synthetic.TRAINING_RECIPE
           ) -> tuple[np.ndarray, np.ndarray]:
    """One training pair: input (C, CROP, CROP) float32 and truth (K, CROP, CROP) float32."""
    rng = np.random.default_rng(seed)
    image = paintings[rng.integers(len(paintings))]
    h, w = image.shape[:2]
    if min(h, w) < CROP:
        image = cv2.resize(image, (max(w, CROP), max(h, CROP)))
        h, w = image.shape[:2]
    y, x = rng.integers(0, h - CROP + 1), rng.integers(0, w - CROP + 1)
    crop = image[y:y + CROP, x:x + CROP]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    crop = np.ascontiguousarray(np.rot90(crop, int(rng.integers(4))))
    if rng.random() < 0.3:
        crop = synthetic.yellow(crop, float(rng.uniform(0, 0.7)))
    if rng.random() < 0.2:
        crop = synthetic.fade(crop, float(rng.uniform(0, 0.6)))
    damaged = synthetic.apply_damage(crop, recipe, int(rng.integers(2**31)))
    picture = damaged.image
    if rng.random() < 0.5:
        quality = int(rng.integers(70, 96))
        _, data = cv2.imencode(".jpg", picture[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        picture = cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1]
    x_in = np.concatenate([picture.transpose(2, 0, 1).astype(np.float32) / 255.0,
                           classical.cues(np.ascontiguousarray(picture))])
    truth = np.stack([damaged.masks[k] for k in KINDS]).astype(np.float32)
    return x_in, truth


def batch(paintings, seeds, recipe=synthetic.TRAINING_RECIPE):
    pairs = [sample(paintings, s, recipe) for s in seeds]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def dice_loss(logits, truth):
    import torch

    p = torch.sigmoid(logits)
    inter = (p * truth).sum(dim=(0, 2, 3))
    total = p.sum(dim=(0, 2, 3)) + truth.sum(dim=(0, 2, 3))
    return (1 - (2 * inter + 1) / (total + 1)).mean()


def calibrate(model, config, paintings, seeds, recipe) -> dict[str, float]:
    """Each kind's threshold maximising pixel F1 over validation crops."""
    grid = np.round(np.arange(0.2, 0.81, 0.05), 2)
    tp = np.zeros((len(KINDS), len(grid)))
    fp, fn = tp.copy(), tp.copy()
    for seed in seeds:
        x_in, truth = sample(paintings, seed, recipe)
        prob = net.predict(model, config, x_in)
        for i in range(len(KINDS)):
            t = truth[i] > 0.5
            for j, g in enumerate(grid):
                d = prob[i] >= g
                tp[i, j] += (d & t).sum()
                fp[i, j] += (d & ~t).sum()
                fn[i, j] += (~d & t).sum()
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    return {k: float(grid[int(np.argmax(f1[i]))]) for i, k in enumerate(KINDS)}


def default_artworks() -> Path:
    """../shared/artworks beside the repo (or beside the folder of worktrees)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "artworks").is_dir():
            return base / "shared" / "artworks"
    return ROOT.parent / "shared" / "artworks"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artworks", type=Path, default=default_artworks())
    parser.add_argument("--world", type=Path, default=None,
                        help="more paintings for the colour regressor only (default: "
                             "../shared/artworks-world beside --artworks, when present)")
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=net.weights_path())
    parser.add_argument("--parts", default="net,colour,inpaint",
                        help="what to make: net, colour, inpaint (comma-separated)")
    parser.add_argument("--inpaint-steps", type=int, default=800)
    parser.add_argument("--resume", type=Path, default=None,
                        help="continue from these damage weights (batch norm already folded)")
    parser.add_argument("--focus", action="store_true",
                        help="train on synthetic.FOCUS_RECIPE (more scratches and small losses)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    torch.manual_seed(args.seed)
    names = sorted(p.name for p in args.artworks.glob("*.jpg"))
    if not names:
        sys.exit(f"No .jpg paintings in {args.artworks}; pass --artworks FOLDER.")
    train_names, held_out = synthetic.split(names)
    print(f"training on {len(train_names)} paintings; held out: {', '.join(held_out)}")
    paintings = load_paintings(args.artworks, train_names)

    parts = set(args.parts.split(","))
    if "colour" in parts:
        started = time.monotonic()
        world = args.world or args.artworks.parent / "artworks-world"
        extra = sorted(p.name for p in world.glob("*.jpg")) if world.is_dir() else []
        print(f"colour regressor: {len(train_names)} training paintings + {len(extra)} from {world}")
        fit = colour.fit_model(paintings + load_paintings(world, extra), seed=args.seed)
        colour_path = args.out.with_name(colour.MODEL_FILE)
        colour_path.write_text(json.dumps(fit, indent=1) + "\n")
        print(f"colour model -> {colour_path} ({time.monotonic() - started:.1f} s)")
    if "net" in parts:
        train_net(args, paintings, train_names, held_out)
    if "inpaint" in parts:
        train_inpaint(args, paintings, train_names)


def train_inpaint(args, paintings, train_names) -> None:
    """The learned filler: squared error of the residual inside the hole, AdamW, cosine."""
    import torch

    torch.manual_seed(args.seed + 1)
    config = learned.INPAINT_CONFIG
    model = net.build(config)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.inpaint_steps
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, args.lr, total_steps=steps,
                                                   pct_start=0.05)
    model.train()
    started = time.monotonic()
    for step in range(steps):
        seeds = [args.seed * 10_000_000 + 5_000_000 + step * 8 + i for i in range(8)]
        pairs = [learned.training_pair(paintings, s) for s in seeds]
        x_in, target, hole = (torch.from_numpy(np.stack([p[i] for p in pairs])) for i in range(3))
        out = model(x_in) * hole[:, None]
        loss = ((out - target) ** 2).sum() / (hole.sum() * 3 + 1)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 50 == 0 or step == steps - 1:
            psnr = 10 * np.log10(1.0 / max(loss.item(), 1e-12))
            print(f"inpaint step {step:5d} loss {loss.item():.5f} (~{psnr:.1f} dB in the hole) "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
    model.eval()
    net.fold_batchnorm(model)
    out_path = args.out.with_name(net.INPAINT_FILE)
    digest = hashlib.sha256("\n".join(train_names).encode()).hexdigest()[:16]
    net.save(model, out_path, config, {
        "steps": str(steps), "seed": str(args.seed), "batch": "8", "lr": str(args.lr),
        "crop": str(learned.CROP), "work_span": str(learned.WORK_SPAN),
        "training_paintings_sha256": digest,
        "minutes": f"{(time.monotonic() - started) / 60:.1f}",
    })
    print(f"inpaint weights -> {out_path} ({out_path.stat().st_size / 1e6:.2f} MB)")


def train_net(args, paintings, train_names, held_out) -> None:
    import torch

    config = net.UNetConfig(in_channels=3 + len(classical.CUE_NAMES))
    model = net.build(config)
    history = {}
    if args.resume:
        # Saved weights have batch norm folded in: continue on the folded net (no BN).
        from safetensors.torch import load_file

        net.fold_batchnorm(model)
        model.load_state_dict({k: v.float() for k, v in load_file(str(args.resume)).items()})
        previous = net.load(str(args.resume))[2]
        history = {"resumed_from_sha256": hashlib.sha256(args.resume.read_bytes()).hexdigest(),
                   "previous": json.dumps({k: previous.get(k) for k in
                                           ("steps", "seed", "recipe", "previous")})}
    recipe = synthetic.FOCUS_RECIPE if args.focus else synthetic.TRAINING_RECIPE
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, args.lr, total_steps=args.steps,
                                                   pct_start=0.05)
    model.train()
    started = time.monotonic()
    for step in range(args.steps):
        seeds = [args.seed * 10_000_000 + step * args.batch + i for i in range(args.batch)]
        x_in, truth = (torch.from_numpy(a) for a in batch(paintings, seeds, recipe))
        logits = model(x_in)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, truth)
        loss = loss + dice_loss(logits, truth)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step:5d} loss {loss.item():.4f} "
                  f"({time.monotonic() - started:.0f} s)", flush=True)

    model.eval()
    net.fold_batchnorm(model)
    val_seeds = [2_000_000_000 + args.seed * 1000 + i for i in range(96)]
    thresholds = calibrate(model, config, paintings, val_seeds, recipe)
    print("thresholds", thresholds)
    digest = hashlib.sha256("\n".join(train_names).encode()).hexdigest()[:16]
    net.save(model, args.out, config, {
        "thresholds": json.dumps(thresholds), "steps": str(args.steps), "seed": str(args.seed),
        "batch": str(args.batch), "lr": str(args.lr), "crop": str(CROP),
        "training_paintings_sha256": digest, "held_out": json.dumps(held_out),
        "minutes": f"{(time.monotonic() - started) / 60:.1f}",
        "recipe": "focus" if args.focus else "training", **history,
    })
    print(f"weights -> {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
