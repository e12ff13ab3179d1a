"""The bundled seed: a facts-only log plus flight 325 exactly as given."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from events.append import Appender
from events.envelope import PendingEvent, StoredEvent
from events.memory import MemoryEventStore
from projections.cache import StreamStates
from projections.documents import Sources, flight_detail
from projections.encoding import Filler, encode
from seed.build import DEFAULT_SOURCES, LOG_PATH, REFERENCE_DOCUMENT, build_log
from seed.facts import PROSE, Facts
from seed.loader import load_seed, seed_events

SEED_DIR = Path(__file__).parents[2] / "seed"
LL2 = "https://ll.thespacedevs.com"
needs_sources = pytest.mark.skipif(
    not (DEFAULT_SOURCES / REFERENCE_DOCUMENT).is_file(),
    reason="../shared/data/ll2 is not next to the repository",
)


def reference_document() -> dict[str, Any]:
    """Flight 325 as the project ships it."""
    text = (SEED_DIR / "flight_325.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def log_lines() -> list[str]:
    """The lines of ``seed/log.jsonl``."""
    return LOG_PATH.read_text(encoding="utf-8").splitlines()


async def loaded() -> tuple[MemoryEventStore, Appender, int]:
    """A fresh store with the seed loaded once, and how many events it took."""
    store = MemoryEventStore()
    appender = Appender(store)
    report = await load_seed(appender, store)
    assert report.skipped == []
    return store, appender, report.appended


async def folded(store: MemoryEventStore) -> Sources:
    """Every stream of ``store`` folded."""
    states = StreamStates()
    async for batch in store.read_all():
        states.apply(batch)
    return Sources(flights=states.flights, references=states.references)


def event_count(store: MemoryEventStore) -> int:
    return sum(len(events) for events in store.streams.values())


def prose_texts(value: Any, vocabulary: bool = False) -> set[str]:
    """Every non-empty prose text in a source document, vocabulary aside."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in PROSE and isinstance(item, str) and item and not vocabulary:
                found.add(item)
            else:
                found |= prose_texts(item, key in {"status", "net_precision", "type"})
    elif isinstance(value, list):
        for item in value:
            found |= prose_texts(item)
    return found


async def test_seeded_flight_325_is_the_reference_document_byte_for_byte() -> None:
    store, _, _ = await loaded()
    sources = await folded(store)

    document = flight_detail(sources.flights[325], sources)
    text = Filler(LL2, LL2, "?format=api").fill(encode(document))

    expected = json.dumps(
        reference_document(), ensure_ascii=False, separators=(",", ":")
    )
    assert text == expected


async def test_seed_appends_the_log_and_flight_325_once() -> None:
    store, appender, appended = await loaded()

    again = await load_seed(appender, store)

    assert appended == 386
    assert again.appended == 0
    assert again.skipped == []
    assert event_count(store) == 386


class InterleavingStore(MemoryEventStore):
    """A memory store that lets other tasks run between reads and writes."""

    async def read_stream(self, stream: str, after: int = 0) -> list[StoredEvent]:
        await asyncio.sleep(0)
        return await super().read_stream(stream, after)

    async def append(self, event: PendingEvent, version: int) -> StoredEvent:
        await asyncio.sleep(0)
        return await super().append(event, version)


async def test_concurrent_seeds_append_each_event_once() -> None:
    store = InterleavingStore()

    first, second = await asyncio.gather(
        load_seed(Appender(store), store), load_seed(Appender(store), store)
    )

    assert first.appended + second.appended == 386
    assert first.skipped == second.skipped == []
    assert event_count(store) == 386


async def test_seed_requests_are_named_by_stream_and_version() -> None:
    store, _, _ = await loaded()

    first = store.streams["flight-327"][0]

    assert first.request_id == "seed:flight-327:1"
    assert first.operator == "seed"


async def test_flight_327_carries_the_launch_crew_of_325_home() -> None:
    store, _, _ = await loaded()
    sources = await folded(store)

    soyuz_29 = sources.flights[327]
    soyuz_31 = sources.flights[325]

    landed = [seat.astronaut for seat in soyuz_29.landing_crew]
    assert landed == [84, 156]
    assert landed == [seat.astronaut for seat in soyuz_31.launch_crew]
    assert [seat.astronaut for seat in soyuz_29.launch_crew] == [172, 153]
    assert [seat.astronaut for seat in soyuz_31.landing_crew] == [172, 153]


async def test_flight_327_docks_at_the_salyut_6_port_325_names() -> None:
    store, _, _ = await loaded()
    sources = await folded(store)

    docking = sources.flights[327].dockings

    assert [(d.id, d.spacestation, d.location) for d in docking] == [(187, 14, 4)]


