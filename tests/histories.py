"""Hypothesis strategies of flight histories, valid ones and ones with a wrong step.

A history starts with the reference data every flight may name (agencies, a
configuration, spacecraft, launches, astronauts, stations with their docking
locations), then interleaves flight events (launch, dock, undock, crew swap,
landing) across several flights with reference updates. Each flight's times
never go back; flights overlap freely, so crews move between flights.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from events.append import AppendRequest
from events.errors import FlightlogError, NotFound, RuleViolation

RECORDED_AT = datetime(2020, 1, 1, tzinfo=UTC)
FLIGHTS_FROM = datetime(2030, 1, 1, tzinfo=UTC)
NOW = datetime(2100, 1, 1, tzinfo=UTC)  # the appender's clock: nothing is future

AGENCIES = (1, 2)
CONFIG = 10
SPACECRAFT = (20, 21)
LAUNCHES = tuple(f"00000000-0000-4000-8000-{n:012d}" for n in (1, 2, 3))
ASTRONAUTS = (30, 31, 32, 33, 34)
STATIONS = {40: (41, 42), 43: (44,)}
# "flight-10" sorts before "flight-2": the log's order is not the flights' order.
FLIGHT_IDS = (2, 10, 325)
ROLES = (
    {"id": 1, "role": "Commander", "priority": 0},
    {"id": 2, "role": "Flight Engineer", "priority": 1},
    {"id": 3, "role": "Cosmonaut-Researcher", "priority": 1},
)
STATUSES = ({"id": 1, "name": "Active"}, {"id": 2, "name": "Retired"})
DAY_US = 86_400 * 10**6
# Characters the JSON encoding must treat with care, and plain ones.
texts = st.text(alphabet='aZ é"\\/Ж\u2028😀', min_size=1, max_size=8)


@dataclass(frozen=True)
class Step:
    """One operator request of a history."""

    kind: str
    key: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]

    def request(self, number: int) -> AppendRequest:
        """The request as operator ``prop`` sends it, idempotency key ``number``."""
        return AppendRequest(
            kind=self.kind,
            key=self.key,
            type=self.type,
            occurred_at=self.occurred_at,
            data=self.data,
            operator="prop",
            request_id=f"prop:{number}",
        )


@dataclass
class Flight:
    """What a history has done to one flight so far."""

    key: int
    launched: bool = False
    landed: bool = False
    open_docking: int | None = None
    last: datetime | None = None
    dockings: set[int] = field(default_factory=set)


@dataclass
class World:
    """The state a history has reached, so that the next step can be chosen."""

    flights: dict[int, Flight] = field(
        default_factory=lambda: {key: Flight(key) for key in FLIGHT_IDS}
    )
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def record(self, step: Step) -> None:
        """Follow a step that the appender accepted."""
        if step.kind != "flight":
            return
        flight = self.flights[int(step.key)]
        flight.last = step.occurred_at
        if step.type == "launch":
            flight.launched = True
        elif step.type == "dock":
            flight.open_docking = step.data["docking_event"]
            flight.dockings.add(step.data["docking_event"])
        elif step.type == "undock":
            flight.open_docking = None
        elif step.type == "landing":
            flight.landed = True


Draw = Callable[[st.DrawFn, World, Flight], Step]


@dataclass(frozen=True)
class History:
    """The steps of a history, reference records first, and where it ends."""

    steps: list[Step]
    world: World


@dataclass(frozen=True)
class WrongStep:
    """A step the log must refuse, and how."""

    step: Step
    error: type[FlightlogError]
    rule: str | None = None


def reference_records() -> list[Step]:
    """Every reference entity the generated flights may name, recorded once."""
    records: list[tuple[str, int | str, dict[str, Any]]] = [
        *(
            ("agency", a, {"name": f"Agency {a}", "type": "Government"})
            for a in AGENCIES
        ),
        (
            "spacecraft_config",
            CONFIG,
            {"name": "Capsule", "type": {"id": 2, "name": "Capsule"}, "agency": 1},
        ),
        *(
            (
                "spacecraft",
                s,
                {
                    "name": f"Craft {s}",
                    "status": STATUSES[0],
                    "spacecraft_config": CONFIG,
                },
            )
            for s in SPACECRAFT
        ),
        *(
            ("launch", u, {"name": f"Rocket | {u[-1]}", "net": "2029-12-31T00:00:00Z"})
            for u in LAUNCHES
        ),
        *(
            (
                "astronaut",
                a,
                {
                    "name": f"Astronaut {a}",
                    "type": {"id": 2, "name": "Government"},
                    "status": STATUSES[0],
                    "agency": AGENCIES[a % 2],
                },
            )
            for a in ASTRONAUTS
        ),
        *(
            (
                "spacestation",
                s,
                {
                    "name": f"Station {s}",
                    "status": STATUSES[0],
                    "docking_locations": [
                        {"id": p, "name": f"Port {p}"} for p in ports
                    ],
                },
            )
            for s, ports in STATIONS.items()
        ),
    ]
    return [
        Step(kind, str(key), f"{kind}_recorded", RECORDED_AT, {"id": key, **data})
        for kind, key, data in records
    ]


@st.composite
def histories(draw: st.DrawFn, max_steps: int = 24) -> History:
    """Valid histories: reference records, then interleaved flight and
    reference events."""
    world = World()
    steps = reference_records()
    for _ in range(draw(st.integers(min(8, max_steps), max_steps))):
        options = _valid_now(world)
        make, flight = draw(st.sampled_from(options))
        step = make(draw, world, flight)
        world.record(step)
        steps.append(step)
    return History(steps, world)


@st.composite
def wrong_steps(draw: st.DrawFn, world: World) -> WrongStep:
    """A step that breaks a flight or reference rule in ``world``'s state."""
    options: list[tuple[Callable[..., WrongStep], Flight | None]] = [
        (_record_twice, None),
        (_update_unrecorded, None),
    ]
    for flight in world.flights.values():
        if not flight.launched:
            options += [(_before_launch, flight), (_crew_named_twice, flight)]
            continue
        options += [(_second_launch, flight), (_back_in_time, flight)]
        if flight.landed:
            options.append((_after_landing, flight))
        elif flight.open_docking is None:
            options.append((_undock_undocked, flight))
            if flight.dockings:
                options.append((_redock, flight))
        else:
            options += [(_land_docked, flight), (_dock_docked, flight)]
            options.append((_undock_other, flight))
    make, flight = draw(st.sampled_from(options))
    return make(draw, world, flight)


