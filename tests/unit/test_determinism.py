"""Folding the log is deterministic, and the log refuses what breaks a rule.

Generated histories (``tests.histories``) are appended through the real
``Appender`` onto the in-memory store, then folded by the pure projection.
"""

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.append import Appender
from events.envelope import StoredEvent
from events.errors import RuleViolation
from events.memory import MemoryEventStore
from projections.build import build_document
from projections.cache import StreamStates
from projections.documents import Sources
from projections.store import FlightDocument
from tests.histories import NOW, History, histories, wrong_steps

pytestmark = pytest.mark.timeout(60)


async def append_all(history: History) -> tuple[MemoryEventStore, list[StoredEvent]]:
    """Append every step; each one must be accepted and stored once."""
    store = MemoryEventStore()
    appender = Appender(store, clock=lambda: NOW)
    appended = []
    for number, step in enumerate(history.steps):
        event, new = await appender.append(step.request(number))
        assert new, step
        appended.append(event)
    return store, appended


async def whole_log(store: MemoryEventStore) -> list[StoredEvent]:
    return [event async for batch in store.read_all(batch_size=7) for event in batch]


def documents(states: StreamStates, reverse: bool = False) -> dict[int, FlightDocument]:
    """The document of every launched flight, flights handed over in either order."""
    flights = sorted(states.flights.items(), reverse=reverse)
    sources = Sources(flights=dict(flights), references=dict(states.references))
    return {
        key: build_document(flight, sources)
        for key, flight in flights
        if flight.launched_at is not None
    }


@settings(max_examples=80, deadline=None, database=None)
@given(histories())
def test_folding_at_once_step_by_step_and_twice_gives_the_same_documents(
    history: History,
) -> None:
    store, appended = asyncio.run(append_all(history))
    log = asyncio.run(whole_log(store))

    at_once = StreamStates()
    at_once.apply(log)
    step_by_step = StreamStates()
    for event in appended:  # the order the operators posted them, across streams
        step_by_step.apply([event])
        documents(step_by_step)  # what a projection after this step would build
    expected = documents(at_once)

    assert documents(step_by_step) == expected
    assert documents(at_once, reverse=True) == expected
    at_once.apply(log)  # folding the same events again changes nothing
    assert documents(at_once) == expected
    again = StreamStates()
    again.apply(log)
    assert documents(again) == expected
    launched = {int(k) for k, f in history.world.flights.items() if f.launched}
    assert set(expected) == launched


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_a_step_that_breaks_a_rule_is_refused_and_stores_nothing(
    data: st.DataObject,
) -> None:
    history = data.draw(histories(max_steps=16), label="history")
    wrong = data.draw(wrong_steps(history.world), label="wrong step")

    async def scenario() -> None:
        store, appended = await append_all(history)
        before = {stream: len(events) for stream, events in store.streams.items()}

        with pytest.raises(wrong.error) as refused:
            await Appender(store, clock=lambda: NOW).append(wrong.step.request(-1))

        if wrong.rule is not None:
            assert isinstance(refused.value, RuleViolation)
            assert refused.value.rule == wrong.rule
        after = {stream: len(events) for stream, events in store.streams.items()}
        assert after == before
        assert await store.by_request("prop:-1") is None

    asyncio.run(scenario())
