"""The seeded database: replay rebuilds exactly what incremental projection built."""

import logging
import re
from typing import Any

import pytest

from events.append import Appender
from projections.replay import replay
from seed.loader import load_seed


async def documents(database: Any) -> dict[int, dict[str, Any]]:
    cursor = database.handle.flight_documents.find({}, {"epoch": 0})
    return {found["_id"]: found async for found in cursor}


async def seeded(database: Any) -> None:
    appender = Appender(database.events, mark=database.queue.mark)
    await load_seed(appender, database.events)
    await database.projector.drain()


async def test_replay_of_the_seed_equals_incremental_projection(database: Any) -> None:
    await seeded(database)
    incremental = await documents(database)

    written = await replay(database.projector, database.events, database.handle)

    rebuilt = await documents(database)
    assert written == len(incremental) == 22
    assert sorted(rebuilt) == sorted(incremental)
    for flight_id, document in incremental.items():
        assert rebuilt[flight_id] == document, f"flight {flight_id} differs"


async def test_replaying_twice_changes_nothing(database: Any) -> None:
    await seeded(database)
    await replay(database.projector, database.events, database.handle)
    once = await documents(database)
    await replay(database.projector, database.events, database.handle)
    assert await documents(database) == once


async def test_seeding_twice_appends_nothing(database: Any) -> None:
    await seeded(database)
    count = await database.events.count()
    appender = Appender(database.events, mark=database.queue.mark)
    report = await load_seed(appender, database.events)
    assert report.appended == 0
    assert await database.events.count() == count == 386


async def test_the_rebuild_line_counts_every_event_read(
    database: Any, caplog: pytest.LogCaptureFixture
) -> None:
    await seeded(database)

    with caplog.at_level(logging.INFO, logger="projections.replay"):
        await replay(database.projector, database.events, database.handle)

    lines = [r.getMessage() for r in caplog.records if r.name == "projections.replay"]
    assert len(lines) == 1
    # 386 events: 362 in the streams folded first, 24 in the launch streams.
    assert re.fullmatch(
        r"projection rebuilt documents=22 events=386 elapsed_ms=\d+", lines[0]
    )
