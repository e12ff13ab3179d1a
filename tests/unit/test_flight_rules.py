"""The flight lifecycle: each rule refuses what it must, and says why."""

from datetime import UTC, datetime, timedelta

import pytest

from events.errors import RuleViolation
from events.flight import (
    CrewSeat,
    CrewSwapped,
    Docked,
    FlightState,
    Landed,
    Launched,
    Role,
    Undocked,
    apply,
)

T0 = datetime(1978, 8, 26, 14, 51, 30, tzinfo=UTC)
UUID = "ebd27066-16ca-4039-ac18-858aa79201e6"
COMMANDER = Role(id=1, role="Commander", priority=0)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def launched() -> FlightState:
    crew = (CrewSeat(id=1, astronaut=84, role=COMMANDER),)
    event = Launched(spacecraft=153, launch=UUID, launch_crew=crew)
    return apply(FlightState(id=325), "launch", T0, event)


def test_launch_sets_the_crew_aboard_and_the_version() -> None:
    state = launched()
    assert (state.version, state.launched_at, state.flying) == (1, T0, True)
    assert [s.astronaut for s in state.crew_aboard] == [84]


def test_a_second_launch_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        apply(launched(), "launch", at(1), Launched(spacecraft=153, launch=UUID))
    assert refused.value.rule == "launch_once"


def test_nothing_happens_before_the_launch() -> None:
    with pytest.raises(RuleViolation) as refused:
        apply(FlightState(id=9), "undock", T0, Undocked(docking_event=1))
    assert refused.value.rule == "launch_first"
    assert "has not launched" in refused.value.detail


def test_docking_twice_without_undocking_is_refused() -> None:
    docked = apply(
        launched(),
        "dock",
        at(1),
        Docked(docking_event=189, spacestation=14, docking_location=9),
    )
    with pytest.raises(RuleViolation) as refused:
        apply(
            docked,
            "dock",
            at(2),
            Docked(docking_event=190, spacestation=14, docking_location=4),
        )
    assert refused.value.rule == "dock_while_undocked"
    assert "189" in refused.value.detail


def test_undock_must_name_the_open_docking() -> None:
    docked = apply(
        launched(),
        "dock",
        at(1),
        Docked(docking_event=189, spacestation=14, docking_location=9),
    )
    with pytest.raises(RuleViolation) as refused:
        apply(docked, "undock", at(2), Undocked(docking_event=190))
    assert refused.value.rule == "undock_open"
    undocked = apply(docked, "undock", at(2), Undocked(docking_event=189))
    assert undocked.dockings[0].departure == at(2)


def test_landing_while_docked_is_refused() -> None:
    docked = apply(
        launched(),
        "dock",
        at(1),
        Docked(docking_event=189, spacestation=14, docking_location=9),
    )
    with pytest.raises(RuleViolation) as refused:
        apply(docked, "landing", at(3), Landed())
    assert refused.value.rule == "land_after_undock"


def test_nothing_follows_the_landing() -> None:
    landed = apply(launched(), "landing", at(5), Landed())
    for kind, event in [
        ("landing", Landed()),
        ("crew_swap", CrewSwapped(landing_crew=())),
        ("dock", Docked(docking_event=1, spacestation=14, docking_location=9)),
    ]:
        with pytest.raises(RuleViolation) as refused:
            apply(landed, kind, at(6), event)
        assert refused.value.rule == "while_flying"


def test_times_never_go_backwards() -> None:
    with pytest.raises(RuleViolation) as refused:
        apply(launched(), "landing", at(-1), Landed())
    assert refused.value.rule == "time_order"
    assert "1978-08-26T13:51:30Z" in refused.value.detail


def test_landing_crew_is_the_crew_aboard_after_a_swap() -> None:
    swap = CrewSwapped(landing_crew=(CrewSeat(id=2854, astronaut=172, role=COMMANDER),))
    swapped = apply(launched(), "crew_swap", at(1), swap)
    landed = apply(swapped, "landing", at(2), Landed())
    assert [s.astronaut for s in landed.landing_crew] == [172]
    assert landed.astronauts() == {84, 172}


def test_a_crew_naming_an_astronaut_twice_is_refused() -> None:
    seat = CrewSeat(id=1, astronaut=84, role=COMMANDER)
    with pytest.raises(RuleViolation) as refused:
        apply(launched(), "crew_swap", at(1), CrewSwapped(landing_crew=(seat, seat)))
    assert refused.value.rule == "crew_unique"
