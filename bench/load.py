"""Putting a synthetic log into a database, in bulk, through the event store.

What the benchmark measures is reading, appending one event over HTTP and
rebuilding; loading 100k events one checked append at a time would measure
nothing of interest and take minutes, so ``load`` stores them with
``MongoEventStore.append_many`` (no rule checks: the generator keeps the rules)
and the rebuild then projects them.
"""

from __future__ import annotations

from bench.synthetic import Event
from events.catalog import SCHEMA_VERSION
from events.envelope import PendingEvent
from service.database import Database

CHUNK = 2_000
OPERATOR = "bench"


def pending(event: Event) -> tuple[PendingEvent, int]:
    """The generated event as the store takes it, with its version."""
    stream, version = event["stream"], event["version"]
    return (
        PendingEvent(
            stream=stream,
            type=event["type"],
            schema_version=SCHEMA_VERSION,
            occurred_at=event["occurred_at"],
            data=event["data"],
            operator=OPERATOR,
            request_id=f"{OPERATOR}:{stream}:{version}",
            request_hash="",
        ),
        version,
    )


async def load(database: Database, events: list[Event]) -> int:
    """Store every event, ``CHUNK`` at a time; returns how many were stored."""
    await database.create_indexes()
    stored = 0
    for start in range(0, len(events), CHUNK):
        chunk = [pending(event) for event in events[start : start + CHUNK]]
        stored += await database.events.append_many(chunk)
    return stored
