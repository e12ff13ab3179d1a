"""Appending one operator request to the log: validate, check rules, store once."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from events.catalog import SCHEMA_VERSION, parse_payload, stream_name
from events.envelope import PendingEvent, StoredEvent
from events.errors import (
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    VersionConflict,
    field_errors,
)
from events.fields import Model
from events.flight import CrewSwapped, Docked, Launched, apply
from events.folds import evolve_reference, fold_flight, fold_reference
from events.reference import Spacestation
from events.store import DuplicateRequest, EventStore

logger = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(minutes=5)
RACE_RETRIES = 8


@dataclass(frozen=True)
class AppendRequest:
    """What an operator asks to append to one stream."""

    kind: str
    key: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]
    operator: str
    request_id: str
    expected_version: int | None = None

    @property
    def stream(self) -> str:
        return stream_name(self.kind, self.key)

    def fingerprint(self) -> str:
        """A hash of everything that makes two requests the same request."""
        body: list[Any] = [self.stream, self.type, self.occurred_at.isoformat()]
        body += [self.data, self.expected_version]
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class Appender:
    """Turns operator requests into stored events, exactly once each."""

    def __init__(
        self,
        store: EventStore,
        mark: Callable[[str], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        after_store: Callable[[StoredEvent], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._mark = mark
        self._clock = clock
        self._after_store = after_store  # a crash point in fault tests

    async def append(self, request: AppendRequest) -> tuple[StoredEvent, bool]:
        """Append the request's event; a retried request returns its first event.

        Returns the event and whether it was appended now (False for a retry).
        Raises ``InvalidInput``, ``NotFound``, ``RuleViolation``,
        ``VersionConflict`` or ``IdempotencyMismatch``; nothing is stored then.
        """
        payload = parse_payload(request.kind, request.type, request.data)
        self._check_clock(request)
        fingerprint = request.fingerprint()
        earlier = await self._earlier(request.request_id, fingerprint)
        if earlier is not None:
            return earlier, False

        for _ in range(RACE_RETRIES):
            history = await self._store.read_stream(request.stream)
            version = len(history) + 1
            if request.expected_version not in (None, len(history)):
                raise VersionConflict(
                    request.stream, request.expected_version or 0, len(history)
                )
            await self._check_rules(request, history, payload)
            pending = PendingEvent(
                stream=request.stream,
                type=request.type,
                schema_version=SCHEMA_VERSION,
                occurred_at=_millis(request.occurred_at),
                data=_stored_data(request, payload),
                operator=request.operator,
                request_id=request.request_id,
                request_hash=fingerprint,
            )
            await self._mark_stream(request.stream)
            try:
                event = await self._store.append(pending, version)
            except VersionConflict:
                # The winner may be this very request, retried while in flight.
                earlier = await self._earlier(request.request_id, fingerprint)
                if earlier is not None:
                    return earlier, False
                if request.expected_version is not None:
                    raise
                continue  # lost a race: re-read the stream and check the rules again
            except DuplicateRequest:
                earlier = await self._earlier(request.request_id, fingerprint)
                if earlier is None:
                    continue
                return earlier, False
            if self._after_store is not None:
                await self._after_store(event)
            await self._mark_stream(request.stream)
            logger.info(
                "event appended stream=%s version=%d type=%s operator=%s",
                event.stream,
                event.version,
                event.type,
                event.operator,
            )
            return event, True
        raise VersionConflict(request.stream, version - 1, version)

    async def _mark_stream(self, stream: str) -> None:
        # Marked before (a crash after the insert leaves a mark) and after (a
        # projection that read the stream before the insert must run again).
        if self._mark is not None:
            await self._mark(stream)

    async def _earlier(self, request_id: str, fingerprint: str) -> StoredEvent | None:
        found = await self._store.by_request(request_id)
        if found is None:
            return None
        event, earlier_fingerprint = found
        if earlier_fingerprint != fingerprint:
            raise IdempotencyMismatch(
                "this idempotency key was already used for a different request"
            )
        return event

    def _check_clock(self, request: AppendRequest) -> None:
        if request.occurred_at > self._clock() + CLOCK_SKEW:
            raise InvalidInput(
                "occurred_at lies in the future",
                {"occurred_at": ["must not lie in the future: post what happened"]},
            )

    async def _check_rules(
        self, request: AppendRequest, history: list[StoredEvent], payload: Model
    ) -> None:
        if request.kind == "flight":
            if not history and request.type != "launch":
                raise NotFound(
                    f"flight {request.key} does not exist; "
                    "its first event must be a launch"
                )
            flight = fold_flight(request.stream, history)
            apply(flight, request.type, request.occurred_at, payload)
            await self._check_flight_references(payload)
            return
        state = fold_reference(request.kind, history)
        if state is None and request.type.endswith("_updated"):
            raise NotFound(f"{request.kind} {request.key} is not recorded")
        self._check_identity(request, payload)
        try:
            merged = evolve_reference(
                request.kind, state, request.type, _stored_data(request, payload)
            )
        except ValidationError as exc:
            raise InvalidInput("invalid event data", field_errors(exc, "data")) from exc
        await self._check_reference_links(request.kind, merged)

    def _check_identity(self, request: AppendRequest, payload: Model) -> None:
        if request.type.endswith("_recorded"):
            if str(getattr(payload, "id", None)) != request.key:
                raise InvalidInput(
                    "the record's id does not match the path",
                    {"data.id": [f"must be {request.key}, the id in the path"]},
                )

    async def _check_flight_references(self, payload: Model) -> None:
        match payload:
            case Launched():
                wanted = {
                    "data.spacecraft": stream_name("spacecraft", payload.spacecraft),
                    "data.launch": stream_name("launch", payload.launch),
                }
                for i, seat in enumerate(payload.launch_crew):
                    name = f"data.launch_crew.{i}.astronaut"
                    wanted[name] = stream_name("astronaut", seat.astronaut)
                await self._require(wanted)
            case CrewSwapped():
                seats = [*payload.landing_crew, *payload.onboard_crew]
                await self._require(
                    {
                        f"data.crew.{i}.astronaut": stream_name(
                            "astronaut", seat.astronaut
                        )
                        for i, seat in enumerate(seats)
                    }
                )
            case Docked():
                await self._check_docking_location(payload)

    async def _check_docking_location(self, payload: Docked) -> None:
        stream = stream_name("spacestation", payload.spacestation)
        station = fold_reference("spacestation", await self._store.read_stream(stream))
        if not isinstance(station, Spacestation):
            raise InvalidInput(
                "unknown space station",
                {"data.spacestation": [f"{stream} is not recorded"]},
            )
        if payload.docking_location not in {d.id for d in station.docking_locations}:
            raise InvalidInput(
                "unknown docking location",
                {
                    "data.docking_location": [
                        f"station {station.id} has no docking location "
                        f"{payload.docking_location}"
                    ]
                },
            )

    async def _check_reference_links(self, kind: str, record: Model) -> None:
        links = {
            "spacecraft": ("spacecraft_config", "spacecraft_config"),
            "spacecraft_config": ("agency", "agency"),
            "astronaut": ("agency", "agency"),
        }
        if kind not in links:
            return
        field, target = links[kind]
        value = getattr(record, field)
        if value is not None:
            await self._require({f"data.{field}": stream_name(target, value)})

    async def _require(self, wanted: dict[str, str]) -> None:
        heads = await self._store.heads(sorted(set(wanted.values())))
        errors = {
            name: [f"{stream} is not recorded"]
            for name, stream in wanted.items()
            if stream not in heads
        }
        if errors:
            raise InvalidInput("the event refers to unknown reference data", errors)


def _stored_data(request: AppendRequest, payload: Model) -> dict[str, Any]:
    exclude_unset = request.type.endswith("_updated")
    return payload.model_dump(mode="json", exclude_unset=exclude_unset)


def _millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
