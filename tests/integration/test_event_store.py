"""The event store on a real server: versions are unique, requests count once."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from events.append import Appender, AppendRequest
from events.envelope import PendingEvent
from events.errors import IdempotencyMismatch, InvalidInput, VersionConflict
from events.store import DuplicateRequest

AGENCY = {"id": 63, "name": "Roscosmos", "type": "Government"}
WHEN = datetime(2020, 1, 1, tzinfo=UTC)


def pending(request_id: str, stream: str = "agency-63") -> PendingEvent:
    return PendingEvent(
        stream=stream,
        type="agency_recorded",
        schema_version=1,
        occurred_at=WHEN,
        data=AGENCY,
        operator="test",
        request_id=request_id,
        request_hash="h",
    )


async def test_the_same_version_cannot_be_appended_twice(database: Any) -> None:
    await database.events.append(pending("a"), 1)
    with pytest.raises(VersionConflict):
        await database.events.append(pending("b"), 1)
    assert [e.version for e in await database.events.read_stream("agency-63")] == [1]


async def test_a_request_id_appends_once(database: Any) -> None:
    await database.events.append(pending("a"), 1)
    with pytest.raises(DuplicateRequest):
        await database.events.append(pending("a"), 2)


async def test_stored_events_carry_the_envelope(database: Any) -> None:
    stored = await database.events.append(pending("a"), 1)
    (read,) = await database.events.read_stream("agency-63")
    assert read == stored
    assert (read.stream, read.version, read.type, read.schema_version) == (
        "agency-63",
        1,
        "agency_recorded",
        1,
    )
    assert (read.operator, read.request_id, read.occurred_at) == ("test", "a", WHEN)
    assert read.recorded_at.tzinfo is not None


async def test_read_all_returns_every_event_in_stream_order(database: Any) -> None:
    for n in range(5):
        await database.events.append(pending(f"r{n}", f"agency-{n}"), 1)
    batches = [b async for b in database.events.read_all(batch_size=2)]
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [e.stream for b in batches for e in b] == [f"agency-{n}" for n in range(5)]


def request(
    key: str, name: str = "Roscosmos", expected: int | None = None
) -> AppendRequest:
    return AppendRequest(
        kind="agency",
        key="63",
        type="agency_recorded" if expected is None else "agency_updated",
        occurred_at=WHEN,
        data=AGENCY | {"name": name} if expected is None else {"name": name},
        operator="test",
        request_id=key,
        expected_version=expected,
    )


async def test_a_retried_request_returns_the_first_event(database: Any) -> None:
    appender = Appender(database.events, mark=database.queue.mark)
    first, appended = await appender.append(request("k1"))
    again, appended_again = await appender.append(request("k1"))
    assert (appended, appended_again) == (True, False)
    assert again == first
    assert len(await database.events.read_stream("agency-63")) == 1


async def test_a_reused_key_with_another_body_is_refused(database: Any) -> None:
    appender = Appender(database.events)
    await appender.append(request("k1"))
    with pytest.raises(IdempotencyMismatch):
        await appender.append(request("k1", name="Other"))


async def test_concurrent_appends_at_one_expected_version_one_wins(
    database: Any,
) -> None:
    appender = Appender(database.events)
    await appender.append(request("rec"))
    results = await asyncio.gather(
        *(appender.append(request(f"u{n}", f"Name {n}", expected=1)) for n in range(6)),
        return_exceptions=True,
    )
    wins = [r for r in results if not isinstance(r, BaseException)]
    conflicts = [r for r in results if isinstance(r, VersionConflict)]
    assert (len(wins), len(conflicts)) == (1, 5)
    assert [e.version for e in await database.events.read_stream("agency-63")] == [1, 2]


async def test_an_update_of_a_required_field_to_null_stores_nothing(
    database: Any,
) -> None:
    appender = Appender(database.events)
    await appender.append(request("rec"))
    bad = AppendRequest(
        "agency", "63", "agency_updated", WHEN, {"name": None}, "t", "x"
    )
    with pytest.raises(InvalidInput) as refused:
        await appender.append(bad)
    assert "data.name" in refused.value.errors
    assert len(await database.events.read_stream("agency-63")) == 1
