"""Flight lifecycle events and the rules that order them.

A flight stream (``flight-<id>``) holds: ``launch`` first and once; ``dock`` only
while flying and not docked; ``undock`` only the open docking; ``crew_swap`` only
while flying; ``landing`` once, after undocking. Occurred times never go back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated

from pydantic import Field

from events.errors import RuleViolation
from events.fields import Bool, Id, IdName, Model, Name, Number, Text

CREW_LIMIT = 50


class Role(Model):
    """A crew role: ``{id, role, priority}``; lower priority sorts first."""

    id: Id
    role: Name
    priority: Annotated[int, Field(strict=True, ge=0, le=1000)]


class CrewSeat(Model):
    """One astronaut's seat on a flight (LL2's AstronautFlight row)."""

    id: Id
    astronaut: Id
    role: Role


Crew = Annotated[tuple[CrewSeat, ...], Field(max_length=CREW_LIMIT)]


class Launched(Model):
    """The flight lifted off on ``launch`` aboard ``spacecraft`` with its crew."""

    spacecraft: Id
    launch: Annotated[str, Field(strict=True, pattern=r"^[0-9a-f-]{36}$")]
    destination: Name | None = None
    launch_crew: Crew = ()


class Docked(Model):
    """The flight docked at a station's docking location."""

    docking_event: Id
    spacestation: Id
    docking_location: Id


class Undocked(Model):
    """The flight left the docking it was in."""

    docking_event: Id


class CrewSwapped(Model):
    """The crew that will come home aboard this flight changed."""

    landing_crew: Crew
    onboard_crew: Crew = ()


class LandingLocation(Model):
    """Where the flight came down."""

    id: Id
    name: Name
    abbrev: Annotated[str, Field(strict=True, max_length=255)] = ""
    description: Text = ""
    location: IdName | None = None
    successful_landings: Annotated[int, Field(strict=True, ge=0)] = 0


class LandingType(Model):
    """How the flight came down, e.g. parachute landing."""

    id: Id
    name: Name
    abbrev: Annotated[str, Field(strict=True, max_length=255)] = ""
    description: Text = ""


class LandingDetails(Model):
    """LL2's ``landing`` object: how the landing went, where and how."""

    id: Id
    attempt: Bool | None = True
    success: Bool | None = True
    description: Text = ""
    downrange_distance: Number | None = None
    location: LandingLocation | None = None
    type: LandingType | None = None


class Landed(Model):
    """The flight's mission ended; ``landing`` says how, when it is known."""

    landing: LandingDetails | None = None


FLIGHT_EVENTS: dict[str, type[Model]] = {
    "launch": Launched,
    "dock": Docked,
    "undock": Undocked,
    "crew_swap": CrewSwapped,
    "landing": Landed,
}


@dataclass(frozen=True)
class Docking:
    """One docking of the flight, open while ``departure`` is None."""

    id: int
    spacestation: int
    location: int
    docking: datetime
    departure: datetime | None = None


@dataclass(frozen=True)
class FlightState:
    """Everything the log says about one flight, folded."""

    id: int
    version: int = 0
    spacecraft: int | None = None
    launch: str | None = None
    destination: str | None = None
    launched_at: datetime | None = None
    launch_crew: tuple[CrewSeat, ...] = ()
    crew_aboard: tuple[CrewSeat, ...] = ()
    onboard_crew: tuple[CrewSeat, ...] = ()
    landing_crew: tuple[CrewSeat, ...] = ()
    dockings: tuple[Docking, ...] = ()
    landing: LandingDetails | None = None
    landed_at: datetime | None = None
    last_occurred: datetime | None = None

    @property
    def flying(self) -> bool:
        """Launched and not yet landed."""
        return self.launched_at is not None and self.landed_at is None

    @property
    def open_docking(self) -> Docking | None:
        """The docking the flight is in now, if any."""
        if self.dockings and self.dockings[-1].departure is None:
            return self.dockings[-1]
        return None

    def astronauts(self) -> set[int]:
        """Every astronaut that rode this flight in any role."""
        seats = (*self.launch_crew, *self.onboard_crew, *self.landing_crew)
        return {seat.astronaut for seat in (*seats, *self.crew_aboard)}


