"""Running ``flightlog`` commands as real processes on the test's database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

FLIGHTLOG = str(Path(sys.executable).parent / "flightlog")
HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

T = TypeVar("T")


def flightlog_env(mongo_uri: str, database: str, **extra: str) -> dict[str, str]:
    """The environment of a ``flightlog`` process on the test's database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FLIGHTLOG_")
    }
    env |= {
        "MONGODB_URI": mongo_uri,
        "FLIGHTLOG_DATABASE": database,
        "FLIGHTLOG_HEAL_INTERVAL": "0.2",
        "FLIGHTLOG_LOG_LEVEL": "WARNING",
    }
    return env | extra


def run_flightlog(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run one ``flightlog`` command to its end."""
    return subprocess.run(
        [FLIGHTLOG, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class ServeProcess:
    """``flightlog serve`` on a free port, stopped by ``stop()``."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.env = env
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, by_settings: bool = False) -> ServeProcess:
        """Launch the process; ``ready()`` waits until it answers.

        With ``by_settings`` it is started as ``make run`` starts it, without
        options: the port is given as ``FLIGHTLOG_PORT``, the host is the
        settings' default.
        """
        self.port = free_port()
        args = ["--host", HOST, "--port", str(self.port)]
        env = self.env
        if by_settings:
            args, env = [], env | {"FLIGHTLOG_PORT": str(self.port)}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [FLIGHTLOG, "serve", *args],
                env=env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    async def ready(self, session: aiohttp.ClientSession) -> None:
        """Return once ``/healthz`` answers 200; fail if the process exits."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.exit_code() is not None:
                raise AssertionError(f"{self.name} exited at start:\n{self.log()}")
            try:
                async with session.get(f"{self.url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} did not answer in time:\n{self.log()}")

    def exit_code(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    async def exited(self, timeout: float = 10.0) -> int:
        """The exit code, once the process has ended by itself."""
        return await wait_for(lambda: self.exit_code(), timeout, f"{self.name} exit")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not end in time; reaps the process."""
        if self.proc is None:
            return
        for signum in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            self.proc.send_signal(signum)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                continue
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


async def wait_for(
    probe: Callable[[], T | None] | Callable[[], Awaitable[T | None]],
    timeout: float,
    what: str,
) -> T:
    """Poll ``probe`` until it returns something other than None or False."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = probe()
        if asyncio.iscoroutine(last):
            last = await last
        if last is not None and last is not False:
            return last  # type: ignore[no-any-return]
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout} s")
        await asyncio.sleep(0.05)
