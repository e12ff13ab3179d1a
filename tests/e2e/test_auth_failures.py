"""Failed token checks are limited per client address, so tokens cannot be
guessed at speed.

Past ``FLIGHTLOG_AUTH_FAILURE_RATE`` failures, every operator request from the
address is answered 429, a valid token included; reads are not limited, and a
request with no bearer token guesses nothing and is not counted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.auth import AUTH_FAILURES
from service.settings import Settings
from service.throttle import RateLimiter

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]
REFUSED = {"detail": "the operator token is not valid"}
REQUIRED = {"detail": "an operator token is required: Authorization: Bearer <token>"}


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limited(wait: int) -> dict[str, str]:
    return {
        "detail": "too many invalid operator tokens from this address; "
        f"try again in {wait} s"
    }


async def post_agency(
    client: Client, agency: int, headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    """POST an agency's record; the status, headers and JSON body."""
    body = {
        "type": "agency_recorded",
        "occurred_at": "2026-10-01T00:00:00Z",
        "data": {"id": agency, "name": f"Agency {agency}", "type": "Government"},
    }
    response = await client.post(
        f"/2.2.0/agencies/{agency}/events/", json=body, headers=headers
    )
    return response.status, dict(response.headers), await response.json()


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


async def refused_guesses(client: Client, count: int, **headers: str) -> None:
    for guess in range(count):
        status, answered, body = await post_agency(
            client, 701, bearer(f"fl_guess-{guess}", **headers)
        )
        assert (status, body) == (401, REFUSED)
        assert answered["WWW-Authenticate"] == "Bearer"


@pytest.fixture
async def clocked(
    aiohttp_client: MakeClient, settings: Settings, database: Any
) -> tuple[Client, Clock]:
    """The application at the default rate (10/minute), its limiter's clock
    in the test's hand."""
    clock = Clock()
    app = create_app(settings, database)
    app[AUTH_FAILURES] = RateLimiter.from_rate(settings.auth_failure_rate, clock)
    return await aiohttp_client(app), clock


async def test_past_ten_bad_tokens_even_a_valid_token_is_429(
    clocked: tuple[Client, Clock], token: str, admin_token: str, database: Any
) -> None:
    client, clock = clocked
    assert Settings.model_fields["auth_failure_rate"].default == "10/minute"
    await refused_guesses(client, 10)

    status, headers, body = await post_agency(client, 701, bearer(token))
    assert (status, headers["Retry-After"], body) == (429, "60", limited(60))
    assert headers["Content-Type"] == "application/json"
    rebuild = await client.post("/2.2.0/rebuild/", headers=bearer(admin_token))
    assert (rebuild.status, await rebuild.json()) == (429, limited(60))
    clock.now += 45
    status, headers, body = await post_agency(client, 701, bearer("fl_guess-10"))
    assert (status, headers["Retry-After"], body) == (429, "15", limited(15))

    reads = await client.get("/2.2.0/spacecraft/flight/")
    assert reads.status == 200
    assert await database.handle.events.count_documents({}) == 0

    clock.now += 15  # the first failure leaves the window
    status, _, body = await post_agency(client, 701, bearer(token))
    assert (status, body["operator"]) == (201, "ops")


async def test_requests_without_a_bearer_token_are_not_counted(
    clocked: tuple[Client, Clock], token: str
) -> None:
    client, _ = clocked
    for headers in [{}, {"Authorization": "Basic b3BzOnNlY3JldA=="}] * 10:
        status, _, body = await post_agency(client, 701, headers)
        assert (status, body) == (401, REQUIRED)

    status, _, _ = await post_agency(client, 701, bearer(token))
    assert status == 201
    await refused_guesses(client, 10)  # all ten still answered 401
    status, _, body = await post_agency(client, 702, bearer(token))
    assert (status, body) == (429, limited(60))


async def test_failures_are_counted_per_forwarded_address_behind_a_proxy(
    aiohttp_client: MakeClient,
    database: Any,
    database_name: str,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLIGHTLOG_AUTH_FAILURE_RATE", "3/minute")
    monkeypatch.setenv("FLIGHTLOG_TRUST_PROXY", "true")
    settings = Settings(_env_file=None, database=database_name, heal_interval=0.2)
    client = await aiohttp_client(create_app(settings, database))

    await refused_guesses(client, 3, **{"X-Forwarded-For": "10.0.0.1"})
    # The proxy appends the address it saw: what a client writes before it
    # does not make another address.
    for forwarded in ("10.0.0.1", "192.0.2.7, 10.0.0.1"):
        headers = bearer(token, **{"X-Forwarded-For": forwarded})
        status, answered, body = await post_agency(client, 701, headers)
        assert status == 429
        wait = int(answered["Retry-After"])
        assert 0 < wait <= 60
        assert body == limited(wait)

    headers = bearer(token, **{"X-Forwarded-For": "10.0.0.2"})
    status, _, body = await post_agency(client, 701, headers)
    assert (status, body["operator"]) == (201, "ops")


async def test_forwarded_addresses_are_ignored_without_a_trusted_proxy(
    aiohttp_client: MakeClient,
    database: Any,
    database_name: str,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLIGHTLOG_AUTH_FAILURE_RATE", "3/minute")
    settings = Settings(_env_file=None, database=database_name, heal_interval=0.2)
    assert settings.trust_proxy is False
    client = await aiohttp_client(create_app(settings, database))

    for n in range(3):
        forwarded = {"X-Forwarded-For": f"10.0.1.{n}"}
        status, _, body = await post_agency(client, 701, bearer(f"fl_{n}", **forwarded))
        assert (status, body) == (401, REFUSED)

    headers = bearer(token, **{"X-Forwarded-For": "10.0.1.9"})
    status, answered, body = await post_agency(client, 701, headers)
    wait = int(answered["Retry-After"])
    assert (status, body) == (429, limited(wait))
    assert 0 < wait <= 60
