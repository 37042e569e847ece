"""Restoration benchmark: detection, filling, colour, stains, speed and memory in one run.

    python benchmarks/restoration.py                  # the held-out paintings, all sections
    python benchmarks/restoration.py --quick          # 3 paintings, smaller scans: a smoke run
    python benchmarks/restoration.py --json out.json  # also write every figure

Every figure is measured against truth: synthetic damage of known masks
(`synthetic.apply_damage`) over the paintings of ../shared/artworks that training never
saw (`synthetic.split`: every fifth by name; the three with real craquelure are left out).

1. Detection, per kind: pixel precision, recall and F1, strict and with a 2 px tolerance,
   for the baseline (the classical cues with one threshold per kind, tuned for F1 on four
   *training* paintings: black top-hat for cracks, white top-hat for scratches, ...), and
   for studiolo's detector (net + classical cues).
2. Filling: PSNR and SSIM inside each loss against the undamaged painting, by loss size,
   for every method given the true mask (Telea with the true mask is the reference), for
   the harmonic fill, and for the whole pipeline from the *detected* mask; thin cracks too.
3. Colour: mean CIEDE2000 to the original after correction, on synthetic yellowing of
   known strength and on fading, against grey world and against doing nothing.
4. Stains: CIEDE2000 inside the stains after studiolo's tint division against filling.
5. Speed and memory: a 4000 px scan detected and restored (auto) in a fresh process,
   against a classical peer (black-hat threshold + Telea, same process, same scan), and
   an 8000 px scan's peak memory. Prints the CPU model.

Latest figures: docs/restoration.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from studiolo.capabilities.restore import (
    api,
    classical,
    colour,
    detect,
    fill,
    harmonic,
    learned,
    metrics,
    stains,
    synthetic,
)
from studiolo.capabilities.restore.colourspace import rgb_to_lab
from studiolo.capabilities.restore.kinds import KINDS
from studiolo.features.cielab import ciede2000

BINS = [(5, 15), (15, 30), (30, 60), (60, 121)]
LOSSES = synthetic.DamageRecipe(cracks=0, craquelure=0, scratches=0, losses=5, stains=0,
                                foxing=0, tears=0)
CRACKS = synthetic.DamageRecipe(cracks=3, craquelure=0.6, scratches=0, losses=0, stains=0,
                                foxing=0, tears=0)
STAINS = synthetic.DamageRecipe(cracks=0, craquelure=0, scratches=0, losses=0, stains=2,
                                foxing=2, tears=0)


def default_artworks() -> Path:
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "artworks").is_dir():
            return base / "shared" / "artworks"
    return ROOT.parent / "shared" / "artworks"


def load(folder: Path, names: list[str]) -> list[tuple[str, np.ndarray]]:
    return [(n, cv2.cvtColor(cv2.imread(str(folder / n)), cv2.COLOR_BGR2RGB)) for n in names]


def table(rows: list[list], header: list[str]) -> str:
    cells = [header] + [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


# 1. Detection ---------------------------------------------------------------------------


def tune_baseline(training: list[tuple[str, np.ndarray]]) -> dict[str, float]:
    """Each kind's classical threshold with the best strict F1 on training paintings."""
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    tally = {k: [metrics.Counts() for _ in grid] for k in KINDS}
    for i, (_, image) in enumerate(training):
        damaged = synthetic.apply_damage(image, synthetic.DamageRecipe(), seed=500 + i)
        raw = classical.scores(damaged.image)
        for j, kind in enumerate(KINDS):
            for g, t in enumerate(grid):
                mask = classical.threshold_kind(raw[j], kind, float(t)) >= 0.5
                tally[kind][g] += metrics.counts(mask, damaged.masks[kind])
    return {k: float(grid[int(np.argmax([c.f1 for c in tally[k]]))]) for k in KINDS}


