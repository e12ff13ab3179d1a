"""The read model on MongoDB: projected documents, the projection queue, the lease.

``flight_documents`` holds one document per flight, written only by the holder
of the projection lease and fenced by its epoch, so that a paused former holder
can never overwrite newer work. ``projection_queue`` holds one mark per stream
that may have unprojected events; marks are set before and after each append
and removed only after a projection that read the stream.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from events.mongo import unavailable
from projections.encoding import Segments
from projections.store import FlightDocument, Mark, Page

logger = logging.getLogger(__name__)

DOCUMENTS = "flight_documents"
DOCUMENT_INDEXES = [
    IndexModel([("spacecraft", ASCENDING), ("_id", DESCENDING)]),
    IndexModel([("dependencies", ASCENDING)]),
    IndexModel([("astronauts", ASCENDING)]),
]
_LEASE_ID = "projector"


class MongoReadModel:
    """Serves and stores projected flight documents."""

    def __init__(self, database: Any, collection: str = DOCUMENTS) -> None:
        self._db = database
        self._documents = database[collection]
        self.collection_name = collection

    async def create_indexes(self) -> None:
        """Create the indexes every read query uses."""
        await _guard(self._documents.create_indexes(DOCUMENT_INDEXES))

    async def detail(self, flight_id: int) -> Segments | None:
        found = await _guard(
            self._documents.find_one({"_id": flight_id}, {"detail": 1})
        )
        return None if found is None else found["detail"]

    async def page(
        self, spacecraft: int | None, offset: int, limit: int, detailed: bool
    ) -> Page:
        query = {} if spacecraft is None else {"spacecraft": spacecraft}
        shape = "detail" if detailed else "item"
        count = await _guard(self._documents.count_documents(query))
        cursor = self._documents.find(query, {shape: 1}, sort=[("_id", DESCENDING)])
        documents = await _guard(cursor.skip(offset).limit(limit).to_list(limit))
        return Page(count, [found[shape] for found in documents])

    async def has_spacecraft(self, spacecraft: int) -> bool:
        found = await _guard(
            self._documents.find_one({"spacecraft": spacecraft}, {"_id": 1})
        )
        return found is not None

    async def dependents(self, streams: list[str]) -> set[int]:
        """Flights whose documents embed any of ``streams``."""
        if not streams:
            return set()
        cursor = self._documents.find({"dependencies": {"$in": streams}}, {"_id": 1})
        return {found["_id"] async for found in _cursor(cursor)}

    async def crews(self, flight_ids: list[int]) -> dict[int, tuple[int, list[int]]]:
        """Spacecraft and astronauts of each projected flight."""
        cursor = self._documents.find(
            {"_id": {"$in": flight_ids}}, {"spacecraft": 1, "astronauts": 1}
        )
        return {
            found["_id"]: (found["spacecraft"], found["astronauts"])
            async for found in _cursor(cursor)
        }

    async def flights_with(
        self, spacecraft: list[int], astronauts: list[int]
    ) -> set[int]:
        """Flights that flew one of the spacecraft or carried one of the astronauts."""
        query = {
            "$or": [
                {"spacecraft": {"$in": spacecraft}},
                {"astronauts": {"$in": astronauts}},
            ]
        }
        cursor = self._documents.find(query, {"_id": 1})
        return {found["_id"] async for found in _cursor(cursor)}

    async def write(self, documents: list[FlightDocument], epoch: int) -> int:
        """Store documents unless a holder of a newer lease epoch wrote them."""
        if not documents:
            return 0
        operations = [
            ReplaceOne(
                {"_id": doc.id, "epoch": {"$lte": epoch}},
                {
                    "_id": doc.id,
                    "epoch": epoch,
                    "spacecraft": doc.spacecraft,
                    "astronauts": doc.astronauts,
                    "dependencies": doc.dependencies,
                    "detail": doc.detail,
                    "item": doc.item,
                    "versions": doc.versions,
                },
                upsert=True,
            )
            for doc in documents
        ]
        try:
            await self._documents.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            # 11000 here means a newer epoch owns the document: ours is stale.
            others = [e for e in exc.details["writeErrors"] if e["code"] != 11000]
            if others:
                raise unavailable(exc) from exc
        except PyMongoError as exc:
            raise unavailable(exc) from exc
        return len(documents)

    async def insert_many(self, documents: list[FlightDocument], epoch: int) -> None:
        """Bulk-insert into an empty (shadow) collection."""
        await self.write(documents, epoch)

    async def drop(self) -> None:
        await _guard(self._documents.drop())

    async def swap_into(self, target: str) -> None:
        """Atomically replace ``target`` with this collection."""
        await _guard(self._documents.rename(target, dropTarget=True))


class ProjectionQueue:
    """Marks of streams that may hold unprojected events."""

    def __init__(self, database: Any) -> None:
        self._marks = database["projection_queue"]
        self._positions = database["projection_positions"]

    async def mark(self, stream: str) -> None:
        """Note that ``stream`` may have events the documents do not show yet."""
        token = uuid.uuid4().hex
        await _guard(
            self._marks.update_one(
                {"_id": stream},
                {"$set": {"token": token, "at": datetime.now(UTC)}},
                upsert=True,
            )
        )

    async def pending(self, limit: int = 1000) -> list[Mark]:
        """Marked streams, oldest mark first."""
        cursor = self._marks.find({}, sort=[("at", ASCENDING)]).limit(limit)
        return [Mark(found["_id"], found["token"]) async for found in _cursor(cursor)]

    async def count(self) -> int:
        """How many streams wait for projection."""
        return int(await _guard(self._marks.count_documents({})))

    async def is_marked(self, stream: str) -> bool:
        found = await _guard(self._marks.find_one({"_id": stream}, {"_id": 1}))
        return found is not None

    async def clear(self, marks: list[Mark]) -> None:
        """Remove marks that nobody renewed since they were read."""
        if not marks:
            return
        await _guard(
            self._marks.delete_many(
                {"$or": [{"_id": m.stream, "token": m.token} for m in marks]}
            )
        )

    async def record_positions(self, versions: dict[str, int]) -> None:
        """Remember the version of each stream the documents now reflect."""
        if not versions:
            return
        operations = [
            UpdateOne({"_id": stream}, {"$max": {"version": version}}, upsert=True)
            for stream, version in versions.items()
        ]
        await _guard(self._positions.bulk_write(operations, ordered=False))

    async def positions(self) -> dict[str, int]:
        cursor = self._positions.find({})
        return {found["_id"]: found["version"] async for found in _cursor(cursor)}

    async def reset_positions(self, versions: dict[str, int]) -> None:
        """Replace every position, after a rebuild."""
        await _guard(self._positions.delete_many({}))
        await self.record_positions(versions)


class Lease:
    """At most one projector at a time, with a fencing epoch that only grows."""

    def __init__(self, database: Any, owner: str, ttl: float = 15.0) -> None:
        self._leases = database["projection_lease"]
        self.owner = owner
        self.ttl = ttl
        self.epoch = 0

    async def acquire(self) -> bool:
        """Take or renew the lease; True while this process holds it."""
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=self.ttl)
        try:
            held = await self._leases.find_one_and_update(
                {
                    "_id": _LEASE_ID,
                    "$or": [{"owner": self.owner}, {"expires": {"$lt": now}}],
                },
                [
                    {
                        "$set": {
                            "epoch": {
                                "$cond": [
                                    {"$eq": ["$owner", self.owner]},
                                    "$epoch",
                                    {"$add": [{"$ifNull": ["$epoch", 0]}, 1]},
                                ]
                            },
                            "owner": self.owner,
                            "expires": expires,
                        }
                    }
                ],
                upsert=True,
                return_document=True,
            )
        except DuplicateKeyError:
            return False  # someone else holds it and it has not expired
        except PyMongoError as exc:
            raise unavailable(exc) from exc
        self.epoch = int(held["epoch"])
        return True

    async def release(self) -> None:
        """Give the lease up early so another process need not wait."""
        await _guard(
            self._leases.update_one(
                {"_id": _LEASE_ID, "owner": self.owner},
                {"$set": {"expires": datetime.fromtimestamp(0, UTC)}},
            )
        )


async def _guard(awaitable: Any) -> Any:
    try:
        return await awaitable
    except PyMongoError as exc:
        raise unavailable(exc) from exc


async def _cursor(cursor: Any) -> Any:
    try:
        async for found in cursor:
            yield found
    except PyMongoError as exc:
        raise unavailable(exc) from exc
