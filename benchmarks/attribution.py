"""Artist attribution on ../shared/artworks: leave-one-out accuracy, calibration, "unknown".

    python benchmarks/attribution.py [--artworks DIR] [--world DIR] [--cache DIR] [--json OUT]

Everything is nested, so no figure is fitted on the work it scores:

- In-collection, leave-one-out: each work of an artist with at least two works is left
  out, a model is fitted on the other 54 (its own leave-one-out picks the block weights,
  the temperature and the unknown threshold), and the work is attributed. Top-1 and
  top-3 accuracy; expected calibration error (10 bins) of the top-1 probability; the
  share of these works called "unknown" (should be at most 20%).
- Baselines in the same run, on the same works and the same leave-one-out: a colour-
  histogram nearest neighbour (RGB 8x8x8 at 128 px, histogram intersection, Swain &
  Ballard 1991, computed here from the files, independently of studiolo), and the
  nearest-artist rule on each embedding alone.
- Out of collection, leave one artist out: all works of one artist are left out, a model
  is fitted on the rest, and each of them is attributed: the share called "unknown"
  (should be at least 70%). Also each work of ../shared/artworks-world (artists absent
  from the set) against the whole set.
- Calibration with its noise: the ECE of the scored works with a 95% bootstrap interval
  (resampling the works) beside the mean ECE of a perfectly calibrated model with the same
  probabilities (the noise floor): with 39 works, differences under about 0.1 are noise.
- A candidate method in the same run: the Fisher discriminant on tile bags
  (benchmarks/attribution_tiles.py, the same works and task, nested in the same way).

Features are computed once and cached (by the sha256 of the pixels) in `--cache`
(default $TMPDIR/studiolo-attribution-bench); a first run indexes 84 works (about
7 minutes on 2 cores), later runs only fit and score.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from studiolo.capabilities.analyse.attribution import (
    UNKNOWN_QUANTILE,
    ece,
    fit_attribution,
)
from studiolo.capabilities.analyse.collection import index_manifest
from studiolo.capabilities.analyse.index import NumpyIndex
from studiolo.capabilities.analyse.manifest import read_folder
from studiolo.capabilities.analyse.metric import BLOCKS, fit_scales

sys.path.insert(0, str(ROOT / "benchmarks"))
from attribution_tiles import bootstrap_ece
from attribution_tiles import run as run_tiles
from attribution_tiles import show as show_tiles
from attribution_variants import (
    CALIBRATORS,
    OPEN_SET_CUES,
    OPEN_SET_METRICS,
    calibrated,
    open_set_score,
)

TARGETS = {"top1_over_baseline": 0.15, "ece": 0.1, "out_unknown": 0.70, "in_unknown": 0.20}


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "unknown CPU"
    return next((ln.split(":", 1)[1].strip() for ln in out.splitlines()
                 if ln.startswith("Model name")), "unknown CPU")


def load_index(name: str, folder: Path, cache: Path) -> NumpyIndex:
    target = cache / name
    old = NumpyIndex.load(target) if (target / "collection.json").is_file() else None
    manifest = read_folder(folder)
    if old is not None and len(old) == len(manifest.rows) and "tiles" in old.kinds:
        return old  # (an index from before the tiles kind gets them added, the rest reused)

    def show(event: dict) -> None:
        print(f"  indexing {name} {event['step']}/{event['total']} {event['message']}",
              flush=True)

    index = index_manifest(name, manifest, old, show)
    index.save(target)
    return index


def colour_histogram(path: Path) -> np.ndarray:
    image = Image.open(path).convert("RGB")
    image.thumbnail((128, 128))
    q = np.asarray(image, np.int64) // 32
    hist = np.bincount((q[..., 0] * 64 + q[..., 1] * 8 + q[..., 2]).ravel(), minlength=512)
    return hist / hist.sum()


def nearest_artist_rank(sims: np.ndarray, artists: list[str], truth: str) -> int:
    """Rank (0 = first) of the true artist under the nearest-work-per-artist rule."""
    best: dict[str, float] = {}
    for s, a in zip(sims, artists, strict=True):
        if np.isfinite(s) and s > best.get(a, -np.inf):
            best[a] = s
    ranked = sorted(best, key=lambda a: -best[a])
    return ranked.index(truth) if truth in ranked else len(ranked)


def block_ranks(index: NumpyIndex, queries: list[int], artists: list[str]) -> dict[str, list]:
    """Leave-one-out rank of the true artist for each embedding alone."""
    out: dict[str, list] = {k: [] for k in BLOCKS}
    n = len(artists)
    for i in queries:
        keep = np.arange(n) != i
        raw = {k: index.vectors(k) for k in BLOCKS}
        scales = fit_scales({k: v[keep] for k, v in raw.items()})
        for k in BLOCKS:
            units = scales[k].apply(raw[k])
            sims = units @ units[i]
            sims[i] = -np.inf
            out[k].append(nearest_artist_rank(sims, artists, artists[i]))
    return out


def ece_noise_floor(conf: np.ndarray, draws: int = 2000, seed: int = 0) -> float:
    """Mean ECE of a perfectly calibrated model with these confidences (outcomes drawn as
    Bernoulli(confidence)): what sampling alone costs with this few works."""
    rng = np.random.default_rng(seed)
    return float(np.mean([ece(conf, rng.random(conf.size) < conf) for _ in range(draws)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artworks", type=Path, default=ROOT.parent / "shared" / "artworks")
    parser.add_argument("--world", type=Path, default=ROOT.parent / "shared" / "artworks-world")
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "studiolo-attribution-bench")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    import cv2
    import torch

    torch.set_num_threads(2)
    cv2.setNumThreads(2)
    started = time.perf_counter()
    dev = load_index("dev", args.artworks, args.cache)
    world = load_index("world", args.world, args.cache) if args.world.is_dir() else None
    works = dev.list()
    artists = [w.artist for w in works]
    counts = Counter(artists)
    queries = [i for i, a in enumerate(artists) if counts[a] >= 2]
    print(f"{len(works)} works, {len(counts)} artists; {len(queries)} works of the "
          f"{sum(c >= 2 for c in counts.values())} artists with at least two works", flush=True)

    # 1. studiolo, nested leave-one-out.
    top1, top3, conf, unknown_in = [], [], [], []
    fitted = []  # (temperature, unknown score kind) of each fold
    in_scores, out_scores, world_scores = [], [], []  # (distance, the model's reference)
    variant_conf: dict[str, list[float]] = {name: [] for name in CALIBRATORS}
    cue_in, cue_out, cue_world = [], [], []  # (multi-cue score, the fold's reference)
    t0 = time.perf_counter()
    for i in queries:
        model = fit_attribution(dev, exclude={works[i].sha256})
        att = model.attribute(dev.vectors_of(works[i].sha256))
        dist, _ = model.distances(dev.vectors_of(works[i].sha256))
        two = np.sort(dist)[:2]
        for name, c in calibrated(model, att.candidates[0].probability,
                                  float(two[1] - two[0])).items():
            variant_conf[name].append(c)
        cue_in.append(open_set_score(model, dev, {works[i].sha256}, dev.vectors_of(works[i].sha256)))
        names = [c.artist for c in att.candidates]
        top1.append(names[0] == artists[i])
        top3.append(artists[i] in names[:3])
        conf.append(att.candidates[0].probability)
        unknown_in.append(att.unknown)
        in_scores.append((att.distance, model.reference))
        fitted.append((model.temperature, getattr(model.novelty, "kind", "nearest")))
    fit_seconds = (time.perf_counter() - t0) / len(queries)

    # 2. baselines on the same leave-one-out.
    hists = np.array([colour_histogram(args.artworks / w.file) for w in works])
    base_ranks = []
    for i in queries:
        sims = np.minimum(hists, hists[i]).sum(1)  # histogram intersection
        sims[i] = -np.inf
        base_ranks.append(nearest_artist_rank(sims, artists, artists[i]))
    ranks = block_ranks(dev, queries, artists)

    # 3. leave one artist out, and the world set.
    unknown_out, unknown_out_multi = [], []
    for artist in sorted(counts):
        held = {w.sha256 for w in works if w.artist == artist}
        model = fit_attribution(dev, exclude=held)
        for sha in held:
            att = model.attribute(dev.vectors_of(sha))
            cue_out.append(open_set_score(model, dev, held, dev.vectors_of(sha)))
            verdict = att.unknown
            out_scores.append((att.distance, model.reference))
            unknown_out.append(verdict)
            if counts[artist] >= 2:
                unknown_out_multi.append(verdict)
    unknown_world = []
    if world is not None:
        model = fit_attribution(dev)
        for w in world.list():
            att = model.attribute(world.vectors_of(w.sha256))
            unknown_world.append(att.unknown)
            world_scores.append((att.distance, model.reference))
            cue_world.append(open_set_score(model, dev, set(), world.vectors_of(w.sha256)))

    def acc(r: list[int], k: int) -> float:
        return float(np.mean(np.array(r) < k))

    rows = [("studiolo (learned metric)", float(np.mean(top1)), float(np.mean(top3))),
            ("colour histogram NN (baseline)", acc(base_ranks, 1), acc(base_ranks, 3))]
    rows += [(f"{k} embedding alone", acc(ranks[k], 1), acc(ranks[k], 3)) for k in BLOCKS]
    result = {
        "cpu": cpu_model(), "works": len(works), "queries": len(queries),
        "accuracy": {name: {"top1": t1, "top3": t3} for name, t1, t3 in rows},
        "ece": ece(np.array(conf), np.array(top1)),
        "mean_top1_probability": float(np.mean(conf)),
        "ece_noise_floor": ece_noise_floor(np.array(conf)),
        "unknown_in_collection": float(np.mean(unknown_in)),
        "unknown_leave_artist_out": float(np.mean(unknown_out)),
        "unknown_leave_artist_out_multi": float(np.mean(unknown_out_multi)),
        "unknown_world": float(np.mean(unknown_world)) if unknown_world else None,
        "out_of_collection_works": len(unknown_out), "world_works": len(unknown_world),
        "seconds_per_fit_and_query": fit_seconds,
        "seconds_total": time.perf_counter() - started,
    }
    print(f"\nCPU: {result['cpu']}")
    print(f"{'method':34s} {'top-1':>7s} {'top-3':>7s}")
    for name, t1, t3 in rows:
        print(f"{name:34s} {t1:7.1%} {t3:7.1%}")
    gain = rows[0][1] - rows[1][1]
    print(f"\ntop-1 over the colour-histogram baseline: {gain * 100:+.1f} points "
          f"(target >= +{TARGETS['top1_over_baseline'] * 100:.0f})")
    print(f"expected calibration error: {result['ece']:.3f} (target < {TARGETS['ece']}); mean "
          f"top-1 probability {result['mean_top1_probability']:.2f} vs accuracy {rows[0][1]:.2f}")
    c, ok = np.array(conf), np.array(top1, float)
    print(f"  noise floor: a perfectly calibrated model with these probabilities would show an "
          f"ECE of {result['ece_noise_floor']:.3f} on average over {len(c)} works; Brier score "
          f"{np.mean((c - ok) ** 2):.3f}")
    result["ece_interval"] = bootstrap_ece(c, ok)
    print("  95% bootstrap interval of the ECE (2000 resamples of the {} works): {:.3f}-{:.3f}"
          .format(len(c), *result["ece_interval"]))
    print("  reliability: " + "; ".join(
        f"{lo:.1f}-{lo + 0.2:.1f}: {ok[(c >= lo) & (c < lo + 0.2)].mean():.2f} right of "
        f"{int(((c >= lo) & (c < lo + 0.2)).sum())}"
        for lo in np.arange(0, 1.0, 0.2) if ((c >= lo) & (c < lo + 0.2)).any()))
    print(f"in-collection works called unknown: {result['unknown_in_collection']:.1%} "
          f"(target <= {TARGETS['in_unknown']:.0%})")
    print(f"out-of-collection works called unknown (leave one artist out, {len(unknown_out)} "
          f"works): {result['unknown_leave_artist_out']:.1%} (target >= "
          f"{TARGETS['out_unknown']:.0%}); artists with 2+ works only: "
          f"{result['unknown_leave_artist_out_multi']:.1%}")
    if unknown_world:
        print(f"world set ({len(unknown_world)} works by artists not in the set) called unknown: "
              f"{result['unknown_world']:.1%}")
    kinds = Counter(k for _, k in fitted)
    print(f"fitted per fold: temperature median {np.median([t for t, _ in fitted]):.4f} "
          f"(range {min(t for t, _ in fitted):.4f}-{max(t for t, _ in fitted):.4f}); unknown "
          f"score chosen: " + ", ".join(f"{k} in {n} folds" for k, n in sorted(kinds.items())))
    print(f"fit + attribute: {fit_seconds:.2f} s per leave-one-out fold; total "
          f"{result['seconds_total']:.0f} s")
    def auc(inside: list, outside: list) -> float:
        a = np.array([d for d, _ in inside])[:, None]
        b = np.array([d for d, _ in outside])[None, :]
        return float(np.mean((b > a) + 0.5 * (b == a)))

    print(f"ROC area of the unknown score, in-collection against leave-one-artist-out: "
          f"{auc(in_scores, out_scores):.3f}; against the world set: "
          f"{auc(in_scores, world_scores) if world_scores else float('nan'):.3f}")
    print("\nthe trade-off: share called unknown at other quantiles of the collection's spread")
    print(f"{'quantile':>9s} {'in':>6s} {'out':>6s} {'world':>6s}")
    for q in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        def rate(scores: list, q: float = q) -> float:
            return float(np.mean([d > np.quantile(ref, q) for d, ref in scores])) if scores \
                else float("nan")
        mark = "  <- default" if q == UNKNOWN_QUANTILE else ""
        print(f"{q:9.2f} {rate(in_scores):6.1%} {rate(out_scores):6.1%} "
              f"{rate(world_scores):6.1%}{mark}")
    # Variants, fitted in the same folds (attribution_variants.py).
    print("\ncalibration variants (each fitted on its fold's own leave-one-out queries)")
    print(f"{'calibrator':20s} {'ECE':>6s} {'floor':>6s} {'mean p':>7s} {'Brier':>6s}")
    result["calibration_variants"] = {}
    for name, values in variant_conf.items():
        v = np.array(values)
        row = {"ece": ece(v, ok), "noise_floor": ece_noise_floor(v), "mean": float(v.mean()),
               "brier": float(np.mean((v - ok) ** 2))}
        result["calibration_variants"][name] = row
        print(f"{name:20s} {row['ece']:6.3f} {row['noise_floor']:6.3f} {row['mean']:7.2f} "
              f"{row['brier']:6.3f}")
    print(f"(accuracy {ok.mean():.2f}; floor: the mean ECE of a perfectly calibrated model with "
          f"those probabilities on {len(ok)} works)")
    print(f"\nmulti-cue unknown (openset.py: cues {', '.join(OPEN_SET_CUES)} under "
          f"{', '.join(OPEN_SET_METRICS)}; logistic fitted by leave-one-artist-out in each fold)")
    print(f"ROC area: in against leave-one-artist-out {auc(cue_in, cue_out):.3f}"
          + (f"; against the world set {auc(cue_in, cue_world):.3f}" if cue_world else ""))
    print(f"{'quantile':>9s} {'in':>6s} {'out':>6s} {'world':>6s}")
    for q in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        def cue_rate(scores: list, q: float = q) -> float:
            kept = [(d, ref) for d, ref in scores if np.isfinite(d) and ref.size]
            return float(np.mean([d > np.quantile(ref, q) for d, ref in kept])) if kept \
                else float("nan")
        print(f"{q:9.2f} {cue_rate(cue_in):6.1%} {cue_rate(cue_out):6.1%} "
              f"{cue_rate(cue_world):6.1%}")
    print("\ncandidate: the tile discriminant (attribution_tiles.py), same works, nested folds")
    result["tile_discriminant"] = run_tiles(args.artworks, args.world, args.cache)
    show_tiles(result["tile_discriminant"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
