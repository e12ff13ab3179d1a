"""Every query a request makes is answered from an index, never a collection scan.

The application runs on a client that records every command it sends; each
recorded query, update, delete and aggregation is then explained by the server
and its winning plan searched for a ``COLLSCAN`` stage.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import monitoring

from service.app import create_app
from service.database import open_database
from tests.integration.test_projection import import_325

pytestmark = pytest.mark.timeout(120)

EXPLAINED = {"find", "aggregate", "count", "update", "delete", "findAndModify"}
# What the service reads whole by design, outside any request: reconciling the
# projected positions with the log's heads at start.
WHOLE_BY_DESIGN = {("find", "projection_positions")}
DROPPED = ("lsid", "$clusterTime", "$db", "$readPreference", "txnNumber")


class Recorder(monitoring.CommandListener):
    """Keeps a copy of every command that could scan a collection."""

    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []
        self.recording = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.recording or event.command_name not in EXPLAINED:
            return
        command = copy.deepcopy(dict(event.command))
        if _is_change_stream(command):
            return
        self.commands.append(command)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_no_request_path_scans_a_collection(
    mongo_uri: str, settings: Any, aiohttp_client: Callable[..., Any]
) -> None:
    recorder = Recorder()
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(
        mongo_uri, tz_aware=True, event_listeners=[recorder]
    )
    # Staleness 0: every read validates with the database, so reads are recorded.
    strict = settings.model_copy(update={"cache_staleness": 0.0})
    database = open_database(strict, client=client)
    try:
        await database.create_indexes()
        await import_325(database)
        token = await database.operators.create("ops", "operator")
        app = await aiohttp_client(create_app(strict, database))

        recorder.recording = True
        await _every_request_path(app, token)
        await _read_model_paths(database)
        recorder.recording = False

        scans = [
            _describe(command)
            for command in recorder.commands
            if _key(command) not in WHOLE_BY_DESIGN
            and await _scans(client[strict.database], command)
        ]
        assert len(recorder.commands) > 30
        assert scans == []
        await app.close()
    finally:
        client.close()


async def _every_request_path(app: Any, token: str) -> None:
    for path in (
        "/2.2.0/spacecraft/flight/325/",
        "/2.2.0/spacecraft/flight/325/?format=api",
        "/2.2.0/spacecraft/flight/?limit=100",
        "/2.2.0/spacecraft/flight/?limit=1&offset=1",
        "/2.2.0/spacecraft/flight/?mode=detailed",
        "/2.2.0/spacecraft/flight/?spacecraft=153",
        "/2.2.0/spacecraft/flight/?spacecraft=99999",
        "/2.2.0/spacecraft/flight/424242/",
    ):
        answer = await app.get(path)
        assert answer.status in (200, 400, 404), path
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "indexes-1"}
    body = {
        "type": "astronaut_updated",
        "occurred_at": "2020-01-01T00:00:00Z",
        "data": {"bio": "Updated by the index test."},
    }
    posted = await app.post("/2.2.0/astronaut/84/events/", json=body, headers=headers)
    assert posted.status == 201, await posted.text()
    again = await app.post("/2.2.0/astronaut/84/events/", json=body, headers=headers)
    assert again.status == 201


async def _read_model_paths(database: Any) -> None:
    documents = database.documents
    await documents.dependents(["astronaut-84", "spacecraft-153"])
    await documents.crews([325, 327])
    await documents.flights_with([153], [84])
    await database.queue.pending()
    await database.queue.oldest()
    await database.events.heads(["flight-325"])
    await database.events.read_since({"flight-325": 1, "astronaut-84": 0})
    await database.events.heads_since(datetime.now(UTC) - timedelta(minutes=5))
    async for _ in documents.listing():
        pass


async def _scans(database: Any, command: dict[str, Any]) -> bool:
    for explained in _explainable(command):
        plan = await database.command(
            {"explain": explained, "verbosity": "queryPlanner"}
        )
        if any(_has_collscan(found) for found in _winning_plans(plan)):
            return True
    return False


def _explainable(command: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Reads as sent (less session fields); writes as the find of their filter,
    since the server's explain of a write does not plan its filter."""
    name, collection = _key(command)
    if name in ("update", "delete"):
        for statement in command["updates" if name == "update" else "deletes"]:
            yield _find(collection, statement["q"], statement.get("hint"))
    elif name == "findAndModify":
        yield _find(collection, command["query"], command.get("hint"))
    else:
        bare = {k: v for k, v in command.items() if k not in DROPPED}
        bare.pop("readConcern", None)
        yield bare


def _find(collection: str, query: Any, hint: Any) -> dict[str, Any]:
    found = {"find": collection, "filter": query}
    return found if hint is None else {**found, "hint": hint}


def _winning_plans(found: Any) -> Iterator[Any]:
    if isinstance(found, dict):
        for key, value in found.items():
            if key == "winningPlan":
                yield value
            else:
                yield from _winning_plans(value)
    elif isinstance(found, list):
        for item in found:
            yield from _winning_plans(item)


def _has_collscan(plan: Any) -> bool:
    if isinstance(plan, dict):
        return plan.get("stage") == "COLLSCAN" or any(
            _has_collscan(value) for value in plan.values()
        )
    if isinstance(plan, list):
        return any(_has_collscan(item) for item in plan)
    return False


def _is_change_stream(command: dict[str, Any]) -> bool:
    pipeline = command.get("pipeline") or []
    return bool(pipeline) and "$changeStream" in pipeline[0]


def _key(command: dict[str, Any]) -> tuple[str, str]:
    name = next(iter(command))
    return name, str(command[name])


def _describe(command: dict[str, Any]) -> str:
    name, collection = _key(command)
    shown = {
        k: v for k, v in command.items() if k in ("filter", "pipeline", "q", "query")
    }
    return f"{name} {collection} {shown or _statements(command)}"


def _statements(command: dict[str, Any]) -> Any:
    return command.get("updates") or command.get("deletes") or {}
