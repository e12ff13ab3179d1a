"""Turning LL2 facts into events: only what the log does not say yet.

Importing the same documents twice appends nothing: reference entities get an
``_updated`` event only for fields whose value differs, and a flight only the
lifecycle events it lacks. Request ids are derived from content, so two
concurrent imports of the same documents append each event once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import isodate
from pydantic import BaseModel, ValidationError

from events.append import Appender, AppendRequest
from events.catalog import stream_name
from events.errors import FlightlogError
from events.flight import FlightState, LandingDetails
from events.folds import fold_flight, fold_reference
from events.reference import REFERENCE_KINDS
from events.store import EventStore
from projections.cache import StreamStates
from projections.stats import astronaut_stats
from seed.facts import Facts, FlightFacts

logger = logging.getLogger(__name__)

# Reference kinds in the order their links need them.
ORDER = (
    "agency",
    "spacecraft_config",
    "spacecraft",
    "spacestation",
    "launch",
    "astronaut",
)


@dataclass
class ImportReport:
    """What an import appended and what it had to leave out, and why."""

    appended: int = 0
    skipped: list[str] = field(default_factory=list)


class Importer:
    """Appends the events that bring the log in line with a set of facts."""

    def __init__(self, store: EventStore, appender: Appender, operator: str) -> None:
        self._store = store
        self._appender = appender
        self._operator = operator
        self.report = ImportReport()

    async def run(self, facts: Facts, progress: Any = None) -> ImportReport:
        """Append reference data, then flights, then astronauts' outside history."""
        for kind in ORDER:
            for stream, fields in sorted(facts.references.items()):
                if stream.startswith(kind + "-"):
                    await self._reference(kind, stream, fields)
        for flight in sorted(facts.flights.values(), key=lambda f: f.id):
            await self._flight(flight, facts.location_stations)
            if progress is not None:
                progress()
        await self._outside_history(facts)
        return self.report

    async def _append(
        self, kind: str, key: str, event_type: str, at: str, data: Any
    ) -> None:
        body = json.dumps([kind, key, event_type, at, data], sort_keys=True)
        request_id = "import:" + hashlib.sha256(body.encode()).hexdigest()[:32]
        request = AppendRequest(
            kind=kind,
            key=key,
            type=event_type,
            occurred_at=_instant(at),
            data=data,
            operator=self._operator,
            request_id=request_id,
        )
        try:
            _, appended = await self._appender.append(request)
        except FlightlogError as exc:
            self.report.skipped.append(f"{kind}-{key} {event_type}: {exc.detail}")
            logger.warning(
                "import skipped %s-%s %s: %s", kind, key, event_type, exc.detail
            )
            return
        self.report.appended += int(appended)

    async def _reference(self, kind: str, stream: str, fields: dict[str, Any]) -> None:
        record = REFERENCE_KINDS[kind]
        fields = _fit(record, fields)
        current = fold_reference(kind, await self._store.read_stream(stream))
        key = stream.split("-", 1)[1]
        at = _recorded_at(fields)
        if current is None:
            await self._append(kind, key, f"{kind}_recorded", at, fields)
            return
        known = current.model_dump(mode="json")
        stated = record.model_validate({**known, **fields}).model_dump(mode="json")
        changed = {k: stated[k] for k in fields if k != "id" and stated[k] != known[k]}
        if changed:
            await self._append(kind, key, f"{kind}_updated", at, changed)

    async def _flight(self, facts: FlightFacts, stations: dict[int, int]) -> None:
        stream = stream_name("flight", facts.id)
        state = fold_flight(stream, await self._store.read_stream(stream))
        if state.launched_at is None:
            reason = _unlaunchable(facts)
            if reason is not None:
                self._skip(f"{stream}: {reason}")
                return
        placed, unplaced = _place_dockings(facts, stations)
        for docking in unplaced:
            location = f"{docking['docking_location']} ({docking.get('location_name')})"
            self._skip(
                f"{stream} docking {docking['id']}: no 2.2.0 document places "
                f"docking location {location} on a station"
            )
        for event_type, at, data in _timeline(facts, placed, state):
            await self._append("flight", str(facts.id), event_type, at, data)

    def _skip(self, note: str) -> None:
        self.report.skipped.append(note)
        logger.info("import skipped %s", note)

    async def _outside_history(self, facts: Facts) -> None:
        if not facts.totals:
            return
        states = StreamStates()
        async for batch in self._store.read_all():
            states.apply([e for e in batch if e.stream.startswith("flight-")])
        for person_id, totals in sorted(facts.totals.items()):
            stream = stream_name("astronaut", person_id)
            person = fold_reference("astronaut", await self._store.read_stream(stream))
            if person is None:
                continue
            history = _history(person, list(states.flights.values()), totals)
            if history != person.model_dump(mode="json")["history_outside_log"]:
                data = {"history_outside_log": history}
                await self._append(
                    "astronaut",
                    str(person_id),
                    "astronaut_updated",
                    totals.last_flight or totals.first_flight or "1961-04-12T06:07:00Z",
                    data,
                )


