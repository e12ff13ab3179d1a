"""Which event types each stream kind accepts, and how to name streams."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from events.errors import InvalidInput, field_errors
from events.fields import Model
from events.flight import FLIGHT_EVENTS
from events.reference import REFERENCE_KINDS, REFERENCE_NAMES, UPDATES

SCHEMA_VERSION = 1
STREAM_KINDS = ("flight", *REFERENCE_KINDS)
# One entity of each stream kind in prose, article included: "an agency".
ENTITY_NAMES = {"flight": "a flight", **REFERENCE_NAMES}
_STREAM = re.compile(r"^(?P<kind>[a-z_]+)-(?P<key>[0-9a-f-]{1,36})$")


def stream_name(kind: str, key: int | str) -> str:
    """The stream of one flight or reference entity, e.g. ``flight-325``."""
    return f"{kind}-{key}"


def stream_kind(stream: str) -> str:
    """The kind a stream name belongs to."""
    match = _STREAM.match(stream)
    if match is None or match["kind"] not in STREAM_KINDS:
        raise ValueError(f"not a stream name: {stream!r}")
    return match["kind"]


def event_types(kind: str) -> dict[str, type[Model]]:
    """Event type name to payload model for a stream kind."""
    if kind == "flight":
        return FLIGHT_EVENTS
    return {
        f"{kind}_recorded": REFERENCE_KINDS[kind],
        f"{kind}_updated": UPDATES[kind],
    }


def parse_payload(kind: str, event_type: str, data: Any) -> Model:
    """Validate an event's ``data`` for its type; ``InvalidInput`` names the fields."""
    models = event_types(kind)
    model = models.get(event_type)
    if model is None:
        allowed = ", ".join(sorted(models))
        raise InvalidInput(
            f"unknown event type {event_type!r}",
            {"type": [f"must be one of: {allowed}"]},
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("invalid event data", field_errors(exc, "data")) from exc


def payload_of(kind: str, event_type: str, data: dict[str, Any]) -> Model:
    """Rebuild a stored event's payload; stored events were valid when written."""
    return event_types(kind)[event_type].model_validate(data)
