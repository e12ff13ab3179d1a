"""The event store on MongoDB: one document per event.

Correctness rests on two unique indexes: ``(stream, version)`` makes concurrent
appends of the same version lose with a conflict, and ``request_id`` makes a
retried request find its first answer. No transactions, no change streams.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError, PyMongoError

from events.envelope import PendingEvent, StoredEvent
from events.errors import Unavailable, VersionConflict
from events.store import DuplicateRequest

logger = logging.getLogger(__name__)
T = TypeVar("T", str, int)

INDEXES = [
    IndexModel([("stream", ASCENDING), ("version", ASCENDING)], unique=True),
    IndexModel([("request_id", ASCENDING)], unique=True),
    IndexModel([("recorded_at", ASCENDING)]),  # reconciling recent appends
]


# Values per ``$in``: some servers (the embedded one) test each matched key
# against the whole list, so one long list costs more than several short ones.
IN_BATCH = 25


def in_batches(values: Iterable[T]) -> Iterator[list[T]]:
    """``values`` sorted, ``IN_BATCH`` at a time: one ``$in`` query each."""
    ordered = sorted(values)
    for start in range(0, len(ordered), IN_BATCH):
        yield ordered[start : start + IN_BATCH]


def unavailable(exc: PyMongoError) -> Unavailable:
    """The project's error for a database that failed to answer."""
    logger.warning("database error: %s", type(exc).__name__)
    return Unavailable(f"the database is unavailable ({type(exc).__name__})")


