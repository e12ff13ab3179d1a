"""Projection on a real server: incremental equals replay, 325 equals its source."""

import json
from typing import Any

from events.append import Appender
from projections.encoding import Filler
from projections.replay import replay
from seed.facts import Facts
from seed.importer import Importer
from tests.conftest import REPO, SHARED_LL2

REFERENCE = SHARED_LL2 / "ll2_220_spacecraft_flight_325_detail.json"


async def import_325(database: Any) -> None:
    facts = Facts()
    facts.add(json.loads((SHARED_LL2 / "ll2_210_docking_event_list.json").read_text()))
    facts.add(json.loads((REPO / "seed" / "supplement.json").read_text()))
    facts.add(json.loads(REFERENCE.read_text()))
    appender = Appender(database.events, mark=database.queue.mark)
    await Importer(database.events, appender, "test").run(facts)
    await database.projector.drain()


async def all_documents(database: Any) -> dict[int, Any]:
    cursor = database.handle.flight_documents.find({}, {"epoch": 0})
    return {found["_id"]: found async for found in cursor}


async def test_flight_325_is_projected_byte_for_byte(database: Any) -> None:
    await import_325(database)
    detail = await database.documents.detail(325)
    base = "https://ll.thespacedevs.com"
    text = Filler(base, base, "?format=api").fill(detail)
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert text == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))


async def test_replay_gives_the_incremental_documents(database: Any) -> None:
    await import_325(database)
    incremental = await all_documents(database)
    written = await replay(database.projector, database.events, database.handle)
    assert written == len(incremental) == 2
    assert await all_documents(database) == incremental
    assert await database.queue.count() == 0


async def test_a_mark_left_by_a_crash_is_projected_by_the_next_drain(
    database: Any,
) -> None:
    await import_325(database)
    await database.handle.flight_documents.delete_one({"_id": 327})
    await database.queue.mark("flight-327")  # as an append that crashed would leave it
    assert await database.documents.detail(327) is None
    await database.projector.drain()
    assert await database.documents.detail(327) is not None
    assert await database.queue.count() == 0
