"""Attribution by the tile discriminant (capabilities/analyse/tiles.py), measured nested.

    python benchmarks/attribution_tiles.py [--artworks DIR] [--world DIR] [--cache DIR]

Also run by benchmarks/attribution.py beside studiolo's shipped method. The task and the
scored works are the same as there (a work's artist; the 39 works of artists with two or
more works; out of collection: every work with its artist left out, and the world set).
Nothing is fitted on the scored work or its artist:

- outer fold: the scored work (or, out of collection, all works of its artist) is left
  out; the tile metric is fitted on the tiles of the remaining works only;
- inside that fold, studiolo's own fit (tiles.TileAttribution): `INNER` folds over the
  remaining works (each refits the metric without them) give leave-out distances for every
  remaining work whose artist has another remaining work: on those, the softmax temperature
  is fitted (Guo et al. 2017) and the unknown threshold is their `UNKNOWN_QUANTILE`
  (split-conformal, as novelty.py);
- the scored work is attributed by its nearest work per artist under the fold's metric, and
  called unknown when its distance to the nearest artist is past the fold's threshold.

Calibration is stated with its noise: the ECE of the 39 works with a 95% bootstrap interval
(2000 resamples of the scored works) and the mean ECE a perfectly calibrated model with
the same probabilities would show on 39 works.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from studiolo.capabilities.analyse.attribution import ece, softmax_rows
from studiolo.capabilities.analyse.manifest import read_folder
from studiolo.capabilities.analyse.tiles import (
    TileAttribution,
    bag_of,
    flat_tiles,
    tile_features,
)

SEED = 0


def load_bags(folder: Path, cache: Path) -> tuple[list[str], list[np.ndarray]]:
    """(artists, tile bags) of a manifest folder, features cached by the file's sha256."""
    cache.mkdir(parents=True, exist_ok=True)
    artists, bags = [], []
    for row in read_folder(folder).rows:
        data = (folder / row.file).read_bytes()
        target = cache / f"{hashlib.sha256(data).hexdigest()}.npy"
        if not target.is_file():
            print(f"  tiles of {row.file}", flush=True)
            with Image.open(folder / row.file) as image:
                np.save(target, tile_features(image.convert("RGB")))
        artists.append(row.artist)
        rows = np.load(target)  # as the index keeps them: a fixed 9 rows (tiles.flat_tiles)
        bags.append(bag_of(flat_tiles(rows), rows.shape[1]))
    return artists, bags


class Fold:
    """studiolo's tile attribution (tiles.TileAttribution) fitted on the works `train` only;
    artists with no work in `train` are not candidates (as in a collection without them)."""

    def __init__(self, bags: list[np.ndarray], labels: np.ndarray, train: np.ndarray,
                 n_artists: int) -> None:
        present = np.unique(labels[train])
        code = {a: i for i, a in enumerate(present)}
        self.model = TileAttribution([bags[i] for i in train],
                                     np.array([code[a] for a in labels[train]]), len(present))
        self.artists = present

    def attribute(self, bag: np.ndarray) -> tuple[np.ndarray, float, bool]:
        """(probabilities over the fold's artists, distance, unknown?) of one work."""
        d, _ = self.model.distances(bag)
        p = softmax_rows(d[None], self.model.temperature)[0]
        return p, float(d.min()), bool(d.min() > self.model.threshold)

    def relative_unknown(self, bag: np.ndarray) -> tuple[float, bool]:
        """(distance over the nearest artist's spread, past the fold's threshold?)"""
        d, _ = self.model.distances(bag)
        r = self.model.relative(d)
        return r, bool(r > self.model.relative_threshold)


def bootstrap_ece(conf: np.ndarray, right: np.ndarray, draws: int = 2000,
                  seed: int = SEED) -> tuple[float, float]:
    """95% percentile interval of the ECE over resamples of the scored works."""
    rng = np.random.default_rng(seed)
    values = [ece(conf[s], right[s]) for s in
              (rng.integers(0, conf.size, conf.size) for _ in range(draws))]
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))


