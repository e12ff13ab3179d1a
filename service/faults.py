"""Crash points that tests switch on, to prove what survives a process dying.

``FLIGHTLOG_FAULT`` names the armed points, separated by commas. An armed point
ends the process at once with ``os._exit``: no ``finally`` block, no cleanup
context and no buffered write runs, as after a SIGKILL. Unset, every hook is
``None`` and the code paths carry no extra work.

A point armed as ``NAME:stop`` freezes the process there instead (it sends
itself SIGSTOP, after a line on stderr): the test then decides what happens at
that exact point, such as a SIGKILL, or a SIGCONT once it has done its work.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

VARIABLE = "FLIGHTLOG_FAULT"
EXIT_CODE = 86
STOP = "stop"

# After an event is stored, before the append's second mark and its projection.
EXIT_AFTER_APPEND = "exit_after_append"
# After a rebuild has folded the log and created the empty shadow collection,
# before it writes the first document there.
EXIT_REPLAY_FOLDED = "exit_replay_folded"
# After a rebuild has written the shadow collection, before it swaps it in.
EXIT_DURING_REPLAY = "exit_during_replay"

Hook = Callable[..., Awaitable[None]]


def _points() -> dict[str, str]:
    """Each armed point and how it acts: ``exit`` or ``stop``."""
    points: dict[str, str] = {}
    for entry in os.environ.get(VARIABLE, "").replace(",", " ").split():
        name, _, mode = entry.partition(":")
        points[name] = mode or "exit"
    return points


def armed(name: str) -> bool:
    """Whether ``FLIGHTLOG_FAULT`` arms the crash point ``name``."""
    return name in _points()


def crash_hook(name: str) -> Hook | None:
    """A hook that ends (or, armed ``NAME:stop``, freezes) the process when
    ``name`` is armed, else ``None``."""
    mode = _points().get(name)
    if mode is None:
        return None

    if mode == STOP:

        async def freeze(*_: Any) -> None:
            # A line a test can wait for, then frozen until SIGCONT or SIGKILL.
            print(f"fault {name} reached: stopping", file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGSTOP)

        return freeze

    async def crash(*_: Any) -> None:
        logger.critical("fault %s armed: exiting with code %d", name, EXIT_CODE)
        sys.stderr.flush()
        os._exit(EXIT_CODE)

    return crash
