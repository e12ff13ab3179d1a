"""Tokens, bodies and the database password never reach a log line or a
client, even at DEBUG and while every database call fails (when errors say
the most)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.settings import Settings
from tests.processes import ServeProcess, flightlog_env

Client = TestClient[web.Request, web.Application]
PASSWORD = "pw-c0rrect-h0rse"
UNREACHABLE = f"mongodb://flightlog:{PASSWORD}@127.0.0.1:1/?authSource=admin"
MARKER = "body-marker-4f1c"


async def test_the_database_password_is_never_logged_nor_answered(
    aiohttp_client: Callable[..., Awaitable[Client]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # pymongo's own loggers included
    settings = Settings(
        _env_file=None,
        mongodb_uri=UNREACHABLE,
        database="flightlog_credentials",
        db_timeout_ms=200,
        heal_interval=0.2,
    )
    client = await aiohttp_client(create_app(settings))
    body: dict[str, Any] = {"type": "launch", "occurred_at": "2026-11-01T00:00:00Z"}
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/2.2.0/spacecraft/flight/325/", {}),
        ("GET", "/readyz", {}),
        (
            "POST",
            "/2.2.0/spacecraft/flight/9001/events/",
            {"json": body | {"data": {}}, "headers": {"Authorization": "Bearer fl_x"}},
        ),
    ]
    answers = []
    for method, path, options in requests:
        response = await client.request(method, path, **options)
        assert response.status == 503
        answers.append(await response.text())
    await client.close()

    assert any(r.name.startswith("pymongo") for r in caplog.records)
    logged = [record.getMessage() for record in caplog.records]
    logged += [caplog.text]
    assert [line for line in logged + answers if PASSWORD in line] == []


async def test_a_serving_process_at_debug_logs_no_token_and_no_body(
    mongo_uri: str,
    database_name: str,
    token: str,
    tmp_path: Path,
    session: aiohttp.ClientSession,
) -> None:
    env = flightlog_env(mongo_uri, database_name, FLIGHTLOG_LOG_LEVEL="DEBUG")
    process = ServeProcess("debug", env, tmp_path).start()
    try:
        await process.ready(session)
        body = {
            "type": "agency_recorded",
            "occurred_at": "2026-10-01T00:00:00Z",
            "data": {"id": 701, "name": MARKER, "type": "Government"},
        }
        url = f"{process.url}/2.2.0/agencies/701/events/"
        headers = {"Authorization": f"Bearer {token}"}
        async with session.post(url, json=body, headers=headers) as response:
            assert response.status == 201
    finally:
        process.stop()

    log = process.log_path.read_text()
    assert " DEBUG " in log
    assert "POST /2.2.0/agencies/701/events/ 201 " in log
    assert MARKER not in log
    assert token not in log
