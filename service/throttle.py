"""A per-address request limit kept in memory, counted as DRF counts it.

Each address keeps the times of its admitted requests within the last period
(a sliding window). A request beyond the limit is refused with the time until
the oldest of them leaves the window, which is the wait DRF's anonymous
throttle reports. The window is per process: N processes admit N times the rate.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from aiohttp import web

from events.errors import Throttled

PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}


class RateLimiter:
    """Admits at most ``requests`` per ``period`` seconds from each address."""

    def __init__(
        self,
        requests: int,
        period: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if requests < 1 or period <= 0:
            raise ValueError(f"not a usable rate: {requests} per {period} s")
        self.requests = requests
        self.period = period
        self._clock = clock
        self._history: dict[str, deque[float]] = {}
        self._swept = clock()

    @classmethod
    def from_rate(
        cls, rate: str, clock: Callable[[], float] = time.monotonic
    ) -> RateLimiter:
        """A limiter for a rate written like ``15/hour``."""
        count, _, unit = rate.partition("/")
        if unit not in PERIODS or not count.isdigit():
            raise ValueError(f"not a rate: {rate!r} (expected like '15/hour')")
        return cls(int(count), PERIODS[unit], clock)

    def admit(self, address: str) -> None:
        """Count a request from ``address``; raise ``Throttled`` over the limit."""
        wait = self.wait(address)
        if wait:
            raise Throttled(wait)
        self.count(address)

    def wait(self, address: str) -> int:
        """Seconds until ``address`` may be counted again; 0 now. Counts nothing."""
        now = self._clock()
        self._sweep(now)
        history = self._window(address, now)
        if len(history) < self.requests:
            return 0
        return max(1, math.ceil(self.period - (now - history[0])))

    def count(self, address: str) -> None:
        """Count one request (or failure) from ``address``."""
        now = self._clock()
        self._window(address, now).append(now)

    def _window(self, address: str, now: float) -> deque[float]:
        history = self._history.setdefault(address, deque())
        while history and history[0] <= now - self.period:
            history.popleft()
        return history

    def tracked(self) -> int:
        """How many addresses are remembered."""
        return len(self._history)

    def _sweep(self, now: float) -> None:
        # Forget addresses quiet for a whole period, at most once per period.
        if now - self._swept < self.period:
            return
        self._swept = now
        horizon = now - self.period
        stale = [a for a, h in self._history.items() if not h or h[-1] <= horizon]
        for address in stale:
            del self._history[address]


def client_address(request: web.Request, trust_proxy: bool) -> str:
    """The address limits count: the peer, or behind a trusted proxy the
    right-most ``X-Forwarded-For`` entry (the one that proxy added)."""
    if trust_proxy:
        hops = request.headers.get("X-Forwarded-For", "").split(",")
        nearest = hops[-1].strip()
        if nearest:
            return nearest
    return request.remote or "unknown"
