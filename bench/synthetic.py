"""A realistic synthetic log: flights with crews, dockings, swaps and landings.

Reference records are cloned from the bundled seed (real agencies, vehicle
configurations, a station, launches and astronauts) under new ids, so the
documents have real sizes. The same size and seed always give the same log.
About seven events make one flight: the launch record, the launch, one to
three dockings (dock and undock), sometimes a crew swap, the landing, and now
and then an update of an astronaut, a spacecraft or a launch.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from seed.loader import seed_events

SEED = 20261201
FIRST_FLIGHT = 1_000
FIRST_SPACECRAFT = 500_000
FIRST_ASTRONAUT = 700_000
FIRST_DOCKING = 900_000
START = datetime(1965, 1, 1, tzinfo=UTC)
END = datetime(2026, 10, 1, tzinfo=UTC)
IN_FLIGHT = 3  # the newest flights have not landed: their durations still run
ROLES = [
    {"id": 1, "role": "Commander", "priority": 0},
    {"id": 2, "role": "Pilot", "priority": 1},
    {"id": 3, "role": "Flight Engineer", "priority": 2},
    {"id": 4, "role": "Mission Specialist", "priority": 3},
]

Event = dict[str, Any]


@dataclass
class Templates:
    """Seed records to clone, and the seed events that must come first."""

    base: list[Event]
    configs: list[int]
    stations: list[dict[str, Any]]
    launches: list[dict[str, Any]]
    astronauts: list[dict[str, Any]]

    @classmethod
    def from_seed(cls) -> Templates:
        entries = seed_events()
        recorded = [e for e in entries if e["type"].endswith("_recorded")]
        base = [
            e
            for e in recorded
            if e["stream"].split("-")[0] in ("agency", "spacecraft_config")
            or e["stream"].startswith("spacestation-")
        ]
        return cls(
            base=base,
            configs=[
                _key(e) for e in base if e["type"] == "spacecraft_config_recorded"
            ],
            stations=[e["data"] for e in base if e["type"] == "spacestation_recorded"],
            launches=[e["data"] for e in recorded if e["type"] == "launch_recorded"],
            astronauts=[
                e["data"] for e in recorded if e["type"] == "astronaut_recorded"
            ],
        )


@dataclass
class _Log:
    rng: random.Random
    templates: Templates
    events: list[Event] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    spacecraft: list[int] = field(default_factory=list)
    astronauts: list[int] = field(default_factory=list)
    launches: list[str] = field(default_factory=list)
    docking: int = FIRST_DOCKING

    def add(self, stream: str, kind: str, at: datetime, data: dict[str, Any]) -> None:
        version = self.versions.get(stream, 0) + 1
        self.versions[stream] = version
        self.events.append(
            {
                "stream": stream,
                "version": version,
                "type": kind,
                "occurred_at": at,
                "data": data,
            }
        )


def generate(size: int, seed: int = SEED, spare_launches: int = 0) -> list[Event]:
    """About ``size`` events (never fewer), plus ``spare_launches`` launch records
    that no flight uses yet (for appending new flights)."""
    templates = Templates.from_seed()
    log = _Log(random.Random(seed), templates)
    for entry in templates.base:
        log.add(entry["stream"], entry["type"], _at(entry), entry["data"])

    # Seven events a flight is an upper estimate: the timeline ends before END.
    step = (END - START) / max(1, size // 6)
    number = 0
    while len(log.events) < size:
        landed = len(log.events) < size - IN_FLIGHT * 8
        _flight(log, FIRST_FLIGHT + number, START + step * number, landed)
        number += 1
    for _ in range(spare_launches):
        _launch_record(log, END)
    return log.events


def spare_launch_ids(events: list[Event], count: int) -> list[str]:
    """The launch records appended last by ``generate(spare_launches=count)``."""
    records = [e for e in events if e["type"] == "launch_recorded"]
    return [str(e["data"]["id"]) for e in records[-count:]] if count else []


def reference_ids(events: list[Event]) -> tuple[list[int], list[int]]:
    """Spacecraft and astronaut ids recorded in the log."""
    crafts = [e["data"]["id"] for e in events if e["type"] == "spacecraft_recorded"]
    people = [e["data"]["id"] for e in events if e["type"] == "astronaut_recorded"]
    return crafts, people


def _flight(log: _Log, flight_id: int, launched: datetime, landed: bool) -> None:
    rng = log.rng
    at = launched + timedelta(days=rng.randint(0, 20))
    stream = f"flight-{flight_id}"
    crew = _crew(log, at)
    launch = _launch_record(log, at - timedelta(days=30))
    log.add(
        stream,
        "launch",
        at,
        {
            "spacecraft": _spacecraft(log, at),
            "launch": launch,
            "destination": "International Space Station",
            "launch_crew": crew,
        },
    )
    at = _dockings(log, stream, at, crew, last_open=not landed)
    if landed:
        at += timedelta(hours=rng.randint(3, 30))
        log.add(stream, "landing", at, {"landing": _landing(rng)})
    _updates(log, at)


def _dockings(
    log: _Log, stream: str, at: datetime, crew: list[dict[str, Any]], last_open: bool
) -> datetime:
    rng = log.rng
    count = rng.choice((1, 1, 1, 2, 2, 3))
    station = log.templates.stations[0]
    for n in range(count):
        at += timedelta(hours=rng.randint(5, 60))
        log.docking += 1
        location = rng.choice(station["docking_locations"])["id"]
        log.add(
            stream,
            "dock",
            at,
            {
                "docking_event": log.docking,
                "spacestation": station["id"],
                "docking_location": location,
            },
        )
        if n == 0 and crew and rng.random() < 0.3:
            at += timedelta(days=rng.randint(1, 20))
            swapped = _crew(log, at)
            log.add(stream, "crew_swap", at, {"landing_crew": swapped})
        if last_open and n == count - 1:
            return at
        at += timedelta(days=rng.randint(2, 180))
        log.add(stream, "undock", at, {"docking_event": log.docking})
    return at


def _crew(log: _Log, at: datetime) -> list[dict[str, Any]]:
    seats = []
    people: set[int] = set()
    for seat in range(log.rng.choice((1, 2, 3, 3, 4))):
        person = _astronaut(log, at)
        if person in people:
            continue
        people.add(person)
        seats.append(
            {"id": log.rng.randint(1, 2**30), "astronaut": person, "role": ROLES[seat]}
        )
    return seats


def _astronaut(log: _Log, at: datetime) -> int:
    if log.astronauts and log.rng.random() < 0.85:
        return log.rng.choice(log.astronauts[-400:])
    template = log.rng.choice(log.templates.astronauts)
    person = FIRST_ASTRONAUT + len(log.astronauts)
    data = {**template, "id": person, "name": f"{template['name']} {person}"}
    data.pop("history_outside_log", None)
    log.add(f"astronaut-{person}", "astronaut_recorded", at, data)
    log.astronauts.append(person)
    return person


def _spacecraft(log: _Log, at: datetime) -> int:
    if log.spacecraft and log.rng.random() < 0.6:
        return log.rng.choice(log.spacecraft[-50:])
    craft = FIRST_SPACECRAFT + len(log.spacecraft)
    data = {
        "id": craft,
        "name": f"Capsule C{craft}",
        "serial_number": f"C{craft}",
        "is_placeholder": False,
        "status": {"id": 1, "name": "Active"},
        "description": "A crew capsule flown again after refurbishment.",
        "spacecraft_config": log.rng.choice(log.templates.configs),
    }
    log.add(f"spacecraft-{craft}", "spacecraft_recorded", at, data)
    log.spacecraft.append(craft)
    return craft


def _launch_record(log: _Log, at: datetime) -> str:
    template = log.rng.choice(log.templates.launches)
    launch = str(uuid.UUID(int=log.rng.getrandbits(128)))
    name = f"{template['name']} ({launch[:8]})"
    data = {**template, "id": launch, "name": name, "net": _iso(at)}
    log.add(f"launch-{launch}", "launch_recorded", at, data)
    log.launches.append(launch)
    return launch


def _updates(log: _Log, at: datetime) -> None:
    rng = log.rng
    if log.astronauts and rng.random() < 0.25:
        person = rng.choice(log.astronauts)
        bio = f"Flew again; updated {at:%Y-%m-%d}."
        log.add(f"astronaut-{person}", "astronaut_updated", at, {"bio": bio})
    if log.spacecraft and rng.random() < 0.1:
        craft = rng.choice(log.spacecraft)
        note = f"Refurbished {at:%Y-%m-%d}."
        log.add(f"spacecraft-{craft}", "spacecraft_updated", at, {"description": note})
    if log.launches and rng.random() < 0.1:
        launch = rng.choice(log.launches)
        log.add(f"launch-{launch}", "launch_updated", at, {"webcast_live": True})


def _landing(rng: random.Random) -> dict[str, Any] | None:
    if rng.random() < 0.5:
        return None
    return {
        "id": rng.randint(1, 2**30),
        "attempt": True,
        "success": True,
        "description": "Parachute landing in the steppe.",
        "downrange_distance": None,
        "location": None,
        "type": {"id": 1, "name": "Parachute Landing", "abbrev": "", "description": ""},
    }


def _key(entry: Event) -> int:
    return int(entry["stream"].split("-", 1)[1])


def _at(entry: Event) -> datetime:
    return datetime.fromisoformat(entry["occurred_at"])


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps(event: Event) -> str:
    """One event as a JSON line, for inspection."""
    return json.dumps({**event, "occurred_at": _iso(event["occurred_at"])})
