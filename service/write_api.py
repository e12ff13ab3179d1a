"""Operator endpoints: append an event to a flight or a reference entity."""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events.append import Appender, AppendRequest
from events.envelope import StoredEvent
from events.errors import InvalidInput, field_errors
from events.fields import Instant
from projections.cache_docs import DocumentCache
from service.auth import authenticate
from service.faults import EXIT_AFTER_APPEND, crash_hook
from service.json_body import read_json_object
from service.keys import APPENDED, READ_MODEL, SETTINGS
from service.operators import Operator
from service.resources import DATABASE

logger = logging.getLogger(__name__)

WAIT = web.AppKey("projection_wait", float)
ID = r"{key:[0-9]{1,10}}"
UUID = r"{key:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}}"
# Route of each stream kind's events, mirroring LL2's resource paths.
ROUTES = {
    "flight": f"spacecraft/flight/{ID}",
    "spacecraft": f"spacecraft/{ID}",
    "spacecraft_config": f"config/spacecraft/{ID}",
    "agency": f"agencies/{ID}",
    "astronaut": f"astronaut/{ID}",
    "spacestation": f"spacestation/{ID}",
    "launch": f"launch/{UUID}",
}
IDEMPOTENCY_KEY = r"^[\x21-\x7e]{1,200}$"


class AppendBody(BaseModel):
    """The body of ``POST …/events/``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(min_length=1, max_length=64)
    occurred_at: Instant
    data: dict[str, Any]
    expected_version: int | None = Field(default=None, ge=0, le=10**9)
    request_id: str | None = Field(default=None, pattern=IDEMPOTENCY_KEY)


def add_write_routes(app: web.Application) -> None:
    """Register ``POST /2.2.0/<resource>/<id>/events/`` for every stream kind."""
    for prefix in ("/2.2.0", "/api/2.2.0"):
        for kind, route in ROUTES.items():
            app.router.add_post(f"{prefix}/{route}/events/", _handler(kind))


def _handler(kind: str) -> Any:
    async def post_event(request: web.Request) -> web.Response:
        operator = await authenticate(request, "operator")
        body = await _body(request)
        append = AppendRequest(
            kind=kind,
            key=request.match_info["key"],
            type=body.type,
            occurred_at=body.occurred_at,
            data=body.data,
            operator=operator.name,
            request_id=_request_id(request, body, operator),
            expected_version=body.expected_version,
        )
        database = request.app[DATABASE]
        await database.ensure_indexes()  # the unique indexes make appends safe
        appender = Appender(
            database.events,
            mark=database.queue.mark,
            after_store=crash_hook(EXIT_AFTER_APPEND),
        )
        event, appended = await appender.append(append)
        if appended:
            request[APPENDED] = event.type
        await database.projector.wait_projected(event.stream, request.app[WAIT])
        cache = request.app.get(READ_MODEL)
        if isinstance(cache, DocumentCache):
            cache.barrier()  # this process's next reads show what was projected
        return web.json_response(_answer(event), status=201, dumps=_dumps)

    post_event.__name__ = f"post_{kind}_event"
    return post_event


async def _body(request: web.Request) -> AppendBody:
    parsed = await read_json_object(request, request.app[SETTINGS].max_body_bytes)
    try:
        return AppendBody.model_validate(parsed)
    except ValidationError as exc:
        raise InvalidInput("invalid request body", field_errors(exc)) from exc


def _request_id(request: web.Request, body: AppendBody, operator: Operator) -> str:
    key = request.headers.get("Idempotency-Key") or body.request_id
    if key is None:
        return f"{operator.name}:{uuid.uuid4().hex}"
    if not re.fullmatch(IDEMPOTENCY_KEY, key):
        raise InvalidInput(
            "invalid Idempotency-Key",
            {"Idempotency-Key": ["1 to 200 printable ASCII characters"]},
        )
    return f"{operator.name}:{key}"


def _answer(event: StoredEvent) -> dict[str, Any]:
    return {
        "stream": event.stream,
        "version": event.version,
        "type": event.type,
        "occurred_at": event.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
        "recorded_at": event.recorded_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
        "operator": event.operator,
        "request_id": event.request_id,
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
