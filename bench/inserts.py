"""Ceilings of the write rows: the raw driver, in its own process.

``events``: ``insert_one`` of the same event documents the append row stores,
at the same concurrency and write concern, into a scratch collection with the
event log's unique indexes. ``documents``: one bulk insert of the read
documents a rebuild writes, in batches of 1,000.

    python -m bench.inserts events PLAN.json
    python -m bench.inserts documents PLAN.json
"""

from __future__ import annotations

import asyncio
import json
import pickle
import sys
import time
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient
from pymongo.write_concern import WriteConcern

from events.mongo import INDEXES
from projections.mongo import DOCUMENT_INDEXES

BATCH = 1_000


async def events(plan: dict[str, Any]) -> dict[str, Any]:
    """``insert_one`` per event at ``concurrency``, majority and journaled."""
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(plan["uri"], tz_aware=True)
    scratch = client[plan["database"]].get_collection(
        plan["collection"], write_concern=WriteConcern(w="majority", j=True)
    )
    await scratch.drop()
    await scratch.create_indexes(INDEXES)
    with open(plan["documents"], "rb") as stored:
        documents = pickle.load(stored)
    queue = list(reversed(documents))
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            document = queue.pop()
            started = time.perf_counter()
            await scratch.insert_one(document)
            latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(plan["concurrency"])))
    elapsed = time.monotonic() - started
    await scratch.drop()
    client.close()
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
    }


async def documents(plan: dict[str, Any]) -> dict[str, Any]:
    """Bulk insert of every read document (read first, outside the timing)."""
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(plan["uri"], tz_aware=True)
    database = client[plan["database"]]
    found = await database[plan["source"]].find({}).to_list(None)
    scratch = database[plan["collection"]]
    await scratch.drop()
    await scratch.create_indexes(DOCUMENT_INDEXES)
    started = time.monotonic()
    for start in range(0, len(found), BATCH):
        await scratch.insert_many(found[start : start + BATCH], ordered=False)
    elapsed = time.monotonic() - started
    await scratch.drop()
    client.close()
    return {"documents": len(found), "seconds": elapsed}


def main() -> None:
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as plan_file:
        plan = json.load(plan_file)
    work = events if kind == "events" else documents
    print(json.dumps(asyncio.run(work(plan))))


if __name__ == "__main__":
    main()
