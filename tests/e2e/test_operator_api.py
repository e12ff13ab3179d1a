"""Operators post a flight's events over HTTP; readers see each step."""

import asyncio
import json
from typing import Any

import pytest

from tests.e2e.flight_fixture import REFERENCES, STEPS, expected

FLIGHT = "/2.2.0/spacecraft/flight/9001"


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


async def post(client: Any, path: str, token: str, body: Any, **headers: str) -> Any:
    return await client.post(
        f"{path}/events/", json=body, headers=bearer(token, **headers)
    )


async def record_references(client: Any, token: str) -> None:
    for path, event_type, data in REFERENCES:
        body = {"type": event_type, "occurred_at": "2026-10-01T00:00:00Z", "data": data}
        response = await post(client, f"/2.2.0/{path}", token, body)
        assert response.status == 201, await response.text()


async def event_count(database: Any) -> int:
    return int(await database.handle.events.count_documents({}))


async def test_each_posted_event_shows_in_the_flight_document(
    client: Any, token: str
) -> None:
    await record_references(client, token)
    host = str(client.make_url("")).rstrip("/")

    for step, (event_type, at, data) in enumerate(STEPS, start=1):
        body = {"type": event_type, "occurred_at": at, "data": data}
        response = await post(client, FLIGHT, token, body)
        assert response.status == 201, await response.text()
        answer = await response.json()
        assert (answer["stream"], answer["version"], answer["type"]) == (
            "flight-9001",
            step,
            event_type,
        )
        assert answer["operator"] == "ops"

        document = await client.get(f"{FLIGHT}/")
        assert document.status == 200
        want = expected(step, host)
        assert await document.json() == want
        text = await document.text()
        assert text == json.dumps(want, ensure_ascii=False, separators=(",", ":"))


async def test_a_retried_request_appends_once_and_answers_the_same(
    client: Any, token: str, database: Any
) -> None:
    await record_references(client, token)
    event_type, at, data = STEPS[0]
    body = {"type": event_type, "occurred_at": at, "data": data}

    first = await post(client, FLIGHT, token, body, **{"Idempotency-Key": "launch-1"})
    again = await post(client, FLIGHT, token, body, **{"Idempotency-Key": "launch-1"})

    assert (first.status, again.status) == (201, 201)
    assert await first.read() == await again.read()
    assert await database.handle.events.count_documents({"stream": "flight-9001"}) == 1


async def test_a_reused_key_with_another_body_is_422(client: Any, token: str) -> None:
    await record_references(client, token)
    event_type, at, data = STEPS[0]
    body = {"type": event_type, "occurred_at": at, "data": data}
    await post(client, FLIGHT, token, body, **{"Idempotency-Key": "k"})
    other = {**body, "data": {**data, "destination": "Elsewhere"}}
    response = await post(client, FLIGHT, token, other, **{"Idempotency-Key": "k"})
    assert response.status == 422
    assert await response.json() == {
        "detail": "this idempotency key was already used for a different request"
    }


async def test_two_concurrent_appends_at_one_version_one_wins(
    client: Any, token: str, database: Any
) -> None:
    await record_references(client, token)
    event_type, at, data = STEPS[0]
    await post(
        client, FLIGHT, token, {"type": event_type, "occurred_at": at, "data": data}
    )
    docks = [
        {
            "type": "dock",
            "occurred_at": "2026-11-01T06:00:00Z",
            "expected_version": 1,
            "data": {"docking_event": n, "spacestation": 901, "docking_location": 902},
        }
        for n in (1001, 1002)
    ]
    responses = await asyncio.gather(*(post(client, FLIGHT, token, d) for d in docks))
    assert sorted(r.status for r in responses) == [201, 409]
    assert await database.handle.events.count_documents({"stream": "flight-9001"}) == 2


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "field"),
    [
        (b'{"type": "launch", ', "application/json", 400, "body"),
        (b"\xff\xfe", "application/json", 400, "body"),
        (b"[1, 2]", "application/json", 400, "body"),
        (b'{"type":"launch"}', "text/plain", 415, "Content-Type"),
        (
            b'{"type":"fly","occurred_at":"2026-11-01T00:00:00Z","data":{}}',
            "application/json",
            400,
            "type",
        ),
        (b'{"type":"launch","data":{}}', "application/json", 400, "occurred_at"),
        (
            b'{"type":"launch","occurred_at":"2026-11-01T00:00:00Z",'
            b'"data":{"spacecraft":"501","launch":"x"}}',
            "application/json",
            400,
            "data.spacecraft",
        ),
        (
            b'{"type":"launch","occurred_at":"yesterday","data":{}}',
            "application/json",
            400,
            "occurred_at",
        ),
        (
            b'{"type":"launch","occurred_at":"2026-11-01T00:00:00","data":{}}',
            "application/json",
            400,
            "occurred_at",
        ),
        (
            b'{"type":"launch","occurred_at":"2026-11-01T00:00:00Z","data":{},"x":1}',
            "application/json",
            400,
            "x",
        ),
    ],
)
async def test_bad_input_is_a_4xx_and_stores_nothing(
    client: Any,
    token: str,
    database: Any,
    raw: bytes,
    content_type: str,
    status: int,
    field: str,
) -> None:
    await record_references(client, token)
    before = await event_count(database)
    response = await client.post(
        f"{FLIGHT}/events/",
        data=raw,
        headers=bearer(token, **{"Content-Type": content_type}),
    )
    assert response.status == status
    body = await response.json()
    assert field in body["errors"], body
    assert await event_count(database) == before


async def test_an_event_for_an_unknown_flight_is_404(
    client: Any, token: str, database: Any
) -> None:
    before = await event_count(database)
    body = {
        "type": "undock",
        "occurred_at": "2026-11-01T00:00:00Z",
        "data": {"docking_event": 1},
    }
    response = await post(client, "/2.2.0/spacecraft/flight/4242", token, body)
    assert response.status == 404
    assert await response.json() == {
        "detail": "flight 4242 does not exist; its first event must be a launch"
    }
    assert await event_count(database) == before


async def test_events_out_of_time_order_are_409(
    client: Any, token: str, database: Any
) -> None:
    await record_references(client, token)
    event_type, at, data = STEPS[0]
    await post(
        client, FLIGHT, token, {"type": event_type, "occurred_at": at, "data": data}
    )
    before = await event_count(database)
    late = {"type": "landing", "occurred_at": "2026-10-31T00:00:00Z", "data": {}}
    response = await post(client, FLIGHT, token, late)
    assert response.status == 409
    body = await response.json()
    assert body["rule"] == "time_order"
    assert "never go backwards" in body["detail"]
    assert await event_count(database) == before


async def test_a_launch_naming_unknown_reference_data_is_400(
    client: Any, token: str
) -> None:
    event_type, at, data = STEPS[0]
    response = await post(
        client, FLIGHT, token, {"type": event_type, "occurred_at": at, "data": data}
    )
    assert response.status == 400
    body = await response.json()
    assert body["errors"]["data.spacecraft"] == ["spacecraft-501 is not recorded"]


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("Bearer nope", 401), ("Basic abc", 401)],
)
async def test_operators_must_present_a_valid_token(
    client: Any, database: Any, header: str | None, status: int
) -> None:
    headers = {} if header is None else {"Authorization": header}
    body = {"type": "launch", "occurred_at": "2026-11-01T00:00:00Z", "data": {}}
    response = await client.post(f"{FLIGHT}/events/", json=body, headers=headers)
    assert response.status == status
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await event_count(database) == 0
