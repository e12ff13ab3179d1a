"""What the HTTP API sends, as pydantic models: the source of the OpenAPI schemas.

The read shapes mirror ``projections.documents`` and ``projections.launch``
field for field and in the same key order; ``tests/e2e/test_openapi.py``
validates real seeded responses against them and compares the key order, so
the two cannot drift apart. Every key is always present: nullable fields are
``None``, never missing, as in LL2.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from events.fields import IdName
from events.flight import Role

Link = Annotated[
    str,
    Field(
        json_schema_extra={"format": "uri"},
        description="absolute URL; ends with ?format=… when the request had one",
    ),
]
DateTime = Annotated[
    str,
    Field(json_schema_extra={"format": "date-time"}, examples=["1978-08-26T14:51:30Z"]),
]
Date = Annotated[str, Field(json_schema_extra={"format": "date"})]
Duration = Annotated[
    str,
    Field(
        pattern=r"^P",
        description="ISO 8601 duration",
        examples=["P67DT20H12M47S", "PT4H55M44S", "P0D"],
    ),
]


class Shape(BaseModel):
    """Base of every response shape: exactly these keys, in this order."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AgencyMini(Shape):
    """The four-field agency embedded in astronauts, configurations and launches."""

    id: int
    url: Link
    name: str
    type: str | None


class AgencyDetailed(Shape):
    """The full agency of a spacecraft configuration."""

    id: int
    url: Link
    name: str
    featured: bool
    type: str | None
    country_code: str
    abbrev: str
    description: str | None
    administrator: str | None
    founding_year: str | None
    launchers: str
    spacecraft: str
    parent: str | None
    image_url: str | None
    logo_url: str | None


class AstronautNoFlights(Shape):
    """An astronaut as a crew seat embeds it; counters folded from the log."""

    id: int
    url: Link
    name: str
    type: IdName
    in_space: bool
    time_in_space: Duration
    status: IdName
    agency: AgencyMini | None
    date_of_birth: Date | None
    date_of_death: Date | None
    nationality: str
    twitter: str | None
    instagram: str | None
    bio: str
    profile_image: str | None
    wiki: str | None
    last_flight: DateTime | None
    first_flight: DateTime | None


class AstronautFlight(Shape):
    """One seat of a crew: the seat id, the role and the astronaut."""

    id: int
    role: Role
    astronaut: AstronautNoFlights


class SpacecraftConfigDetailed(Shape):
    """The configuration (model of vehicle) of a flight's spacecraft."""

    id: int
    url: Link
    name: str
    type: IdName
    agency: AgencyDetailed
    in_use: bool
    capability: str
    history: str
    details: str
    maiden_flight: Date | None
    height: float | None
    diameter: float | None
    human_rated: bool
    crew_capacity: int | None
    payload_capacity: int | None
    payload_return_capacity: int | None
    flight_life: str | None
    image_url: str | None
    nation_url: str | None
    wiki_link: str
    info_link: str


class SpacecraftConfigMini(Shape):
    """The smaller configuration of list items."""

    id: int
    url: Link
    name: str
    type: IdName
    agency: AgencyMini
    in_use: bool
    image_url: str | None


class SpacecraftDetailedNoFlights(Shape):
    """The flight's spacecraft in the detail shape; counters folded from the log."""

    id: int
    url: Link
    name: str
    serial_number: str | None
    is_placeholder: bool
    in_space: bool
    time_in_space: Duration
    time_docked: Duration
    flights_count: int
    mission_ends_count: int
    status: IdName
    description: str
    spacecraft_config: SpacecraftConfigDetailed


class SpacecraftMini(Shape):
    """The flight's spacecraft in list items."""

    id: int
    url: Link
    name: str
    serial_number: str | None
    is_placeholder: bool
    in_space: bool
    time_in_space: Duration
    time_docked: Duration
    flights_count: int
    mission_ends_count: int
    status: IdName
    description: str
    spacecraft_config: SpacecraftConfigMini


class DescribedLookup(Shape):
    """A launch status, a NET precision or a landing type."""

    id: int
    name: str
    abbrev: str
    description: str


class LauncherConfigMini(Shape):
    """The rocket model."""

    id: int
    url: Link
    name: str
    family: str
    full_name: str
    variant: str


class RocketMini(Shape):
    """The rocket of a launch."""

    id: int
    configuration: LauncherConfigMini


class OrbitMini(Shape):
    """A target orbit."""

    id: int
    name: str
    abbrev: str


class MissionDetail(Shape):
    """What a launch was for."""

    id: int
    name: str
    description: str
    launch_designator: str | None
    type: str
    orbit: OrbitMini | None
    agencies: list[AgencyMini]
    info_urls: list[str]
    vid_urls: list[str]


class PadLocationDetail(Shape):
    """The launch site around a pad."""

    id: int
    url: Link
    name: str
    country_code: str
    description: str | None
    map_image: str | None
    timezone_name: str
    total_launch_count: int
    total_landing_count: int


class PadDetail(Shape):
    """The pad a launch lifted off from."""

    id: int
    url: Link
    agency_id: int | None
    name: str
    description: str | None
    info_url: str | None
    wiki_url: str | None
    map_url: str | None
    latitude: str | None
    longitude: str | None
    location: PadLocationDetail
    country_code: str
    map_image: str | None
    total_launch_count: int
    orbital_launch_attempt_count: int


