"""The folded state of streams, kept in memory and brought up to date on demand."""

from __future__ import annotations

from events.catalog import stream_kind
from events.envelope import StoredEvent
from events.fields import Model
from events.flight import FlightState
from events.folds import evolve_reference, flight_id, fold_flight
from events.store import EventStore


class StreamStates:
    """Folded streams and the version each was folded to.

    Versions of a stream are dense, so reading "above the version I hold" never
    misses an event that committed late: it is simply read next time.
    """

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.flights: dict[int, FlightState] = {}
        self.references: dict[str, Model] = {}

    async def refresh(self, store: EventStore, streams: set[str] | list[str]) -> None:
        """Fold whatever the log holds beyond what is cached for ``streams``."""
        positions = {stream: self.versions.get(stream, 0) for stream in streams}
        self.apply(await store.read_since(positions))

    def apply(self, events: list[StoredEvent]) -> None:
        """Fold events, given in stream and version order."""
        for event in events:
            held = self.versions.get(event.stream, 0)
            if event.version <= held:
                continue  # already folded: idempotent per stream version
            if event.version != held + 1:
                raise RuntimeError(
                    f"{event.stream} jumps from version {held} to {event.version}"
                )
            self._fold(event)
            self.versions[event.stream] = event.version

    def flight(self, stream_or_id: str | int) -> FlightState | None:
        key = stream_or_id if isinstance(stream_or_id, int) else flight_id(stream_or_id)
        return self.flights.get(key)

    def _fold(self, event: StoredEvent) -> None:
        kind = stream_kind(event.stream)
        if kind == "flight":
            key = flight_id(event.stream)
            self.flights[key] = fold_flight(
                event.stream, [event], self.flights.get(key)
            )
        else:
            current = self.references.get(event.stream)
            self.references[event.stream] = evolve_reference(
                kind, current, event.type, event.data
            )
