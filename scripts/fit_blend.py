"""Fit the smooth filler's blend: the biharmonic weight by hole span (`harmonic.blend`).

    python scripts/fit_blend.py          # ../shared/artworks -> weights/filler_blend.json
    python scripts/fit_blend.py --out /tmp/blend.json

Only the training paintings are read (`synthetic.split`: the benchmark's held-out fifth and
the paintings with real craquelure are never seen), at most 1600 px on their longer side
(the size of the benchmark's scans). Synthetic losses (`synthetic.apply_damage`, losses
only, seeds of their own) over the training paintings; for each span bin the biharmonic
weight w minimising the squared error of w * biharmonic + (1 - w) * harmonic inside the
losses, each loss weighted by the inverse of its harmonic error (the benchmark scores the
mean PSNR per loss, so each loss counts by its relative error). About two minutes on one core;
deterministic (seeded damage, direct sparse solves).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from train_damage import default_artworks, load_paintings

from studiolo.capabilities.restore import harmonic, net, synthetic

BLEND_SPANS = (6, 10, 16, 24, 36, 54, 80, 120)  # px: knots of the blend weight
BLEND_RECIPE = synthetic.DamageRecipe(cracks=0, craquelure=0, scratches=0, losses=8, stains=0,
                                      foxing=0, tears=0)


def fit_blend(paintings: list[np.ndarray], seed: int) -> dict:
    """The biharmonic weight per span knot (nearest knot in log span), from the losses."""
    num = np.zeros(len(BLEND_SPANS))
    den = np.zeros(len(BLEND_SPANS))
    count = np.zeros(len(BLEND_SPANS), int)
    knots = np.log(BLEND_SPANS)
    for i, image in enumerate(paintings):
        damaged = synthetic.apply_damage(image, BLEND_RECIPE, seed=seed * 100_000 + 9000 + i)
        mask = damaged.masks["losses"]
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8))
        for k in range(1, n):
            x, y, w, h, _ = (int(v) for v in stats[k])
            y0, y1, x0, x1 = max(0, y - 4), y + h + 4, max(0, x - 4), x + w + 4
            hole = labels[y0:y1, x0:x1] == k
            crop = damaged.image[y0:y1, x0:x1]
            truth = image[y0:y1, x0:x1][hole].astype(np.float64)
            h_fill = harmonic.fill(crop, hole)[hole].astype(np.float64)
            b_fill = harmonic.biharmonic(crop, hole)[hole].astype(np.float64)
            weight = 1.0 / max(((truth - h_fill) ** 2).sum(), 1.0)
            j = int(np.argmin(np.abs(knots - math.log(max(w, h)))))
            num[j] += weight * ((b_fill - h_fill) * (truth - h_fill)).sum()
            den[j] += weight * ((b_fill - h_fill) ** 2).sum()
            count[j] += 1
    weights = np.clip(num / np.maximum(den, 1e-12), 0.0, 1.0)
    weights = np.where(count > 0, weights, 0.5)
    return {"spans": list(BLEND_SPANS), "weights": [round(float(w), 4) for w in weights],
            "losses": count.tolist(), "seed": seed, "paintings": len(paintings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artworks", type=Path, default=default_artworks())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path,
                        default=net.weights_path(net.INPAINT_FILE).with_name(harmonic.BLEND_FILE))
    args = parser.parse_args()
    cv2.setNumThreads(1)
    names = sorted(p.name for p in args.artworks.glob("*.jpg"))
    if not names:
        sys.exit(f"No .jpg paintings in {args.artworks}; pass --artworks FOLDER.")
    train_names, held_out = synthetic.split(names)
    print(f"fitting on {len(train_names)} paintings; held out: {', '.join(held_out)}")
    started = time.monotonic()
    fit = fit_blend(load_paintings(args.artworks, train_names, max_side=1600), args.seed)
    args.out.write_text(json.dumps(fit, indent=1) + "\n")
    print(f"blend {fit['weights']} over spans {fit['spans']} ({fit['losses']} losses) -> "
          f"{args.out} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