class ProgramMini(Shape):
    """A programme a launch belongs to."""

    id: int
    url: Link
    name: str
    description: str
    agencies: list[AgencyMini]
    image_url: str | None
    start_date: DateTime | None
    end_date: DateTime | None
    info_url: str | None
    wiki_url: str | None
    mission_patches: list[str]
    type: IdName | None


class LaunchCommon(Shape):
    """The launch a flight lifted off on (LL2's ``LaunchSerializerCommon``)."""

    id: Annotated[str, Field(json_schema_extra={"format": "uuid"})]
    url: Link
    slug: str
    name: str
    status: DescribedLookup | None
    last_updated: DateTime | None
    net: DateTime
    window_end: DateTime | None
    window_start: DateTime | None
    net_precision: DescribedLookup | None
    probability: int | None
    weather_concerns: str | None
    holdreason: str | None
    failreason: str | None
    hashtag: str | None
    launch_service_provider: AgencyMini | None
    rocket: RocketMini | None
    mission: MissionDetail | None
    pad: PadDetail | None
    webcast_live: bool
    image: str | None
    infographic: str | None
    program: list[ProgramMini]
    orbital_launch_attempt_count: int | None
    location_launch_attempt_count: int | None
    pad_launch_attempt_count: int | None
    agency_launch_attempt_count: int | None
    orbital_launch_attempt_count_year: int | None
    location_launch_attempt_count_year: int | None
    pad_launch_attempt_count_year: int | None
    agency_launch_attempt_count_year: int | None
    type: str


class LandingLocationDetail(Shape):
    """Where a flight came down."""

    id: int
    name: str
    abbrev: str
    description: str
    location: IdName | None
    successful_landings: int


class Landing(Shape):
    """How a flight's landing went; ``null`` on the flight when unknown."""

    id: int
    attempt: bool | None
    success: bool | None
    description: str
    downrange_distance: float | None
    location: LandingLocationDetail | None
    type: DescribedLookup | None


class SpacestationDocked(Shape):
    """The station of a docking."""

    id: int
    url: Link
    name: str
    status: IdName
    founded: Date | None
    description: str
    orbit: str
    image_url: str | None


class SpacestationMini(Shape):
    """The station a docking port belongs to."""

    id: int
    url: Link
    name: str


class DockingLocationDetail(Shape):
    """A docking port."""

    id: int
    name: str
    spacestation: SpacestationMini


class DockingEvent(Shape):
    """One docking of the flight; ``departure`` is ``null`` while docked."""

    id: int
    spacestation: SpacestationDocked
    docking: DateTime
    departure: DateTime | None
    docking_location: DockingLocationDetail


class SpacecraftFlightDetailed(Shape):
    """A flight in the detail shape (``/2.2.0/spacecraft/flight/{id}/``)."""

    id: int
    url: Link
    mission_end: DateTime | None
    destination: str | None
    launch_crew: list[AstronautFlight]
    onboard_crew: list[AstronautFlight]
    landing_crew: list[AstronautFlight]
    spacecraft: SpacecraftDetailedNoFlights
    launch: LaunchCommon
    landing: Landing | None
    docking_events: list[DockingEvent]


class SpacecraftFlight(Shape):
    """A flight as a list item; ``mode=detailed`` lists the detail shape instead."""

    id: int
    url: Link
    destination: str | None
    mission_end: DateTime | None
    spacecraft: SpacecraftMini
    launch: LaunchCommon
    landing: Landing | None


class PaginatedSpacecraftFlightList(Shape):
    """One page of flights, newest first."""

    count: int = Field(ge=0)
    next: Link | None
    previous: Link | None
    results: list[SpacecraftFlight | SpacecraftFlightDetailed]


class AppendedEvent(Shape):
    """The stored event a POST appended (or had appended, for a retry)."""

    stream: str = Field(examples=["flight-9001"])
    version: int = Field(ge=1)
    type: str
    occurred_at: DateTime
    recorded_at: DateTime
    operator: str
    request_id: str


class RebuildStatus(Shape):
    """A rebuild asked for over HTTP: who asked, when, and how it went."""

    id: str = Field(pattern="^[0-9a-f]{32}$")
    url: str = Field(examples=["/2.2.0/rebuild/0123456789abcdef0123456789abcdef/"])
    state: Literal["running", "done", "failed", "abandoned"]
    requested_by: str
    requested_at: DateTime
    finished_at: DateTime | None
    documents: int | None = Field(ge=0, description="documents swapped in, once done")


class BusyError(Shape):
    """Work already under way: what it is and the id of the one running."""

    detail: str
    running: str


class ErrorDetail(Shape):
    """Most errors: a sentence saying what went wrong."""

    detail: str


class InvalidInputError(Shape):
    """A malformed operator request: the fields at fault and why."""

    detail: str
    errors: dict[str, list[str]]


class RuleViolationError(Shape):
    """An event that breaks a flight rule: the rule's name and why."""

    detail: str
    rule: str = Field(examples=["launch_once", "undock_open", "time_order"])


class ServerError(Shape):
    """An unexpected failure; the request id is also in the log line."""

    detail: str
    request_id: str


class FieldErrors(RootModel[dict[str, list[str]]]):
    """A read request's 400 in DRF's shape: parameter name to messages."""


ERROR_MODELS: tuple[type[BaseModel], ...] = (
    ErrorDetail,
    InvalidInputError,
    RuleViolationError,
    ServerError,
    FieldErrors,
    BusyError,
)
READ_MODELS: tuple[type[BaseModel], ...] = (
    SpacecraftFlightDetailed,
    PaginatedSpacecraftFlightList,
)