def run(artworks: Path, world: Path | None, cache: Path) -> dict:
    artists, bags = load_bags(artworks, cache / "tiles")
    names = sorted(set(artists))
    code = {a: i for i, a in enumerate(names)}
    labels = np.array([code[a] for a in artists])
    counts = Counter(artists)
    everyone = np.arange(len(artists))
    queries = [i for i in everyone if counts[artists[i]] >= 2]
    conf, right, top3, unknown_in, d_in = [], [], [], [], []
    rel_in, rel_out = [], []
    for i in queries:
        fold = Fold(bags, labels, np.delete(everyone, i), len(names))
        p, dist, unknown = fold.attribute(bags[i])
        order = fold.artists[np.argsort(-p)]
        conf.append(float(p.max()))
        right.append(order[0] == labels[i])
        top3.append(labels[i] in order[:3])
        unknown_in.append(unknown)
        d_in.append(dist)
        rel_in.append(fold.relative_unknown(bags[i]))
    unknown_out, d_out = [], []
    for a in range(len(names)):
        held = np.flatnonzero(labels == a)
        fold = Fold(bags, labels, np.setdiff1d(everyone, held), len(names))
        for i in held:
            _, dist, unknown = fold.attribute(bags[i])
            unknown_out.append(unknown)
            d_out.append(dist)
            rel_out.append(fold.relative_unknown(bags[i]))
    unknown_world, rel_world = [], []
    if world is not None and world.is_dir():
        _, world_bags = load_bags(world, cache / "tiles")
        fold = Fold(bags, labels, everyone, len(names))
        unknown_world = [fold.attribute(b)[2] for b in world_bags]
        rel_world = [fold.relative_unknown(b)[1] for b in world_bags]
    conf_a, right_a = np.array(conf), np.array(right, float)
    a = np.array(d_in)[:, None]
    b = np.array(d_out)[None, :]
    floor_rng = np.random.default_rng(SEED)
    floor = float(np.mean([ece(conf_a, floor_rng.random(conf_a.size) < conf_a)
                           for _ in range(2000)]))
    return {
        "queries": len(queries), "top1": float(right_a.mean()), "top3": float(np.mean(top3)),
        "ece": ece(conf_a, right_a), "ece_interval": bootstrap_ece(conf_a, right_a),
        "ece_noise_floor": floor, "mean_top1_probability": float(conf_a.mean()),
        "unknown_in_collection": float(np.mean(unknown_in)),
        "unknown_leave_artist_out": float(np.mean(unknown_out)),
        "unknown_world": float(np.mean(unknown_world)) if unknown_world else None,
        "roc_area": float(np.mean((b > a) + 0.5 * (b == a))),
        "relative_in": float(np.mean([u for _, u in rel_in])),
        "relative_out": float(np.mean([u for _, u in rel_out])),
        "relative_world": float(np.mean(rel_world)) if rel_world else None,
        "relative_roc_area": _auc([r for r, _ in rel_in], [r for r, _ in rel_out]),
    }


def _auc(inside: list[float], outside: list[float]) -> float:
    a, b = np.array(inside)[:, None], np.array(outside)[None, :]
    return float(np.mean((b > a) + 0.5 * (b == a)))


def show(r: dict) -> None:
    lo, hi = r["ece_interval"]
    print(f"tile discriminant (nested): top-1 {r['top1']:.1%}, top-3 {r['top3']:.1%} of "
          f"{r['queries']} works")
    print(f"  ECE {r['ece']:.3f} (95% bootstrap interval {lo:.3f}-{hi:.3f}; a perfectly "
          f"calibrated model would show {r['ece_noise_floor']:.3f} on these works); mean top-1 "
          f"probability {r['mean_top1_probability']:.2f}")
    print(f"  unknown: in-collection {r['unknown_in_collection']:.1%}, leave one artist out "
          f"{r['unknown_leave_artist_out']:.1%}"
          + (f", world set {r['unknown_world']:.1%}" if r["unknown_world"] is not None else "")
          + f"; ROC area {r['roc_area']:.3f}")
    print(f"  unknown by the distance relative to the nearest artist's own spread: in-collection "
          f"{r['relative_in']:.1%}, leave one artist out {r['relative_out']:.1%}"
          + (f", world set {r['relative_world']:.1%}" if r["relative_world"] is not None
             else "") + f"; ROC area {r['relative_roc_area']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artworks", type=Path, default=ROOT.parent / "shared" / "artworks")
    parser.add_argument("--world", type=Path, default=ROOT.parent / "shared" / "artworks-world")
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "studiolo-attribution-bench")
    args = parser.parse_args()
    show(run(args.artworks, args.world, args.cache))


if __name__ == "__main__":
    main()
