"""Reconciliation finds a stream whose mark a crash lost, without reading the
whole log more than once."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from events.append import Appender, AppendRequest
from service.app import heal_forever, reconcile
from tests.e2e.flight_fixture import REFERENCES

AGENCY = "agency-701"


async def append_unmarked(database: Any) -> None:
    """An agency recorded by a process that died before marking it."""

    async def lost(stream: str) -> None:
        return None

    path, event_type, data = next(r for r in REFERENCES if r[0].startswith("agencies"))
    appender = Appender(database.events, mark=lost)
    await appender.append(
        AppendRequest(
            kind="agency",
            key=path.rsplit("/", 1)[1],
            type=event_type,
            occurred_at=datetime(2026, 10, 1, tzinfo=UTC),
            data=data,
            operator="test",
            request_id="test:lost-mark",
        )
    )


async def test_the_whole_log_and_the_recent_part_both_find_a_lost_mark(
    database: Any,
) -> None:
    await append_unmarked(database)
    now = datetime.now(UTC)

    before = await reconcile(database, since=now + timedelta(minutes=1))
    recent = await reconcile(database, since=now - timedelta(minutes=1))
    await database.projector.drain()
    afterwards = await reconcile(database)

    assert (before, recent, afterwards) == (0, 1, 0)
    assert await database.queue.positions([AGENCY]) == {AGENCY: 1}


async def test_the_healer_finds_a_mark_lost_while_it_runs(database: Any) -> None:
    healing = asyncio.create_task(heal_forever(database, 0.05, reconcile_every=2))
    try:
        await asyncio.sleep(0.2)  # the whole log is reconciled at start
        await append_unmarked(database)
        async with asyncio.timeout(5.0):
            while await database.queue.positions([AGENCY]) != {AGENCY: 1}:
                await asyncio.sleep(0.05)
    finally:
        healing.cancel()
        await asyncio.gather(healing, return_exceptions=True)
    assert await database.queue.count() == 0
