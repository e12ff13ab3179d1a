"""Who is asking: bearer tokens, roles, and a limit on failed token checks.

A token that matches no operator counts as a failure of the client address
(``service.throttle.client_address``); once an address has used up
``FLIGHTLOG_AUTH_FAILURE_RATE``, every operator request from it is answered
429 until the oldest failure leaves the window, so tokens cannot be guessed
at speed. A request without a bearer token is refused but not counted: it
guesses nothing.
"""

from __future__ import annotations

import logging

from aiohttp import web

from events.errors import Forbidden, TooManyFailures, Unauthenticated
from service.keys import SETTINGS
from service.operators import Operator, Role
from service.resources import DATABASE, OPERATOR
from service.settings import Settings
from service.throttle import RateLimiter, client_address

logger = logging.getLogger(__name__)

AUTH_FAILURES = web.AppKey("auth_failures", RateLimiter)


def add_auth(app: web.Application, settings: Settings) -> None:
    """Give the application its per-address limit on failed token checks."""
    app[AUTH_FAILURES] = RateLimiter.from_rate(settings.auth_failure_rate)


async def authenticate(request: web.Request, role: Role) -> Operator:
    """The operator behind the request's bearer token, allowed ``role``."""
    token = _bearer(request)
    limiter = request.app.get(AUTH_FAILURES)
    address = client_address(request, request.app[SETTINGS].trust_proxy)
    wait = limiter.wait(address) if limiter is not None else 0
    if wait:
        raise TooManyFailures(wait)

    operator = await request.app[DATABASE].operators.authenticate(token)
    if operator is None:
        if limiter is not None:
            limiter.count(address)
        logger.info("operator token refused address=%s", address)
        raise Unauthenticated("the operator token is not valid")

    request[OPERATOR] = operator.name
    if role == "admin" and operator.role != "admin":
        raise Forbidden(
            f"operator {operator.name} may not do this; it needs the admin role"
        )
    return operator


def _bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "an operator token is required: Authorization: Bearer <token>"
        )
    return token.strip()
