"""Folding a stream's stored events into its current state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from events.catalog import payload_of, stream_kind
from events.envelope import StoredEvent
from events.errors import RuleViolation
from events.fields import Model
from events.flight import FlightState, apply
from events.reference import REFERENCE_KINDS


def flight_id(stream: str) -> int:
    """The flight id of a ``flight-<id>`` stream."""
    return int(stream.removeprefix("flight-"))


def fold_flight(
    stream: str, events: Iterable[StoredEvent], state: FlightState | None = None
) -> FlightState:
    """The flight after ``events``, continuing from ``state`` when given."""
    state = state or FlightState(id=flight_id(stream))
    for event in events:
        payload = payload_of("flight", event.type, event.data)
        state = apply(state, event.type, event.occurred_at, payload)
    return state


def fold_reference(
    kind: str, events: Iterable[StoredEvent], state: Model | None = None
) -> Model | None:
    """The reference entity after ``events``: the record with its updates applied."""
    for event in events:
        state = evolve_reference(kind, state, event.type, event.data)
    return state


def evolve_reference(
    kind: str, state: Model | None, event_type: str, data: dict[str, Any]
) -> Model:
    """Apply one recorded/updated event; refuse a second record or an early update."""
    record = REFERENCE_KINDS[kind]
    if event_type == f"{kind}_recorded":
        if state is not None:
            raise RuleViolation(
                "record_once",
                f"this {kind} is already recorded; send {kind}_updated to change it",
            )
        return record.model_validate(data)
    if state is None:
        raise RuleViolation(
            "record_first", f"this {kind} is not recorded yet; send {kind}_recorded"
        )
    merged = {**state.model_dump(), **data}
    return record.model_validate(merged)


def stream_key(stream: str) -> str:
    """The id part of a stream name."""
    return stream.split("-", 1)[1]


def fold_any(stream: str, events: list[StoredEvent]) -> FlightState | Model | None:
    """Fold a stream of any kind."""
    kind = stream_kind(stream)
    if kind == "flight":
        return fold_flight(stream, events)
    return fold_reference(kind, events)
