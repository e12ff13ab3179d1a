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
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
from pymongo import (
    ASCENDING,
    DESCENDING,
    DeleteOne,
    IndexModel,
    ReplaceOne,
    UpdateOne,
)
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from events.errors import FlightlogError
from events.mongo import in_batches, unavailable
from projections.encoding import Segments
from projections.store import FlightDocument, Mark, Page, content_hash

logger = logging.getLogger(__name__)

DOCUMENTS = "flight_documents"
# Some servers plan an _id lookup only when _id is the whole filter: hint it.
ID_INDEX = [("_id", ASCENDING)]
SPACECRAFT_INDEX = [("spacecraft", ASCENDING), ("_id", DESCENDING)]
DOCUMENT_INDEXES = [
    IndexModel(SPACECRAFT_INDEX),
    IndexModel([("dependencies", ASCENDING)]),
    IndexModel([("astronauts", ASCENDING)]),
]
# (_id, token) serves the conditional removal of a mark on servers that plan
# an _id lookup only when _id is the whole filter.
QUEUE_INDEXES = [
    IndexModel([("at", ASCENDING)]),
    IndexModel([("_id", ASCENDING), ("token", ASCENDING)]),
]
_LEASE_ID = "projector"


def patient(seconds: float) -> AbstractContextManager[object]:
    """Let each database call made in the block (this task and the tasks it
    starts) take up to ``seconds``: for work that reads or writes a whole
    collection, which a request's timeout would cut short."""
    return pymongo.timeout(seconds)


