"""Driving Debian's ``wrk`` (or the aiohttp-client fallback) against 127.0.0.1."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.settings import CONNECTIONS, OUT

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    """What one load run achieved."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def have_wrk() -> bool:
    """Whether ``wrk`` is on the PATH (``make bench`` installs Debian's)."""
    return shutil.which("wrk") is not None


def script(paths: list[str], tags: list[str] | None, rate: float | None) -> str:
    """A wrk Lua script cycling through ``paths``, with ``If-None-Match`` tags and
    a per-connection delay when ``rate`` (requests/s overall) is given."""
    quoted = ",".join(json.dumps(path) for path in paths)
    tag_list = ",".join(json.dumps(tag) for tag in tags or [])
    lines = [
        f"local paths = {{{quoted}}}",
        f"local tags = {{{tag_list}}}",
        "local i = math.random(#paths) - 1",
        "request = function()",
        "  i = (i % #paths) + 1",
        "  local headers = {}",
        '  if #tags > 0 then headers["If-None-Match"] = tags[i] end',
        '  return wrk.format("GET", paths[i], headers)',
        "end",
    ]
    if rate:
        lines.append(f"delay = function() return {CONNECTIONS * 1000.0 / rate:.3f} end")
    return "\n".join(lines) + "\n"


def run(
    port: int,
    paths: list[str],
    seconds: float,
    tags: list[str] | None = None,
    rate: float | None = None,
    use_wrk: bool = True,
) -> Load:
    """One bounded load run against ``127.0.0.1:port``."""
    if not use_wrk:
        return _fallback(port, paths, seconds, tags)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", dir=OUT, delete=False) as f:
        f.write(script(paths, tags, rate))
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s"]
    command.append("--latency")
    command += ["-s", f.name, f"http://127.0.0.1:{port}"]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 30, check=True
        )
    finally:
        Path(f.name).unlink(missing_ok=True)
    return parse(done.stdout)


def parse(output: str) -> Load:
    """Requests/s, p50, p99 and error count from ``wrk --latency`` output."""
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if found is None:
        raise ValueError(f"wrk printed no Requests/sec: {output[-500:]!r}")
    rps = float(found[1])
    errors = 0
    for pattern in (r"Non-2xx or 3xx responses: (\d+)", r"Socket errors: (.*)"):
        found = re.search(pattern, output)
        if found:
            errors += sum(int(n) for n in re.findall(r"\d+", found[1]))
    return Load(rps, _latency(output, "50"), _latency(output, "99"), errors)


def _latency(output: str, percent: str) -> float:
    found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    return 0.0 if found is None else float(found[1]) * _UNITS[found[2]]


def _fallback(
    port: int, paths: list[str], seconds: float, tags: list[str] | None
) -> Load:
    requests = [
        {"path": path, "headers": {"If-None-Match": tags[i]} if tags else {}}
        for i, path in enumerate(paths)
    ]
    plan = {
        "base": f"http://127.0.0.1:{port}",
        "requests": requests,
        "concurrency": CONNECTIONS,
        "duration": seconds,
        "count": 10**9,
    }
    result = loadgen(plan)
    bad = sum(v for k, v in result["statuses"].items() if int(k) >= 400)
    return Load(result["rps"], result["p50_ms"], result["p99_ms"], bad)


def loadgen(plan: dict[str, object]) -> dict[str, object]:
    """Run ``bench.loadgen`` on ``plan`` in its own process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=OUT, delete=False) as f:
        json.dump(plan, f)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.loadgen", f.name],
            capture_output=True,
            text=True,
            timeout=float(plan["duration"]) + 60,  # type: ignore[arg-type]
            check=True,
        )
    finally:
        Path(f.name).unlink(missing_ok=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]
