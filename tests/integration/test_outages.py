"""The database stops or hangs while the service runs: 503 fast, then recovery.

Each test runs its own embedded server on a data directory, so that it can be
stopped and started again on the same port with the same data.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.embedded import EmbeddedServer, uri_for
from service.health import PROJECTION_LAG
from service.resources import DATABASE
from service.settings import Settings
from tests.flight_steps import launch_body, served_dockings, step
from tests.processes import wait_for

Client = TestClient[web.Request, web.Application]

TIMEOUT_MS = 1000
# What a request may take beyond the database timeout on a busy 2-core machine.
SLACK = 1.0
RECOVER = 30.0
HOUR = timedelta(hours=1)
FLIGHT = "/2.2.0/spacecraft/flight/9001"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """An embedded server of the test's own, on files that survive a restart."""
    own = EmbeddedServer(str(tmp_path / "db"))
    own.start()
    try:
        yield own
    finally:
        if own.pid is not None:
            os.kill(own.pid, signal.SIGCONT)  # in case a test left it paused
        own.stop()


@pytest.fixture
def make_client(
    aiohttp_client: Callable[..., Any], server: EmbeddedServer
) -> Callable[[], Any]:
    """The application on the server, giving up on the database after 1 s."""

    async def make() -> Client:
        settings = Settings(
            mongodb_uri=uri_for(server.port or 0),  # the port outlives a stop
            database="flightlog_outage",
            db_timeout_ms=TIMEOUT_MS,
            heal_interval=0.2,
            projection_wait=2.0,
        )
        return await aiohttp_client(create_app(settings))  # type: ignore[no-any-return]

    return make


@pytest.fixture
async def client(make_client: Callable[[], Any]) -> AsyncIterator[Client]:
    test_client = await make_client()
    yield test_client
    await test_client.close()


async def operator_token(client: Client) -> str:
    return str(await client.app[DATABASE].operators.create("ops"))


async def record_flight(client: Client, token: str) -> None:
    from tests.e2e.flight_fixture import REFERENCES

    headers = {"Authorization": f"Bearer {token}"}
    for path, event_type, data in REFERENCES:
        body = {"type": event_type, "occurred_at": "2026-10-01T00:00:00Z", "data": data}
        response = await client.post(
            f"/2.2.0/{path}/events/", json=body, headers=headers
        )
        assert response.status == 201, await response.text()
    response = await client.post(
        f"{FLIGHT}/events/", json=launch_body(), headers=headers
    )
    assert response.status == 201, await response.text()


async def timed(
    client: Client,
    method: str,
    path: str,
    **kwargs: Any,  # type: ignore[type-arg]
) -> tuple[int, dict[str, str], Any, float]:
    started = time.monotonic()
    response = await client.request(method, path, **kwargs)
    body = await response.json()
    return response.status, dict(response.headers), body, time.monotonic() - started


def dock(token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "dock-1"}
    return {"json": step(2), "headers": headers}


async def assert_unavailable(client: Client, token: str) -> None:
    """Reads and writes answer 503 with Retry-After and JSON, within the timeout."""
    for method, path, kwargs in [
        ("GET", f"{FLIGHT}/", {}),
        ("GET", "/2.2.0/spacecraft/flight/", {}),
        ("GET", "/2.2.0/spacecraft/flight/?spacecraft=501", {}),
        ("POST", f"{FLIGHT}/events/", dock(token)),
    ]:
        status, headers, body, elapsed = await timed(client, method, path, **kwargs)
        assert status == 503, (method, path, body)
        assert int(headers["Retry-After"]) > 0
        assert headers["Content-Type"].startswith("application/json")
        assert body["detail"].startswith("the database is unavailable")
        assert elapsed < TIMEOUT_MS / 1000 + SLACK, (method, path, elapsed)

    status, _, body, elapsed = await timed(client, "GET", "/readyz")
    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["state"] == "failing"
    assert elapsed < TIMEOUT_MS / 1000 + SLACK

    status, _, body, _ = await timed(client, "GET", "/healthz")
    assert (status, body) == (200, {"status": "ok"})


