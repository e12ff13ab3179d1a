"""Rebuilding every flight document from the log, beside the served ones.

The rebuild folds the whole log into a shadow collection, then swaps it in with
one atomic rename; readers are served the old documents until then. It holds
the projection lease throughout, so live projection pauses (appends go on and
leave marks) and resumes on the new documents right after the swap.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import suppress

from events.mongo import MongoEventStore
from projections.build import build_document
from projections.cache import StreamStates
from projections.documents import Sources
from projections.mongo import DOCUMENTS, MongoReadModel
from projections.projector import Projector

logger = logging.getLogger(__name__)

SHADOW = DOCUMENTS + "__rebuild"
WRITE_BATCH = 1000


async def replay(
    projector: Projector,
    store: MongoEventStore,
    database: object,
    progress: Callable[[str, int, int], None] | None = None,
    lease_wait: float = 60.0,
) -> int:
    """Rebuild every flight document from the log; returns how many were written."""
    async with projector.exclusive():
        written = await _rebuild(projector, store, database, progress, lease_wait)
    await projector.drain()  # what was appended during the rebuild
    return written


async def _rebuild(
    projector: Projector,
    store: MongoEventStore,
    database: object,
    progress: Callable[[str, int, int], None] | None,
    lease_wait: float,
) -> int:
    started = time.monotonic()
    lease = projector.lease
    await _acquire(lease, lease_wait)
    keeper = asyncio.create_task(_keep(lease))
    try:
        shadow = MongoReadModel(database, SHADOW)
        await shadow.drop()
        await shadow.create_indexes()

        total = await store.count()
        states = StreamStates()
        folded = 0
        async for batch in store.read_all():
            states.apply(batch)
            folded += len(batch)
            if progress:
                progress("fold", folded, total)

        sources = Sources(flights=states.flights, references=states.references)
        flights = [f for f in states.flights.values() if f.launched_at is not None]
        written = 0
        for start in range(0, len(flights), WRITE_BATCH):
            chunk = flights[start : start + WRITE_BATCH]
            await shadow.write([build_document(f, sources) for f in chunk], lease.epoch)
            written += len(chunk)
            if progress:
                progress("write", written, len(flights))

        await shadow.swap_into(DOCUMENTS)
        await projector.queue.reset_positions(states.versions)
    finally:
        keeper.cancel()
        with suppress(asyncio.CancelledError):
            await keeper
        await lease.release()
    logger.info(
        "projection rebuilt documents=%d events=%d elapsed_ms=%.0f",
        written,
        folded,
        (time.monotonic() - started) * 1000,
    )
    return written


async def _acquire(lease: object, wait: float) -> None:
    deadline = time.monotonic() + wait
    while not await lease.acquire():  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise TimeoutError("another process holds the projection lease")
        await asyncio.sleep(0.2)


async def _keep(lease: object) -> None:
    while True:
        await asyncio.sleep(lease.ttl / 3)  # type: ignore[attr-defined]
        await lease.acquire()  # type: ignore[attr-defined]
