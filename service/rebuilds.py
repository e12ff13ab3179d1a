"""Rebuilds asked for over HTTP: their status, kept in MongoDB.

The status lives in the database, not in the process that runs the rebuild,
so that any service process behind a proxy can answer ``GET …/rebuild/{id}/``.
The running process touches ``beat_at`` every ``BEAT`` seconds; a rebuild
still ``running`` whose beat is older than ``STALE`` seconds lost its process
and is reported ``abandoned``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import PyMongoError

from events.mongo import unavailable

State = Literal["running", "done", "failed", "abandoned"]
BEAT = 5.0
STALE = timedelta(seconds=30)


@dataclass(frozen=True)
class Rebuild:
    """One rebuild: who asked, when, and how it went."""

    id: str
    state: State
    requested_by: str
    requested_at: datetime
    finished_at: datetime | None
    documents: int | None


class RebuildLog:
    """The status of every rebuild requested over HTTP."""

    def __init__(
        self, collection: Any, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._rebuilds = collection
        self._clock = clock
        self._indexed = False

    async def start(self, rebuild_id: str, operator: str) -> Rebuild:
        """Record a rebuild that starts now."""
        await self._ensure_indexes()
        now = self._clock()
        document = {
            "_id": rebuild_id,
            "state": "running",
            "requested_by": operator,
            "requested_at": now,
            "beat_at": now,
            "finished_at": None,
            "documents": None,
        }
        await _guard(self._rebuilds.insert_one(document))
        return _rebuild(document, now)

    async def beat(self, rebuild_id: str) -> None:
        """Show that the rebuild's process is alive."""
        await self._set(rebuild_id, {"beat_at": self._clock()})

    async def finish(self, rebuild_id: str, documents: int) -> None:
        """Record that the rebuild swapped in ``documents`` documents."""
        update = {"state": "done", "documents": documents}
        await self._set(rebuild_id, {**update, "finished_at": self._clock()})

    async def fail(self, rebuild_id: str) -> None:
        """Record that the rebuild stopped without swapping anything in."""
        await self._set(rebuild_id, {"state": "failed", "finished_at": self._clock()})

    async def find(self, rebuild_id: str) -> Rebuild | None:
        """The rebuild with this id, or None."""
        found = await _guard(self._rebuilds.find_one({"_id": rebuild_id}))
        return None if found is None else _rebuild(found, self._clock())

    async def running(self) -> Rebuild | None:
        """The newest rebuild that is running and whose process is alive."""
        await self._ensure_indexes()
        query = {"state": "running", "beat_at": {"$gt": self._clock() - STALE}}
        cursor = self._rebuilds.find(query).sort("requested_at", DESCENDING).limit(1)
        found = await _guard(cursor.to_list(1))
        return _rebuild(found[0], self._clock()) if found else None

    async def _set(self, rebuild_id: str, fields: dict[str, Any]) -> None:
        await _guard(self._rebuilds.update_one({"_id": rebuild_id}, {"$set": fields}))

    async def _ensure_indexes(self) -> None:
        if self._indexed:
            return
        index = IndexModel([("state", ASCENDING), ("requested_at", DESCENDING)])
        await _guard(self._rebuilds.create_indexes([index]))
        self._indexed = True


def _rebuild(document: dict[str, Any], now: datetime) -> Rebuild:
    state: State = document["state"]
    if state == "running" and document["beat_at"] <= now - STALE:
        state = "abandoned"
    return Rebuild(
        id=document["_id"],
        state=state,
        requested_by=document["requested_by"],
        requested_at=document["requested_at"],
        finished_at=document["finished_at"],
        documents=document["documents"],
    )


async def _guard(awaitable: Any) -> Any:
    try:
        return await awaitable
    except PyMongoError as exc:
        raise unavailable(exc) from exc
