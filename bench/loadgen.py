"""A load generator in its own process: an aiohttp client at fixed concurrency.

Used for the append row (every POST has its own body) and for reads when
``wrk`` is not installed. It reads a plan (JSON) and prints one JSON result:

    python -m bench.loadgen PLAN.json

The plan: ``base`` (only 127.0.0.1), ``requests`` (``method``, ``path``,
``headers``, ``body``), ``concurrency``, ``duration`` (seconds) and ``count``
(most requests; the run stops at whichever limit comes first, and requests
cycle when ``count`` exceeds them). A request unanswered after
``REQUEST_TIMEOUT`` seconds is counted under ``timeout`` in ``statuses``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from typing import Any

import aiohttp

REQUEST_TIMEOUT = 30.0  # seconds; a request still unanswered then is counted apart


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    base = plan["base"]
    if not base.startswith("http://127.0.0.1:"):
        raise SystemExit("the load generator only targets 127.0.0.1")
    requests = plan["requests"]
    count = int(plan["count"])
    deadline = time.monotonic() + float(plan["duration"])
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    issued = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal issued
        while issued < count and time.monotonic() < deadline:
            spec = requests[issued % len(requests)]
            issued += 1
            started = time.perf_counter()
            try:
                async with session.request(
                    spec.get("method", "GET"),
                    base + spec["path"],
                    headers=spec.get("headers") or {},
                    data=spec.get("body"),
                ) as response:
                    await response.read()
                    statuses[str(response.status)] += 1
            except TimeoutError:
                statuses["timeout"] += 1  # not an answer: no latency, no rate
                continue
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(plan["concurrency"])))
        elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "statuses": dict(statuses),
    }


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as plan:
        result = asyncio.run(run(json.load(plan)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
