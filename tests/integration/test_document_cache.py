"""The in-process document cache on a real server's change stream."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from projections.cache_docs import DocumentCache
from projections.mongo import MongoReadModel
from projections.store import Page
from tests.integration.test_projection import import_325

SETTLED = 10.0  # seconds a test waits for the cache to load and vouch


class CountingReadModel(MongoReadModel):
    """The read model, counting the pages it reads from the database."""

    def __init__(self, database: Any) -> None:
        super().__init__(database)
        self.pages = 0

    async def page(
        self, spacecraft: int | None, offset: int, limit: int, detailed: bool
    ) -> Page:
        self.pages += 1
        return await super().page(spacecraft, offset, limit, detailed)


@asynccontextmanager
async def following(cache: DocumentCache) -> AsyncIterator[None]:
    task = asyncio.create_task(cache.follow())
    try:
        async with asyncio.timeout(SETTLED):
            while not cache.fresh():
                await asyncio.sleep(0.01)
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_read_after_a_barrier_waits_for_the_stream_not_the_database(
    database: Any,
) -> None:
    await import_325(database)
    documents = CountingReadModel(database.handle)
    cache = DocumentCache(documents, staleness=0.25, memo_bytes=0)
    async with following(cache):
        cache.barrier()
        assert not cache.fresh()
        page = await cache.page(None, 0, 10, detailed=False)
    assert page.count == 2
    assert documents.pages == 0


async def test_a_write_by_another_client_is_seen_once_settled(database: Any) -> None:
    await import_325(database)
    cache = DocumentCache(database.documents, staleness=0.25, memo_bytes=0)
    async with following(cache):
        await database.handle.flight_documents.delete_one({"_id": 327})
        cache.barrier()  # as a write answered by this process would
        page = await cache.page(None, 0, 10, detailed=False)
        version = await cache.version(327)
    assert page.count == 1
    assert version is None


async def test_without_a_stream_reads_go_to_the_database_at_once(
    database: Any,
) -> None:
    await import_325(database)
    documents = CountingReadModel(database.handle)
    cache = DocumentCache(documents, staleness=0.25, memo_bytes=0, patience=30.0)
    async with asyncio.timeout(1.0):  # no waiting for a stream that is not there
        settled = await cache.settle()
        page = await cache.page(None, 0, 10, detailed=False)
    assert settled is False
    assert page.count == 2
    assert documents.pages == 1


async def test_a_zero_staleness_never_answers_from_memory(database: Any) -> None:
    await import_325(database)
    documents = CountingReadModel(database.handle)
    cache = DocumentCache(documents, staleness=0.0, memo_bytes=0)
    task = asyncio.create_task(cache.follow())
    try:
        await asyncio.sleep(0.5)
        page = await cache.page(None, 0, 10, detailed=False)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert page.count == 2
    assert documents.pages == 1