def _valid_now(world: World) -> list[tuple[Draw, Flight]]:
    options: list[tuple[Draw, Flight]] = [(_reference_update, world.flights[2])]
    for flight in world.flights.values():
        if not flight.launched:
            options.append((_launch, flight))
        elif not flight.landed:
            options.append((_crew_swap, flight))
            # Docking twice as likely: docked times add up over many spans.
            if flight.open_docking is None:
                options += [(_dock, flight), (_dock, flight), (_landing, flight)]
            else:
                options += [(_undock, flight), (_undock, flight)]
    return options


# Valid steps.


def _time(draw: st.DrawFn, flight: Flight) -> datetime:
    start = FLIGHTS_FROM if flight.last is None else flight.last
    span = 30 * DAY_US if flight.last is None else 3 * DAY_US
    # Microseconds: the log keeps milliseconds, so truncation is exercised too.
    return start + timedelta(microseconds=draw(st.integers(0, span)))


def _seats(draw: st.DrawFn, world: World) -> list[dict[str, Any]]:
    people = draw(st.lists(st.sampled_from(ASTRONAUTS), unique=True, max_size=3))
    return [
        {
            "id": next(world.ids),
            "astronaut": person,
            "role": draw(st.sampled_from(ROLES)),
        }
        for person in people
    ]


def _flight_step(
    draw: st.DrawFn, flight: Flight, kind: str, data: dict[str, Any]
) -> Step:
    return Step("flight", str(flight.key), kind, _time(draw, flight), data)


def _launch(draw: st.DrawFn, world: World, flight: Flight) -> Step:
    data = {
        # Mostly the first: a spacecraft's counters add up over its flights.
        "spacecraft": draw(st.sampled_from((*SPACECRAFT, SPACECRAFT[0]))),
        "launch": draw(st.sampled_from(LAUNCHES)),
        "destination": draw(st.none() | texts),
        "launch_crew": _seats(draw, world),
    }
    return _flight_step(draw, flight, "launch", data)


def _dock(draw: st.DrawFn, world: World, flight: Flight) -> Step:
    station = draw(st.sampled_from(sorted(STATIONS)))
    data = {
        "docking_event": next(world.ids),
        "spacestation": station,
        "docking_location": draw(st.sampled_from(STATIONS[station])),
    }
    return _flight_step(draw, flight, "dock", data)


def _undock(draw: st.DrawFn, world: World, flight: Flight) -> Step:
    return _flight_step(draw, flight, "undock", {"docking_event": flight.open_docking})


def _crew_swap(draw: st.DrawFn, world: World, flight: Flight) -> Step:
    data = {"landing_crew": _seats(draw, world)}
    if draw(st.booleans()):
        data["onboard_crew"] = _seats(draw, world)
    return _flight_step(draw, flight, "crew_swap", data)


def _landing(draw: st.DrawFn, world: World, flight: Flight) -> Step:
    data: dict[str, Any] = {}
    if draw(st.booleans()):
        data["landing"] = {
            "id": draw(st.integers(1, 10**6)),
            "success": draw(st.booleans()),
            "downrange_distance": draw(st.none() | st.floats(0, 1e4)),
            "location": {"id": 19, "name": "Kazakhstan", "abbrev": "KAZ"},
            "type": {"id": 4, "name": "Parachute Landing", "abbrev": "PL"},
        }
    return _flight_step(draw, flight, "landing", data)


