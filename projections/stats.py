"""Counters and durations derived from flights: never stored, always folded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from events.flight import FlightState
from events.reference import Astronaut
from projections.values import Elapsed


@dataclass(frozen=True)
class SpacecraftStats:
    """What a spacecraft's flights add up to."""

    in_space: bool
    time_in_space: Elapsed
    time_docked: Elapsed
    flights_count: int
    mission_ends_count: int


@dataclass(frozen=True)
class AstronautStats:
    """What an astronaut's trips add up to."""

    in_space: bool
    time_in_space: Elapsed
    first_flight: datetime | None
    last_flight: datetime | None


def spacecraft_stats(flights: Iterable[FlightState]) -> SpacecraftStats:
    """Sum mission end minus launch, and departure minus docking, over flights."""
    flown = [f for f in flights if f.launched_at is not None]
    in_space, docked = _Spans(), _Spans()
    for flight in flown:
        assert flight.launched_at is not None
        in_space.add(flight.launched_at, flight.landed_at)
        for docking in flight.dockings:
            docked.add(docking.docking, docking.departure)
    return SpacecraftStats(
        in_space=any(f.landed_at is None for f in flown),
        time_in_space=in_space.elapsed(),
        time_docked=docked.elapsed(),
        flights_count=len(flown),
        mission_ends_count=sum(1 for f in flown if f.landed_at is not None),
    )


def astronaut_stats(
    astronaut: Astronaut, flights: Iterable[FlightState]
) -> AstronautStats:
    """Pair each launch the astronaut went up on with the landing that brought
    them home, add the history recorded outside the log."""
    launches: list[datetime] = []
    moves: list[tuple[datetime, int]] = []
    for flight in flights:
        if flight.launched_at is None:
            continue
        if any(s.astronaut == astronaut.id for s in flight.launch_crew):
            launches.append(flight.launched_at)
            moves.append((flight.launched_at, 0))
        if flight.landed_at is not None and any(
            s.astronaut == astronaut.id for s in flight.landing_crew
        ):
            moves.append((flight.landed_at, 1))

    spans = _Spans(astronaut.history_outside_log.time_in_space)
    up: datetime | None = None
    for moment, is_landing in sorted(moves):
        if not is_landing:
            up = up or moment
        elif up is not None:
            spans.add(up, moment)
            up = None
    if up is not None:
        spans.add(up, None)

    known = [*launches, *astronaut.history_outside_log.launches]
    return AstronautStats(
        in_space=up is not None,
        time_in_space=spans.elapsed(),
        first_flight=min(known, default=None),
        last_flight=max(known, default=None),
    )


class _Spans:
    """Closed spans summed as ``timedelta`` (exact microseconds), so that the
    total does not depend on the order the flights are handed over in, as a
    sum of floats would; open spans are kept for the request to finish."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.closed = timedelta(seconds=seconds)
        self.running: list[datetime] = []

    def add(self, start: datetime, end: datetime | None) -> None:
        if end is None:
            self.running.append(start)
        else:
            self.closed += end - start

    def elapsed(self) -> Elapsed:
        return Elapsed(self.closed.total_seconds(), tuple(sorted(self.running)))
