"""The ``launch`` object flights embed (LL2's ``LaunchSerializerCommon``)."""

from __future__ import annotations

from typing import Any

from events.reference import AgencyRef, Launch, Pad, Program
from projections.values import Link, instant

API = "/2.2.0"
_COUNTERS = (
    "orbital_launch_attempt_count",
    "location_launch_attempt_count",
    "pad_launch_attempt_count",
    "agency_launch_attempt_count",
    "orbital_launch_attempt_count_year",
    "location_launch_attempt_count_year",
    "pad_launch_attempt_count_year",
    "agency_launch_attempt_count_year",
)


def _link(route: str, key: int | str) -> Link:
    return Link("upstream", f"{API}/{route}/{key}/")


def launch_document(launch: Launch) -> dict[str, Any]:
    """The launch in LL2's key order, links left for the request to fill."""
    net_precision = launch.net_precision
    document: dict[str, Any] = {
        "id": launch.id,
        "url": _link("launch", launch.id),
        "slug": launch.slug,
        "name": launch.name,
        "status": None if launch.status is None else launch.status.model_dump(),
        "last_updated": instant(launch.last_updated),
        "net": instant(launch.net),
        "window_end": instant(launch.window_end),
        "window_start": instant(launch.window_start),
        "net_precision": None if net_precision is None else net_precision.model_dump(),
        "probability": launch.probability,
        "weather_concerns": launch.weather_concerns,
        "holdreason": launch.holdreason,
        "failreason": launch.failreason,
        "hashtag": launch.hashtag,
        "launch_service_provider": _agency(launch.launch_service_provider),
        "rocket": _rocket(launch),
        "mission": _mission(launch),
        "pad": _pad(launch.pad),
        "webcast_live": launch.webcast_live,
        "image": launch.image,
        "infographic": launch.infographic,
        "program": [_program(program) for program in launch.program],
    }
    document.update({name: getattr(launch, name) for name in _COUNTERS})
    document["type"] = launch.type
    return document


def _rocket(launch: Launch) -> dict[str, Any] | None:
    if launch.rocket is None:
        return None
    configuration = launch.rocket.configuration
    return {
        "id": launch.rocket.id,
        "configuration": {
            "id": configuration.id,
            "url": _link("config/launcher", configuration.id),
            **configuration.model_dump(exclude={"id"}),
        },
    }


def _agency(agency: AgencyRef | None) -> dict[str, Any] | None:
    if agency is None:
        return None
    return {
        "id": agency.id,
        "url": _link("agencies", agency.id),
        "name": agency.name,
        "type": agency.type,
    }


def _mission(launch: Launch) -> dict[str, Any] | None:
    mission = launch.mission
    if mission is None:
        return None
    return {
        "id": mission.id,
        "name": mission.name,
        "description": mission.description,
        "launch_designator": mission.launch_designator,
        "type": mission.type,
        "orbit": None if mission.orbit is None else mission.orbit.model_dump(),
        "agencies": [_agency(agency) for agency in mission.agencies],
        "info_urls": list(mission.info_urls),
        "vid_urls": list(mission.vid_urls),
    }


def _pad(pad: Pad | None) -> dict[str, Any] | None:
    if pad is None:
        return None
    location = pad.location
    return {
        "id": pad.id,
        "url": _link("pad", pad.id),
        "agency_id": pad.agency_id,
        "name": pad.name,
        "description": pad.description,
        "info_url": pad.info_url,
        "wiki_url": pad.wiki_url,
        "map_url": pad.map_url,
        "latitude": pad.latitude,
        "longitude": pad.longitude,
        "location": {
            "id": location.id,
            "url": _link("location", location.id),
            **location.model_dump(exclude={"id"}),
        },
        "country_code": pad.country_code,
        "map_image": pad.map_image,
        "total_launch_count": pad.total_launch_count,
        "orbital_launch_attempt_count": pad.orbital_launch_attempt_count,
    }


def _program(program: Program) -> dict[str, Any]:
    return {
        "id": program.id,
        "url": _link("program", program.id),
        "name": program.name,
        "description": program.description,
        "agencies": [_agency(agency) for agency in program.agencies],
        "image_url": program.image_url,
        "start_date": instant(program.start_date),
        "end_date": instant(program.end_date),
        "info_url": program.info_url,
        "wiki_url": program.wiki_url,
        "mission_patches": list(program.mission_patches),
        "type": None if program.type is None else program.type.model_dump(),
    }
