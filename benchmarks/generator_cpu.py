"""The personal generator on a CPU: training speed, sample speed and an offline quality figure.

    python benchmarks/generator_cpu.py                      # 100 images, 64 px, 20 minutes
    python benchmarks/generator_cpu.py --minutes 5          # a shorter run
    python benchmarks/generator_cpu.py --steps 30 --json out.json

Training set: the bundled paintings (src/studiolo/data/paintings, 55) and
offline-painter images (seeded prompts) up to --images, written once to
--data. It trains `studiolo.capabilities.generator.train.train_generator` for --minutes,
then reports seconds per step, total time, the time to make one sample, and:

- KID (kernel inception distance, Bińkowski et al. 2018: unbiased MMD² with
  the cubic polynomial kernel, x1000) between the training images and each
  candidate set, on EfficientNet-Lite0 ImageNet features (studiolo.features.content,
  images scaled to 224 px) and on 8x8x8 RGB histograms. KID, not FID, because
  it is unbiased with 100 images. Candidates: half of the training set against
  the other half (what real pictures of the same body of work score), 100
  samples, the training images blurred (Gaussian, radius 3: right colours and
  layout, no detail), the generator before training, and uniform noise.
- Memorisation: each sample's distance to its nearest training image (pixels,
  RMS on 0-255, mirror images included), against each training image's
  distance to its nearest other training image. Samples far closer to the
  training set than its own members are to one another would be copies.

A contact sheet (PNG, every picture at its own pixels) goes to --sheet: three
rows of samples (seeds 0-23) and, in the fourth row, the training image
nearest to each sample of the first row.

Measured 2026-11-23, 15:29-15:50 UTC, `python benchmarks/generator_cpu.py --data
/tmp/genbench/data --json report.json` (the defaults: 100 images, 64 px, 20 minutes,
width 32, z_dim 128, batch 32, lr 5e-4/5e-4, Adam betas (0, 0.99)), "AMD EPYC x2"
with torch's 2 threads, the machine mostly to itself (load average 2 at the end;
a few minutes of test runs shared it):

    steps 1827 in train_seconds 1200.2, seconds_per_step_median 0.545, sample_ms 6.5
    end to end 20 min 39 s, peak RSS 0.94 GB
    KID x1000          real half vs half  samples  blurred training  untrained G  noise
      EfficientNet        -4.81           155.34      450.91          482.86     564.46
      RGB histogram      -70.47           480.00       63.08         5932.93    6328.25
    nn_rms  sample -> training median 42.2, min 23.1; training -> other training 33.9
    variety_rms  among samples 62.3, among training images 71.2
    sheet: docs/generator-samples.png

What the samples look like (the sheet): the training set's colours and broad
layouts, blurred: blue skies over green fields, orange and violet sunsets over
water, dark gilded interiors with gold patterns (the ballet and Klimt paintings),
a few grey storm skies; no recognisable subject or figure. On EfficientNet
features they are about three times nearer the paintings than the blurred
training set is; on colour histograms they are far nearer than the untrained
generator but not yet as near as the blurred set (the blur keeps every colour).
They differ from one another almost as much as the training pictures do (62 vs
71 RMS), and each lies farther from its nearest training picture (42) than the
paintings lie from one another (34): no copies.

The previous settings (Adam betas (0.5, 0.99), lr 2e-4, no minibatch standard
deviation in D), measured the same way on cores shared with other jobs (321
steps, 3.2 s a step): KID 426.68 (EfficientNet) and 5920.52 (histogram), every
seed nearly the same muddy colour field. An experiment harness (not shipped)
compared each change at 300 and 1000 steps on one thread (mean RMS between samples
of different seeds, "variety"; KID as above): at 300 steps betas (0, 0.99) raised
variety from 0.8 to 69 and minibatch std, alone, to 35 (EfficientNet KID 453 -> 316);
at 1000 steps with both, lr 5e-4 instead of 2e-4 took the histogram KID from 1052
to 742 and EfficientNet KID from 405 to 222. A D made of frozen EfficientNet
features ("projected GAN") scored best on EfficientNet KID, the features it is
built on, but worse on histograms (3126) with grid-like textures, so it was not
taken.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
PAINTINGS = ROOT / "src" / "studiolo" / "data" / "paintings"
PROMPTS = ("a harbour at dusk", "a field of poppies under a storm", "a snowy village at night",
           "a river with poplars in the morning", "a lighthouse on a cliff at sunset",
           "a garden with a pond and water lilies", "a mountain lake in autumn",
           "a beach with boats at noon", "a wheat field in summer", "a foggy bridge over a canal",
           "a forest path in spring", "a city street in the rain")


def build_folder(folder: Path, count: int, side: int = 128) -> Path:
    """The paintings, then painter images with seeded prompts, up to `count` files."""
    folder.mkdir(parents=True, exist_ok=True)
    have = sorted(folder.iterdir())
    if len(have) >= count:
        return folder
    from studiolo.capabilities.painter.engine import PainterEngine
    from studiolo.core.engine import Request
    from studiolo.core.types import Recipe

    for path in sorted(PAINTINGS.glob("*.jpg"))[:count]:
        shutil.copyfile(path, folder / path.name)
    painter, i = PainterEngine(), 0
    while len(list(folder.iterdir())) < count:
        recipe = Recipe(engine="painter", prompt=PROMPTS[i % len(PROMPTS)], seed=i, width=side,
                        height=side)
        painter.run(Request(recipe))[0].image.save(folder / f"painter-{i:03d}.png")
        i += 1
    return folder


# -- quality ----------------------------------------------------------------------------------


def kid(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² with k(a, b) = (a.b / d + 1)^3 (Bińkowski et al. 2018), x1000."""
    d = x.shape[1]
    kxx, kyy, kxy = ((a @ b.T / d + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
    n, m = len(x), len(y)
    xx = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(1000 * (xx + yy - 2 * kxy.mean()))


def effnet_features(images: list[Image.Image]) -> np.ndarray | None:
    try:
        import torch

        from studiolo.features.content import load_network, to_input
    except ImportError:
        return None
    net = load_network()
    with torch.inference_mode():
        rows = [net.features(torch.cat([to_input(im) for im in images[i:i + 25]])).numpy()
                for i in range(0, len(images), 25)]
    return np.concatenate(rows).astype(np.float64)


def histogram_features(images: list[Image.Image]) -> np.ndarray:
    """Square roots of 8x8x8 joint RGB histograms (Hellinger), scaled to the kernel's range."""
    out = []
    for image in images:
        q = np.asarray(image, dtype=np.int64) // 32
        counts = np.bincount((q[..., 0] * 64 + q[..., 1] * 8 + q[..., 2]).ravel(), minlength=512)
        out.append(np.sqrt(counts / counts.sum()))
    return np.array(out) * np.sqrt(512)


def nearest(a: np.ndarray, b: np.ndarray, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """RMS pixel distance from each row of a to its nearest row of b, and its index."""
    d2 = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
    if exclude_self:
        np.fill_diagonal(d2, np.inf)
    index = d2.argmin(1)
    return np.sqrt(np.maximum(d2[np.arange(len(a)), index], 0) / a.shape[1]), index


def spread(x: np.ndarray) -> float:
    """Mean RMS pixel distance between two different rows: how different the pictures are."""
    sq = (x**2).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0) / x.shape[1]
    return round(float(np.sqrt(d2[np.triu_indices(len(x), 1)]).mean()), 1)


def quality(train: list[Image.Image], samples: list[Image.Image], untrained: list[Image.Image],
            seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    side = train[0].width
    noise = [Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8))
             for _ in range(len(samples))]
    blurred = [im.filter(ImageFilter.GaussianBlur(3)) for im in train]
    order = rng.permutation(len(train))
    half_a = [train[i] for i in order[: len(train) // 2]]
    half_b = [train[i] for i in order[len(train) // 2:]]
    sets = {"real half vs half": (half_a, half_b), "samples": (train, samples),
            "blurred training": (train, blurred), "untrained G": (train, untrained),
            "uniform noise": (train, noise)}
    out: dict = {"kid_effnet": {}, "kid_histogram": {}}
    cache: dict[tuple[str, int], np.ndarray | None] = {}

    def features(key: str, images: list) -> np.ndarray | None:
        if (key, id(images)) not in cache:
            function = effnet_features if key == "kid_effnet" else histogram_features
            cache[key, id(images)] = function(images)
        return cache[key, id(images)]

    for label, (ref, cand) in sets.items():
        for key in ("kid_effnet", "kid_histogram"):
            fr, fc = features(key, ref), features(key, cand)
            out[key][label] = None if fr is None or fc is None else round(kid(fr, fc), 2)
    flat = lambda ims: np.stack([np.asarray(im, np.float64).ravel() for im in ims])
    tr = flat(train + [ImageOps.mirror(im) for im in train])
    own, _ = nearest(flat(train), flat(train), exclude_self=True)
    own_mirror, _ = nearest(flat(train), flat([ImageOps.mirror(im) for im in train]))
    to_train, index = nearest(flat(samples), tr)
    out["nn_rms"] = {"sample -> training (median)": round(float(np.median(to_train)), 1),
                     "sample -> training (min)": round(float(to_train.min()), 1),
                     "training -> other training (median)": round(float(
                         np.median(np.minimum(own, own_mirror))), 1)}
    out["variety_rms"] = {"among samples (mean)": spread(flat(samples)),
                          "among training images (mean)": spread(flat(train))}
    out["_nearest_index"] = [int(i) % len(train) for i in index]
    return out


def contact_sheet(samples: list[Image.Image], train: list[Image.Image], nearest_index: list[int],
                  path: Path, columns: int = 8) -> Path:
    """Every picture at its own pixels (no resampling), as a PNG."""
    rows, cell = 3, samples[0].width
    gap, label = 6, 18
    sheet = Image.new("RGB", (columns * cell + (columns + 1) * gap,
                              (rows + 1) * cell + (rows + 2) * gap + 2 * label), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    draw.text((gap, 2), "samples, seeds 0-23", fill=(230, 230, 230))
    for i, image in enumerate(samples[: rows * columns]):
        x = gap + (i % columns) * (cell + gap)
        y = label + gap + (i // columns) * (cell + gap)
        sheet.paste(image, (x, y))
    top = label + gap + rows * (cell + gap) + label
    draw.text((gap, top - label + 2), "nearest training image to each sample of the first row",
              fill=(230, 230, 230))
    for i in range(columns):
        sheet.paste(train[nearest_index[i]], (gap + i * (cell + gap), top))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, format="PNG", optimize=True)
    return path


# -- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=None, help="[default: the library's, 20]")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--width", type=int)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--lr", type=float, nargs=2, metavar=("G", "D"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="torch threads [default: torch's]")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "studiolo-generator-bench")
    parser.add_argument("--sheet", type=Path,
                        default=Path(tempfile.gettempdir()) / "studiolo-generator-samples.png")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import torch

    from studiolo.capabilities.generator import nets
    from studiolo.capabilities.generator.train import DEFAULT_MINUTES, train_generator
    from studiolo.core.settings import Settings
    from studiolo.features.training_data import load_training_folder

    if args.threads:
        torch.set_num_threads(args.threads)
    folder = build_folder(args.data, args.images)
    home = Path(tempfile.mkdtemp(prefix="studiolo-bench-home-"))
    settings = Settings.from_env(home)
    times: list[float] = []
    last = [time.perf_counter()]

    def progress(event: dict) -> None:
        if event["stage"] != "train":
            return
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now
        if event["step"] % 50 == 0:
            print(f"step {event['step']}/{event['total']}  {event['message']}  "
                  f"{statistics.median(times[-50:]):.2f} s/step", flush=True)

    extra = {"width": args.width, "batch_size": args.batch, "size": args.size, "seed": args.seed}
    if args.lr:
        extra.update(lr_g=args.lr[0], lr_d=args.lr[1])
    minutes = args.minutes if args.minutes or args.steps else DEFAULT_MINUTES
    started = time.perf_counter()
    result = train_generator(folder, name="bench", steps=args.steps,
                             minutes=None if args.steps else minutes, settings=settings,
                             progress=progress, checkpoint_every=200,
                             **{k: v for k, v in extra.items() if v is not None})
    wall = time.perf_counter() - started

    loaded = nets.load_generator("bench", settings)
    z_dim = loaded.net.config.z_dim
    nets.render(loaded.net, nets.latent(0, z_dim))
    t = time.perf_counter()
    samples = nets.render(loaded.net, torch.cat([nets.latent(s, z_dim) for s in range(100)]))
    sample_s = (time.perf_counter() - t) / 100
    untrained = nets.render(nets.build(loaded.net.config, args.seed)[0],
                            torch.cat([nets.latent(s, z_dim) for s in range(100)]))
    train = [item.image for item in load_training_folder(folder, size=args.size).images]
    figures = quality(train, samples, untrained)
    sheet = contact_sheet(samples, train, figures.pop("_nearest_index"), args.sheet)
    report = {
        "date": time.strftime("%Y-%m-%d"), "cpu": _cpu(), "threads": torch.get_num_threads(),
        "load_average_at_end": os.getloadavg(), "images": len(train), "size": args.size,
        "config": {k: result.config[k] for k in ("width", "z_dim", "batch_size", "lr_g", "lr_d")},
        "steps": result.steps, "train_seconds": round(result.seconds, 1),
        "wall_seconds": round(wall, 1),
        "seconds_per_step_median": round(statistics.median(times), 3),
        "sample_ms": round(1000 * sample_s, 2), **figures,
        "sheet": str(sheet), "sheet_kb": round(sheet.stat().st_size / 1024),
    }
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    shutil.rmtree(home, ignore_errors=True)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} x{os.cpu_count()}"
    except OSError:
        pass
    return f"{os.cpu_count()} cores"


if __name__ == "__main__":
    main()
