"""An event store held in memory: for the seed builder and pure unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from events.envelope import PendingEvent, StoredEvent
from events.errors import VersionConflict
from events.store import DuplicateRequest


class MemoryEventStore:
    """``EventStore`` in a dict; same promises, no durability."""

    def __init__(self) -> None:
        self.streams: dict[str, list[StoredEvent]] = {}
        self._requests: dict[str, tuple[StoredEvent, str]] = {}

    async def append(self, event: PendingEvent, version: int) -> StoredEvent:
        """Store the event at ``version`` unless taken, once per request id."""
        if event.request_id in self._requests:
            raise DuplicateRequest(event.request_id)
        stream = self.streams.setdefault(event.stream, [])
        if version != len(stream) + 1:
            raise VersionConflict(event.stream, version - 1, len(stream))
        stored = StoredEvent(
            recorded_at=datetime.now(UTC),
            version=version,
            **event.model_dump(exclude={"request_hash"}),
        )
        stream.append(stored)
        self._requests[event.request_id] = (stored, event.request_hash)
        return stored

    async def by_request(self, request_id: str) -> tuple[StoredEvent, str] | None:
        """The event a request appended, with the request's hash."""
        return self._requests.get(request_id)

    async def read_stream(self, stream: str, after: int = 0) -> list[StoredEvent]:
        """The stream's events above ``after``."""
        return self.streams.get(stream, [])[after:]

    async def heads(self, streams: list[str]) -> dict[str, int]:
        """The version of each existing stream."""
        return {s: len(self.streams[s]) for s in streams if self.streams.get(s)}

    async def read_since(self, positions: dict[str, int]) -> list[StoredEvent]:
        """Events above each stream's given version, by stream and version."""
        events: list[StoredEvent] = []
        for stream in sorted(positions):
            events.extend(await self.read_stream(stream, positions[stream]))
        return events

    async def read_all(
        self, batch_size: int = 1000
    ) -> AsyncIterator[list[StoredEvent]]:
        """Every event by stream and version."""
        events = [e for stream in sorted(self.streams) for e in self.streams[stream]]
        for start in range(0, len(events), batch_size):
            yield events[start : start + batch_size]