async def ready(client: Client) -> bool:
    response = await client.get("/readyz")
    return response.status == 200


async def test_a_stopped_database_is_answered_503_and_recovery_needs_no_one(
    client: Client,
    server: EmbeddedServer,
) -> None:
    token = await operator_token(client)
    await record_flight(client, token)

    server.stop()
    await assert_unavailable(client, token)

    server.start()
    await wait_for(lambda: ready(client), RECOVER, "/readyz to answer 200")
    readiness = await (await client.get("/readyz")).json()
    assert {name: c["state"] for name, c in readiness["checks"].items()} == {
        "database": "ok",
        "indexes": "ok",
        "projections": "ok",
    }

    # The dock answered 503: its outcome is unknown to the operator, who retries.
    first = await client.post(f"{FLIGHT}/events/", **dock(token))
    again = await client.post(f"{FLIGHT}/events/", **dock(token))
    assert (first.status, again.status) == (201, 201)
    assert await first.read() == await again.read()
    events = client.app[DATABASE].handle.events
    assert await events.count_documents({"request_id": "ops:dock-1"}) == 1

    document = await (await client.get(f"{FLIGHT}/")).json()
    assert served_dockings(document) == [
        (1002, "2026-11-01T02:00:00Z", None),
    ]


async def test_a_hung_database_is_answered_503_within_the_timeout(
    client: Client,
    server: EmbeddedServer,
) -> None:
    token = await operator_token(client)
    await record_flight(client, token)
    assert server.pid is not None

    os.kill(server.pid, signal.SIGSTOP)  # connections open, no answers
    try:
        await assert_unavailable(client, token)
    finally:
        os.kill(server.pid, signal.SIGCONT)

    await wait_for(lambda: ready(client), RECOVER, "/readyz to answer 200")
    response = await client.get(f"{FLIGHT}/")
    assert response.status == 200


async def test_a_service_started_before_its_database_creates_the_indexes_later(
    make_client: Callable[[], Any], server: EmbeddedServer
) -> None:
    server.stop()
    client = await make_client()
    try:
        status, _, body, _ = await timed(client, "GET", "/readyz")
        assert (status, body["checks"]["database"]["state"]) == (503, "failing")

        server.start()
        await wait_for(lambda: ready(client), RECOVER, "/readyz to answer 200")
        indexes = await client.app[DATABASE].handle.events.index_information()
        unique = {
            tuple(key for key, _ in spec["key"])
            for spec in indexes.values()
            if spec.get("unique")
        }
        assert unique == {("stream", "version"), ("request_id",)}
    finally:
        await client.close()


async def test_readyz_says_when_projections_fall_behind(
    client: Client,
) -> None:
    handle = client.app[DATABASE].handle
    now = datetime.now(UTC)
    # A holder that died with the lease: no one projects until it expires.
    lease = {"_id": "projector", "owner": "gone", "epoch": 7}
    # Replaced, not inserted: the app's own healer may have taken the lease.
    await handle.projection_lease.replace_one(
        {"_id": "projector"}, lease | {"expires": now + HOUR}, upsert=True
    )
    waited = now - timedelta(seconds=PROJECTION_LAG + 1)
    await handle.projection_queue.insert_one(
        {"_id": "flight-1", "token": "t", "at": waited}
    )

    response = await client.get("/readyz")
    body = await response.json()
    assert response.status == 503
    assert body["checks"]["database"]["state"] == "ok"
    assert body["checks"]["projections"] == {
        "state": "failing",
        "detail": body["checks"]["projections"]["detail"],
    }
    assert body["checks"]["projections"]["detail"].startswith(
        "1 streams wait for projection, the oldest for "
    )

    await handle.projection_lease.update_one(
        {"_id": "projector"}, {"$set": {"expires": now}}
    )
    await wait_for(lambda: ready(client), RECOVER, "/readyz to answer 200")
