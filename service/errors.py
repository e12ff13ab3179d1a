"""The one place where errors become HTTP responses.

Views raise the project's errors (``events.errors``) and never build error
responses themselves; ``error_middleware`` walks the class hierarchy of what
was raised and answers with a status, a compact JSON body and the headers the
status calls for. Anything it does not know is logged once and becomes a 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from events.errors import (
    Busy,
    FlightlogError,
    Forbidden,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    RuleViolation,
    Throttled,
    TooManyFailures,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
    VersionConflict,
)
from service.keys import REQUEST_ID

logger = logging.getLogger(__name__)

Renderer = Callable[[int, str, Mapping[str, str]], web.StreamResponse]
# A renderer chosen by content negotiation: once a read view has settled on the
# browsable page, its errors are rendered as pages too.
RENDERER: web.RequestKey[Renderer] = web.RequestKey("renderer")

ACCEPTED_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BadRequest(InvalidInput):
    """A read request LL2 answers 400: DRF's field-keyed body, or a detail."""


class MethodNotAllowed(FlightlogError):
    """The route exists but does not answer this method."""

    def __init__(self, method: str, allowed: tuple[str, ...] = ("GET",)) -> None:
        super().__init__(f'Method "{method}" not allowed.')
        self.allowed = allowed


class NotAcceptable(FlightlogError):
    """No representation satisfies the request's ``Accept`` header."""


class PayloadTooLarge(FlightlogError):
    """The request body is larger than ``FLIGHTLOG_MAX_BODY_BYTES``."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")


class UriTooLong(FlightlogError):
    """The request's path and query string are longer than the service reads."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the path and query string are longer than {limit} bytes")


STATUS: dict[type[FlightlogError], int] = {
    BadRequest: 400,  # LL2's 400, whatever status input validation gets
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    MethodNotAllowed: 405,
    NotAcceptable: 406,
    UnsupportedMediaType: 415,
    RuleViolation: 409,
    VersionConflict: 409,
    Busy: 409,
    PayloadTooLarge: 413,
    UriTooLong: 414,
    IdempotencyMismatch: 422,
    Throttled: 429,
    Unavailable: 503,
}


def status_of(exc: FlightlogError) -> int | None:
    """The status of the nearest class in the error's hierarchy that has one."""
    for cls in type(exc).__mro__:
        status = STATUS.get(cls)
        if status is not None:
            return status
    return None


def error_body(exc: FlightlogError) -> dict[str, Any]:
    """The JSON body that describes ``exc`` to the client."""
    if isinstance(exc, BadRequest):
        return dict(exc.errors) if exc.errors else {"detail": exc.detail}
    if isinstance(exc, InvalidInput):
        return {"detail": exc.detail, "errors": exc.errors}
    if isinstance(exc, RuleViolation):
        return {"detail": exc.detail, "rule": exc.rule}
    if isinstance(exc, Busy):
        return {"detail": exc.detail, "running": exc.running}
    if isinstance(exc, Throttled) and not isinstance(exc, TooManyFailures):
        return {"detail": throttled_detail(exc.wait_seconds)}
    return {"detail": exc.detail}


def error_headers(exc: FlightlogError) -> dict[str, str]:
    """Headers the status of ``exc`` calls for."""
    if isinstance(exc, Unauthenticated):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, MethodNotAllowed):
        return {"Allow": ", ".join(exc.allowed)}
    if isinstance(exc, Throttled):
        return {"Retry-After": str(exc.wait_seconds)}
    if isinstance(exc, Unavailable):
        return {"Retry-After": str(exc.retry_after)}
    return {}


def throttled_detail(wait: int) -> str:
    """DRF's wording of a 429, singular at one second."""
    unit = "second" if wait == 1 else "seconds"
    return f"Request was throttled. Expected available in {wait} {unit}."


def compact_json(body: Any) -> str:
    """Compact JSON as LL2 writes it: UTF-8 unescaped except U+2028/U+2029."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def json_response(
    text: str, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A response carrying JSON text as UTF-8, typed ``application/json``."""
    return web.Response(
        body=text.encode(),
        status=status,
        headers=dict(headers or {}),
        content_type="application/json",
    )


class Outcome:
    """How a handler's answer ended, for the middlewares that record it: its
    status (499 when the client went away first, 500 for an error no
    middleware inside translated) and the seconds it took."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.status = 500

    async def run(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            self.status = exc.status
            raise
        except asyncio.CancelledError:
            self.status = 499
            raise
        self.status = response.status
        return response

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


@web.middleware
async def error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Translate raised errors into status, JSON body and headers."""
    try:
        return await handler(request)
    except FlightlogError as exc:
        return _known(request, exc)
    except web.HTTPException as exc:
        if exc.status < 400 or _is_json(exc):
            raise
        return _routing(exc)
    except Exception:
        return _unexpected(request)


def _known(request: web.Request, exc: FlightlogError) -> web.StreamResponse:
    status = status_of(exc)
    if status is None:
        return _unexpected(request)
    if status >= 500:
        logger.warning(
            "%s %s answered %d: %s", request.method, request.path, status, exc
        )
    else:
        logger.debug("%s %s answered %d: %s", request.method, request.path, status, exc)

    text = compact_json(error_body(exc))
    headers = error_headers(exc)
    render: Renderer | None = request.get(RENDERER)
    if render is not None:
        return render(status, text, headers)
    return json_response(text, status, headers)


def _routing(exc: web.HTTPException) -> web.Response:
    headers: dict[str, str] = {}
    if isinstance(exc, web.HTTPNotFound):
        detail = "Not found."
    elif isinstance(exc, web.HTTPMethodNotAllowed):
        detail = f'Method "{exc.method}" not allowed.'
        headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
    else:
        detail = _http_detail(exc)
        headers.update(
            (name, value)
            for name, value in exc.headers.items()
            if name.lower() not in ("content-type", "content-length")
        )
    return json_response(compact_json({"detail": detail}), exc.status, headers)


def _is_json(exc: web.HTTPException) -> bool:
    return exc.headers.get("Content-Type", "").startswith("application/json")


def _http_detail(exc: web.HTTPException) -> str:
    text = exc.text or ""
    if not text or text == f"{exc.status}: {exc.reason}":
        return f"{exc.reason}."
    return text


def _unexpected(request: web.Request) -> web.Response:
    request_id = _request_id(request)
    logger.exception(
        "%s %s failed (request id %s)", request.method, request.path, request_id
    )
    body = {"detail": "Internal server error.", "request_id": request_id}
    return json_response(compact_json(body), 500, {"X-Request-ID": request_id})


def _request_id(request: web.Request) -> str:
    given = request.get(REQUEST_ID) or request.get("request_id")
    if isinstance(given, str) and given:
        return given
    header = request.headers.get("X-Request-ID", "")
    if ACCEPTED_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex
