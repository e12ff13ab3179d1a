"""Two ``flightlog serve`` processes on one database: nothing lost, nothing twice.

Operators race through both processes to append each flight's next event with
``expected_version``; a crash point (``FLIGHTLOG_FAULT``) ends a process right
after it stored an event. Every wait is a bounded poll, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from events.append import Appender
from projections.encoding import Filler
from service.faults import EXIT_AFTER_APPEND, EXIT_CODE
from tests.e2e.flight_fixture import REFERENCES
from tests.flight_steps import (
    dockings,
    launch_body,
    post_event,
    record_flight,
    served_dockings,
    step,
)
from tests.log_rebuild import documents_from_log, served_documents
from tests.processes import ServeProcess, flightlog_env, wait_for

API = "/2.2.0"
CONVERGE = 30.0  # seconds; covers a lease left behind by a killed holder (15 s)


@pytest.fixture
def serve(
    mongo_uri: str, database_name: str, tmp_path: Path
) -> Iterator[Callable[..., ServeProcess]]:
    """Start ``flightlog serve`` processes on the test's database; stops them."""
    started: list[ServeProcess] = []

    def start(name: str, **env: str) -> ServeProcess:
        variables = flightlog_env(mongo_uri, database_name, **env)
        process = ServeProcess(name, variables, tmp_path).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


async def two_processes(
    serve: Callable[..., ServeProcess], session: aiohttp.ClientSession, **env: str
) -> tuple[ServeProcess, ServeProcess]:
    first, second = serve("a", **env), serve("b")
    await asyncio.gather(first.ready(session), second.ready(session))
    return first, second


async def record_references(
    session: aiohttp.ClientSession, process: ServeProcess, token: str
) -> None:
    for path, event_type, data in REFERENCES:
        body = {"type": event_type, "occurred_at": "2026-10-01T00:00:00Z", "data": data}
        url = f"{process.url}{API}/{path}/events/"
        status, answer = await post_event(session, url, token, body)
        assert status == 201, answer


def events_url(process: ServeProcess, flight: int) -> str:
    return f"{process.url}{API}/spacecraft/flight/{flight}/events/"


async def served(
    session: aiohttp.ClientSession, process: ServeProcess, flight: int
) -> dict[str, Any] | None:
    url = f"{process.url}{API}/spacecraft/flight/{flight}/?format=json"
    async with session.get(url) as response:
        return await response.json() if response.status == 200 else None


async def converged(
    session: aiohttp.ClientSession,
    processes: tuple[ServeProcess, ...],
    flight: int,
    target: int,
) -> None:
    """Wait until every process serves the flight with all its dockings."""

    async def shows_all() -> bool:
        for process in processes:
            document = await served(session, process, flight)
            if document is None or served_dockings(document) != dockings(target):
                return False
        return True

    await wait_for(shows_all, CONVERGE, f"flight {flight} at version {target}")


@dataclass
class Race:
    """Operators appending one flight's next event, each with expected_version."""

    flight: int
    target: int
    version: int = 1  # the launch
    moved: asyncio.Condition = field(default_factory=asyncio.Condition)
    # (expected version, status, answer, idempotency key) of every request
    outcomes: list[tuple[int, int, dict[str, Any], str]] = field(default_factory=list)

    async def operator(
        self,
        session: aiohttp.ClientSession,
        process: ServeProcess,
        token: str,
        name: str,
    ) -> None:
        attempt = 0
        while self.version < self.target:
            seen, attempt = self.version, attempt + 1
            key = f"{name}-{attempt}"
            body = {**step(seen + 1), "expected_version": seen}
            url = events_url(process, self.flight)
            status, raw = await post_event(session, url, token, body, key)
            self.outcomes.append((seen, status, json.loads(raw), key))

            async with self.moved:
                if status == 201:
                    self.version = max(self.version, seen + 1)
                    self.moved.notify_all()
                else:
                    assert status == 409, raw
                    # Refused: someone else appended seen + 1; its answer will tell.
                    await self.moved.wait_for(lambda v=seen: self.version > v)


async def race(
    session: aiohttp.ClientSession,
    processes: tuple[ServeProcess, ServeProcess],
    token: str,
    races: list[Race],
    operators: int,
) -> None:
    work = [
        r.operator(session, processes[n % 2], token, f"f{r.flight}-op{n}")
        for r in races
        for n in range(operators)
    ]
    async with asyncio.timeout(90):
        await asyncio.gather(*work)


async def check_log(database: Any, r: Race) -> None:
    """Versions 1..target once each; every 201 in the log; every refusal a 409."""
    stream = f"flight-{r.flight}"
    cursor = database.handle.events.find({"stream": stream}, sort=[("version", 1)])
    log = {event["version"]: event async for event in cursor}
    assert sorted(log) == list(range(1, r.target + 1))

    accepted = [(seen, answer, key) for seen, s, answer, key in r.outcomes if s == 201]
    assert sorted(answer["version"] for _, answer, _ in accepted) == list(
        range(2, r.target + 1)
    )
    for seen, answer, key in accepted:
        assert answer["version"] == seen + 1
        stored = log[answer["version"]]
        assert (stored["request_id"], stored["type"]) == (f"ops:{key}", answer["type"])

    refused = [answer for _, s, answer, _ in r.outcomes if s != 201]
    assert {s for _, s, _, _ in r.outcomes} <= {201, 409}
    for answer in refused:
        assert answer["detail"].startswith(f"stream {stream} is at version ")


