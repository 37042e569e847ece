"""Back-off for failed logins: per name and per client address, exponential with a cap.

A password check costs about a third of a second (argon2), so without a limit a
script tries ten thousand passwords a day on one name. After `free` failures a key
(a name, or an address) must wait `base * 2**(n - free - 1)` seconds after its n-th
failure, at most `cap`, before any login for it is tried again; until then even the
right password is refused (nothing is checked, so nothing is learnt and nothing is
counted). A key's failures are forgotten `forget` seconds after its last one, and
on a successful login.

Addresses get more free tries than names: several people may share one (a home, an
office), while one person seldom mistypes a password twenty times. Behind a proxy,
run uvicorn with --proxy-headers so the address is the client's, not the proxy's.

The state lives in memory, for as long as the server process runs; at most
`max_keys` keys are kept (the least recently failed go first), so a flood of made-up
names cannot grow it without bound.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from studiolo.core.errors import InvalidArgument


@dataclass(frozen=True)
class Policy:
    """How one kind of key backs off (seconds)."""

    free: int
    base: float
    cap: float
    forget: float

    def __post_init__(self) -> None:
        if isinstance(self.free, bool) or not isinstance(self.free, int) or self.free < 0:
            raise InvalidArgument(f"`free` must be a whole number >= 0, got {self.free!r}.")
        for name in ("base", "cap", "forget"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise InvalidArgument(f"`{name}` must be a number of seconds > 0, got {value!r}.")

    def wait(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failure in a row."""
        if failures <= self.free:
            return 0.0
        return min(self.cap, self.base * 2.0 ** min(failures - self.free - 1, 64))


NAME_POLICY = Policy(free=5, base=1.0, cap=15 * 60.0, forget=24 * 3600.0)
ADDRESS_POLICY = Policy(free=20, base=1.0, cap=15 * 60.0, forget=24 * 3600.0)
MAX_KEYS = 100_000


@dataclass
class _Failures:
    count: int
    last: float
    until: float


class LoginThrottle:
    """Failed logins by name and by address; `clock` gives seconds (monotonic by default)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 name_policy: Policy = NAME_POLICY, address_policy: Policy = ADDRESS_POLICY,
                 max_keys: int = MAX_KEYS) -> None:
        self.clock = clock
        self.policies = {"name": name_policy, "address": address_policy}
        self.max_keys = max_keys
        self._keys: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys_of(name: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("name", name.strip().casefold()), ("address", address or "unknown")

    def wait(self, name: str, address: str) -> float:
        """Seconds before a login as `name` from `address` is tried (0: now)."""
        now = self.clock()
        with self._lock:
            waits = [0.0]
            for key in self._keys_of(name, address):
                entry = self._keys.get(key)
                if entry is not None and now - entry.last <= self.policies[key[0]].forget:
                    waits.append(entry.until - now)
            return max(waits)

    def failed(self, name: str, address: str) -> float:
        """Count a failed login; the wait it starts (seconds)."""
        now = self.clock()
        longest = 0.0
        with self._lock:
            for key in self._keys_of(name, address):
                policy = self.policies[key[0]]
                entry = self._keys.pop(key, None)
                count = 1 if entry is None or now - entry.last > policy.forget else entry.count + 1
                wait = policy.wait(count)
                self._keys[key] = _Failures(count=count, last=now, until=now + wait)
                longest = max(longest, wait)
            while len(self._keys) > self.max_keys:
                self._keys.popitem(last=False)
        return longest

    def succeeded(self, name: str, address: str) -> None:
        """A login went through: forget the failures of its name and address."""
        with self._lock:
            for key in self._keys_of(name, address):
                self._keys.pop(key, None)


def wait_words(seconds: float) -> str:
    """'1 second', '40 seconds', '3 minutes' (rounded up: never too early)."""
    if seconds < 90:
        n = max(1, math.ceil(seconds))
        return f"{n} second{'s' if n != 1 else ''}"
    n = math.ceil(seconds / 60)
    return f"{n} minutes"


def refusal(seconds: float) -> str:
    """The sentence a refused login reads."""
    when = (datetime.now(UTC) + timedelta(seconds=math.ceil(seconds))).strftime("%H:%M:%S")
    return (f"Too many failed logins for this name or from this address; try again in "
            f"{wait_words(seconds)} (after {when} UTC). Until then no password is checked, "
            "not even the right one.")
