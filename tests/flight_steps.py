"""Flights that dock and undock for as long as a test likes, and ways to post them.

Version 1 of a flight is its launch (the invented flight of
``tests/e2e/flight_fixture.py``); an even version n docks as docking event
1000 + n, the odd version after it undocks again, one hour apart, so any
version's event follows from the version before it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from events.append import Appender, AppendRequest
from events.envelope import StoredEvent
from tests.e2e.flight_fixture import REFERENCES, STEPS

LAUNCHED_AT = datetime(2026, 11, 1, tzinfo=UTC)
# Where each reference path of the fixture is posted, and its stream kind.
KINDS = {
    "agencies": "agency",
    "config/spacecraft": "spacecraft_config",
    "spacecraft": "spacecraft",
    "launch": "launch",
    "astronaut": "astronaut",
    "spacestation": "spacestation",
}


def launch_body() -> dict[str, Any]:
    event_type, at, data = STEPS[0]
    return {"type": event_type, "occurred_at": at, "data": data}


def at(version: int) -> datetime:
    return LAUNCHED_AT + timedelta(hours=version)


def step(version: int) -> dict[str, Any]:
    """The body of the flight's event at ``version`` (2 and above)."""
    moment = at(version).strftime("%Y-%m-%dT%H:%M:%SZ")
    if version % 2 == 0:
        data = {
            "docking_event": 1000 + version,
            "spacestation": 901,
            "docking_location": 902,
        }
        return {"type": "dock", "occurred_at": moment, "data": data}
    data = {"docking_event": 1000 + version - 1}
    return {"type": "undock", "occurred_at": moment, "data": data}


def dockings(target: int) -> list[tuple[int, str, str | None]]:
    """(id, docking, departure) of each docking once ``target`` is reached."""
    return [
        (1000 + n, _iso(at(n)), _iso(at(n + 1)) if n + 1 <= target else None)
        for n in range(2, target + 1, 2)
    ]


def served_dockings(document: dict[str, Any]) -> list[tuple[int, str, str | None]]:
    return [(d["id"], d["docking"], d["departure"]) for d in document["docking_events"]]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def request(
    kind: str, key: str, body: dict[str, Any], request_id: str
) -> AppendRequest:
    """An operator request as the write API builds it."""
    return AppendRequest(
        kind=kind,
        key=key,
        type=body["type"],
        occurred_at=datetime.fromisoformat(body["occurred_at"]),
        data=body["data"],
        operator="ops",
        request_id=f"ops:{request_id}",
        expected_version=body.get("expected_version"),
    )


async def record_flight(appender: Appender, *flights: int) -> list[StoredEvent]:
    """Record the fixture's reference data and launch ``flights``."""
    stored = []
    for path, event_type, data in REFERENCES:
        prefix, _, key = path.rpartition("/")
        body = {"type": event_type, "occurred_at": "2026-10-01T00:00:00Z", "data": data}
        event, _ = await appender.append(request(KINDS[prefix], key, body, path))
        stored.append(event)
    for flight in flights:
        launch = request("flight", str(flight), launch_body(), f"launch-{flight}")
        event, _ = await appender.append(launch)
        stored.append(event)
    return stored


async def post_event(
    session: aiohttp.ClientSession,
    url: str,
    token: str,
    body: dict[str, Any],
    key: str | None = None,
) -> tuple[int, bytes]:
    """POST one event to ``url`` (ending in ``/events/``); status and raw body."""
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    async with session.post(url, json=body, headers=headers) as response:
        return response.status, await response.read()