def apply(state: FlightState, kind: str, at: datetime, event: Model) -> FlightState:
    """Fold one event into the flight, or raise ``RuleViolation`` saying why not."""
    if state.last_occurred is not None and at < state.last_occurred:
        raise RuleViolation(
            "time_order",
            f"occurred_at {at:%Y-%m-%dT%H:%M:%SZ} is before the flight's previous "
            f"event at {state.last_occurred:%Y-%m-%dT%H:%M:%SZ}; "
            "times never go backwards within a flight",
        )
    if kind != "launch" and state.launched_at is None:
        raise RuleViolation(
            "launch_first",
            f"flight {state.id} has not launched; its first event must be a launch",
        )
    state = replace(state, version=state.version + 1, last_occurred=at)
    match event:
        case Launched():
            return _launch(state, at, event)
        case Docked():
            return _dock(state, at, event)
        case Undocked():
            return _undock(state, at, event)
        case CrewSwapped():
            return _swap_crew(state, event)
        case Landed():
            return _land(state, at, event)
    raise TypeError(f"not a flight event: {type(event).__name__}")


def _launch(state: FlightState, at: datetime, event: Launched) -> FlightState:
    if state.launched_at is not None:
        raise RuleViolation("launch_once", f"flight {state.id} has already launched")
    _unique_seats(event.launch_crew, "launch_crew")
    return replace(
        state,
        spacecraft=event.spacecraft,
        launch=event.launch,
        destination=event.destination,
        launched_at=at,
        launch_crew=event.launch_crew,
        crew_aboard=event.launch_crew,
    )


def _dock(state: FlightState, at: datetime, event: Docked) -> FlightState:
    _require_flying(state, "dock")
    open_docking = state.open_docking
    if open_docking is not None:
        raise RuleViolation(
            "dock_while_undocked",
            f"flight {state.id} is still docked (docking event {open_docking.id}); "
            "undock first",
        )
    if any(d.id == event.docking_event for d in state.dockings):
        raise RuleViolation(
            "docking_id_unique",
            f"docking event {event.docking_event} is already part of this flight",
        )
    docking = Docking(
        event.docking_event, event.spacestation, event.docking_location, at
    )
    return replace(state, dockings=(*state.dockings, docking))


def _undock(state: FlightState, at: datetime, event: Undocked) -> FlightState:
    _require_flying(state, "undock")
    open_docking = state.open_docking
    if open_docking is None:
        raise RuleViolation("undock_open", f"flight {state.id} is not docked")
    if open_docking.id != event.docking_event:
        raise RuleViolation(
            "undock_open",
            f"the open docking of flight {state.id} is {open_docking.id}, "
            f"not {event.docking_event}",
        )
    closed = replace(open_docking, departure=at)
    return replace(state, dockings=(*state.dockings[:-1], closed))


def _swap_crew(state: FlightState, event: CrewSwapped) -> FlightState:
    _require_flying(state, "crew_swap")
    _unique_seats(event.landing_crew, "landing_crew")
    _unique_seats(event.onboard_crew, "onboard_crew")
    return replace(
        state, crew_aboard=event.landing_crew, onboard_crew=event.onboard_crew
    )


def _land(state: FlightState, at: datetime, event: Landed) -> FlightState:
    _require_flying(state, "landing")
    if state.open_docking is not None:
        raise RuleViolation(
            "land_after_undock",
            f"flight {state.id} is still docked (docking event "
            f"{state.open_docking.id}); undock before landing",
        )
    return replace(
        state, landing=event.landing, landed_at=at, landing_crew=state.crew_aboard
    )


def _require_flying(state: FlightState, kind: str) -> None:
    if state.landed_at is not None:
        raise RuleViolation(
            "while_flying",
            f"flight {state.id} landed at {state.landed_at:%Y-%m-%dT%H:%M:%SZ}; "
            f"a {kind} can only happen while flying",
        )


def _unique_seats(crew: tuple[CrewSeat, ...], field_name: str) -> None:
    astronauts = [seat.astronaut for seat in crew]
    if len(set(astronauts)) != len(astronauts):
        raise RuleViolation(
            "crew_unique", f"{field_name} names the same astronaut twice"
        )
