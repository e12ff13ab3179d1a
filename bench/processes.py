"""The processes a run starts: the service, the ceiling app, the rebuild.

Each is started with its own environment, waited for, and ended by its pid.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.settings import OUT

# A service on a large log first loads its document cache and reconciles the
# log's heads; until then its list answers come from the database, slowly.
READY_TIMEOUT = 300.0
PROBE_INTERVAL = 1.0  # a probe that times out leaves the server busy: not too often


def flightlog() -> list[str]:
    """The ``flightlog`` command beside the running interpreter."""
    beside = Path(sys.executable).parent / "flightlog"
    if beside.exists():
        return [str(beside)]
    return [sys.executable, "-c", "from service.cli import main; main()"]


def environment(uri: str, database: str) -> dict[str, str]:
    """The service's environment for one benchmark database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTLOG_")}
    env.update(
        MONGODB_URI=uri,
        FLIGHTLOG_DATABASE=database,
        FLIGHTLOG_LOG_LEVEL="WARNING",
        FLIGHTLOG_UPSTREAM_URL="https://ll.thespacedevs.com",
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def started(command: list[str], env: dict[str, str], probe: str) -> Iterator[int]:
    """Run ``command`` until the block ends; yields its pid once ``probe`` answers."""
    log = (OUT / "processes.log").open("ab")
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=OUT.parent.parent
    )
    try:
        _wait_ready(process, probe)
        yield process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def service(uri: str, database: str, port: int) -> Iterator[int]:
    """``flightlog serve`` on ``port``."""
    command = [*flightlog(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    probe = f"http://127.0.0.1:{port}/2.2.0/spacecraft/flight/?limit=1"
    return started(command, environment(uri, database), probe)


def ceiling(port: int, bodies: Path, probe_path: str) -> Iterator[int]:
    """The bare app of ``bench.ceiling`` on ``port``."""
    command = [sys.executable, "-m", "bench.ceiling", "--port", str(port)]
    command += ["--bodies", str(bodies)]
    return started(command, dict(os.environ), f"http://127.0.0.1:{port}{probe_path}")


@dataclass(frozen=True)
class Rebuild:
    """One ``flightlog replay``: wall time and the process's peak RSS."""

    seconds: float
    peak_mb: float


def replay(uri: str, database: str, prefix: list[str] | None = None) -> Rebuild:
    """Run ``flightlog replay`` (under ``prefix``, e.g. a profiler) to the end."""
    command = [*(prefix or []), *flightlog(), "replay"]
    started_at = time.monotonic()
    # stderr goes to a file: a pipe nobody reads while waiting could fill up.
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            command,
            env=environment(uri, database),
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.monotonic() - started_at
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            error = errors.read().decode(errors="replace")
            raise RuntimeError(f"replay failed ({process.returncode}): {error[-2000:]}")
    # ru_maxrss is in KiB on Linux; under a profiler it is the largest child.
    return Rebuild(elapsed, usage.ru_maxrss / 1024)


def _wait_ready(process: subprocess.Popen[bytes], probe: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited; see {OUT / 'processes.log'}")
        try:
            with urllib.request.urlopen(probe, timeout=10) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(PROBE_INTERVAL)
    raise RuntimeError(f"{probe} did not answer within {READY_TIMEOUT:.0f} s")