def test_log_counts_flights_and_events() -> None:
    entries = [json.loads(line) for line in log_lines()]

    streams = Counter(
        e["stream"].split("-", 1)[0] for e in entries if e["version"] == 1
    )
    types = Counter(e["type"] for e in entries)

    assert len(entries) == 370
    assert streams == {
        "agency": 16,
        "astronaut": 104,
        "flight": 21,
        "launch": 23,
        "spacecraft": 166,
        "spacecraft_config": 12,
        "spacestation": 1,
    }
    assert types["launch"] == 21
    assert types["landing"] == 21
    assert (types["dock"], types["undock"], types["crew_swap"]) == (1, 1, 1)
    assert types["astronaut_updated"] == 3


def test_log_leaves_flight_325_to_its_document() -> None:
    streams = {json.loads(line)["stream"] for line in log_lines()}

    assert "flight-325" not in streams
    assert "flight-327" in streams


def test_log_is_sorted_compact_and_keyed() -> None:
    entries = [json.loads(line) for line in log_lines()]

    order = [(e["stream"], e["version"]) for e in entries]
    assert order == sorted(order)
    for line, entry in zip(log_lines(), entries, strict=True):
        assert sorted(entry) == ["data", "occurred_at", "stream", "type", "version"]
        assert line == json.dumps(
            entry, ensure_ascii=False, separators=(",", ":"), sort_keys=True
        )


def test_loader_orders_link_targets_before_links() -> None:
    kinds = [entry["stream"].split("-", 1)[0] for entry in seed_events()]

    assert kinds.index("spacecraft_config") > max(
        i for i, kind in enumerate(kinds) if kind == "agency"
    )
    assert kinds.index("flight") > max(
        i for i, kind in enumerate(kinds) if kind != "flight"
    )


def test_log_holds_none_of_the_prose_of_flight_325() -> None:
    text = LOG_PATH.read_text(encoding="utf-8")
    document = reference_document()
    crew = [*document["launch_crew"], *document["landing_crew"]]

    bios = [seat["astronaut"]["bio"] for seat in crew]

    assert len(bios) == 4
    for bio in bios:
        assert json.dumps(bio, ensure_ascii=False)[1:-1] not in text
    assert "Soyuz 31 was a Soyuz spacecraft" not in text
    assert "Soyuz 31 was the sixth mission" not in text
    assert "safely landed in Kazakhstan" not in text


@needs_sources
def test_log_holds_none_of_the_sources_prose() -> None:
    text = LOG_PATH.read_text(encoding="utf-8")
    found: set[str] = set()
    for path in sorted(DEFAULT_SOURCES.glob("ll2_*.json")):
        found |= prose_texts(json.loads(path.read_text(encoding="utf-8")))

    leaked = [p for p in found if json.dumps(p, ensure_ascii=False)[1:-1] in text]

    assert len(found) == 329
    assert leaked == []


@needs_sources
async def test_log_is_what_the_builder_makes_of_the_sources() -> None:
    build = await build_log(DEFAULT_SOURCES)

    assert build.text() == LOG_PATH.read_text(encoding="utf-8")


@needs_sources
async def test_builder_reports_what_it_skipped_and_why() -> None:
    build = await build_log(DEFAULT_SOURCES)

    reasons = Counter(note.split(": ", 1)[1] for note in build.report.skipped)

    assert reasons["no launch time in the sources"] == 196
    assert [n for n in build.report.skipped if n.startswith("flight-119:")] == [
        "flight-119: the sources' mission_end 1966-01-20T07:41:00Z precedes its "
        "launch 1996-01-11T09:41:00Z"
    ]
    assert len([n for n in build.report.skipped if " docking " in n]) == 11
    assert len(build.report.skipped) == 208


@needs_sources
def test_flight_325_is_shipped_as_given() -> None:
    shipped = (SEED_DIR / "flight_325.json").read_bytes()

    assert shipped == (DEFAULT_SOURCES / REFERENCE_DOCUMENT).read_bytes()


def test_stripping_prose_empties_nested_texts_and_keeps_vocabulary() -> None:
    facts = Facts(strip_prose=True)

    facts.add(reference_document())

    launch = facts.references["launch-ebd27066-16ca-4039-ac18-858aa79201e6"]
    assert launch["mission"]["description"] == ""
    assert [p["description"] for p in launch["program"]] == ["", ""]
    assert launch["status"]["description"].startswith("The launch vehicle")
    assert launch["net_precision"]["description"] == (
        "The T-0 is accurate to the second."
    )
    landing = facts.flights[325].landing or {}
    assert landing["description"] == ""
    assert landing["location"]["description"] == ""
    assert landing["type"]["description"] == "Unpowered landing using parachute(s)."
    assert facts.references["agency-63"]["administrator"] == ""
    assert facts.references["spacecraft_config-1"]["history"] == ""
