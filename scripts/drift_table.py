"""The table scripts/check-latest prints: what moved since the lock, what is held back, what broke.

    python scripts/drift_table.py requirements.lock latest-freeze.txt junit.xml pyproject.toml
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_lock import canonical, read_lock


def newest_on_registry(name: str) -> str:
    out = subprocess.run([sys.executable, "-m", "pip", "index", "versions", name],
                         capture_output=True, text=True, check=False).stdout
    match = re.search(r"\((\S+)\)", out)
    return match[1] if match else "?"


def capped(pyproject: Path) -> dict[str, str]:
    """Our dependencies with an upper bound: name -> the bound."""
    project = tomllib.loads(pyproject.read_text())["project"]
    deps = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        deps += extra
    out = {}
    for dep in deps:
        match = re.match(r"([A-Za-z0-9._-]+)[^;]*?(<=?[^,;\s]+|==[^,;\s]+)", dep)
        if match:
            out[canonical(match[1])] = match[2]
    return out


def failures(junit: Path) -> list[str] | None:
    """The failed tests of the report; None without a report (not run, or did not finish)."""
    if not junit.is_file():
        return None
    out = []
    for case in ET.parse(junit).iter("testcase"):
        bad = case.find("failure") if case.find("failure") is not None else case.find("error")
        if bad is not None:
            first = (bad.get("message") or "").splitlines()[0][:90] if bad.get("message") else ""
            out.append(f"{case.get('classname')}::{case.get('name')}  {first}")
    return out


def main(lock: str, latest: str, junit: str, pyproject: str) -> None:
    locked, fresh = read_lock(Path(lock)), read_lock(Path(latest))
    caps = capped(Path(pyproject))
    rows = []
    for name in sorted(set(locked) | set(fresh)):
        was, now = locked.get(name, "-"), fresh.get(name, "-")
        held = ""
        if name in caps:
            top = newest_on_registry(name)
            if top not in (now, "?"):
                held = f"{top} (held back by {caps[name]})"
        if name == "torch":  # scripts/install-torch installs the lock's CPU wheel, always
            top = newest_on_registry(name)
            held = f"{top} (the lock's CPU wheel is always installed)" if top != now else ""
        if was != now or held:
            rows.append((name, was, now, held))
    print(f"\n{'package':32} {'locked':14} {'latest allowed':16} newest on the registry")
    for name, was, now, held in rows:
        print(f"{name:32} {was:14} {now:16} {held}")
    if not rows:
        print("(nothing moved)")
    broke = failures(Path(junit))
    if broke is None:
        print("\ntests: no report (not run with --table-only, or the run did not finish)")
        return
    print(f"\ntests that fail with the latest releases: {len(broke)}")
    for line in broke:
        print(f"  {line}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