async def test_racing_appends_to_one_flight_through_two_processes(
    serve: Callable[..., ServeProcess],
    session: aiohttp.ClientSession,
    token: str,
    database: Any,
) -> None:
    processes = await two_processes(serve, session)
    await record_references(session, processes[0], token)
    status, _ = await post_event(
        session, events_url(processes[1], 9001), token, launch_body()
    )
    assert status == 201

    flight = Race(9001, target=21)
    await race(session, processes, token, [flight], operators=8)

    await check_log(database, flight)
    assert len(flight.outcomes) > 20  # some requests lost a race and were refused
    await converged(session, processes, 9001, 21)


async def test_racing_appends_to_many_flights_converge_to_the_log(
    serve: Callable[..., ServeProcess],
    session: aiohttp.ClientSession,
    token: str,
    database: Any,
) -> None:
    processes = await two_processes(serve, session)
    await record_references(session, processes[0], token)
    flights = list(range(9101, 9106))
    launches = [
        post_event(session, events_url(processes[n % 2], f), token, launch_body())
        for n, f in enumerate(flights)
    ]
    assert [status for status, _ in await asyncio.gather(*launches)] == [201] * 5

    races = [Race(f, target=9) for f in flights]
    await race(session, processes, token, races, operators=3)

    for r in races:
        await check_log(database, r)
    for f in flights:
        await converged(session, processes, f, 9)
    # The flights share a spacecraft and an astronaut: every document embeds
    # counters of all of them, and all equal a fold of the whole log.
    from_log = await documents_from_log(database.events)

    async def served_equal_log() -> bool:
        return await served_documents(database.handle) == from_log

    await wait_for(served_equal_log, CONVERGE, "documents equal to the log")


async def test_a_retry_through_the_other_process_gets_the_first_answer(
    serve: Callable[..., ServeProcess],
    session: aiohttp.ClientSession,
    token: str,
    database: Any,
) -> None:
    a, b = await two_processes(serve, session)
    await record_references(session, a, token)
    launch = launch_body()

    first = await post_event(session, events_url(a, 9001), token, launch, "launch")
    again = await post_event(session, events_url(b, 9001), token, launch, "launch")
    assert first[0] == 201
    assert again == first  # status and body, byte for byte

    # The same key reaching both processes at once appends once.
    dock = step(2)
    retries = [
        post_event(session, events_url(p, 9001), token, dock, "dock")
        for p in (a, b, a, b)
    ]
    answers = await asyncio.gather(*retries)
    assert {status for status, _ in answers} == {201}
    assert len({raw for _, raw in answers}) == 1

    # The key in the body works like the header.
    undock = {**step(3), "request_id": "undock"}
    by_body = [
        await post_event(session, events_url(p, 9001), token, undock) for p in (b, a)
    ]
    assert by_body[0][0] == 201
    assert by_body[1] == by_body[0]

    other = {**dock, "occurred_at": "2026-11-01T02:30:00Z"}
    status, raw = await post_event(session, events_url(b, 9001), token, other, "dock")
    assert status == 422
    assert json.loads(raw) == {
        "detail": "this idempotency key was already used for a different request"
    }

    log = database.handle.events.find({"stream": "flight-9001"}, sort=[("version", 1)])
    assert [(e["version"], e["request_id"]) async for e in log] == [
        (1, "ops:launch"),
        (2, "ops:dock"),
        (3, "ops:undock"),
    ]


async def test_a_process_killed_after_an_append_converges_through_the_other(
    serve: Callable[..., ServeProcess],
    session: aiohttp.ClientSession,
    token: str,
    database: Any,
) -> None:
    await record_flight(Appender(database.events, mark=database.queue.mark), 9001)
    await database.projector.drain()
    a, b = await two_processes(serve, session, FLIGHTLOG_FAULT=EXIT_AFTER_APPEND)

    with pytest.raises(aiohttp.ClientConnectionError):
        await post_event(session, events_url(a, 9001), token, step(2), "dock")
    assert await a.exited() == EXIT_CODE
    assert await database.handle.events.count_documents({"stream": "flight-9001"}) == 2

    await converged(session, (b,), 9001, 2)
    status, raw = await post_event(session, events_url(b, 9001), token, step(2), "dock")
    assert (status, json.loads(raw)["version"]) == (201, 2)
    assert await database.handle.events.count_documents({"stream": "flight-9001"}) == 2


async def test_a_process_killed_after_an_append_converges_on_restart(
    serve: Callable[..., ServeProcess],
    session: aiohttp.ClientSession,
    token: str,
    database: Any,
) -> None:
    await record_flight(Appender(database.events, mark=database.queue.mark), 9001)
    await database.projector.drain()
    crashing = serve("crashing", FLIGHTLOG_FAULT=EXIT_AFTER_APPEND)
    await crashing.ready(session)

    with pytest.raises(aiohttp.ClientConnectionError):
        await post_event(session, events_url(crashing, 9001), token, step(2), "dock")
    assert await crashing.exited() == EXIT_CODE
    assert await database.queue.is_marked("flight-9001")
    stored = await database.documents.detail(9001)
    assert served_dockings(json.loads(Filler("", "", "").fill(stored))) == []

    restarted = serve("restarted")
    await restarted.ready(session)
    await converged(session, (restarted,), 9001, 2)
    status, raw = await post_event(
        session, events_url(restarted, 9001), token, step(2), "dock"
    )
    assert (status, json.loads(raw)["version"]) == (201, 2)
    assert await database.handle.events.count_documents({"stream": "flight-9001"}) == 2
