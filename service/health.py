"""Liveness and readiness probes.

``/healthz`` answers while the process serves requests and never touches the
database, so a database outage does not get healthy processes restarted.
``/readyz`` answers 200 only when the database answers a ping, the indexes the
guarantees rest on exist, and no stream has waited long for its projection;
otherwise 503, naming the check that failed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from events.errors import Unavailable
from service.database import Database
from service.errors import compact_json, json_response
from service.keys import SETTINGS
from service.resources import DATABASE

PING_TIMEOUT = 1.0  # seconds; a probe must answer well before its caller gives up
PROJECTION_LAG = 5.0  # seconds a marked stream may wait before we are behind

Check = dict[str, str]


def add_health_routes(app: web.Application) -> None:
    """Register ``GET /healthz`` and ``GET /readyz``."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and its event loop answers."""
    return json_response(compact_json({"status": "ok"}))


async def readyz(request: web.Request) -> web.Response:
    """Whether this process can serve reads and appends right now."""
    database = request.app[DATABASE]
    timeout = min(PING_TIMEOUT, request.app[SETTINGS].db_timeout_ms / 1000)
    checks = {"database": await _database(database, timeout)}
    if checks["database"]["state"] == "ok":
        checks["indexes"] = await _indexes(database)
        checks["projections"] = await _projections(database)
    else:
        skipped = {"state": "unknown", "detail": "the database did not answer"}
        checks["indexes"] = checks["projections"] = skipped

    ready = all(check["state"] == "ok" for check in checks.values())
    body: dict[str, Any] = {"status": "ready" if ready else "not ready"}
    body["checks"] = checks
    headers = {} if ready else {"Retry-After": "1"}
    return json_response(compact_json(body), 200 if ready else 503, headers)


async def _database(database: Database, timeout: float) -> Check:
    started = time.monotonic()
    try:
        await database.ping(timeout)
    except Unavailable as exc:
        return _failing(f"no answer to a ping within {timeout:g} s: {exc.detail}")
    return _ok(f"answered a ping in {(time.monotonic() - started) * 1000:.0f} ms")


async def _indexes(database: Database) -> Check:
    try:
        await database.ensure_indexes()
    except Unavailable as exc:
        return _failing(f"the indexes could not be created: {exc.detail}")
    return _ok("the unique indexes of the log exist")


async def _projections(database: Database) -> Check:
    try:
        waiting = await database.queue.count()
        oldest = await database.queue.oldest()
    except Unavailable as exc:
        return _failing(f"the projection queue could not be read: {exc.detail}")
    if oldest is None:
        return _ok("no stream waits for projection")
    lag = (datetime.now(UTC) - oldest).total_seconds()
    detail = f"{waiting} streams wait for projection, the oldest for {lag:.1f} s"
    return _ok(detail) if lag <= PROJECTION_LAG else _failing(detail)


def _ok(detail: str) -> Check:
    return {"state": "ok", "detail": detail}


def _failing(detail: str) -> Check:
    return {"state": "failing", "detail": detail}
