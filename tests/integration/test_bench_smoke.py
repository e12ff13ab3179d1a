"""The benchmark harness end to end on tiny sizes, so it cannot rot.

No goal is asserted: the numbers of a run this small on a busy machine mean
nothing. What is checked is that every row is measured, for the service and
for its ceiling, against the test session's server.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pymongo
import pytest

from bench import run, settings

SIZE = 60
ROWS = {
    "detail GET",
    "list GET limit=100, first page",
    "list GET limit=100, last page",
    "conditional GET (304)",
    f"append POST, concurrency {settings.APPEND_CONCURRENCY}",
    "rebuild (replay)",
}


@pytest.fixture
def prefix(mongo_uri: str) -> Iterator[str]:
    """A database name prefix unique to the test; its databases are dropped."""
    name = f"bench_smoke_{uuid.uuid4().hex[:8]}"
    yield name
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(mongo_uri)
    try:
        for found in client.list_database_names():
            if found.startswith(name):
                client.drop_database(found)
    finally:
        client.close()


@pytest.mark.timeout(240)
def test_every_row_has_service_and_ceiling_numbers(mongo_uri: str, prefix: str) -> None:
    plan = dataclasses.replace(
        settings.SMOKE, sizes=(SIZE,), appends=4, database=prefix
    )

    rows = run.main(plan, uri=mongo_uri)

    assert {row.name for row in rows} == ROWS
    assert len(rows) == len(ROWS)
    for row in rows:
        assert row.size == SIZE
        assert row.goal is None and not row.failed
        assert row.service and row.ceiling, row.name
        assert all(value > 0 for value in row.service + row.ceiling), row
        assert row.ratio() > 0, row.name
    rebuild = next(row for row in rows if row.name == "rebuild (replay)")
    assert rebuild.peak_mb is not None and rebuild.peak_mb > 0
