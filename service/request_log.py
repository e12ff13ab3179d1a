"""The request id and the access log: one INFO line per answered request.

The id is the client's ``X-Request-ID`` when it is well formed, else a fresh
one; it is stored on the request (``service.keys.REQUEST_ID``), returned in the
``X-Request-ID`` response header, and attached to every log record made while
the request is handled. The line names the method, the path, the status, the
time taken and the operator; never a header value, a token or a body.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from contextvars import ContextVar

from aiohttp import web
from aiohttp.typedefs import Handler

from service.errors import ACCEPTED_REQUEST_ID, Outcome
from service.keys import REQUEST_ID
from service.resources import OPERATOR

logger = logging.getLogger("flightlog.access")

HEADER = "X-Request-ID"
MAX_LOGGED_PATH = 200
current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def add_request_log(app: web.Application) -> None:
    """Return the request id on every response, errors and redirects included."""
    app.on_response_prepare.append(_echo_request_id)


def request_id_of(request: web.Request) -> str:
    """The client's id when it is well formed, else a new one."""
    given = request.headers.get(HEADER, "")
    if ACCEPTED_REQUEST_ID.match(given):
        return given
    return f"{_PROCESS}{next(_issued):016x}"


# A new id is this process's random prefix and a count: unique without asking
# the system for random bytes on every request.
_PROCESS = secrets.token_hex(8)
_issued = itertools.count()


@web.middleware
async def request_log_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Give the request its id, then log one line once it is answered."""
    request_id = request_id_of(request)
    request[REQUEST_ID] = request_id
    token = current_request_id.set(request_id)
    outcome = Outcome()
    try:
        return await outcome.run(request, handler)
    finally:
        _log(request, outcome.status, outcome.elapsed())
        current_request_id.reset(token)


def _log(request: web.Request, status: int, elapsed: float) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return  # spare building the record's fields
    path = request.path
    if len(path) > MAX_LOGGED_PATH:
        path = path[:MAX_LOGGED_PATH] + "…"
    operator = request.get(OPERATOR, "-")
    logger.info(
        "%s %s %d %.1fms operator=%s id=%s",
        request.method,
        path,
        status,
        elapsed * 1000,
        operator,
        request[REQUEST_ID],
        extra={
            "http": {
                "method": request.method,
                "path": path,
                "status": status,
                "duration_ms": round(elapsed * 1000, 1),
                "operator": operator,
                "remote": request.remote,
            }
        },
    )


async def _echo_request_id(request: web.Request, response: web.StreamResponse) -> None:
    request_id = request.get(REQUEST_ID)
    if request_id is not None:
        response.headers[HEADER] = request_id


class RequestIdFilter(logging.Filter):
    """Puts the id of the request being handled on every record, as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True
