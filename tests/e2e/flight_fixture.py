"""A small invented flight, its reference data, and its documents step by step."""

from typing import Any

API = "/2.2.0"
LAUNCH_ID = "11111111-2222-3333-4444-555555555555"

REFERENCES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "agencies/701",
        "agency_recorded",
        {"id": 701, "name": "Test Agency", "type": "Government"},
    ),
    (
        "config/spacecraft/601",
        "spacecraft_config_recorded",
        {
            "id": 601,
            "name": "Capsule",
            "type": {"id": 2, "name": "Capsule"},
            "agency": 701,
        },
    ),
    (
        "spacecraft/501",
        "spacecraft_recorded",
        {
            "id": 501,
            "name": "Test Capsule 1",
            "serial_number": "TC-1",
            "status": {"id": 1, "name": "Active"},
            "spacecraft_config": 601,
        },
    ),
    (
        f"launch/{LAUNCH_ID}",
        "launch_recorded",
        {"id": LAUNCH_ID, "name": "Rocket | Test 1", "net": "2026-11-01T00:00:00Z"},
    ),
    (
        "astronaut/801",
        "astronaut_recorded",
        {
            "id": 801,
            "name": "Ada Test",
            "type": {"id": 2, "name": "Government"},
            "status": {"id": 1, "name": "Active"},
            "agency": 701,
            "nationality": "Testish",
        },
    ),
    (
        "spacestation/901",
        "spacestation_recorded",
        {
            "id": 901,
            "name": "Test Station",
            "status": {"id": 1, "name": "Active"},
            "orbit": "Low Earth Orbit",
            "docking_locations": [{"id": 902, "name": "Port A"}],
        },
    ),
]

SEAT = {
    "id": 7001,
    "astronaut": 801,
    "role": {"id": 1, "role": "Commander", "priority": 0},
}
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "launch",
        "2026-11-01T00:00:00Z",
        {
            "spacecraft": 501,
            "launch": LAUNCH_ID,
            "destination": "Test Station",
            "launch_crew": [SEAT],
        },
    ),
    (
        "dock",
        "2026-11-01T06:00:00Z",
        {
            "docking_event": 1001,
            "spacestation": 901,
            "docking_location": 902,
        },
    ),
    ("undock", "2026-11-05T06:00:00Z", {"docking_event": 1001}),
    (
        "landing",
        "2026-11-05T12:00:00Z",
        {
            "landing": {
                "id": 3001,
                "attempt": True,
                "success": True,
                "description": "",
                "location": {"id": 19, "name": "Kazakhstan", "abbrev": "KAZ"},
                "type": {"id": 4, "name": "Parachute Landing", "abbrev": "PL"},
            }
        },
    ),
]


