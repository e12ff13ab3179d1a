"""Reference data that flight documents embed, recorded and updated as events.

Each kind lives in streams ``<kind>-<id>``: ``<kind>_recorded`` states every
field once, ``<kind>_updated`` changes some of them later. Links (``url``) are
never stored; the read side builds them from ids.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

from pydantic import Field, create_model

from events.fields import (
    Bool,
    Count,
    Day,
    Id,
    IdName,
    Instant,
    Model,
    Name,
    Number,
    Text,
    Url,
)

ShortText = Annotated[str, Field(strict=True, max_length=255)]


class Agency(Model):
    """An agency (space agency or company)."""

    id: Id
    name: Name
    type: ShortText | None = None
    featured: Bool = False
    country_code: ShortText = ""
    abbrev: ShortText = ""
    description: Text | None = None
    administrator: ShortText | None = None
    founding_year: ShortText | None = None
    launchers: ShortText = ""
    spacecraft: ShortText = ""
    parent: ShortText | None = None
    image_url: Url | None = None
    logo_url: Url | None = None


class SpacecraftConfig(Model):
    """A spacecraft configuration (a model of vehicle) and who builds it."""

    id: Id
    name: Name
    type: IdName
    agency: Id
    in_use: Bool = False
    capability: Text = ""
    history: Text = ""
    details: Text = ""
    maiden_flight: Day | None = None
    height: Number | None = None
    diameter: Number | None = None
    human_rated: Bool = False
    crew_capacity: Count | None = None
    payload_capacity: Count | None = None
    payload_return_capacity: Count | None = None
    flight_life: ShortText | None = None
    image_url: Url | None = None
    nation_url: Url | None = None
    wiki_link: Url = ""
    info_link: Url = ""


class Spacecraft(Model):
    """One serial vehicle of a configuration."""

    id: Id
    name: Name
    serial_number: ShortText | None = None
    is_placeholder: Bool = False
    status: IdName
    description: Text = ""
    spacecraft_config: Id


class DockingLocation(Model):
    """A port of a station."""

    id: Id
    name: Name


class Spacestation(Model):
    """A space station and its docking ports."""

    id: Id
    name: Name
    status: IdName
    founded: Day | None = None
    description: Text = ""
    orbit: ShortText = ""
    image_url: Url | None = None
    docking_locations: Annotated[
        tuple[DockingLocation, ...], Field(max_length=200)
    ] = ()


class HistoryOutsideLog(Model):
    """An astronaut's spaceflight that the log does not hold as flight events."""

    launches: Annotated[tuple[Instant, ...], Field(max_length=100)] = ()
    time_in_space: Annotated[int, Field(strict=True, ge=0, le=10**10)] = 0


class Astronaut(Model):
    """A person (or a test dummy) who flies."""

    id: Id
    name: Name
    type: IdName
    status: IdName
    agency: Id | None = None
    date_of_birth: Day | None = None
    date_of_death: Day | None = None
    nationality: ShortText = ""
    twitter: Url | None = None
    instagram: Url | None = None
    bio: Text = ""
    profile_image: Url | None = None
    wiki: Url | None = None
    history_outside_log: HistoryOutsideLog = HistoryOutsideLog()


class LaunchStatus(Model):
    """A launch status or precision value: ``{id, name, abbrev, description}``."""

    id: Id
    name: Name
    abbrev: ShortText = ""
    description: Text = ""


class AgencyRef(Model):
    """The four-field agency that launches and programs embed."""

    id: Id
    name: Name
    type: ShortText | None = None


class LauncherConfig(Model):
    """The rocket model."""

    id: Id
    name: Name
    family: ShortText = ""
    full_name: ShortText = ""
    variant: ShortText = ""


class Rocket(Model):
    """The rocket that flew the launch."""

    id: Id
    configuration: LauncherConfig


class Orbit(Model):
    """A target orbit: ``{id, name, abbrev}``."""

    id: Id
    name: Name
    abbrev: ShortText = ""


