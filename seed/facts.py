"""What LL2 documents state, as facts: reference fields and flight timelines.

Accepts a flight detail, a flight list item or list page, a spacecraft detail
with its flights, an astronaut detail or list page, and a 2.1.0 docking-event
list. Counters (``time_in_space``, ``flights_count``...) are never taken as
facts: the read side derives them. Only an astronaut's stated totals are kept,
to record the part of their history that lies outside the log.

With ``strip_prose`` every free text the sources wrote (descriptions, bios,
histories, reasons) is left empty, at any depth. The descriptions of
vocabulary values (a launch status, a NET precision, a landing type) define
the value rather than tell about a flight, and are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from events.catalog import stream_name

Json = dict[str, Any]

PROSE = frozenset(
    {
        "description",
        "bio",
        "history",
        "details",
        "capability",
        "administrator",
        "failreason",
        "holdreason",
        "weather_concerns",
    }
)
# Keys whose object is a value from LL2's fixed vocabulary: its text defines it.
VOCABULARY = frozenset({"status", "net_precision", "type"})


@dataclass
class FlightFacts:
    """One flight's timeline as a source states it."""

    id: int
    spacecraft: int | None = None
    launch: str | None = None
    net: str | None = None
    destination: str | None = None
    launch_crew: list[Json] | None = None
    onboard_crew: list[Json] | None = None
    landing_crew: list[Json] | None = None
    dockings: dict[int, Json] = field(default_factory=dict)
    mission_end: str | None = None
    landing: Json | None = None


@dataclass
class AstronautTotals:
    """An astronaut's totals as the source states them."""

    time_in_space: str
    first_flight: str | None
    last_flight: str | None


