"""Reading stealth metadata from the alpha channel: studiolo against sd-parsers, same images.

    python benchmarks/stealth_read.py [--sizes 512,1024,2048] [--repeat 3]
        [--peer-site /tmp/readers-sdp/lib/python3.11/site-packages]

Both read the same decoded RGBA image, in the same process: studiolo's
`provenance.stealth.read_stealth` (numpy; checks the 120-pixel signature first,
then copies only the payload's columns) and sd-parsers' `LSBExtractor.extract_from`
(a Python list of every pixel, then bit by bit). Two inputs per size: `payload`
(a NovelAI-style gzip JSON of ~1.5 kB in the alpha LSBs) and `noise` (random alpha,
no signature: what every plain RGBA PNG without metadata costs). Prints the median
seconds of each and the ratio peer/studiolo. sd-parsers is not a dependency of
studiolo: install it in a throwaway venv (`pip install sd-parsers`) and pass its
site-packages with --peer-site; without it only studiolo's times are printed.

Measured 2026-12-04 on the shared 2-core AMD EPYC VM (other helpers' tests on the same
cores), sd-parsers 0.6, `python benchmarks/stealth_read.py --sizes 512,1024,2048 --repeat 3`:

    input         size  studiolo s  sd-parsers s     ratio
    payload   512x512      0.00014       0.05351      374x
    noise     512x512      0.00022       0.03997      183x
    payload  1024x1024     0.00042       0.25469      605x
    noise    1024x1024     0.00064       0.23215      363x
    payload  2048x2048     0.00751       0.97975      130x
    noise    2048x2048     0.01112       1.15899      104x

(studiolo's `noise` time is the copy of the alpha plane, linear in the pixels; the
signature test itself reads 120 pixels.)
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from studiolo.provenance.stealth import read_stealth


def payload_image(size: int, rng: np.random.Generator) -> Image.Image:
    comment = {"prompt": "1girl, lighthouse, night sky " * 20, "steps": 28, "seed": 1, "scale": 5.0,
               "sampler": "k_euler", "uc": "lowres " * 30, "width": size, "height": size}
    text = json.dumps({"Description": comment["prompt"], "Software": "NovelAI",
                       "Comment": json.dumps(comment)})
    data = gzip.compress(text.encode())
    stream = b"stealth_pngcomp" + (len(data) * 8).to_bytes(4, "big") + data
    bits = np.unpackbits(np.frombuffer(stream, dtype=np.uint8))
    array = rng.integers(0, 256, (size, size, 4), dtype=np.uint8)
    column_order = np.transpose(array, (1, 0, 2)).reshape(-1, 4).copy()
    column_order[: len(bits), 3] = (column_order[: len(bits), 3] & 0xFE) | bits
    array = np.ascontiguousarray(np.transpose(column_order.reshape(size, size, 4), (1, 0, 2)))
    return Image.fromarray(array, "RGBA")


def noise_image(size: int, rng: np.random.Generator) -> Image.Image:
    return Image.fromarray(rng.integers(0, 256, (size, size, 4), dtype=np.uint8), "RGBA")


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - the peer raises on images without metadata
            result = f"{type(exc).__name__}"
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="512,1024,2048")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer-site", default="/tmp/readers-sdp/lib/python3.11/site-packages")
    args = parser.parse_args()
    peer = None
    if Path(args.peer_site).is_dir():
        sys.path.append(args.peer_site)
        try:
            from sd_parsers.extractors._png_stenographic_alpha import LSBExtractor as peer
        except ImportError as exc:
            print(f"sd-parsers not importable from {args.peer_site} ({exc}): studiolo only")
    rng = np.random.default_rng(0)
    print(f"{'input':8} {'size':>9} {'studiolo s':>11} {'sd-parsers s':>13} {'ratio':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        for kind, make in (("payload", payload_image), ("noise", noise_image)):
            image = make(size, rng)
            ours, found = timed(lambda image=image: read_stealth(image), args.repeat)
            if kind == "payload":
                assert found is not None and '"Software": "NovelAI"' in found[1], found
            else:
                assert found is None, found
            line = f"{kind:8} {size:>4}x{size:<4} {ours:11.5f}"
            if peer is not None:
                theirs, got = timed(lambda image=image: peer.extract_from(image), args.repeat)
                if kind == "payload":
                    assert isinstance(got, str) and "NovelAI" in got, got
                line += f" {theirs:13.5f} {theirs / ours:8.0f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