def detection(paintings, training) -> dict:
    tuned = tune_baseline(training)
    print(f"baseline thresholds (tuned on {len(training)} training paintings): {tuned}")
    tally = defaultdict(metrics.Counts)
    for i, (_, image) in enumerate(paintings):
        damaged = synthetic.apply_damage(image, synthetic.DamageRecipe(), seed=1000 + i)
        ours = detect.detect_damage(damaged.image)
        base = classical.threshold(classical.scores(damaged.image), tuned)
        for j, kind in enumerate(KINDS):
            truth = damaged.masks[kind]
            for name, mask in (("baseline", base[j] >= 0.5), (ours.method, ours.mask(kind))):
                tally[(name, kind, 0)] += metrics.counts(mask, truth)
                tally[(name, kind, 2)] += metrics.counts(mask, truth, tolerance=2)
    rows, out = [], {}
    for kind in KINDS:
        row = [kind]
        for name in ("baseline", ours.method):
            s, t = tally[(name, kind, 0)], tally[(name, kind, 2)]
            row += [s.precision, s.recall, s.f1, t.f1]
            out[f"{name}/{kind}"] = {"precision": s.precision, "recall": s.recall, "f1": s.f1,
                                     "f1_tol2": t.f1, "precision_tol2": t.precision,
                                     "recall_tol2": t.recall}
        rows.append(row)
    print(table(rows, ["kind", "base P", "base R", "base F1", "base F1@2px",
                       "ours P", "ours R", "ours F1", "ours F1@2px"]))
    out["undamaged_marked"] = undamaged_marked(paintings, tuned)
    return out


def undamaged_marked(paintings, tuned) -> dict:
    """False alarms on the real, undamaged scans: the fraction of pixels marked per kind."""
    marked = defaultdict(list)
    for _, image in paintings:
        ours = detect.detect_damage(image)
        base = classical.threshold(classical.scores(image), tuned)
        for j, kind in enumerate(KINDS):
            marked[("baseline", kind)].append(float((base[j] >= 0.5).mean()))
            marked[(ours.method, kind)].append(float(ours.mask(kind).mean()))
    names = sorted({name for name, _ in marked})
    rows = [[kind] + [float(np.mean(marked[(n, kind)])) for n in names] for kind in KINDS]
    print("fraction of pixels marked on the undamaged scans (no synthetic damage):")
    print(table([[r[0]] + [f"{v:.4f}" for v in r[1:]] for r in rows], ["kind", *names]))
    return {f"{n}/{k}": float(np.mean(marked[(n, k)])) for n, k in marked}


# 2. Filling -----------------------------------------------------------------------------


def _bin(size: int) -> str:
    for lo, hi in BINS:
        if lo <= size < hi:
            return f"{lo}-{hi - 1} px"
    return "other"


def _harmonic_fill(image, mask):
    out = image.copy()
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8))
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        y0, y1, x0, x1 = max(0, y - 4), y + h + 4, max(0, x - 4), x + w + 4
        hole = labels[y0:y1, x0:x1] == i
        filled = harmonic.fill(out[y0:y1, x0:x1], hole)
        out[y0:y1, x0:x1][hole] = np.clip(np.rint(filled[hole]), 0, 255).astype(np.uint8)
    return out


