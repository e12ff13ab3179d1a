"""The read model's writes on a real server: fenced by the lease epoch."""

from typing import Any

from projections.encoding import encode
from projections.store import FlightDocument
from projections.values import Link


def document(flight_id: int, spacecraft: int) -> FlightDocument:
    body = encode({"id": flight_id, "url": Link("self", f"/f/{flight_id}/")})
    return FlightDocument(flight_id, spacecraft, [7], [], body, body, {})


async def test_a_stale_epoch_does_not_overwrite_a_newer_one(database: Any) -> None:
    await database.documents.write([document(1, 40)], epoch=5)
    await database.documents.write([document(1, 99), document(2, 99)], epoch=4)
    assert await database.documents.crews([1, 2]) == {1: (40, [7]), 2: (99, [7])}


async def test_the_lease_has_one_holder_and_a_growing_epoch(database: Any) -> None:
    from projections.mongo import Lease

    first = Lease(database.handle, "a")
    second = Lease(database.handle, "b")
    assert await first.acquire()
    assert not await second.acquire()
    await first.release()
    assert await second.acquire()
    assert second.epoch == first.epoch + 1
