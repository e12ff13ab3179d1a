"""Request ids and the access log: one line per request, no secrets in it."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.keys import REQUEST_ID
from service.logs import configure
from service.settings import Settings
from tests.e2e.seeded import Apps

Client = TestClient  # type: ignore[type-arg]
DETAIL = "/2.2.0/spacecraft/flight/325/"
ACCESS = "flightlog.access"


def access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == ACCESS]


async def test_a_well_formed_request_id_is_kept_and_returned(
    seeded_apps: Apps,
) -> None:
    client = await seeded_apps.shared()

    response = await client.get(DETAIL, headers={"X-Request-ID": "trace-42.a:b_c"})

    assert response.status == 200
    assert response.headers["X-Request-ID"] == "trace-42.a:b_c"


@pytest.mark.parametrize("given", [None, "", "has space", "x" * 129, "naïve"])
async def test_a_missing_or_malformed_request_id_is_replaced(
    seeded_apps: Apps, given: str | None
) -> None:
    client = await seeded_apps.shared()
    headers = {} if given is None else {"X-Request-ID": given}

    response = await client.get(DETAIL, headers=headers)

    assert re.fullmatch("[0-9a-f]{32}", response.headers["X-Request-ID"])


async def test_errors_and_redirects_carry_the_request_id_too(
    seeded_apps: Apps,
) -> None:
    client = await seeded_apps.shared()
    given = {"X-Request-ID": "abc"}

    missing = await client.get("/nothing/here", headers=given)
    redirect = await client.get(
        "/2.2.0/spacecraft/flight", headers=given, allow_redirects=False
    )
    refused = await client.post(DETAIL.replace("325/", "325/events/"), headers=given)

    assert [missing.status, redirect.status, refused.status] == [404, 301, 401]
    for response in (missing, redirect, refused):
        assert response.headers["X-Request-ID"] == "abc"


async def test_one_access_line_per_request(
    seeded_apps: Apps, caplog: pytest.LogCaptureFixture
) -> None:
    client = await seeded_apps.shared()
    caplog.set_level(logging.INFO, logger=ACCESS)

    await client.get(DETAIL, headers={"X-Request-ID": "one"})
    await client.get(
        "/2.2.0/spacecraft/flight/404404/", headers={"X-Request-ID": "two"}
    )

    lines = access_lines(caplog)
    assert len(lines) == 2
    assert re.fullmatch(
        r"GET /2\.2\.0/spacecraft/flight/325/ 200 \d+\.\dms operator=- id=one",
        lines[0].getMessage(),
    )
    assert lines[1].getMessage().startswith("GET /2.2.0/spacecraft/flight/404404/ 404 ")
    assert lines[1].getMessage().endswith(" operator=- id=two")


async def test_the_access_line_never_holds_a_token_or_a_body(
    client: Client, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = {"type": "launch", "occurred_at": "2026-11-01T00:00:00Z", "data": {}}
    body["data"] = {"secret-marker": "in the body"}

    response = await client.post(
        "/2.2.0/spacecraft/flight/9001/events/?q=1",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k-secret"},
    )

    assert response.status == 400
    (line,) = access_lines(caplog)
    assert line.getMessage().startswith(
        "POST /2.2.0/spacecraft/flight/9001/events/ 400 "
    )
    assert "operator=ops" in line.getMessage()
    everything = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (token, "secret-marker", "k-secret", "Bearer"):
        assert secret not in everything


async def test_a_500_quotes_the_request_id_of_the_response_header(
    aiohttp_client: Callable[..., Awaitable[Client]], settings: Settings, database: Any
) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("boom")

    app = create_app(settings, database)
    app.router.add_get("/broken", broken)
    client = await aiohttp_client(app)

    response = await client.get("/broken", headers={"X-Request-ID": "r-500"})

    assert response.status == 500
    assert response.headers["X-Request-ID"] == "r-500"
    assert await response.json() == {
        "detail": "Internal server error.",
        "request_id": "r-500",
    }


async def test_the_request_id_is_stored_on_the_request(
    aiohttp_client: Callable[..., Awaitable[Client]], settings: Settings, database: Any
) -> None:
    seen: list[str] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append(request[REQUEST_ID])
        return web.Response(text="ok")

    app = create_app(settings, database)
    app.router.add_get("/echo", echo)
    client = await aiohttp_client(app)

    response = await client.get("/echo", headers={"X-Request-ID": "kept"})

    assert seen == ["kept"] == [response.headers["X-Request-ID"]]


@pytest.fixture
def root_logging() -> Iterator[io.StringIO]:
    """Restore the root logger after ``configure``; its output goes to a buffer."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    yield buffer
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_json_lines_carry_the_request_id_and_the_request(
    seeded_apps: Apps,
    root_logging: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stderr", root_logging)
    configure(Settings(log_format="json", log_level="INFO"))
    client = await seeded_apps.shared()

    await client.get(DETAIL, headers={"X-Request-ID": "json-1"})

    lines = [json.loads(line) for line in root_logging.getvalue().splitlines()]
    (access,) = [line for line in lines if line["logger"] == ACCESS]
    assert access["request_id"] == "json-1"
    assert access["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", access["time"])
    http = access["http"]
    assert {k: http[k] for k in ("method", "path", "status", "operator")} == {
        "method": "GET",
        "path": DETAIL,
        "status": 200,
        "operator": "-",
    }


async def test_the_log_level_comes_from_the_environment(
    root_logging: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stderr", root_logging)
    monkeypatch.setenv("FLIGHTLOG_LOG_LEVEL", "warning")

    configure(Settings())
    logging.getLogger(ACCESS).info("not shown")
    logging.getLogger(ACCESS).warning("shown")

    assert root_logging.getvalue().count("\n") == 1
    assert "shown" in root_logging.getvalue()
