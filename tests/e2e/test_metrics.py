"""``/metrics``: requests, appends, conflicts, projection lag, rebuild, errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from events.append import Appender, AppendRequest
from projections.replay import SHADOW
from service.app import create_app
from service.database import open_database
from service.settings import Settings
from tests.e2e.flight_fixture import REFERENCES, STEPS
from tests.e2e.seeded import Apps

Client = TestClient  # type: ignore[type-arg]
DETAIL_ROUTE = "/2.2.0/spacecraft/flight/{id}/"
FLIGHT_EVENTS = "/2.2.0/spacecraft/flight/9001/events/"
RECORDED_AT = datetime(2026, 10, 1, tzinfo=UTC)


async def scrape(client: Client) -> dict[tuple[str, frozenset[Any]], float]:
    """Every sample of ``/metrics``, keyed by name and labels."""
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, frozenset[Any]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


async def record_references(client: Client, token: str) -> None:
    for path, event_type, data in REFERENCES:
        body = {"type": event_type, "occurred_at": "2026-10-01T00:00:00Z", "data": data}
        response = await client.post(
            f"/2.2.0/{path}/events/", json=body, headers=bearer(token)
        )
        assert response.status == 201, await response.text()


async def test_requests_are_counted_and_timed_by_route_template(
    seeded_apps: Apps,
) -> None:
    client = await seeded_apps.fresh()

    await client.get("/2.2.0/spacecraft/flight/325/")
    await client.get("/2.2.0/spacecraft/flight/325/")
    await client.get("/2.2.0/spacecraft/flight/404404/")
    await client.get("/no/such/path")
    samples = await scrape(client)

    total = "flightlog_http_requests_total"
    ok = value(samples, total, method="GET", route=DETAIL_ROUTE, status="200")
    missing = value(samples, total, method="GET", route=DETAIL_ROUTE, status="404")
    assert (ok, missing) == (2.0, 1.0)
    assert value(samples, total, method="GET", route="unmatched", status="404") == 1.0
    timed = "flightlog_http_request_duration_seconds_count"
    assert value(samples, timed, method="GET", route=DETAIL_ROUTE) == 3.0
    assert not any("/no/such/path" in str(labels) for _, labels in samples)


async def test_events_are_counted_by_type_once_each(client: Client, token: str) -> None:
    await record_references(client, token)
    launch = {"type": "launch", "occurred_at": STEPS[0][1], "data": STEPS[0][2]}

    first = await client.post(
        FLIGHT_EVENTS, json=launch, headers=bearer(token, **{"Idempotency-Key": "k1"})
    )
    retry = await client.post(
        FLIGHT_EVENTS, json=launch, headers=bearer(token, **{"Idempotency-Key": "k1"})
    )
    samples = await scrape(client)

    assert (first.status, retry.status) == (201, 201)
    appended = "flightlog_events_appended_total"
    assert value(samples, appended, type="launch") == 1.0
    assert value(samples, appended, type="agency_recorded") == 1.0
    assert value(samples, appended, type="astronaut_recorded") == 1.0


async def test_conflicts_are_counted_by_reason(client: Client, token: str) -> None:
    await record_references(client, token)
    launch = {"type": "launch", "occurred_at": STEPS[0][1], "data": STEPS[0][2]}
    keyed = bearer(token, **{"Idempotency-Key": "first"})
    await client.post(FLIGHT_EVENTS, json=launch, headers=keyed)
    undock = {**launch, "type": "undock", "data": {"docking_event": 1}}

    again = await client.post(FLIGHT_EVENTS, json=launch, headers=bearer(token))
    stale = await client.post(
        FLIGHT_EVENTS, json={**undock, "expected_version": 0}, headers=bearer(token)
    )
    other = {**launch, "occurred_at": "2026-11-02T00:00:00Z"}
    mismatch = await client.post(FLIGHT_EVENTS, json=other, headers=keyed)
    samples = await scrape(client)

    assert [again.status, stale.status, mismatch.status] == [409, 409, 422]
    conflicts = "flightlog_conflicts_total"
    assert value(samples, conflicts, reason="launch_once") == 1.0
    assert value(samples, conflicts, reason="expected_version") == 1.0
    assert value(samples, conflicts, reason="idempotency_key") == 1.0


async def test_projection_lag_is_head_minus_applied(
    aiohttp_client: Callable[..., Awaitable[Client]], database: Any, database_name: str
) -> None:
    # A long heal interval: nothing projects between the append and the scrape.
    settings = Settings(database=database_name, heal_interval=3600.0)
    client = await aiohttp_client(create_app(settings, database))
    before = await scrape(client)
    appender = Appender(database.events, mark=database.queue.mark)
    for path, event_type, data in REFERENCES[:2]:
        kind = "agency" if path.startswith("agencies") else "spacecraft_config"
        await appender.append(
            AppendRequest(
                kind=kind,
                key=path.rsplit("/", 1)[1],
                type=event_type,
                occurred_at=RECORDED_AT,
                data=data,
                operator="test",
                request_id=f"test:{path}",
            )
        )

    after = await scrape(client)
    await database.projector.drain()
    drained = await scrape(client)

    name, label = "flightlog_projection_lag_events", {"projection": "flight_documents"}
    assert value(before, name, **label) == 0.0
    assert value(after, name, **label) == 2.0
    pending = "flightlog_projection_pending_streams"
    assert value(after, pending, **label) == 2.0
    assert value(drained, name, **label) == 0.0
    assert value(drained, pending, **label) == 0.0


async def test_rebuild_progress_counts_the_shadow_collection(
    aiohttp_client: Callable[..., Awaitable[Client]], database: Any, settings: Settings
) -> None:
    client = await aiohttp_client(create_app(settings, database))

    await database.handle[SHADOW].insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3}])
    during = await scrape(client)
    await database.handle[SHADOW].drop()
    after = await scrape(client)

    name = "flightlog_rebuild_documents_written"
    assert value(during, name, projection="flight_documents") == 3.0
    assert value(after, name, projection="flight_documents") == 0.0


async def test_database_errors_are_counted(
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    settings = Settings(database="unreachable", db_timeout_ms=100)
    unreachable = open_database(settings, uri="mongodb://127.0.0.1:1/")
    client = await aiohttp_client(create_app(settings, unreachable))

    answer = await client.get("/2.2.0/spacecraft/flight/325/")
    samples = await scrape(client)
    await client.close()
    unreachable.close()

    assert answer.status == 503
    errors = "flightlog_database_errors_total"
    assert value(samples, errors, where="request") == 1.0
    assert value(samples, errors, where="scrape") == 1.0


async def test_each_app_counts_on_its_own_registry(seeded_apps: Apps) -> None:
    first = await seeded_apps.fresh()
    second = await seeded_apps.fresh()

    await first.get("/2.2.0/spacecraft/flight/325/")
    samples = await scrape(second)

    total = "flightlog_http_requests_total"
    assert value(samples, total, method="GET", route=DETAIL_ROUTE, status="200") == 0.0