class MongoEventStore:
    """``EventStore`` on a motor collection."""

    def __init__(self, collection: Any) -> None:
        self._events = collection

    async def create_indexes(self) -> None:
        """Create the unique indexes the guarantees rest on."""
        try:
            await self._events.create_indexes(INDEXES)
        except PyMongoError as exc:
            raise unavailable(exc) from exc

    async def append(self, event: PendingEvent, version: int) -> StoredEvent:
        """Store the event as ``version``; refuse a version or request seen before."""
        document = _document(event, version)
        try:
            await self._events.insert_one(document)
        except DuplicateKeyError as exc:
            if "request_id" in str(exc.details or exc):
                raise DuplicateRequest(event.request_id) from exc
            raise VersionConflict(event.stream, version - 1, version) from exc
        except PyMongoError as exc:
            raise unavailable(exc) from exc
        return _stored(document)

    async def append_many(self, events: list[tuple[PendingEvent, int]]) -> int:
        """Store events at versions the caller vouches for, unchecked, in bulk.

        For loading a log whose rules were checked elsewhere (benchmarks); the
        unique indexes still refuse a version or request id seen before.
        """
        if not events:
            return 0
        documents = [_document(event, version) for event, version in events]
        try:
            await self._events.insert_many(documents, ordered=False)
        except PyMongoError as exc:
            raise unavailable(exc) from exc
        return len(documents)

    async def by_request(self, request_id: str) -> tuple[StoredEvent, str] | None:
        """The event appended under ``request_id``, and that request's hash."""
        try:
            document = await self._events.find_one({"request_id": request_id})
        except PyMongoError as exc:
            raise unavailable(exc) from exc
        if document is None:
            return None
        return _stored(document), document.get("request_hash", "")

    async def read_stream(self, stream: str, after: int = 0) -> list[StoredEvent]:
        """The events of one stream above ``after``."""
        return await self._find({"stream": stream, "version": {"$gt": after}})

    async def heads(self, streams: list[str]) -> dict[str, int]:
        """The last version of each stream, one indexed lookup per stream."""
        heads: dict[str, int] = {}
        try:
            for stream in streams:
                last = await self._events.find_one(
                    {"stream": stream},
                    {"version": 1, "_id": 0},
                    sort=[("stream", DESCENDING), ("version", DESCENDING)],
                )
                if last is not None:
                    heads[stream] = last["version"]
        except PyMongoError as exc:
            raise unavailable(exc) from exc
        return heads

    async def read_since(self, positions: dict[str, int]) -> list[StoredEvent]:
        """The events above each stream's given version."""
        if not positions:
            return []
        # An $in over the index's first key has bounds on every server; an $or
        # of (stream, version) ranges, or an $in with a version range, is not
        # planned on some, and hinting it makes them scan the whole index.
        # Streams are short: the versions already held are dropped here rather
        # than in the query.
        found: list[StoredEvent] = []
        for streams in in_batches(positions):
            found += await self._find({"stream": {"$in": streams}})
        return [event for event in found if event.version > positions[event.stream]]

    async def read_all(
        self, batch_size: int = 1000, between: tuple[str, str] | None = None
    ) -> AsyncIterator[list[StoredEvent]]:
        """Every event by stream and version, ``batch_size`` at a time; only the
        streams named from ``between[0]`` up to (not including) ``between[1]``."""
        query = (
            {}
            if between is None
            else {"stream": {"$gte": between[0], "$lt": between[1]}}
        )
        cursor = self._events.find(query, sort=[("stream", 1), ("version", 1)])
        cursor = cursor.hint([("stream", 1), ("version", 1)]).batch_size(batch_size)
        batch: list[StoredEvent] = []
        try:
            async for document in cursor:
                batch.append(_stored(document))
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        except PyMongoError as exc:
            raise unavailable(exc) from exc
        if batch:
            yield batch

    async def all_heads(self) -> dict[str, int]:
        """The last version of every stream in the log."""
        return await all_heads(self._events)

    async def heads_since(self, since: datetime) -> dict[str, int]:
        """The last version of every stream with an event recorded at or after
        ``since`` (by the appending process's clock): one indexed range."""
        cursor = self._events.find(
            {"recorded_at": {"$gte": since}}, {"_id": 0, "stream": 1, "version": 1}
        )
        heads: dict[str, int] = {}
        try:
            async for found in cursor:
                stream, version = found["stream"], found["version"]
                heads[stream] = max(heads.get(stream, 0), version)
        except PyMongoError as exc:
            raise unavailable(exc) from exc
        return heads

    async def count(self) -> int:
        """The exact number of events in the log."""
        try:
            return int(
                await self._events.count_documents(
                    {}, hint=[("stream", 1), ("version", 1)]
                )
            )
        except PyMongoError as exc:
            raise unavailable(exc) from exc

    async def estimated_count(self) -> int:
        """About how many events the log holds, from the collection's metadata:
        for progress reports only, never to decide when reading is done."""
        try:
            return int(await self._events.estimated_document_count())
        except PyMongoError as exc:
            raise unavailable(exc) from exc

    async def _find(self, query: dict[str, Any]) -> list[StoredEvent]:
        try:
            # Not hinted: a hint costs some servers the query's index bounds.
            cursor = self._events.find(query, sort=[("stream", 1), ("version", 1)])
            return [_stored(document) async for document in cursor]
        except PyMongoError as exc:
            raise unavailable(exc) from exc


def _document(event: PendingEvent, version: int) -> dict[str, Any]:
    return {
        "stream": event.stream,
        "version": version,
        "type": event.type,
        "schema_version": event.schema_version,
        "occurred_at": event.occurred_at,
        "recorded_at": _now(),
        "operator": event.operator,
        "request_id": event.request_id,
        "request_hash": event.request_hash,
        "data": event.data,
    }


def _now() -> datetime:
    # BSON keeps milliseconds; truncate so what we return equals what is stored.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _stored(document: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        stream=document["stream"],
        version=document["version"],
        type=document["type"],
        schema_version=document["schema_version"],
        occurred_at=_utc(document["occurred_at"]),
        recorded_at=_utc(document["recorded_at"]),
        operator=document["operator"],
        request_id=document["request_id"],
        data=document["data"],
    )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def all_heads(collection: Any) -> dict[str, int]:
    """The last version of every stream: one pass over the (stream, version) index."""
    pipeline = [
        {"$sort": {"stream": 1, "version": 1}},
        {"$group": {"_id": "$stream", "version": {"$last": "$version"}}},
    ]
    try:
        cursor = await _maybe_await(
            collection.aggregate(pipeline, hint={"stream": 1, "version": 1})
        )
        return {found["_id"]: found["version"] async for found in cursor}
    except PyMongoError as exc:
        raise unavailable(exc) from exc


async def _maybe_await(value: Any) -> Any:
    return await value if hasattr(value, "__await__") else value
