"""Keeping flight documents current as events arrive, and healing after crashes.

Only the holder of the projection lease projects, so documents are never
written by two processes at once. Every append marks its stream before and
after it writes; a mark is removed only after a projection that read the
stream. A crash anywhere leaves a mark, and whoever holds the lease next
projects it: on start, on the heal timer, or on the next request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress

from events.catalog import stream_kind, stream_name
from events.flight import FlightState
from events.store import EventStore
from projections.build import build_document, linked_references, references_of
from projections.cache import StreamStates
from projections.documents import Sources
from projections.mongo import Lease, LeaseLost, MongoReadModel, ProjectionQueue
from projections.store import Mark

logger = logging.getLogger(__name__)

BATCH = 500
POLL_SECONDS = (
    0.05  # how often a waiter asks for its mark while another process projects
)


class Projector:
    """Projects marked streams into the read model."""

    def __init__(
        self,
        store: EventStore,
        documents: MongoReadModel,
        queue: ProjectionQueue,
        lease: Lease,
    ) -> None:
        self.store = store
        self.documents = documents
        self.queue = queue
        self.lease = lease
        self.states = StreamStates()
        self._lock = asyncio.Lock()
        self._read: set[str] = set()
        self._passed: asyncio.Future[None] | None = None  # waiters of this pass

    async def drain(self) -> int:
        """Project every marked stream if this process can hold the lease.

        Returns the number of documents written; 0 when another process holds
        the lease (it will project the marks) or nothing was marked.
        """
        if self._lock.locked():
            return 0  # a drain or rebuild in this process is running: it sees our marks
        async with self._lock:
            try:
                return await self._drain_holding_lock()
            finally:
                self._end_pass()

    async def _drain_holding_lock(self) -> int:
        if not await self.lease.acquire():
            return 0
        written = 0
        try:
            while True:
                marks = await self.queue.pending(BATCH)
                if marks:
                    written += await self._project(marks)
                    self._end_pass()
                if len(marks) < BATCH:
                    return written
        except LeaseLost as exc:
            # Paused past the lease's expiry: the new holder has our marks.
            logger.warning("projection stopped: %s", exc.detail)
            return written
        finally:
            # Let a process with marks of its own take over at once.
            await self.lease.release()

    def exclusive(self) -> asyncio.Lock:
        """Held while this process projects; a rebuild holds it throughout."""
        return self._lock

    async def wait_projected(self, stream: str, timeout: float) -> bool:
        """Project, or wait for the lease holder to project, ``stream``.

        While a drain of this process runs, a waiter sleeps until its pass
        ends, and asks for its mark once; while another process holds the
        lease, it asks every ``POLL_SECONDS``."""
        deadline = time.monotonic() + timeout
        while True:
            await self.drain()
            if not await self.queue.is_marked(stream):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._lock.locked():
                with suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._pass_end()), left)
            else:
                await asyncio.sleep(min(POLL_SECONDS, left))

    def _pass_end(self) -> asyncio.Future[None]:
        """Resolved when the projection pass or drain running in this process
        ends."""
        if self._passed is None:
            self._passed = asyncio.get_running_loop().create_future()
        return self._passed

    def _end_pass(self) -> None:
        if self._passed is not None:
            self._passed.set_result(None)
            self._passed = None

    async def _project(self, marks: list[Mark]) -> int:
        started = time.monotonic()
        changed = {mark.stream for mark in marks}
        await self.states.refresh(self.store, changed)
        self._read = set(changed)  # streams read from the log in this projection

        affected = await self._affected(changed)
        sources = await self._sources(affected)
        documents = [
            build_document(sources.flights[key], sources)
            for key in sorted(affected)
            if key in sources.flights and sources.flights[key].launched_at is not None
        ]
        stored = await self.documents.write(documents, self.lease.epoch)
        if stored < len(documents):
            # A newer holder wrote some of them: what we read may be stale too.
            raise LeaseLost(
                f"{len(documents) - stored} documents belong to a newer lease epoch"
            )
        await self.queue.record_positions(
            {s: self.states.versions[s] for s in changed if s in self.states.versions}
        )
        await self.queue.clear(marks)
        logger.info(
            "projection applied streams=%d documents=%d elapsed_ms=%.1f",
            len(changed),
            len(documents),
            (time.monotonic() - started) * 1000,
        )
        return len(documents)

    async def _affected(self, changed: set[str]) -> set[int]:
        # Every flight that embeds a changed spacecraft or astronaut is rendered
        # and written again, since LL2 documents carry their counters. A launch
        # of a much-flown crew rewrites dozens of documents, which bounds the
        # append row of the benchmark (bench/README.md).
        # TODO(#5): keep those counters in per-entity fragments that a read
        # joins in, as it fills links and running durations, so that an append
        # writes its own flight and a few small fragments.
        flights = {
            int(s.split("-", 1)[1]) for s in changed if stream_kind(s) == "flight"
        }
        earlier = await self.documents.crews(sorted(flights))
        touched = {s for s in changed if stream_kind(s) != "flight"}
        for key in flights:
            state = self.states.flight(key)
            crafts, people = set(), set()
            if state is not None:
                crafts.add(state.spacecraft or 0)
                people |= state.astronauts()
            if key in earlier:
                crafts.add(earlier[key][0])
                people.update(earlier[key][1])
            touched.update(stream_name("spacecraft", c) for c in crafts)
            touched.update(stream_name("astronaut", p) for p in people)
        return flights | await self.documents.dependents(sorted(touched))

    async def _sources(self, affected: set[int]) -> Sources:
        await self._catch_up([stream_name("flight", f) for f in affected])
        flights = [self.states.flights[f] for f in affected if f in self.states.flights]
        crafts = sorted({f.spacecraft for f in flights if f.spacecraft is not None})
        people = sorted(set().union(*(f.astronauts() for f in flights)))
        related = affected | await self.documents.flights_with(crafts, people)
        await self._catch_up([stream_name("flight", f) for f in related - affected])
        await self._refresh_references(flights)
        return Sources(
            flights={
                f: self.states.flights[f] for f in related if f in self.states.flights
            },
            references=self.states.references,
        )

    async def _refresh_references(self, flights: list[FlightState]) -> None:
        (level,) = references_of(flights, self.states)
        seen: set[str] = set()
        while level:
            await self._catch_up(sorted(level))
            seen |= level
            level = linked_references(level, self.states) - seen

    async def _catch_up(self, streams: list[str]) -> None:
        """Fold what the log holds beyond this process's state of unmarked
        streams, reading only those whose projected position differs from the
        version held: a stream's newer events either were projected (which
        moved its position) or are marked (and projected by a later drain)."""
        held = self.states.versions
        known = [s for s in streams if s not in self._read and held.get(s)]
        positions = await self.queue.positions(known) if known else {}
        stale = [
            s
            for s in streams
            if s not in self._read and (not held.get(s) or positions.get(s) != held[s])
        ]
        if stale:
            await self.states.refresh(self.store, stale)
            self._read.update(stale)