def _history(person: Any, flights: list[FlightState], totals: Any) -> dict[str, Any]:
    """The part of the stated totals that the log's flights do not account for."""
    bare = person.model_copy(
        update={"history_outside_log": type(person.history_outside_log)()}
    )
    derived = astronaut_stats(bare, flights)
    stated = isodate.parse_duration(totals.time_in_space).total_seconds()
    outside = max(stated - derived.time_in_space.seconds, 0)
    in_log = (
        {derived.first_flight, derived.last_flight} if derived.first_flight else set()
    )
    launches = sorted(
        {t for t in (totals.first_flight, totals.last_flight) if t}
        - {_iso(t) for t in in_log if t}
    )
    return {
        "launches": [_iso(_instant(t)) for t in launches],
        "time_in_space": int(outside),
    }


def _unlaunchable(facts: FlightFacts) -> str | None:
    """Why a flight that is not in the log yet cannot be started, if it cannot."""
    if facts.net is None:
        return "no launch time in the sources"
    if facts.spacecraft is None or facts.launch is None:
        return "no spacecraft or launch in the sources"
    if facts.mission_end and _instant(facts.mission_end) < _instant(facts.net):
        return (
            f"the sources' mission_end {facts.mission_end} precedes its launch "
            f"{facts.net}"
        )
    return None


def _place_dockings(
    facts: FlightFacts, stations: dict[int, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The flight's dockings with their station, and those no source places."""
    placed: list[dict[str, Any]] = []
    unplaced: list[dict[str, Any]] = []
    for docking in facts.dockings.values():
        station = docking["spacestation"] or stations.get(docking["docking_location"])
        if station is None:
            unplaced.append(docking)
        else:
            placed.append({**docking, "spacestation": station})
    return placed, unplaced


def _timeline(
    facts: FlightFacts, dockings: list[dict[str, Any]], state: FlightState
) -> list[tuple[str, str, Any]]:
    """The lifecycle events the flight still lacks, in time order."""
    events: list[tuple[str, str, Any]] = []
    if state.launched_at is None:
        crew = facts.launch_crew or []
        events.append(
            (
                "launch",
                facts.net or "",
                {
                    "spacecraft": facts.spacecraft,
                    "launch": facts.launch,
                    "destination": facts.destination,
                    "launch_crew": crew,
                },
            )
        )
    known = {d.id: d for d in state.dockings}
    for docking in sorted(dockings, key=lambda d: (d["docking"], d["id"])):
        if docking["id"] not in known:
            events.append(
                (
                    "dock",
                    docking["docking"],
                    {
                        "docking_event": docking["id"],
                        "spacestation": docking["spacestation"],
                        "docking_location": docking["docking_location"],
                    },
                )
            )
        if docking["departure"] and (
            docking["id"] not in known or known[docking["id"]].departure is None
        ):
            events.append(
                ("undock", docking["departure"], {"docking_event": docking["id"]})
            )
    if facts.mission_end and state.landed_at is None:
        swap = _swap(facts)
        if swap is not None:
            events.append(("crew_swap", facts.mission_end, swap))
        events.append(
            ("landing", facts.mission_end, {"landing": _landing(facts.landing)})
        )
    if state.last_occurred is not None:
        events = [e for e in events if _instant(e[1]) >= state.last_occurred]
    return sorted(events, key=lambda e: _instant(e[1]))


def _swap(facts: FlightFacts) -> dict[str, Any] | None:
    landing = facts.landing_crew
    if landing is None:
        return None
    if _seats(landing) == _seats(facts.launch_crew) and not facts.onboard_crew:
        return None
    return {"landing_crew": landing, "onboard_crew": facts.onboard_crew or []}


def _seats(crew: list[dict[str, Any]] | None) -> list[tuple[int, int]]:
    return sorted((seat["id"], seat["astronaut"]) for seat in crew or [])


def _landing(landing: dict[str, Any] | None) -> dict[str, Any] | None:
    if landing is None:
        return None
    return _fit(LandingDetails, landing)


def _fit(model: type[BaseModel], fields: dict[str, Any]) -> dict[str, Any]:
    """Drop keys the model does not know (older or newer LL2 shapes)."""
    fields = json.loads(json.dumps(fields))
    for _ in range(50):
        try:
            model.model_validate(fields)
            return fields
        except ValidationError as exc:
            extras = [e["loc"] for e in exc.errors() if e["type"] == "extra_forbidden"]
            if not extras:
                return fields
            for loc in extras:
                _delete(fields, loc)
    return fields


def _delete(value: Any, loc: tuple[Any, ...]) -> None:
    for part in loc[:-1]:
        value = value[part]
    del value[loc[-1]]


def _recorded_at(fields: dict[str, Any]) -> str:
    return str(fields.get("last_updated") or "2000-01-01T00:00:00Z")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(moment: datetime | str) -> str:
    if isinstance(moment, str):
        moment = _instant(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
