"""The read side's port: projected flight documents and the projection queue."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol

from projections.encoding import Segments


@dataclass(frozen=True)
class FlightDocument:
    """One projected flight: its detail and list item, and what it depends on."""

    id: int
    spacecraft: int
    astronauts: list[int]
    dependencies: list[str]
    detail: Segments
    item: Segments
    versions: dict[str, int]

    @property
    def hash(self) -> str:
        """A digest of both shapes: equal digests, equal stored documents."""
        return content_hash(self.detail, self.item)


@dataclass(frozen=True)
class Page:
    """One page of the flight list."""

    count: int
    documents: list[Segments]


class ReadModel(Protocol):
    """Where projected documents are kept and served from."""

    async def detail(self, flight_id: int) -> Segments | None:
        """The detail document of a flight, or None when it has none."""
        ...

    async def page(
        self, spacecraft: int | None, offset: int, limit: int, detailed: bool
    ) -> Page:
        """Flights newest id first, optionally of one spacecraft."""
        ...

    async def has_spacecraft(self, spacecraft: int) -> bool:
        """Whether any projected flight flew on the spacecraft."""
        ...


@dataclass(frozen=True)
class Mark:
    """A stream whose newest events may not be projected yet."""

    stream: str
    token: Any


def content_hash(detail: Segments, item: Segments) -> str:
    """The identity of a stored document's content: 96 bits of BLAKE2b."""
    text = json.dumps([detail, item], ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