class LeaseLost(FlightlogError):
    """A newer holder of the projection lease took over: stop projecting.

    Raised before any mark is cleared, so the new holder projects them.
    """


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
        # Count and skip over index keys only, then fetch just the page's
        # documents. Only the whole listing is hinted (to the _id index, which
        # the planner may pass over without a filter); a filtered one is planned
        # on the spacecraft index, and a hint would cost some servers its bounds.
        query = {} if spacecraft is None else {"spacecraft": spacecraft}
        hinted = {"hint": ID_INDEX} if spacecraft is None else {}
        shape = "detail" if detailed else "item"
        count = await _guard(self._documents.count_documents(query, **hinted))
        cursor = self._documents.find(query, {"_id": 1}, sort=[("_id", DESCENDING)])
        if hinted:
            cursor = cursor.hint(ID_INDEX)
        keys = [
            found["_id"]
            for found in await _guard(cursor.skip(offset).limit(limit).to_list(limit))
        ]
        shaped = {
            d["_id"]: d[shape]
            async for d in _each_in(self._documents, "_id", keys, {shape: 1})
        }
        return Page(count, [shaped[key] for key in keys if key in shaped])

    async def version(self, flight_id: int) -> str | None:
        """The content hash of the flight's stored document; None without one."""
        found = await _guard(self._documents.find_one({"_id": flight_id}, {"hash": 1}))
        if found is None:
            return None
        return found.get("hash") or await self._hash_of(flight_id)

    async def tagged_detail(self, flight_id: int) -> tuple[str, Segments] | None:
        """The flight's detail document and its content hash."""
        found = await _guard(
            self._documents.find_one({"_id": flight_id}, {"detail": 1, "hash": 1})
        )
        if found is None:
            return None
        version = found.get("hash") or await self._hash_of(flight_id)
        return version, found["detail"]

    async def listing(self) -> AsyncIterator[dict[str, Any]]:
        """Every document's id, spacecraft, content hash and list item."""
        fields = {"spacecraft": 1, "hash": 1, "item": 1}
        cursor = self._documents.find({}, fields, sort=[("_id", ASCENDING)])
        cursor = cursor.hint(ID_INDEX)
        async for found in _cursor(cursor.batch_size(1000)):
            if not found.get("hash"):
                found["hash"] = await self._hash_of(found["_id"])
            yield found

    def changes(self, await_ms: int) -> Any:
        """A change stream of this collection's writes, and of a rebuild's rename
        onto it, without the bulky detail. ``try_next`` answers None when nothing
        more was committed before it asked, after at most ``await_ms``."""
        name = self.collection_name
        pipeline = [
            {"$match": {"$or": [{"ns.coll": name}, {"to.coll": name}]}},
            {"$project": {"fullDocument.detail": 0, "fullDocument.versions": 0}},
        ]
        return self._db.watch(pipeline, max_await_time_ms=await_ms)

    async def _hash_of(self, flight_id: int) -> str:
        # Documents stored before content hashes were: hash them here.
        found = await _guard(
            self._documents.find_one({"_id": flight_id}, {"detail": 1, "item": 1})
        )
        return "" if found is None else content_hash(found["detail"], found["item"])

    async def has_spacecraft(self, spacecraft: int) -> bool:
        cursor = self._documents.find({"spacecraft": spacecraft}, {"_id": 1})
        found = await _guard(cursor.limit(1).to_list(1))
        return bool(found)

    async def dependents(self, streams: list[str]) -> set[int]:
        """Flights whose documents embed any of ``streams``."""
        cursor = _each_in(self._documents, "dependencies", streams, {"_id": 1})
        return {found["_id"] async for found in cursor}

    async def crews(self, flight_ids: list[int]) -> dict[int, tuple[int, list[int]]]:
        """Spacecraft and astronauts of each projected flight."""
        shape = {"spacecraft": 1, "astronauts": 1}
        return {
            found["_id"]: (found["spacecraft"], found["astronauts"])
            async for found in _each_in(self._documents, "_id", flight_ids, shape)
        }

    async def flights_with(
        self, spacecraft: list[int], astronauts: list[int]
    ) -> set[int]:
        """Flights that flew one of the spacecraft or carried one of the astronauts."""
        # Two queries, one per index: not every server plans an $or over both.
        found: set[int] = set()
        for field, values in (("spacecraft", spacecraft), ("astronauts", astronauts)):
            cursor = _each_in(self._documents, field, values, {"_id": 1})
            found.update([doc["_id"] async for doc in cursor])
        return found

    async def write(self, documents: list[FlightDocument], epoch: int) -> int:
        """Store documents unless a holder of a newer lease epoch wrote them;
        returns how many were stored."""
        if not documents:
            return 0
        operations = [
            ReplaceOne(
                {"_id": doc.id, "epoch": {"$lte": epoch}},
                _stored_document(doc, epoch),
                upsert=True,
                hint=ID_INDEX,
            )
            for doc in documents
        ]
        try:
            await self._documents.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            # 11000 here means a newer epoch owns the document: ours is stale.
            errors = exc.details["writeErrors"]
            if any(e["code"] != 11000 for e in errors):
                raise unavailable(exc) from exc
            return len(documents) - len(errors)
        except PyMongoError as exc:
            raise unavailable(exc) from exc
        return len(documents)

    async def insert_many(self, documents: list[FlightDocument], epoch: int) -> None:
        """Bulk-insert into an empty (shadow) collection."""
        await self.write(documents, epoch)

    async def insert_fresh(self, documents: list[FlightDocument], epoch: int) -> int:
        """Insert documents into a collection no one else writes (a rebuild's
        shadow): plain inserts, with none of ``write``'s epoch conditions."""
        if not documents:
            return 0
        await _guard(
            self._documents.insert_many(
                [_stored_document(doc, epoch) for doc in documents], ordered=False
            )
        )
        return len(documents)

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

    async def create_indexes(self) -> None:
        """Create the index that orders marks oldest first."""
        await _guard(self._marks.create_indexes(QUEUE_INDEXES))

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

    async def oldest(self) -> datetime | None:
        """When the mark that has waited longest was set; None when none waits."""
        found = await _guard(
            self._marks.find_one({}, {"at": 1}, sort=[("at", ASCENDING)])
        )
        return None if found is None else found["at"]

    async def is_marked(self, stream: str) -> bool:
        found = await _guard(self._marks.find_one({"_id": stream}, {"_id": 1}))
        return found is not None

    async def clear(self, marks: list[Mark]) -> None:
        """Remove marks that nobody renewed since they were read."""
        if not marks:
            return
        deletes = [DeleteOne({"_id": m.stream, "token": m.token}) for m in marks]
        await _guard(self._marks.bulk_write(deletes, ordered=False))

    async def record_positions(self, versions: dict[str, int]) -> None:
        """Remember the version of each stream the documents now reflect."""
        if not versions:
            return
        operations = [
            UpdateOne({"_id": stream}, {"$max": {"version": version}}, upsert=True)
            for stream, version in versions.items()
        ]
        await _guard(self._positions.bulk_write(operations, ordered=False))

    async def positions(self, streams: list[str] | None = None) -> dict[str, int]:
        """The version each stream's documents reflect: of every stream, or of
        the named ones."""
        cursor = (
            _cursor(self._positions.find({}))
            if streams is None
            else _each_in(self._positions, "_id", streams, None)
        )
        return {found["_id"]: found["version"] async for found in cursor}

    async def reset_positions(self, versions: dict[str, int]) -> None:
        """Replace every position, after a rebuild. A crash in between leaves
        fewer positions, never higher ones: reconciling then marks more streams
        than needed, which costs time and loses nothing."""
        await _guard(self._positions.drop())  # one call, however many streams
        if versions:
            fresh = [{"_id": s, "version": v} for s, v in versions.items()]
            await _guard(self._positions.insert_many(fresh, ordered=False))


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
                hint=ID_INDEX,  # filters beside _id are not planned on every server
            )
        except DuplicateKeyError:
            return False  # someone else holds it and it has not expired
        except PyMongoError as exc:
            raise unavailable(exc) from exc
        if held is None:
            # Lost a race for an expired lease: the server retried the upsert,
            # matched nothing, and some servers answer no document, not 11000.
            return False
        self.epoch = int(held["epoch"])
        return True

    async def release(self) -> None:
        """Give the lease up early so another process need not wait."""
        await _guard(
            self._leases.update_one(
                {"_id": _LEASE_ID, "owner": self.owner},
                {"$set": {"expires": datetime.fromtimestamp(0, UTC)}},
                hint=ID_INDEX,
            )
        )


async def _guard(awaitable: Any) -> Any:
    try:
        return await awaitable
    except PyMongoError as exc:
        raise unavailable(exc) from exc


async def _each_in(
    collection: Any, field: str, values: list[Any], shape: dict[str, int] | None
) -> AsyncIterator[dict[str, Any]]:
    """The documents whose ``field`` is one of ``values``, one ``$in`` query
    per batch of values (``in_batches``)."""
    for batch in in_batches(values):
        async for found in _cursor(collection.find({field: {"$in": batch}}, shape)):
            yield found


async def _cursor(cursor: Any) -> Any:
    try:
        async for found in cursor:
            yield found
    except PyMongoError as exc:
        raise unavailable(exc) from exc


def _stored_document(doc: FlightDocument, epoch: int) -> dict[str, Any]:
    return {
        "_id": doc.id,
        "epoch": epoch,
        "spacecraft": doc.spacecraft,
        "astronauts": doc.astronauts,
        "dependencies": doc.dependencies,
        "detail": doc.detail,
        "item": doc.item,
        "versions": doc.versions,
        "hash": doc.hash,
    }