def filling(paintings) -> dict:
    methods = ["telea", "ns", "patch"] + (["learned"] if learned.available() else []) + ["auto"]
    scores = defaultdict(list)  # (method, bin) -> [(psnr, ssim)]
    seconds = defaultdict(float)
    for i, (_, image) in enumerate(paintings):
        damaged = synthetic.apply_damage(image, LOSSES, seed=2000 + i)
        truth = damaged.masks["losses"]
        outs = {}
        for method in methods:
            t0 = time.perf_counter()
            outs[method] = fill.fill(damaged.image, truth, method).image
            seconds[method] += time.perf_counter() - t0
        outs["harmonic (reference)"] = _harmonic_fill(damaged.image, truth)
        found = api.restore(damaged.image).restored
        outs["auto, detected mask"] = found
        for loss in damaged.losses:
            x, y, w, h = loss.box
            region = np.zeros_like(truth)
            region[y:y + h, x:x + w] = truth[y:y + h, x:x + w]
            for name, out in outs.items():
                scores[(name, _bin(loss.size))].append(
                    (metrics.psnr(out, image, region), metrics.ssim(out, image, region)))
    names = [*methods, "harmonic (reference)", "auto, detected mask"]
    rows, out = [], {}
    for lo, hi in BINS:
        b = f"{lo}-{hi - 1} px"
        ref = np.mean([p for p, _ in scores[("telea", b)]]) if scores[("telea", b)] else np.nan
        for name in names:
            vals = scores[(name, b)]
            if not vals:
                continue
            p, s = float(np.mean([v[0] for v in vals])), float(np.mean([v[1] for v in vals]))
            rows.append([b, name, len(vals), p, p - ref, s])
            out[f"{name}/{b}"] = {"psnr": p, "ssim": s, "vs_telea_db": p - ref, "n": len(vals)}
    print(table(rows, ["loss size", "method (true mask)", "n", "PSNR dB", "vs Telea", "SSIM"]))
    big = {n: np.mean([v[0] for b in ("30-59 px", "60-120 px") for v in scores[(n, b)]])
           for n in names if scores[(n, "30-59 px")]}
    print("losses over 30 px, mean PSNR:", {k: round(float(v), 2) for k, v in big.items()})
    out["over_30px"] = {k: float(v) for k, v in big.items()}
    out["seconds"] = dict(seconds)
    # Thin cracks: every method hands lines to Telea or Navier-Stokes; measured for both.
    crack_rows = defaultdict(list)
    for i, (_, image) in enumerate(paintings):
        damaged = synthetic.apply_damage(image, CRACKS, seed=3000 + i)
        truth = damaged.masks["cracks"]
        if truth.any():
            for method in ("telea", "ns", "auto"):
                crack_rows[method].append(metrics.psnr(
                    fill.fill(damaged.image, truth, method).image, image, truth))
    print("thin cracks, PSNR inside:", {k: round(float(np.mean(v)), 2) for k, v in crack_rows.items()})
    out["cracks"] = {k: float(np.mean(v)) for k, v in crack_rows.items()}
    return out


# 3. Colour and 4. stains -------------------------------------------------------------------


def _de(a, b, region=None):
    la, lb = rgb_to_lab(a), rgb_to_lab(b)
    d = ciede2000(la, lb)
    return float(d[region].mean() if region is not None else d.mean())


def colour_section(paintings) -> dict:
    small = [colour.thumbnail(im, 800) for _, im in paintings]
    cases = [("yellowing 0.3", 0.3, 0.0, None), ("yellowing 0.6", 0.6, 0.0, None),
             ("yellowing 0.9", 0.9, 0.0, None), ("fading 0.4, auto", 0.0, 0.4, "auto"),
             ("fading 0.4, told 0.4", 0.0, 0.4, 0.4), ("both, auto", 0.6, 0.4, "auto")]
    rows, out = [], {}
    for label, s, f, fading in cases:
        none, grey, ours = [], [], []
        for im in small:
            seen = synthetic.yellow(synthetic.fade(im, f), s)
            corr = colour.estimate(seen, fading=fading)
            none.append(_de(seen, im))
            grey.append(_de(colour.grey_world(seen), im))
            ours.append(_de(colour.apply(seen, corr), im))
        rows.append([label, float(np.mean(none)), float(np.mean(grey)), float(np.mean(ours)),
                     float(np.max(ours))])
        out[label] = {"none": rows[-1][1], "grey_world": rows[-1][2], "studiolo": rows[-1][3],
                      "studiolo_worst": rows[-1][4]}
    print(table(rows, ["case", "uncorrected", "grey world", "studiolo", "studiolo worst"]))
    yellow = [out[f"yellowing {s}"]["studiolo"] for s in ("0.3", "0.6", "0.9")]
    print(f"mean CIEDE2000 over the three yellowings: {np.mean(yellow):.2f}")
    out["yellowing_mean"] = float(np.mean(yellow))
    return out


def stains_section(paintings) -> dict:
    none, filled, ours = [], [], []
    for i, (_, image) in enumerate(paintings):
        damaged = synthetic.apply_damage(image, STAINS, seed=4000 + i)
        truth = damaged.masks["stains"]
        if not truth.any():
            continue
        spots, big = stains.split_spots(truth)
        mine, _ = stains.reduce_stains(damaged.image, big)
        if spots.any():
            mine = fill.fill(mine, spots, "auto").image
        none.append(_de(damaged.image, image, truth))
        filled.append(_de(fill.fill(damaged.image, truth, "auto").image, image, truth))
        ours.append(_de(mine, image, truth))
    out = {"none": float(np.mean(none)), "fill_all": float(np.mean(filled)),
           "studiolo": float(np.mean(ours)), "worse_than_none": int(np.sum(
               np.array(ours) > np.array(none))), "paintings": len(ours)}
    print("stains, CIEDE2000 inside:", {k: round(v, 2) if isinstance(v, float) else v
                                        for k, v in out.items()})
    return out