def _reference_update(draw: st.DrawFn, world: World, flight: Flight) -> Step:
    kind = draw(
        st.sampled_from(("astronaut", "spacestation", "spacecraft", "agency", "launch"))
    )
    if kind == "astronaut":
        key: int | str = draw(st.sampled_from(ASTRONAUTS))
        field_name = draw(
            st.sampled_from(("status", "bio", "agency", "history_outside_log"))
        )
        values = {
            "status": st.sampled_from(STATUSES),
            "bio": texts,
            "agency": st.sampled_from((*AGENCIES, None)),
            "history_outside_log": st.builds(
                lambda launches, seconds: {
                    "launches": [
                        (FLIGHTS_FROM + timedelta(seconds=s)).isoformat()
                        for s in launches
                    ],
                    "time_in_space": seconds,
                },
                st.lists(st.integers(0, 10**8), max_size=2),
                st.integers(0, 10**8),
            ),
        }
        data = {field_name: draw(values[field_name])}
    elif kind == "spacestation":
        key, data = draw(st.sampled_from(sorted(STATIONS))), {"name": draw(texts)}
    elif kind == "spacecraft":
        key = draw(st.sampled_from(SPACECRAFT))
        data = {"status": draw(st.sampled_from(STATUSES))}
    elif kind == "agency":
        key, data = draw(st.sampled_from(AGENCIES)), {"name": draw(texts)}
    else:
        key, data = draw(st.sampled_from(LAUNCHES)), {"name": draw(texts)}
    at = RECORDED_AT + timedelta(microseconds=draw(st.integers(0, DAY_US)))
    return Step(kind, str(key), f"{kind}_updated", at, data)


# Wrong steps.


def _before_launch(draw: st.DrawFn, world: World, flight: Flight) -> WrongStep:
    make = draw(st.sampled_from((_dock, _crew_swap, _landing)))
    return WrongStep(make(draw, world, flight), NotFound)


def _crew_named_twice(draw: st.DrawFn, world: World, flight: Flight) -> WrongStep:
    step = _launch(draw, world, flight)
    seat = {"id": 1, "astronaut": ASTRONAUTS[0], "role": ROLES[0]}
    crew = [seat, {**seat, "id": 2}]
    return WrongStep(
        replace(step, data={**step.data, "launch_crew": crew}),
        RuleViolation,
        "crew_unique",
    )


def _second_launch(draw: st.DrawFn, world: World, flight: Flight) -> WrongStep:
    return WrongStep(_launch(draw, world, flight), RuleViolation, "launch_once")


def _back_in_time(draw: st.DrawFn, world: World, flight: Flight) -> WrongStep:
    assert flight.last is not None
    stored = flight.last.replace(microsecond=flight.last.microsecond // 1000 * 1000)
    earlier = stored - timedelta(microseconds=draw(st.integers(1, DAY_US)))
    makes: list[Draw] = [_crew_swap, _launch, _dock]
    if flight.open_docking is not None:  # else an undock names no docking at all
        makes.append(_undock)
    step = draw(st.sampled_from(makes))(draw, world, flight)
    return WrongStep(replace(step, occurred_at=earlier), RuleViolation, "time_order")


def _after_landing(draw: st.DrawFn, world: World, flight: Flight) -> WrongStep:
    make = draw(st.sampled_from((_dock, _crew_swap, _landing, _undock)))
    step = make(draw, world, flight)
    if step.type == "undock":
        step = replace(step, data={"docking_event": draw(st.integers(0, 10**6))})
    return WrongStep(step, RuleViolation, "while_flying")


def _undock_undocked(draw: st.DrawFn, world: World, flight: Flight) -> WrongStep:
    data = {"docking_event": draw(st.integers(0, 10**6))}
    return WrongStep(
        _flight_step(draw, flight, "undock", data), RuleViolation, "undock_open"
    )


def _undock_other(draw: st.DrawFn, world: World, flight: Flight) -> WrongStep:
    other = draw(st.integers(0, 10**6).filter(lambda n: n != flight.open_docking))
    data = {"docking_event": other}
    return WrongStep(
        _flight_step(draw, flight, "undock", data), RuleViolation, "undock_open"
    )


def _redock(draw: st.DrawFn, world: World, flight: Flight) -> WrongStep:
    step = _dock(draw, world, flight)
    reused = draw(st.sampled_from(sorted(flight.dockings)))
    return WrongStep(
        replace(step, data={**step.data, "docking_event": reused}),
        RuleViolation,
        "docking_id_unique",
    )


def _land_docked(draw: st.DrawFn, world: World, flight: Flight) -> WrongStep:
    return WrongStep(_landing(draw, world, flight), RuleViolation, "land_after_undock")


def _dock_docked(draw: st.DrawFn, world: World, flight: Flight) -> WrongStep:
    return WrongStep(_dock(draw, world, flight), RuleViolation, "dock_while_undocked")


def _record_twice(draw: st.DrawFn, world: World, flight: None) -> WrongStep:
    step = draw(st.sampled_from(reference_records()))
    return WrongStep(step, RuleViolation, "record_once")


def _update_unrecorded(draw: st.DrawFn, world: World, flight: None) -> WrongStep:
    key = draw(st.integers(100, 2**31 - 1))
    step = Step(
        "astronaut", str(key), "astronaut_updated", RECORDED_AT, {"name": draw(texts)}
    )
    return WrongStep(step, NotFound)
