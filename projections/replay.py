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
from collections.abc import Awaitable, Callable
from contextlib import suppress

from events.catalog import stream_name
from events.flight import FlightState
from events.mongo import MongoEventStore
from projections.build import build_document
from projections.cache import StreamStates
from projections.documents import Sources
from projections.mongo import DOCUMENTS, LeaseLost, MongoReadModel, patient
from projections.projector import Projector
from projections.store import FlightDocument

logger = logging.getLogger(__name__)

SHADOW = DOCUMENTS + "__rebuild"
READ_BATCH = 1000
WRITE_BATCH = 500
# Stream names sort by kind: launch streams are the range [launch-, launch.).
LAUNCHES = ("launch-", "launch.")
BEFORE_LAUNCHES = ("", LAUNCHES[0])
AFTER_LAUNCHES = (LAUNCHES[1], "\uffff")


async def replay(
    projector: Projector,
    store: MongoEventStore,
    database: object,
    progress: Callable[[str, int, int], None] | None = None,
    lease_wait: float = 60.0,
    before_swap: Callable[[], Awaitable[None]] | None = None,
    after_fold: Callable[[], Awaitable[None]] | None = None,
    call_timeout: float = 600.0,
) -> int:
    """Rebuild every flight document from the log; returns how many were written.

    Each database call may take up to ``call_timeout`` seconds: reading the
    whole log and renaming a large collection are not requests.

    ``after_fold`` runs once the log is folded and the empty shadow collection
    created; ``before_swap`` once the shadow collection is complete, right
    before it replaces the served documents (fault tests crash the process at
    either point).
    """
    with patient(call_timeout):
        async with projector.exclusive():
            written = await _rebuild(
                projector,
                store,
                database,
                progress,
                lease_wait,
                before_swap,
                after_fold,
            )
        await projector.drain()  # what was appended during the rebuild
    return written


async def _rebuild(
    projector: Projector,
    store: MongoEventStore,
    database: object,
    progress: Callable[[str, int, int], None] | None,
    lease_wait: float,
    before_swap: Callable[[], Awaitable[None]] | None,
    after_fold: Callable[[], Awaitable[None]] | None,
) -> int:
    started = time.monotonic()
    lease = projector.lease
    await _acquire(lease, lease_wait)
    keeper = asyncio.create_task(_keep(lease))
    try:
        shadow = MongoReadModel(database, SHADOW)
        await shadow.drop()
        await shadow.create_indexes()

        total = await store.estimated_count()  # the progress bar's end only
        states = StreamStates()
        await _fold(store, states, progress, total)
        if after_fold is not None:
            await after_fold()
        written = await _write_by_launch(store, states, shadow, lease.epoch, progress)

        if before_swap is not None:
            await before_swap()
        if not await lease.acquire():
            raise LeaseLost("the projection lease expired during the rebuild")
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
        sum(states.versions.values()),  # every event read: versions are dense
        (time.monotonic() - started) * 1000,
    )
    return written


async def _fold(
    store: MongoEventStore,
    states: StreamStates,
    progress: Callable[[str, int, int], None] | None,
    total: int,
) -> int:
    """Fold every stream but the launches, the bulk of the reference data."""
    folded = 0
    for between in BEFORE_LAUNCHES, AFTER_LAUNCHES:
        async for batch in store.read_all(READ_BATCH, between):
            states.apply(batch)
            folded += len(batch)
            if progress:
                progress("fold", folded, total)
    return folded


async def _write_by_launch(
    store: MongoEventStore,
    states: StreamStates,
    shadow: MongoReadModel,
    epoch: int,
    progress: Callable[[str, int, int], None] | None,
) -> int:
    """Read launch streams one after another; as each is complete, build and write
    the documents of its flights and forget it, so at most one batch of documents
    and one launch are held (a launch record is a flight's largest part)."""
    flights = [f for f in states.flights.values() if f.launched_at is not None]
    waiting: dict[str, list[FlightState]] = {}
    for flight in flights:
        waiting.setdefault(stream_name("launch", flight.launch or ""), []).append(
            flight
        )
    sources = Sources(flights=states.flights, references=states.references)
    documents: list[FlightDocument] = []
    writer = _Pipelined(shadow, epoch)

    async def finish(stream: str | None) -> None:
        for flight in waiting.pop(stream, []) if stream else []:
            documents.append(build_document(flight, sources))
        states.references.pop(stream or "", None)
        if len(documents) >= WRITE_BATCH or (stream is None and documents):
            await writer.send(documents.copy())
            documents.clear()
            if progress:
                progress("write", writer.sent, len(flights))

    try:
        current: str | None = None
        async for batch in store.read_all(READ_BATCH, LAUNCHES):
            for event in batch:
                if event.stream != current:
                    await finish(current)
                    current = event.stream
                states.apply([event])
        await finish(current)
        for stream in list(waiting):  # flights whose launch is missing: raises
            await finish(stream)
        await finish(None)
        await writer.wait()
    finally:
        writer.cancel()
    return writer.written


class _Pipelined:
    """Inserts one batch into the shadow collection while the next is built,
    so that the server stores while this process folds and encodes; at most
    one batch is in flight."""

    def __init__(self, shadow: MongoReadModel, epoch: int) -> None:
        self._shadow = shadow
        self._epoch = epoch
        self._in_flight: asyncio.Task[int] | None = None
        self.sent = 0
        self.written = 0

    async def send(self, documents: list[FlightDocument]) -> None:
        await self.wait()
        insert = self._shadow.insert_fresh(documents, self._epoch)
        self._in_flight = asyncio.create_task(insert)
        self.sent += len(documents)

    async def wait(self) -> None:
        """Return once the batch in flight is stored (raising what it raised)."""
        if self._in_flight is not None:
            task, self._in_flight = self._in_flight, None
            self.written += await task

    def cancel(self) -> None:
        if self._in_flight is not None:
            self._in_flight.cancel()


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