# 5. Speed and memory ----------------------------------------------------------------------


def _scan(image: np.ndarray, side: int, seed: int) -> np.ndarray:
    scale = side / max(image.shape[:2])
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return synthetic.apply_damage(big, synthetic.DamageRecipe(), seed=seed).image


def _child(image_path: str, side: int, with_peer: bool, queue) -> None:
    import torch

    torch.set_num_threads(2)
    cv2.setNumThreads(2)
    image = cv2.cvtColor(cv2.imread(image_path), cv2.COLOR_BGR2RGB)
    scan = _scan(image, side, seed=5)
    mpx = scan.shape[0] * scan.shape[1] / 1e6
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    def cpu() -> float:
        used = resource.getrusage(resource.RUSAGE_SELF)
        return used.ru_utime + used.ru_stime

    t0, c0 = time.perf_counter(), cpu()
    result = api.restore(scan)
    ours, ours_cpu = time.perf_counter() - t0, cpu() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # CPU seconds next to wall seconds: on the shared cores the wall time depends on what
    # else runs (load average printed), the process's CPU time much less.
    out = {"size": f"{scan.shape[1]}x{scan.shape[0]}", "megapixels": mpx, "seconds": ours,
           "cpu_seconds": ours_cpu, "load_average": os.getloadavg()[0],
           "seconds_per_mpx": ours / mpx, "peak_rss_mb": peak, "rss_before_mb": start_rss,
           "scan_mb": scan.nbytes / 1e6, "stages": result.seconds}
    if with_peer:
        t0 = time.perf_counter()
        grey = cv2.cvtColor(scan, cv2.COLOR_RGB2GRAY)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
        mask = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, kernel) > 20
        cv2.inpaint(scan, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
        out["peer_seconds"] = time.perf_counter() - t0
    queue.put(out)


def speed(painting_path: Path, sides: list[int]) -> dict:
    cpu = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True,
                         text=True, check=False).stdout.strip()
    print(cpu or "CPU model: unknown", "| cores:", mp.cpu_count())
    ctx = mp.get_context("spawn")
    out = {"cpu": cpu}
    for i, side in enumerate(sides):
        queue = ctx.Queue()
        child = ctx.Process(target=_child, args=(str(painting_path), side, i == 0, queue))
        child.start()
        res = queue.get()
        child.join()
        line = (f"{res['size']} ({res['megapixels']:.1f} MP): restore {res['seconds']:.1f} s "
                f"({res['seconds_per_mpx']:.2f} s/MP; CPU {res['cpu_seconds']:.1f} s; load "
                f"average {res['load_average']:.1f}), peak RSS {res['peak_rss_mb']:.0f} MB "
                f"(scan {res['scan_mb']:.0f} MB), stages {res['stages']}")
        if "peer_seconds" in res:
            line += (f"; peer (black-hat + Telea) {res['peer_seconds']:.1f} s, ratio "
                     f"{res['seconds'] / res['peer_seconds']:.1f}x slower")
        print(line)
        out[str(side)] = res
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artworks", type=Path, default=default_artworks())
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sections", default="detect,fill,colour,stains,speed")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    cv2.setNumThreads(2)
    names = sorted(p.name for p in args.artworks.glob("*.jpg"))
    train_names, held = synthetic.split(names)
    if args.quick:
        held = held[:3]
    print(f"held-out paintings ({len(held)}): {', '.join(held)}")
    paintings = load(args.artworks, held)
    sections = set(args.sections.split(","))
    results: dict = {"held_out": held}
    for name, fn in (("detect", lambda: detection(paintings, load(args.artworks, train_names[:4]))),
                     ("fill", lambda: filling(paintings)),
                     ("colour", lambda: colour_section(paintings)),
                     ("stains", lambda: stains_section(paintings)),
                     ("speed", lambda: speed(args.artworks / held[0],
                                             [2000, 4000] if args.quick else [4000, 8000]))):
        if name in sections:
            print(f"\n== {name} ==")
            t0 = time.perf_counter()
            results[name] = fn()
            print(f"({time.perf_counter() - t0:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
