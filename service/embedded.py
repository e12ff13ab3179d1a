"""The embedded MongoDB-compatible server, always run as a separate process."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import pymongo
from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)

SERVER_COMMAND = "secantusd-py"
HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
LOCK_FILE = "embedded.lock"
STATE_FILE = "embedded.json"
LOG_FILE = "embedded.log"

# Servers started by this process, kept so that they can be reaped when stopped.
_children: dict[int, subprocess.Popen[bytes]] = {}


class EmbeddedServerError(RuntimeError):
    """The embedded server is missing, did not start or did not stop."""


class _ExitedEarly(EmbeddedServerError):
    """The server process ended before it answered."""


def server_command() -> str:
    """Return the path of `secantusd-py`, preferring the running interpreter's."""
    beside = Path(sys.executable).parent / SERVER_COMMAND
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(SERVER_COMMAND)
    if found is None:
        raise EmbeddedServerError(
            f"{SERVER_COMMAND} not found: install it with "
            "`pip install 'flightlog[embedded]'`, or set MONGODB_URI to a server"
        )
    return found


def uri_for(port: int) -> str:
    """Return the connection URI of a local server on `port`."""
    return f"mongodb://{HOST}:{port}/?directConnection=true"


def answers(uri: str, timeout: float = 1.0) -> bool:
    """Return whether a MongoDB server at `uri` answers a ping within `timeout`."""
    ms = int(timeout * 1000)
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms
    )
    try:
        client.admin.command("ping")
    except PyMongoError:
        return False
    finally:
        client.close()
    return True


def embedded_uri(var_dir: Path) -> str:
    """Return the URI of the one server on `var_dir/db`, starting it if needed."""
    var_dir.mkdir(parents=True, exist_ok=True)
    storage = str((var_dir / "db").resolve())

    with _locked(var_dir):
        state = _read_state(var_dir)
        if state is not None and _runs_server(state[0], storage):
            pid, port = state
            if answers(uri_for(port), timeout=5.0):
                logger.debug("Reusing embedded server pid %d on port %d", pid, port)
                return uri_for(port)
            logger.warning("Embedded server pid %d does not answer; restarting", pid)
            _terminate(pid)

        log_path = var_dir / LOG_FILE
        with log_path.open("ab") as log:
            proc, port = _launch(storage, None, log, str(var_dir), str(log_path))
        _write_state(var_dir, proc.pid, port)
        return uri_for(port)


def stop_embedded(var_dir: Path) -> bool:
    """Stop the shared server of `var_dir`; return whether one was running."""
    if not (var_dir / STATE_FILE).exists():
        return False
    storage = str((var_dir / "db").resolve())

    with _locked(var_dir):
        state = _read_state(var_dir)
        running = state is not None and _runs_server(state[0], storage)
        if state is not None and running:
            _terminate(state[0])
        (var_dir / STATE_FILE).unlink(missing_ok=True)
    return running


class EmbeddedServer:
    """A throw-away server on a free port, stopped by `stop()` or on leaving."""

    def __init__(self, storage_path: str = ":memory:", port: int | None = None):
        if storage_path != ":memory:":
            storage_path = str(Path(storage_path).resolve())
        self.storage_path = storage_path
        self.port = port
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def uri(self) -> str:
        """The server's connection URI; the server must be started."""
        if self._proc is None or self.port is None:
            raise EmbeddedServerError("the embedded server is not started")
        return uri_for(self.port)

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return None if self._proc is None else self._proc.pid

    def start(self) -> str:
        """Start the server unless it runs, wait until it answers, return its URI."""
        if self._proc is not None:
            return self.uri
        log = tempfile.TemporaryFile()
        try:
            self._proc, self.port = _launch(
                self.storage_path, self.port, log, tempfile.gettempdir(), "its output"
            )
        except EmbeddedServerError as exc:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-2000:]
            log.close()
            raise EmbeddedServerError(f"{exc}\n{tail}") from exc
        self._log = log
        return self.uri

    def stop(self) -> None:
        """Stop the server and wait until it has exited."""
        if self._proc is not None:
            _terminate(self._proc.pid)
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _launch(
    storage: str, port: int | None, log: IO[bytes], cwd: str, log_name: str
) -> tuple[subprocess.Popen[bytes], int]:
    """Start a server and wait until it answers; retry on a lost free-port race."""
    attempts = 3 if port is None else 1
    for attempt in range(1, attempts + 1):
        chosen = _free_port(port or 0)
        command = [server_command(), "--host", HOST, "--port", str(chosen)]
        command += ["--storage-path", storage]
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
        _children[proc.pid] = proc

        try:
            _wait_ready(proc, uri_for(chosen), log_name)
        except _ExitedEarly:
            _children.pop(proc.pid, None)
            if attempt == attempts:
                raise
            logger.warning("Embedded server exited at start (%s); retrying", log_name)
            continue
        except BaseException:
            _terminate(proc.pid)
            raise
        logger.info("Embedded server pid %d on port %d", proc.pid, chosen)
        return proc, chosen
    raise AssertionError("unreachable")


def _wait_ready(proc: subprocess.Popen[bytes], uri: str, log_name: str) -> None:
    """Return once `uri` answers; raise if the process exits or time runs out."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise _ExitedEarly(
                f"{SERVER_COMMAND} exited with code {proc.returncode} "
                f"before answering; see {log_name}"
            )
        if answers(uri, timeout=0.5):
            return
        time.sleep(0.1)
    raise EmbeddedServerError(
        f"{SERVER_COMMAND} did not answer on {uri} within {START_TIMEOUT:.0f} s; "
        f"see {log_name}"
    )


def _free_port(port: int = 0) -> int:
    """Return `port`, or any free port for 0; raise if `port` is taken."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            raise EmbeddedServerError(f"port {port} on {HOST} is taken") from exc
        return int(sock.getsockname()[1])


def _terminate(pid: int) -> None:
    """Send SIGTERM, wait up to STOP_TIMEOUT, then SIGKILL."""
    for signum, patience in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            break
        if _wait_exit(pid, patience):
            logger.info("Embedded server pid %d stopped", pid)
            return
        logger.warning("Embedded server pid %d outlived signal %d", pid, signum)
    if _alive(pid):
        raise EmbeddedServerError(f"embedded server pid {pid} did not exit")


def _wait_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _alive(pid: int) -> bool:
    """Whether `pid` runs; reaps it if it is a finished child of this process."""
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        os.kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except ProcessLookupError:
        return False
    except OSError:
        return True
    # A zombie keeps its pid until its parent (not us) reaps it.
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _runs_server(pid: int, storage: str) -> bool:
    """Whether `pid` is a live server on `storage`, not a recycled pid."""
    if not _alive(pid):
        return False
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    args = raw.decode(errors="replace").split("\0")
    return storage in args and any(a.endswith(SERVER_COMMAND) for a in args)


@contextmanager
def _locked(var_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on `var_dir` across processes and threads."""
    with (var_dir / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_state(var_dir: Path) -> tuple[int, int] | None:
    try:
        data = json.loads((var_dir / STATE_FILE).read_text())
        return int(data["pid"]), int(data["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(var_dir: Path, pid: int, port: int) -> None:
    path = var_dir / STATE_FILE
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps({"pid": pid, "port": port}) + "\n")
    os.replace(scratch, path)
