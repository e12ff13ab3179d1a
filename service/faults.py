"""Crash points that tests switch on, to prove what survives a process dying.

``FLIGHTLOG_FAULT`` names the armed points, separated by commas. An armed point
ends the process at once with ``os._exit``: no ``finally`` block, no cleanup
context and no buffered write runs, as after a SIGKILL. Unset, every hook is
``None`` and the code paths carry no extra work.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

VARIABLE = "FLIGHTLOG_FAULT"
EXIT_CODE = 86

# After an event is stored, before the append's second mark and its projection.
EXIT_AFTER_APPEND = "exit_after_append"
# After a rebuild has written the shadow collection, before it swaps it in.
EXIT_DURING_REPLAY = "exit_during_replay"

Hook = Callable[..., Awaitable[None]]


def armed(name: str) -> bool:
    """Whether ``FLIGHTLOG_FAULT`` arms the crash point ``name``."""
    return name in os.environ.get(VARIABLE, "").replace(",", " ").split()


def crash_hook(name: str) -> Hook | None:
    """A hook that ends the process when ``name`` is armed, else ``None``."""
    if not armed(name):
        return None

    async def crash(*_: Any) -> None:
        logger.critical("fault %s armed: exiting with code %d", name, EXIT_CODE)
        sys.stderr.flush()
        os._exit(EXIT_CODE)

    return crash
