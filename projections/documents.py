"""The pure fold from folded streams to LL2 ``SpacecraftFlightDetailed`` documents.

Nothing here reads a clock or a database: the same sources give the same
document. Links stay ``Link`` values and running durations ``Elapsed`` values
until a request fills them in (``projections.encoding``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from events.catalog import stream_name
from events.fields import Model
from events.flight import CrewSeat, FlightState
from events.reference import (
    Agency,
    AgencyRef,
    Astronaut,
    Launch,
    Spacecraft,
    SpacecraftConfig,
    Spacestation,
)
from projections.launch import launch_document
from projections.stats import astronaut_stats, spacecraft_stats
from projections.values import Link, day, instant

API = "/2.2.0"
Document = dict[str, Any]


@dataclass
class Sources:
    """Folded flights and reference entities a set of documents is made from."""

    flights: dict[int, FlightState] = field(default_factory=dict)
    references: dict[str, Model] = field(default_factory=dict)
    _by: tuple[dict[int, list[FlightState]], dict[int, list[FlightState]]] | None = (
        field(default=None, repr=False)
    )

    def get(self, kind: str, key: int | str, model: type[Any]) -> Any:
        """The reference entity ``kind-key``; it exists, the appender checked."""
        found = self.references.get(stream_name(kind, key))
        if not isinstance(found, model):
            raise LookupError(f"{stream_name(kind, key)} is not in the sources")
        return found

    def flights_of_spacecraft(self, spacecraft: int) -> list[FlightState]:
        """The given flights that flew on ``spacecraft``."""
        return self._index()[0].get(spacecraft, [])

    def flights_of_astronaut(self, astronaut: int) -> list[FlightState]:
        """The given flights that carried ``astronaut`` in any role."""
        return self._index()[1].get(astronaut, [])

    def _index(
        self,
    ) -> tuple[dict[int, list[FlightState]], dict[int, list[FlightState]]]:
        if self._by is None:
            by_craft: dict[int, list[FlightState]] = {}
            by_person: dict[int, list[FlightState]] = {}
            for flight in self.flights.values():
                if flight.spacecraft is not None:
                    by_craft.setdefault(flight.spacecraft, []).append(flight)
                for person in flight.astronauts():
                    by_person.setdefault(person, []).append(flight)
            self._by = (by_craft, by_person)
        return self._by


def upstream(route: str, key: int | str) -> Link:
    return Link("upstream", f"{API}/{route}/{key}/")


def flight_link(flight_id: int) -> Link:
    return Link("self", f"{API}/spacecraft/flight/{flight_id}/")


def flight_detail(flight: FlightState, sources: Sources) -> Document:
    """The detail document of one launched flight."""
    return {
        "id": flight.id,
        "url": flight_link(flight.id),
        "mission_end": instant(flight.landed_at),
        "destination": flight.destination,
        "launch_crew": _crew(flight.launch_crew, sources),
        "onboard_crew": _crew(flight.onboard_crew, sources),
        "landing_crew": _crew(flight.landing_crew, sources),
        "spacecraft": _spacecraft(flight, sources, detailed=True),
        "launch": launch_document(sources.get("launch", flight.launch or "", Launch)),
        "landing": _landing(flight),
        "docking_events": _dockings(flight, sources),
    }


def flight_item(flight: FlightState, sources: Sources) -> Document:
    """The smaller list item of one flight (LL2's ``SpacecraftFlight``)."""
    return {
        "id": flight.id,
        "url": flight_link(flight.id),
        "destination": flight.destination,
        "mission_end": instant(flight.landed_at),
        "spacecraft": _spacecraft(flight, sources, detailed=False),
        "launch": launch_document(sources.get("launch", flight.launch or "", Launch)),
        "landing": _landing(flight),
    }


def dependencies(flight: FlightState, sources: Sources) -> list[str]:
    """Every reference stream the flight's documents embed."""
    spacecraft = sources.get("spacecraft", flight.spacecraft or 0, Spacecraft)
    config = sources.get(
        "spacecraft_config", spacecraft.spacecraft_config, SpacecraftConfig
    )
    streams = {
        stream_name("spacecraft", spacecraft.id),
        stream_name("spacecraft_config", config.id),
        stream_name("agency", config.agency),
        stream_name("launch", flight.launch or ""),
    }
    for astronaut_id in flight.astronauts():
        streams.add(stream_name("astronaut", astronaut_id))
        astronaut = sources.get("astronaut", astronaut_id, Astronaut)
        if astronaut.agency is not None:
            streams.add(stream_name("agency", astronaut.agency))
    streams.update(stream_name("spacestation", d.spacestation) for d in flight.dockings)
    return sorted(streams)


def _crew(seats: Iterable[CrewSeat], sources: Sources) -> list[Document]:
    ordered = sorted(seats, key=lambda seat: (seat.role.priority, seat.id))
    return [
        {
            "id": seat.id,
            "role": seat.role.model_dump(),
            "astronaut": _astronaut(seat.astronaut, sources),
        }
        for seat in ordered
    ]


def _astronaut(astronaut_id: int, sources: Sources) -> Document:
    person = sources.get("astronaut", astronaut_id, Astronaut)
    stats = astronaut_stats(person, sources.flights_of_astronaut(astronaut_id))
    agency = None
    if person.agency is not None:
        agency = _agency_ref(sources.get("agency", person.agency, Agency))
    return {
        "id": person.id,
        "url": upstream("astronaut", person.id),
        "name": person.name,
        "type": person.type.model_dump(),
        "in_space": stats.in_space,
        "time_in_space": stats.time_in_space,
        "status": person.status.model_dump(),
        "agency": agency,
        "date_of_birth": day(person.date_of_birth),
        "date_of_death": day(person.date_of_death),
        "nationality": person.nationality,
        "twitter": person.twitter,
        "instagram": person.instagram,
        "bio": person.bio,
        "profile_image": person.profile_image,
        "wiki": person.wiki,
        "last_flight": instant(stats.last_flight),
        "first_flight": instant(stats.first_flight),
    }


def _spacecraft(flight: FlightState, sources: Sources, detailed: bool) -> Document:
    craft = sources.get("spacecraft", flight.spacecraft or 0, Spacecraft)
    stats = spacecraft_stats(sources.flights_of_spacecraft(craft.id))
    config = sources.get("spacecraft_config", craft.spacecraft_config, SpacecraftConfig)
    agency = sources.get("agency", config.agency, Agency)
    return {
        "id": craft.id,
        "url": upstream("spacecraft", craft.id),
        "name": craft.name,
        "serial_number": craft.serial_number,
        "is_placeholder": craft.is_placeholder,
        "in_space": stats.in_space,
        "time_in_space": stats.time_in_space,
        "time_docked": stats.time_docked,
        "flights_count": stats.flights_count,
        "mission_ends_count": stats.mission_ends_count,
        "status": craft.status.model_dump(),
        "description": craft.description,
        "spacecraft_config": (
            _config(config, agency) if detailed else _config_small(config, agency)
        ),
    }


def _config(config: SpacecraftConfig, agency: Agency) -> Document:
    return {
        "id": config.id,
        "url": upstream("config/spacecraft", config.id),
        "name": config.name,
        "type": config.type.model_dump(),
        "agency": _agency(agency),
        "in_use": config.in_use,
        "capability": config.capability,
        "history": config.history,
        "details": config.details,
        "maiden_flight": day(config.maiden_flight),
        "height": config.height,
        "diameter": config.diameter,
        "human_rated": config.human_rated,
        "crew_capacity": config.crew_capacity,
        "payload_capacity": config.payload_capacity,
        "payload_return_capacity": config.payload_return_capacity,
        "flight_life": config.flight_life,
        "image_url": config.image_url,
        "nation_url": config.nation_url,
        "wiki_link": config.wiki_link,
        "info_link": config.info_link,
    }


def _config_small(config: SpacecraftConfig, agency: Agency) -> Document:
    return {
        "id": config.id,
        "url": upstream("config/spacecraft", config.id),
        "name": config.name,
        "type": config.type.model_dump(),
        "agency": _agency_ref(agency),
        "in_use": config.in_use,
        "image_url": config.image_url,
    }


def _agency(agency: Agency) -> Document:
    fields = agency.model_dump(exclude={"id", "name"})
    return {
        "id": agency.id,
        "url": upstream("agencies", agency.id),
        "name": agency.name,
        "featured": fields["featured"],
        "type": fields["type"],
        **{
            key: fields[key]
            for key in (
                "country_code",
                "abbrev",
                "description",
                "administrator",
                "founding_year",
                "launchers",
                "spacecraft",
                "parent",
                "image_url",
                "logo_url",
            )
        },
    }


def _agency_ref(agency: Agency | AgencyRef) -> Document:
    return {
        "id": agency.id,
        "url": upstream("agencies", agency.id),
        "name": agency.name,
        "type": agency.type,
    }


def _landing(flight: FlightState) -> Document | None:
    if flight.landing is None:
        return None
    landing = flight.landing
    return {
        "id": landing.id,
        "attempt": landing.attempt,
        "success": landing.success,
        "description": landing.description,
        "downrange_distance": landing.downrange_distance,
        "location": None if landing.location is None else landing.location.model_dump(),
        "type": None if landing.type is None else landing.type.model_dump(),
    }


def _dockings(flight: FlightState, sources: Sources) -> list[Document]:
    ordered = sorted(flight.dockings, key=lambda d: (d.docking, d.id))
    documents = []
    for docking in ordered:
        station = sources.get("spacestation", docking.spacestation, Spacestation)
        location = next(
            loc for loc in station.docking_locations if loc.id == docking.location
        )
        documents.append(
            {
                "id": docking.id,
                "spacestation": {
                    "id": station.id,
                    "url": upstream("spacestation", station.id),
                    "name": station.name,
                    "status": station.status.model_dump(),
                    "founded": day(station.founded),
                    "description": station.description,
                    "orbit": station.orbit,
                    "image_url": station.image_url,
                },
                "docking": instant(docking.docking),
                "departure": instant(docking.departure),
                "docking_location": {
                    "id": location.id,
                    "name": location.name,
                    "spacestation": {
                        "id": station.id,
                        "url": upstream("spacestation", station.id),
                        "name": station.name,
                    },
                },
            }
        )
    return documents