def expected(step: int, host: str, upstream: str | None = None) -> dict[str, Any]:
    """The detail document after ``step`` events (1-based), the clock at
    2026-12-01T12:00:00Z; links on ``host``, those of other resources than the
    flight on ``upstream`` when one is configured."""
    up = f"{upstream or host}{API}"
    landed = step >= 4
    time_in_space = ["P30DT12H", "P30DT12H", "P30DT12H", "P4DT12H"][step - 1]
    time_docked = ["P0D", "P30DT6H", "P4D", "P4D"][step - 1]
    astronaut = {
        "id": 801,
        "url": f"{up}/astronaut/801/",
        "name": "Ada Test",
        "type": {"id": 2, "name": "Government"},
        "in_space": not landed,
        "time_in_space": time_in_space,
        "status": {"id": 1, "name": "Active"},
        "agency": {
            "id": 701,
            "url": f"{up}/agencies/701/",
            "name": "Test Agency",
            "type": "Government",
        },
        "date_of_birth": None,
        "date_of_death": None,
        "nationality": "Testish",
        "twitter": None,
        "instagram": None,
        "bio": "",
        "profile_image": None,
        "wiki": None,
        "last_flight": "2026-11-01T00:00:00Z",
        "first_flight": "2026-11-01T00:00:00Z",
    }
    crew = [
        {
            "id": 7001,
            "role": {"id": 1, "role": "Commander", "priority": 0},
            "astronaut": astronaut,
        }
    ]
    station = {"id": 901, "url": f"{up}/spacestation/901/", "name": "Test Station"}
    dockings = (
        []
        if step < 2
        else [
            {
                "id": 1001,
                "spacestation": {
                    **station,
                    "status": {"id": 1, "name": "Active"},
                    "founded": None,
                    "description": "",
                    "orbit": "Low Earth Orbit",
                    "image_url": None,
                },
                "docking": "2026-11-01T06:00:00Z",
                "departure": None if step < 3 else "2026-11-05T06:00:00Z",
                "docking_location": {
                    "id": 902,
                    "name": "Port A",
                    "spacestation": station,
                },
            }
        ]
    )
    return {
        "id": 9001,
        "url": f"{host}{API}/spacecraft/flight/9001/",
        "mission_end": "2026-11-05T12:00:00Z" if landed else None,
        "destination": "Test Station",
        "launch_crew": crew,
        "onboard_crew": [],
        "landing_crew": crew if landed else [],
        "spacecraft": {
            "id": 501,
            "url": f"{up}/spacecraft/501/",
            "name": "Test Capsule 1",
            "serial_number": "TC-1",
            "is_placeholder": False,
            "in_space": not landed,
            "time_in_space": time_in_space,
            "time_docked": time_docked,
            "flights_count": 1,
            "mission_ends_count": int(landed),
            "status": {"id": 1, "name": "Active"},
            "description": "",
            "spacecraft_config": {
                "id": 601,
                "url": f"{up}/config/spacecraft/601/",
                "name": "Capsule",
                "type": {"id": 2, "name": "Capsule"},
                "agency": {
                    "id": 701,
                    "url": f"{up}/agencies/701/",
                    "name": "Test Agency",
                    "featured": False,
                    "type": "Government",
                    "country_code": "",
                    "abbrev": "",
                    "description": None,
                    "administrator": None,
                    "founding_year": None,
                    "launchers": "",
                    "spacecraft": "",
                    "parent": None,
                    "image_url": None,
                    "logo_url": None,
                },
                "in_use": False,
                "capability": "",
                "history": "",
                "details": "",
                "maiden_flight": None,
                "height": None,
                "diameter": None,
                "human_rated": False,
                "crew_capacity": None,
                "payload_capacity": None,
                "payload_return_capacity": None,
                "flight_life": None,
                "image_url": None,
                "nation_url": None,
                "wiki_link": "",
                "info_link": "",
            },
        },
        "launch": {
            "id": LAUNCH_ID,
            "url": f"{up}/launch/{LAUNCH_ID}/",
            "slug": "",
            "name": "Rocket | Test 1",
            "status": None,
            "last_updated": None,
            "net": "2026-11-01T00:00:00Z",
            "window_end": None,
            "window_start": None,
            "net_precision": None,
            "probability": -1,
            "weather_concerns": None,
            "holdreason": "",
            "failreason": "",
            "hashtag": None,
            "launch_service_provider": None,
            "rocket": None,
            "mission": None,
            "pad": None,
            "webcast_live": False,
            "image": None,
            "infographic": None,
            "program": [],
            "orbital_launch_attempt_count": None,
            "location_launch_attempt_count": None,
            "pad_launch_attempt_count": None,
            "agency_launch_attempt_count": None,
            "orbital_launch_attempt_count_year": None,
            "location_launch_attempt_count_year": None,
            "pad_launch_attempt_count_year": None,
            "agency_launch_attempt_count_year": None,
            "type": "normal",
        },
        "landing": None
        if not landed
        else {
            "id": 3001,
            "attempt": True,
            "success": True,
            "description": "",
            "downrange_distance": None,
            "location": {
                "id": 19,
                "name": "Kazakhstan",
                "abbrev": "KAZ",
                "description": "",
                "location": None,
                "successful_landings": 0,
            },
            "type": {
                "id": 4,
                "name": "Parachute Landing",
                "abbrev": "PL",
                "description": "",
            },
        },
        "docking_events": dockings,
    }
