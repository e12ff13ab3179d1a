"""What the log's commands ask of the server: the configured write concern on
every append, read concern ``majority`` on every read of the log.

The application runs on a client that records every command it sends, with
its settings read from the environment as in a deployment.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import monitoring

from projections.replay import replay
from service.app import create_app
from service.database import Database, open_database
from service.resources import DATABASE
from service.settings import Settings
from tests.e2e.flight_fixture import REFERENCES
from tests.flight_steps import launch_body, step

Client = TestClient[web.Request, web.Application]
READS = {"find", "aggregate", "count", "distinct"}
FLIGHT = "/2.2.0/spacecraft/flight/9001"


class Recorder(monitoring.CommandListener):
    """Keeps every command sent: its name, its collection and itself."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, Any, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command = copy.deepcopy(dict(event.command))
        name = event.command_name
        self.commands.append((name, command.get(name), command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def to_log(self, names: set[str]) -> list[dict[str, Any]]:
        """The commands named in ``names`` sent to the ``events`` collection."""
        return [
            command
            for name, collection, command in self.commands
            if name in names and collection == "events"
        ]


Start = Callable[..., Awaitable[tuple[Client, Database, Recorder]]]


@pytest.fixture
async def recorded(
    mongo_uri: str,
    database_name: str,
    monkeypatch: pytest.MonkeyPatch,
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> AsyncIterator[Start]:
    """Start the application with ``FLIGHTLOG_*`` variables, commands recorded."""
    clients: list[AsyncIOMotorClient[Any]] = []

    async def start(**variables: str) -> tuple[Client, Database, Recorder]:
        for name in ("FLIGHTLOG_WRITE_CONCERN", "FLIGHTLOG_JOURNAL"):
            monkeypatch.delenv(name, raising=False)  # the defaults, unless given
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        settings = Settings(_env_file=None, database=database_name)
        recorder = Recorder()
        motor: AsyncIOMotorClient[Any] = AsyncIOMotorClient(
            mongo_uri, tz_aware=True, event_listeners=[recorder]
        )
        clients.append(motor)
        database = open_database(settings, client=motor)
        client = await aiohttp_client(create_app(settings, database))
        return client, database, recorder

    yield start
    for motor in clients:
        motor.close()


async def post_flight(client: Client) -> None:
    """Post the fixture's reference data and a flight's launch, dock and
    undock, then retry the undock."""
    token = await client.app[DATABASE].operators.create("ops")
    headers = {"Authorization": f"Bearer {token}"}
    posts = [
        (
            f"/2.2.0/{path}/events/",
            {"type": kind, "occurred_at": "2026-10-01T00:00:00Z", "data": data},
        )
        for path, kind, data in REFERENCES
    ]
    posts += [(f"{FLIGHT}/events/", body) for body in (launch_body(), step(2))]
    for path, body in posts:
        response = await client.post(path, json=body, headers=headers)
        assert response.status == 201, await response.text()
    keyed = headers | {"Idempotency-Key": "undock"}
    for _ in range(2):  # the retry finds the first answer in the log
        response = await client.post(f"{FLIGHT}/events/", json=step(3), headers=keyed)
        assert response.status == 201, await response.text()


@pytest.mark.parametrize(
    ("variables", "write_concern"),
    [
        ({}, {"w": "majority", "j": True}),
        ({"FLIGHTLOG_WRITE_CONCERN": "1"}, {"w": 1, "j": True}),
        ({"FLIGHTLOG_JOURNAL": "false"}, {"w": "majority", "j": False}),
    ],
    ids=["default", "w1", "no-journal"],
)
async def test_every_append_carries_the_configured_write_concern(
    recorded: Start, variables: dict[str, str], write_concern: dict[str, Any]
) -> None:
    client, database, recorder = await recorded(**variables)
    await post_flight(client)

    inserts = recorder.to_log({"insert"})
    assert len(inserts) == len(REFERENCES) + 3 == await database.events.count()
    assert [command["writeConcern"] for command in inserts] == [write_concern] * 9


async def test_every_read_of_the_log_is_majority_committed(recorded: Start) -> None:
    client, database, recorder = await recorded()
    await post_flight(client)
    assert (await client.get(f"{FLIGHT}/")).status == 200
    listing = await client.get("/2.2.0/spacecraft/flight/?spacecraft=501")
    assert listing.status == 200
    assert (await client.get("/metrics")).status == 200
    await replay(database.projector, database.events, database.handle)
    unknown = await client.get("/2.2.0/spacecraft/flight/?spacecraft=999")
    assert unknown.status == 400

    # Appends and their retry, reference checks, projection, the rebuild, the
    # heads that reconciling and metrics compare, the rebuild's progress.
    reads = recorder.to_log(READS)
    assert {name for name in READS if any(name in c for c in reads)} == {
        "find",
        "aggregate",
        "count",
    }
    assert len(reads) > 30
    assert [c for c in reads if c.get("readConcern") != {"level": "majority"}] == []
