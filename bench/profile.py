"""Sampling profiles of the hot path with py-spy, reduced to the top frames."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
RATE = 250  # samples per second
PROJECT = ("service/", "projections/", "events/")  # this project's code


@dataclass(frozen=True)
class Frame:
    """A function and the share of samples it was running in (self) or under."""

    name: str
    own: float
    total: float


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def while_running(pids: dict[Path, int], seconds: float, work: Callable[[], T]) -> T:
    """Profile each process for ``seconds`` while ``work`` runs; each raw
    profile goes to the path it is keyed by."""
    recorders = []
    for out, pid in pids.items():
        command = [py_spy() or "py-spy", "record", "--pid", str(pid), "--nonblocking"]
        command += ["--duration", str(int(seconds)), "--rate", str(RATE)]
        command += ["--format", "raw", "--output", str(out)]
        recorders.append(
            subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
    try:
        return work()
    finally:
        for recorder in recorders:
            recorder.wait(timeout=seconds + 60)


def command_prefix(out: Path) -> list[str]:
    """Prefix that runs a command under py-spy, writing a raw profile to ``out``."""
    return [py_spy() or "py-spy", "record", "--rate", str(RATE), "--format", "raw"] + [
        "--output",
        str(out),
        "--",
    ]


def summary(raw: Path) -> tuple[list[Frame], list[tuple[str, float]]]:
    """``top`` and ``spent`` of one profile, read once."""
    stacks = list(_stacks(raw))
    return top(stacks), spent(stacks)


# Where the database server's threads wait for a client or for each other.
WAITING = ("_recv_exactly (", "Condition.wait (", "EpollSelector.select (")


def top_of_busy(raw: Path) -> list[Frame]:
    """``top`` of a database server's profile, over the samples of threads
    that were not waiting for a request or a lock."""
    stacks = [
        (stack, n) for stack, n in _stacks(raw) if not stack[-1].startswith(WAITING)
    ]
    return top(stacks)


def top(stacks: list[tuple[list[str], int]], count: int = 8) -> list[Frame]:
    """The functions that most samples were running in, with their totals."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for stack, n in stacks:
        frames = [_short(frame) for frame in stack]
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    if not samples:
        return []
    return [
        Frame(name, hits / samples, total[name] / samples)
        for name, hits in own.most_common(count)
    ]


def spent(
    stacks: list[tuple[list[str], int]], count: int = 12
) -> list[tuple[str, float]]:
    """Where the samples went: each is charged to the innermost function of
    this project on its stack (with the libraries it called), else to the
    library running, or to the driver's threads; shares of all samples."""
    charged: Counter[str] = Counter()
    for stack, n in stacks:
        charged[_charge(stack)] += n
    samples = sum(charged.values())
    if not samples:
        return []
    return [(name, hits / samples) for name, hits in charged.most_common(count)]


def _stacks(raw: Path) -> Iterator[tuple[list[str], int]]:
    """Each sampled stack of a raw py-spy profile (outermost frame first) and
    how many samples it had; nothing when the profile was not written."""
    if not raw.exists():
        return
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, weight = line.rpartition(" ")
        if stack and weight.isdigit():
            yield stack.split(";"), int(weight)


def _charge(frames: list[str]) -> str:
    for frame in reversed(frames):
        name, _, where = frame.partition(" (")
        if where.startswith(PROJECT) and not where.startswith("service/cli.py"):
            return f"{name} ({where.split(':')[0]})"
    library = _library(frames[-1])
    if any("threading.py" in frame or "thread.py" in frame for frame in frames):
        return f"{library}, in a driver thread"
    return library


def _library(frame: str) -> str:
    where = frame.partition(" (")[2].rstrip(")")
    head = where.split("/", 1)[0]
    if "/" in where:
        return f"{head} (library)"
    return f"{where.split(':')[0] or 'native'} (standard library)"


def _short(frame: str) -> str:
    # "render (/path/to/projections/encoding.py:77)" -> "render (encoding.py:77)"
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1]}" if where else name
