"""The event store port: what any storage of the log must promise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from events.envelope import PendingEvent, StoredEvent


class EventStore(Protocol):
    """An append-only log of streams with dense versions 1, 2, 3, ...

    ``append`` stores the event at ``version`` or raises ``VersionConflict`` when
    that version exists; ``DuplicateRequest`` when the request id was used before.
    Any storage failure surfaces as ``Unavailable``.
    """

    async def append(self, event: PendingEvent, version: int) -> StoredEvent:
        """Store ``event`` as ``version`` of its stream, acknowledged durably."""
        ...

    async def by_request(self, request_id: str) -> tuple[StoredEvent, str] | None:
        """The event an earlier request appended, with that request's hash."""
        ...

    async def read_stream(self, stream: str, after: int = 0) -> list[StoredEvent]:
        """The stream's events with versions above ``after``, in order."""
        ...

    async def heads(self, streams: list[str]) -> dict[str, int]:
        """The current version of each named stream that exists."""
        ...

    async def read_since(self, positions: dict[str, int]) -> list[StoredEvent]:
        """For each stream, the events above the given version, in order."""
        ...

    def read_all(self, batch_size: int = 1000) -> AsyncIterator[list[StoredEvent]]:
        """Every event, in batches, ordered by stream and then version."""
        ...


class DuplicateRequest(Exception):
    """Raised by ``append`` when the request id already appended an event."""