class Mission(Model):
    """What the launch was for."""

    id: Id
    name: Name
    description: Text = ""
    launch_designator: ShortText | None = None
    type: ShortText = ""
    orbit: Orbit | None = None
    agencies: Annotated[tuple[AgencyRef, ...], Field(max_length=50)] = ()
    info_urls: Annotated[tuple[Url, ...], Field(max_length=50)] = ()
    vid_urls: Annotated[tuple[Url, ...], Field(max_length=50)] = ()


class PadLocation(Model):
    """The launch site around a pad."""

    id: Id
    name: Name
    country_code: ShortText = ""
    description: Text | None = ""
    map_image: Url | None = None
    timezone_name: ShortText = ""
    total_launch_count: Count = 0
    total_landing_count: Count = 0


class Pad(Model):
    """The pad the launch lifted off from."""

    id: Id
    agency_id: Id | None = None
    name: Name
    description: Text | None = None
    info_url: Url | None = None
    wiki_url: Url | None = ""
    map_url: Url | None = ""
    latitude: ShortText | None = None
    longitude: ShortText | None = None
    location: PadLocation
    country_code: ShortText = ""
    map_image: Url | None = None
    total_launch_count: Count = 0
    orbital_launch_attempt_count: Count = 0


class Program(Model):
    """A programme the launch belongs to."""

    id: Id
    name: Name
    description: Text = ""
    agencies: Annotated[tuple[AgencyRef, ...], Field(max_length=50)] = ()
    image_url: Url | None = None
    start_date: Instant | None = None
    end_date: Instant | None = None
    info_url: Url | None = None
    wiki_url: Url | None = None
    mission_patches: Annotated[tuple[Url, ...], Field(max_length=0)] = ()
    type: IdName | None = None


class Launch(Model):
    """A launch as LL2 describes it; flights embed it."""

    id: Annotated[str, Field(strict=True, pattern=r"^[0-9a-f-]{36}$")]
    slug: ShortText = ""
    name: Name
    status: LaunchStatus | None = None
    last_updated: Instant | None = None
    net: Instant
    window_end: Instant | None = None
    window_start: Instant | None = None
    net_precision: LaunchStatus | None = None
    probability: Annotated[int, Field(strict=True, ge=-1, le=100)] | None = -1
    weather_concerns: Text | None = None
    holdreason: Text | None = ""
    failreason: Text | None = ""
    hashtag: ShortText | None = None
    launch_service_provider: AgencyRef | None = None
    rocket: Rocket | None = None
    mission: Mission | None = None
    pad: Pad | None = None
    webcast_live: Bool = False
    image: Url | None = None
    infographic: Url | None = None
    program: Annotated[tuple[Program, ...], Field(max_length=50)] = ()
    orbital_launch_attempt_count: Count | None = None
    location_launch_attempt_count: Count | None = None
    pad_launch_attempt_count: Count | None = None
    agency_launch_attempt_count: Count | None = None
    orbital_launch_attempt_count_year: Count | None = None
    location_launch_attempt_count_year: Count | None = None
    pad_launch_attempt_count_year: Count | None = None
    agency_launch_attempt_count_year: Count | None = None
    type: ShortText = "normal"


REFERENCE_KINDS: dict[str, type[Model]] = {
    "agency": Agency,
    "spacecraft_config": SpacecraftConfig,
    "spacecraft": Spacecraft,
    "spacestation": Spacestation,
    "astronaut": Astronaut,
    "launch": Launch,
}
# One entity of each kind as the API description names it, article included.
REFERENCE_NAMES = {
    "agency": "an agency",
    "spacecraft_config": "a spacecraft configuration",
    "spacecraft": "a spacecraft",
    "spacestation": "a space station",
    "astronaut": "an astronaut",
    "launch": "a launch",
}


def _partial(kind: str, record: type[Model]) -> type[Model]:
    """An update payload: any subset of the record's fields except its id."""
    fields: dict[str, Any] = {
        name: (Optional[info.annotation], None)  # noqa: UP045
        for name, info in record.model_fields.items()
        if name != "id"
    }
    return create_model(
        f"{record.__name__}Updated",
        __base__=Model,
        __doc__=f"Some fields of {REFERENCE_NAMES[kind]} changed.",
        **fields,
    )


UPDATES: dict[str, type[Model]] = {
    kind: _partial(kind, record) for kind, record in REFERENCE_KINDS.items()
}
