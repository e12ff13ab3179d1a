"""Flight documents mirrored in memory, kept fresh by a change stream.

The cache holds every document's id, spacecraft, content hash and list item,
and an id index per spacecraft, so list pages at any offset and the version of
any flight are answered without the database. A database-wide change stream
applies every write to ``flight_documents`` in commit order; a rebuild's
rename reloads everything.

Guarantee: the cache answers a read only when it can vouch for having applied
every write committed up to ``staleness`` seconds before the read arrived,
otherwise the caller reads the database. It vouches from an empty answer of
the change stream, which proves that every write committed before that request
was sent has been applied. A read that arrives while the last such proof is
too old waits for the next one (``settle``), at most ``patience`` seconds, so
a slow database costs latency instead of one database read per request.
``barrier()`` (called after this process answered a write) additionally
withholds the cache until the stream has answered empty after that moment, so
a client reads its own write from this process at once. Without change streams
(a standalone server) the cache never vouches, and every read validates with
an indexed lookup.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from projections.encoding import Segments
from projections.mongo import MongoReadModel
from projections.store import Page

logger = logging.getLogger(__name__)

AWAIT_MS = 50  # longest a change stream request waits for changes
PATIENCE_SECONDS = 2.0  # longest a read waits for the change stream to vouch
RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class Entry:
    """What the cache keeps of one flight document."""

    id: int
    spacecraft: int
    version: str
    item: Segments


class DocumentCache:
    """A ``ReadModel`` that answers from memory while it is provably current."""

    def __init__(
        self,
        documents: MongoReadModel,
        staleness: float,
        memo_bytes: int,
        clock: Callable[[], float] = time.monotonic,
        patience: float = PATIENCE_SECONDS,
    ) -> None:
        self._documents = documents
        self.staleness = staleness
        self.patience = patience
        self.rendered = Memo(memo_bytes)
        self._clock = clock
        self._entries: dict[int, Entry] = {}
        self._ids: list[int] = []  # ascending
        self._by_craft: dict[int, list[int]] = {}
        self.generation = 0  # grows with every change applied
        self._synced_at = -math.inf
        self._required = -math.inf
        self._following = False  # loaded, and the stream is open
        self._synced: asyncio.Future[None] | None = None  # the next proof

    # Freshness

    def fresh(self) -> bool:
        """Whether memory is current to within ``staleness`` (and the barrier)."""
        if self.staleness <= 0:
            return False
        return self._synced_at >= self._floor()

    async def settle(self) -> bool:
        """Whether memory is current as of this call, waiting for the change
        stream's next proof when the last one is too old (not past
        ``patience``, nor while the stream is down)."""
        if self.staleness <= 0:
            return False
        floor = self._floor()
        if self._synced_at >= floor:
            return True
        deadline = self._clock() + self.patience
        while self._following and self._synced_at < floor:
            left = deadline - self._clock()
            if left <= 0:
                return False
            if self._synced is None:
                self._synced = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(asyncio.shield(self._synced), left)
            except TimeoutError:
                return False
        return self._synced_at >= floor

    def barrier(self) -> None:
        """Serve from memory only once every write committed before now is seen."""
        self._required = self._clock()

    def _floor(self) -> float:
        return max(self._clock() - self.staleness, self._required)

    def _vouch(self, asked: float | None) -> None:
        """Record a proof (``asked``), or the loss of the stream (None), and
        wake the reads waiting for either."""
        if asked is None:
            self._following = False
            self._synced_at = -math.inf
        else:
            self._synced_at = asked
        if self._synced is not None:
            self._synced.set_result(None)
            self._synced = None

    # The ReadModel port

    async def detail(self, flight_id: int) -> Segments | None:
        found = await self._documents.tagged_detail(flight_id)
        return None if found is None else found[1]

    async def page(
        self, spacecraft: int | None, offset: int, limit: int, detailed: bool
    ) -> Page:
        if detailed or not await self.settle():
            return await self._documents.page(spacecraft, offset, limit, detailed)
        return self.page_now(spacecraft, offset, limit)

    async def has_spacecraft(self, spacecraft: int) -> bool:
        if await self.settle():
            return spacecraft in self._by_craft
        return await self._documents.has_spacecraft(spacecraft)

    # Versions

    async def version(self, flight_id: int) -> str | None:
        """The content hash of the flight's document: from memory when fresh,
        else from one indexed lookup."""
        if await self.settle():
            entry = self._entries.get(flight_id)
            if entry is None:
                return None
            if entry.version:
                return entry.version
        return await self._documents.version(flight_id)

    async def tagged_detail(self, flight_id: int) -> tuple[str, Segments] | None:
        """The flight's detail and its content hash, read from the database."""
        return await self._documents.tagged_detail(flight_id)

    def page_now(self, spacecraft: int | None, offset: int, limit: int) -> Page:
        """A page of list items from memory, as of ``generation``."""
        ids = self._ids if spacecraft is None else self._by_craft.get(spacecraft, [])
        count = len(ids)
        end = max(count - offset, 0)
        keys = ids[max(end - limit, 0) : end][::-1]
        return Page(count, [self._entries[key].item for key in keys])

    # Following the change stream

    async def follow(self) -> None:
        """Keep memory current until cancelled; reconnect after failures."""
        pause = RETRY_SECONDS
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a dropped connection, or no change streams
                self._vouch(None)
                log = logger.warning if pause == RETRY_SECONDS else logger.debug
                log("document cache paused, reads go to the database: %r", exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_RETRY_SECONDS)

    async def _follow(self) -> None:
        stream = self._documents.changes(AWAIT_MS)
        try:
            self._apply(await stream.try_next())  # opens the stream first
            await self._load()
            self._following = True
            while stream.alive:
                asked = self._clock()
                change = await stream.try_next()
                if change is None:
                    if stream.alive:
                        self._vouch(asked)
                    continue
                if change["operationType"] in ("drop", "rename", "dropDatabase"):
                    self._vouch(None)  # reads go to the database while it reloads
                    await self._load()
                    self._following = True
                else:
                    self._apply(change)
        finally:
            self._vouch(None)
            await stream.close()

    async def _load(self) -> None:
        started = time.monotonic()
        self._entries.clear()
        self._ids.clear()
        self._by_craft.clear()
        async for found in self._documents.listing():
            self._put(found)
        self.generation += 1
        logger.info(
            "document cache loaded documents=%d elapsed_ms=%.0f",
            len(self._entries),
            (time.monotonic() - started) * 1000,
        )

    def _apply(self, change: dict[str, Any] | None) -> None:
        if change is None:
            return
        key = change.get("documentKey", {}).get("_id")
        found = change.get("fullDocument")
        if change["operationType"] in ("insert", "replace", "update") and found:
            self._put(found)
        elif isinstance(key, int):
            self._remove(key)
        self.generation += 1

    def _put(self, found: dict[str, Any]) -> None:
        key = found["_id"]
        entry = Entry(key, found["spacecraft"], found.get("hash", ""), found["item"])
        earlier = self._entries.get(key)
        if earlier is not None and earlier.spacecraft != entry.spacecraft:
            self._remove(key)
        if key not in self._entries:
            _insert(self._ids, key)
            _insert(self._by_craft.setdefault(entry.spacecraft, []), key)
        self._entries[key] = entry

    def _remove(self, key: int) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        _delete(self._ids, key)
        crafts = self._by_craft[entry.spacecraft]
        _delete(crafts, key)
        if not crafts:
            del self._by_craft[entry.spacecraft]


class Memo:
    """Rendered responses by key, least recently used dropped past a byte budget."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self._kept: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        found = self._kept.get(key)
        if found is None:
            return None
        self._kept.move_to_end(key)
        return found[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        if size > self.budget:
            return
        earlier = self._kept.pop(key, None)
        if earlier is not None:
            self.used -= earlier[1]
        self._kept[key] = (value, size)
        self.used += size
        while self.used > self.budget:
            _, (_, dropped) = self._kept.popitem(last=False)
            self.used -= dropped


def _insert(ordered: list[int], key: int) -> None:
    at = bisect.bisect_left(ordered, key)
    if at == len(ordered) or ordered[at] != key:
        ordered.insert(at, key)


def _delete(ordered: list[int], key: int) -> None:
    at = bisect.bisect_left(ordered, key)
    if at < len(ordered) and ordered[at] == key:
        del ordered[at]
