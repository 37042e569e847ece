"""Reading an A1111 parameters line: the old regex scan against the linear one, on growing input.

    python benchmarks/infotext_parse.py [--sizes 1000,2000,5000,10000,20000,40000] [--budget 30]

Before, `parse_infotext` found the parameters with A1111's own
`re.findall(r'\\s*(\\w[\\w \\-/]+):\\s*("(?:\\\\.|[^\\\\"])+"|[^,]*)(?:,|$)')` and the LoRA
tags with `re.findall(r"<lora:([^:>]+)(?::([^:>]*))?(?::[^>]*)?>")`: both rescan
the rest of the line from every position of a long run that never matches, so
the time grows with the square of the length. studiolo now reads the same
pairs and tags (`_params`, `_lora_tags`; the property test checks they agree
with the regexes) in one forward pass. For each input kind and size this runs
both on the same text, in the same process, and prints the median seconds, the
ratio old/new, and the growth exponent of each (the slope of log time against
log size: 1 is linear, 2 quadratic). The old scan is skipped at sizes after
one run of it took longer than --budget seconds.

Inputs: `letters` ("a" * n, the issue's case: 2-11 s at 20,000 before), `keys`
("Steps 20 " * ..., key characters without a colon), `quotes` (`kk: "x\\, ` * ...:
a pair every 9 characters, quoted values that do not close where they seem to),
`lora` ("<lora:a:" * ..., unclosed tags in a prompt) and `real` (an ordinary
infotext whose prompt is n characters long).

Measured 2026-12-03 on the shared 2-core AMD EPYC VM (loaded, a fuzz run on the other
core), `python benchmarks/infotext_parse.py --budget 30`:

    input      chars      old s      new s
    letters    20000    44.9560    0.00084    (53,326x)   growth: old 1.95, new 1.28
    keys       20000    43.9996    0.02322    (1,895x)    growth: old 2.12, new 1.37
    lora       40000    40.2686    0.00004   (968,741x)   growth: old 2.14, new 0.36
    quotes     40000     0.0360    0.13364    (0.3x)      growth: old 1.42, new 1.64
    real       40000     0.0001    0.00009    (0.8x)

(the new exponents above 1 are the loaded machine's noise: a quieter run gave 0.9-1.0). A
line made of tens of thousands of pairs (`quotes`) is where one Python step per pair costs
more than the regex engine's C loop; a real parameters line holds 10 to 30 pairs, read in
microseconds by either.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from studiolo.provenance.infotext import _lora_tags, _params

OLD_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
OLD_LORA = re.compile(r"<lora:([^:>]+)(?::([^:>]*))?(?::[^>]*)?>")


def old_read(text: str) -> tuple[list, list]:
    """The old reading: the last line's pairs by regex, the prompt's LoRA tags by regex."""
    *lines, last = text.split("\n")
    return OLD_PARAM.findall(last), OLD_LORA.findall("\n".join(lines) or last)


def new_read(text: str) -> tuple[list, list]:
    *lines, last = text.split("\n")
    return _params(last), _lora_tags("\n".join(lines) or last)


def inputs(kind: str, n: int) -> str:
    if kind == "letters":
        return "a" * n
    if kind == "keys":
        return ("Steps 20 " * (n // 9 + 1))[:n]
    if kind == "quotes":
        return ('kk: "x\\, ' * (n // 9 + 1))[:n]
    if kind == "lora":
        return ("<lora:a:" * (n // 8 + 1))[:n] + "\nSteps: 1, Seed: 2, Size: 8x8"
    prompt = ("a quiet harbour at dusk, " * (n // 25 + 1))[:n]
    return (f"{prompt}\nNegative prompt: blur\nSteps: 30, Sampler: DPM++ 2M, Schedule type: "
            "Karras, CFG scale: 7, Seed: 12345, Size: 512x640, Model: v1-5, Version: v1.9.4")


def timed(read: Callable[[str], object], text: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        read(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def slope(sizes: list[int], times: list[float]) -> float | None:
    points = [(math.log(n), math.log(t)) for n, t in zip(sizes, times, strict=False) if t > 0]
    if len(points) < 2:
        return None
    mx = statistics.mean(x for x, _ in points)
    my = statistics.mean(y for _, y in points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else None


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "unknown CPU"
    return next((line.split(":", 1)[1].strip() for line in out.splitlines()
                 if line.startswith("Model name")), "unknown CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,2000,5000,10000,20000,40000")
    parser.add_argument("--kinds", default="letters,keys,quotes,lora,real")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds: stop the old scan after")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"CPU: {cpu_model()}")
    print(f"{'input':8} {'chars':>7} {'old s':>10} {'new s':>10} {'old/new':>9}")
    for kind in args.kinds.split(","):
        old_times, new_times, old_sizes = [], [], []
        over = False
        for n in sizes:
            text = inputs(kind, n)
            if not over:  # both read the same pairs and tags
                assert old_read(text) == new_read(text)
            new = timed(new_read, text, 5)
            old = None
            if not over:
                old = timed(old_read, text, 1 if n >= 5000 else 3)
                old_times.append(old)
                old_sizes.append(n)
                over = old > args.budget
            new_times.append(new)
            ratio = f"{old / new:9.1f}x" if old is not None and new > 0 else "        -"
            old_text = f"{old:10.4f}" if old is not None else "   skipped"
            print(f"{kind:8} {n:>7} {old_text} {new:10.5f} {ratio}")
        old_k, new_k = slope(old_sizes, old_times), slope(sizes, new_times)
        print(f"{kind:8} growth exponent: old {old_k:.2f}, new {new_k:.2f}" if old_k and new_k
              else f"{kind:8} growth exponent: too few points")


if __name__ == "__main__":
    main()
