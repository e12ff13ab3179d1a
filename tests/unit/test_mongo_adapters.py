"""The MongoDB adapters on mongomock: fast checks of what they send and read.

mongomock has no transactions, no change streams and no real query planner;
the guarantees themselves are proven against a real server in
``tests/integration``.
"""

from datetime import UTC, datetime
from typing import Any

import pytest

from events.envelope import PendingEvent
from events.errors import VersionConflict
from events.mongo import MongoEventStore
from events.store import DuplicateRequest
from projections.encoding import encode
from projections.mongo import MongoReadModel, ProjectionQueue
from projections.store import FlightDocument
from projections.values import Link
from service.operators import OperatorStore


def event(stream: str, request_id: str) -> PendingEvent:
    return PendingEvent(
        stream=stream,
        type="agency_recorded",
        schema_version=1,
        occurred_at=datetime(2020, 1, 1, tzinfo=UTC),
        data={"id": 1, "name": "A"},
        operator="op",
        request_id=request_id,
        request_hash="h",
    )


def document(flight_id: int, spacecraft: int) -> FlightDocument:
    body = encode({"id": flight_id, "url": Link("self", f"/f/{flight_id}/")})
    return FlightDocument(
        id=flight_id,
        spacecraft=spacecraft,
        astronauts=[7],
        dependencies=[f"spacecraft-{spacecraft}"],
        detail=body,
        item=body,
        versions={},
    )


async def test_event_store_versions_and_requests(mock_db: Any) -> None:
    store = MongoEventStore(mock_db["events"])
    await store.create_indexes()
    await store.append(event("agency-1", "r1"), 1)
    with pytest.raises(VersionConflict):
        await store.append(event("agency-1", "r2"), 1)
    with pytest.raises(DuplicateRequest):
        await store.append(event("agency-1", "r1"), 2)
    await store.append(event("agency-1", "r3"), 2)
    assert await store.heads(["agency-1", "agency-2"]) == {"agency-1": 2}
    assert [e.version for e in await store.read_since({"agency-1": 1})] == [2]
    found = await store.by_request("r3")
    assert found is not None and found[0].version == 2


async def store(mock_db: Any, documents: list[FlightDocument]) -> None:
    # mongomock's bulk_write predates pymongo's ReplaceOne(sort=...): insert as
    # MongoReadModel.write stores them (tests/integration covers write itself).
    await mock_db["flight_documents"].insert_many(
        [{"_id": d.id, "epoch": 1, **vars(d)} | {"_id": d.id} for d in documents]
    )


async def test_read_model_pages_newest_first_and_filters(mock_db: Any) -> None:
    read = MongoReadModel(mock_db)
    await store(mock_db, [document(n, 40 if n % 2 else 41) for n in range(1, 6)])
    page = await read.page(None, 1, 2, detailed=False)
    assert page.count == 5
    assert [parts[0] for parts in page.documents] == [
        '{"id":4,"url":',
        '{"id":3,"url":',
    ]
    by_craft = await read.page(40, 0, 10, detailed=True)
    assert by_craft.count == 3
    assert await read.has_spacecraft(41) and not await read.has_spacecraft(99)
    assert await read.dependents(["spacecraft-41"]) == {2, 4}


async def test_marks_cleared_only_with_their_token(mock_db: Any) -> None:
    queue = ProjectionQueue(mock_db)
    await queue.mark("flight-1")
    (seen,) = await queue.pending()
    await queue.mark("flight-1")  # a newer append renews the mark
    await queue.clear([seen])
    assert await queue.is_marked("flight-1")
    await queue.clear(await queue.pending())
    assert await queue.count() == 0


async def test_tokens_are_kept_as_digests(mock_db: Any) -> None:
    operators = OperatorStore(mock_db["operators"])
    token = await operators.create("alice", "admin")
    stored = await mock_db["operators"].find_one({"_id": "alice"})
    assert token not in str(stored)
    operator = await operators.authenticate(token)
    assert operator is not None and (operator.name, operator.role) == ("alice", "admin")
    assert await operators.authenticate(token + "x") is None
    assert await operators.revoke("alice")
    assert await operators.authenticate(token) is None
