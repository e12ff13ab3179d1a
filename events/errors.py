"""The one error family of Flightlog.

Every module raises these; the HTTP layer translates them to status codes in one
place (``service.errors``), and the storage adapters convert driver errors into
them at the boundary.
"""

from __future__ import annotations

from typing import Any


class FlightlogError(Exception):
    """Base of every error the project raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(FlightlogError):
    """The request or event is malformed; ``errors`` maps fields to messages."""

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or {}


class UnsupportedMediaType(InvalidInput):
    """The request body is not ``application/json``."""

    def __init__(self, content_type: str) -> None:
        super().__init__(
            f'Unsupported media type "{content_type}" in request.',
            {"Content-Type": ["must be application/json"]},
        )


class NotFound(FlightlogError):
    """The flight, reference entity or stream does not exist."""


class RuleViolation(FlightlogError):
    """An event breaks a rule of the flight lifecycle or of reference data."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule


class VersionConflict(FlightlogError):
    """The stream moved on: the expected version is not the current one."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream} is at version {actual}, not {expected}; "
            "read it again and retry"
        )
        self.stream = stream
        self.expected = expected
        self.actual = actual


class IdempotencyMismatch(FlightlogError):
    """An idempotency key was reused with a different request."""


class Unauthenticated(FlightlogError):
    """No valid operator token was presented."""


class Forbidden(FlightlogError):
    """The operator's role does not allow the action."""


class Unavailable(FlightlogError):
    """The database cannot be reached or did not answer in time."""

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Throttled(FlightlogError):
    """Too many requests from one client address."""

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(
            f"Request was throttled. Expected available in {wait_seconds} seconds."
        )
        self.wait_seconds = wait_seconds


class TooManyFailures(Throttled):
    """Too many failed token checks from one client address."""

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(wait_seconds)
        self.detail = (
            "too many invalid operator tokens from this address; "
            f"try again in {wait_seconds} s"
        )


class Busy(FlightlogError):
    """The work asked for is already under way; ``running`` names it."""

    def __init__(self, detail: str, running: str) -> None:
        super().__init__(detail)
        self.running = running


def field_errors(exc: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn a pydantic ``ValidationError`` into ``{"field.path": [messages]}``."""
    errors: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in (prefix, *err["loc"]) if part != "")
        errors.setdefault(loc or "body", []).append(err["msg"])
    return errors
