"""Compare what is installed with requirements.lock; exit 1 with a sentence per difference.

    python scripts/check_lock.py [requirements.lock] [--strict]

Run with the environment's own python (scripts/setup does). `--strict` (CI) also fails
when a package that the lock does not name is installed.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

IGNORED = {"pip", "setuptools", "wheel", "studiolo"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if not match:
            raise SystemExit(f"{path}:{number}: expected `name==version`, got {raw!r}.")
        pins[canonical(match[1])] = match[2]
    return pins


def installed() -> dict[str, str]:
    return {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()
            if d.metadata["Name"]}


def differences(pins: dict[str, str], have: dict[str, str], strict: bool) -> list[str]:
    out = []
    for name, version in sorted(pins.items()):
        if name not in have:
            out.append(f"{name} {version} is in requirements.lock but not installed.")
        elif have[name] != version:
            out.append(f"{name} is {have[name]} here but requirements.lock pins {version}.")
    if strict:
        for name in sorted(set(have) - set(pins) - IGNORED):
            out.append(f"{name} {have[name]} is installed but requirements.lock does not name it.")
    return out


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    lock = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "requirements.lock"
    problems = differences(read_lock(lock), installed(), "--strict" in argv)
    for line in problems:
        print(f"check-lock: {line}", file=sys.stderr)
    if problems:
        print("check-lock: the environment is not the tested one; run ./scripts/setup "
              "(or ./scripts/lock, then the tests, to move the lock).", file=sys.stderr)
        return 1
    print(f"check-lock: all {len(read_lock(lock))} packages match {lock.name}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