@dataclass
class Facts:
    """Everything a set of documents states; later documents win."""

    references: dict[str, Json] = field(default_factory=dict)
    flights: dict[int, FlightFacts] = field(default_factory=dict)
    totals: dict[int, AstronautTotals] = field(default_factory=dict)
    location_stations: dict[int, int] = field(default_factory=dict)
    strip_prose: bool = False

    def add(self, document: Json) -> None:
        """Take in one LL2 document of any supported kind."""
        if "results" in document:
            for item in document["results"]:
                self.add(item)
        elif "flight_vehicle" in document:
            self._docking_210(document)
        elif "launch_crew" in document or "mission_end" in document:
            self._flight(document)
        elif "serial_number" in document and "flights" in document:
            self._spacecraft(document)
            for flight in document["flights"]:
                self._flight(flight)
        elif "date_of_birth" in document:
            self._astronaut(document)
            for flight in document.get("landings", []):
                self._flight(flight)
        else:
            raise ValueError("no flight, spacecraft, astronaut or docking event in it")

    def _reference(self, kind: str, fields: Json) -> None:
        fields = {k: v for k, v in fields.items() if k != "url"}
        if self.strip_prose:
            fields = without_prose(fields)
        stream = stream_name(kind, fields["id"])
        self.references.setdefault(stream, {}).update(fields)

    def _agency(self, agency: Json | None) -> int | None:
        if agency is None:
            return None
        self._reference("agency", agency)
        return int(agency["id"])

    def _config(self, config: Json) -> int:
        fields = dict(config)
        fields["agency"] = self._agency(config["agency"])
        self._reference("spacecraft_config", fields)
        return int(config["id"])

    def _spacecraft(self, craft: Json) -> int:
        fields: Json = {
            key: craft[key]
            for key in (
                "id",
                "name",
                "serial_number",
                "is_placeholder",
                "status",
                "description",
            )
            if key in craft
        }
        fields["spacecraft_config"] = self._config(craft["spacecraft_config"])
        self._reference("spacecraft", fields)
        return int(craft["id"])

    def _astronaut(self, person: Json) -> int:
        fields = {
            key: value
            for key, value in person.items()
            if key
            not in {
                "in_space",
                "time_in_space",
                "first_flight",
                "last_flight",
                "flights",
                "landings",
                "profile_image_thumbnail",
                "flights_count",
                "landings_count",
                "age",
            }
        }
        fields["agency"] = self._agency(person.get("agency"))
        self._reference("astronaut", fields)
        if "time_in_space" in person:
            self.totals[int(person["id"])] = AstronautTotals(
                person["time_in_space"],
                person.get("first_flight"),
                person.get("last_flight"),
            )
        return int(person["id"])

    def _crew(self, seats: list[Json]) -> list[Json]:
        crew = []
        for seat in seats:
            person = seat["astronaut"]
            astronaut = person if isinstance(person, int) else self._astronaut(person)
            crew.append(
                {"id": seat["id"], "astronaut": astronaut, "role": seat["role"]}
            )
        return crew

    def _station(self, station: Json, location: Json | None = None) -> int:
        fields = {k: v for k, v in station.items() if k != "url"}
        stream = stream_name("spacestation", station["id"])
        known = self.references.get(stream, {}).get("docking_locations", [])
        locations = {loc["id"]: loc for loc in known}
        if location is not None:
            locations[location["id"]] = {"id": location["id"], "name": location["name"]}
            self.location_stations[int(location["id"])] = int(station["id"])
        fields["docking_locations"] = sorted(
            locations.values(), key=lambda loc: loc["id"]
        )
        self._reference("spacestation", fields)
        return int(station["id"])

    def _launch(self, launch: Json) -> str:
        self._reference("launch", _without_links(launch))
        return str(launch["id"])

    def _flight(self, flight: Json) -> None:
        facts = self.flights.setdefault(
            int(flight["id"]), FlightFacts(int(flight["id"]))
        )
        facts.destination = flight.get("destination", facts.destination)
        facts.mission_end = flight.get("mission_end", facts.mission_end)
        if "spacecraft" in flight:
            facts.spacecraft = self._spacecraft(flight["spacecraft"])
        if flight.get("launch"):
            facts.launch = self._launch(flight["launch"])
            facts.net = flight["launch"]["net"]
        for role in ("launch_crew", "onboard_crew", "landing_crew"):
            if role in flight:
                setattr(facts, role, self._crew(flight[role]))
        if flight.get("landing") is not None:
            landing = dict(flight["landing"])
            facts.landing = without_prose(landing) if self.strip_prose else landing
        for docking in flight.get("docking_events", []):
            location = docking["docking_location"]
            station = self._station(docking["spacestation"], location)
            facts.dockings[int(docking["id"])] = {
                "id": docking["id"],
                "spacestation": station,
                "docking_location": location["id"],
                "docking": docking["docking"],
                "departure": docking["departure"],
            }

    def _docking_210(self, event: Json) -> None:
        vehicle = event["flight_vehicle"]
        self._flight({k: v for k, v in vehicle.items() if k != "url"})
        facts = self.flights[int(vehicle["id"])]
        facts.launch = facts.launch or event.get("launch_id")
        location = event["docking_location"]
        station = self.location_stations.get(int(location["id"]))
        facts.dockings.setdefault(
            int(event["id"]),
            {
                "id": event["id"],
                "spacestation": station,
                "docking_location": location["id"],
                "location_name": location["name"],
                "docking": event["docking"],
                "departure": event["departure"],
            },
        )


def without_prose(value: Any, vocabulary: bool = False) -> Any:
    """``value`` with every non-empty prose text, at any depth, made empty."""
    if isinstance(value, dict):
        return {
            key: (
                ""
                if key in PROSE and isinstance(item, str) and item and not vocabulary
                else without_prose(item, key in VOCABULARY)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [without_prose(item) for item in value]
    return value


def _without_links(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_links(v) for k, v in value.items() if k != "url"}
    if isinstance(value, list):
        return [_without_links(v) for v in value]
    return value
