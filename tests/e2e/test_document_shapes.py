"""Every seeded flight against the contract's field lists, and flight 325
against its reference capture.

The field lists of ``ll2-contract.md`` sections 1.3 and 2.1 to 2.7 are written
below as data: for each object, its keys in order and, for each key, the JSON
kinds it may hold. A document fits when every object has exactly those keys in
that order and every value one of its kinds. Detail documents, list items and
``mode=detailed`` list items of every seeded flight are checked.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.e2e.seeded import (
    LL2,
    SEEDED_FLIGHTS,
    Apps,
    compact,
    reference_325,
    served_325,
)

Client = TestClient[web.Request, web.Application]

# A field's spec is a tuple of what it may hold: a kind named below, an object
# spec (a dict, its keys in order), or a one-element list (an array of that).
Spec = tuple[Any, ...]

KINDS: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "datetime": lambda v: _match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", v),
    "date": lambda v: _match(r"\d{4}-\d\d-\d\d", v),
    "duration": lambda v: _match(r"P(?=\d|T\d)(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?", v),
    "uuid": lambda v: _match(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", v),
    "link": lambda v: _match(r"https?://\S+", v),
    "api_url": lambda v: _match(
        r"https?://[^/\s]+/2\.2\.0/[a-z/]+/[0-9a-f-]+/(\?format=[a-z]*)?", v
    ),
    "object": lambda v: isinstance(v, dict),
}


def _match(pattern: str, value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def nullable(*kinds: Any) -> Spec:
    """What the contract marks as possibly null."""
    return (*kinds, "null")


def unstated(*kinds: Any) -> Spec:
    """Null in the seed where its sources do not state the value.

    The contract gives these launch fields without saying whether they may be
    null; the seed's 2021 documents and the docking list (flight 327's only
    source) do not carry them, and the log never invents a value.
    """
    return (*kinds, "null")


INT: Spec = ("int",)
STRING: Spec = ("string",)
BOOL: Spec = ("bool",)
URL: Spec = ("api_url",)
ID_NAME = {"id": INT, "name": STRING}
VOCABULARY = {"id": INT, "name": STRING, "abbrev": STRING, "description": STRING}
MINI_AGENCY = {"id": INT, "url": URL, "name": STRING, "type": STRING}
ANY_ITEMS: Spec = (["object", "string"],)

ASTRONAUT = {  # 2.2
    "id": INT,
    "url": URL,
    "name": STRING,
    "type": (ID_NAME,),
    "in_space": BOOL,
    "time_in_space": ("duration",),
    "status": (ID_NAME,),
    "agency": nullable(MINI_AGENCY),
    "date_of_birth": nullable("date"),
    "date_of_death": nullable("date"),
    "nationality": STRING,
    "twitter": nullable("string"),
    "instagram": nullable("string"),
    "bio": STRING,
    "profile_image": nullable("link"),
    "wiki": nullable("string"),
    "last_flight": nullable("datetime"),
    "first_flight": nullable("datetime"),
}
SEAT = {  # 2.2, AstronautFlight
    "id": INT,
    "role": ({"id": INT, "role": STRING, "priority": INT},),
    "astronaut": (ASTRONAUT,),
}
CREW: Spec = ([SEAT],)

AGENCY = {  # 2.3, the full agency of a detailed spacecraft configuration
    "id": INT,
    "url": URL,
    "name": STRING,
    "featured": BOOL,
    "type": STRING,
    "country_code": STRING,
    "abbrev": STRING,
    "description": STRING,
    "administrator": STRING,
    "founding_year": STRING,
    "launchers": STRING,
    "spacecraft": STRING,
    "parent": nullable("string"),
    "image_url": nullable("link"),  # stored image URLs, null when LL2 has none
    "logo_url": nullable("link"),
}
CONFIG_DETAIL = {  # 2.3
    "id": INT,
    "url": URL,
    "name": STRING,
    "type": (ID_NAME,),
    "agency": (AGENCY,),
    "in_use": BOOL,
    "capability": STRING,
    "history": STRING,
    "details": STRING,
    "maiden_flight": nullable("date"),
    "height": nullable("number"),
    "diameter": nullable("number"),
    "human_rated": BOOL,
    "crew_capacity": nullable("int"),
    "payload_capacity": nullable("int"),
    "payload_return_capacity": nullable("int"),
    "flight_life": nullable("string"),
    "image_url": nullable("link"),
    "nation_url": nullable("link"),
    "wiki_link": STRING,
    "info_link": STRING,
}
CONFIG_SMALL = {  # 1.3, the list item's spacecraft_config
    "id": INT,
    "url": URL,
    "name": STRING,
    "type": (ID_NAME,),
    "agency": (MINI_AGENCY,),
    "in_use": BOOL,
    "image_url": nullable("link"),
}
SPACECRAFT_FIELDS = {  # 2.3 and 1.3 share all but the configuration
    "id": INT,
    "url": URL,
    "name": STRING,
    "serial_number": nullable("string"),
    "is_placeholder": BOOL,
    "in_space": BOOL,
    "time_in_space": ("duration",),
    "time_docked": ("duration",),
    "flights_count": INT,
    "mission_ends_count": INT,
    "status": (ID_NAME,),
    "description": STRING,
}
SPACECRAFT_DETAIL = {**SPACECRAFT_FIELDS, "spacecraft_config": (CONFIG_DETAIL,)}
SPACECRAFT_SMALL = {**SPACECRAFT_FIELDS, "spacecraft_config": (CONFIG_SMALL,)}

LOCATION = {
    "id": INT,
    "url": URL,
    "name": STRING,
    "country_code": STRING,
    "description": STRING,
    "map_image": nullable("link"),
    "timezone_name": STRING,
    "total_launch_count": INT,
    "total_landing_count": INT,
}
PAD = {
    "id": INT,
    "url": URL,
    "agency_id": nullable("int"),
    "name": STRING,
    "description": nullable("string"),
    "info_url": nullable("link"),
    "wiki_url": nullable("string"),
    "map_url": nullable("string"),
    "latitude": STRING,  # strings in LL2: "45.92"
    "longitude": STRING,
    "location": (LOCATION,),
    "country_code": STRING,
    "map_image": nullable("link"),
    "total_launch_count": INT,
    "orbital_launch_attempt_count": INT,
}
MISSION = {
    "id": INT,
    "name": STRING,
    "description": STRING,
    "launch_designator": nullable("string"),
    "type": STRING,
    "orbit": nullable({"id": INT, "name": STRING, "abbrev": STRING}),
    "agencies": ANY_ITEMS,
    "info_urls": ANY_ITEMS,
    "vid_urls": ANY_ITEMS,
}
PROGRAM = {
    "id": INT,
    "url": URL,
    "name": STRING,
    "description": STRING,
    "agencies": ([MINI_AGENCY],),
    "image_url": nullable("link"),
    "start_date": nullable("datetime"),
    "end_date": nullable("datetime"),
    "info_url": nullable("link"),
    "wiki_url": nullable("link"),
    "mission_patches": ANY_ITEMS,
    "type": nullable(ID_NAME),
}
ROCKET = {
    "id": INT,
    "configuration": (
        {
            "id": INT,
            "url": URL,
            "name": STRING,
            "family": STRING,
            "full_name": STRING,
            "variant": STRING,
        },
    ),
}
COUNTERS = [
    f"{scope}_launch_attempt_count{year}"
    for year in ("", "_year")
    for scope in ("orbital", "location", "pad", "agency")
]
LAUNCH = {  # 2.4
    "id": ("uuid",),
    "url": URL,
    "slug": STRING,
    "name": STRING,
    "status": unstated(VOCABULARY),
    "last_updated": unstated("datetime"),
    "net": ("datetime",),
    "window_end": unstated("datetime"),
    "window_start": unstated("datetime"),
    "net_precision": nullable(VOCABULARY),
    "probability": INT,
    "weather_concerns": nullable("string"),
    "holdreason": nullable("string"),
    "failreason": nullable("string"),
    "hashtag": nullable("string"),
    "launch_service_provider": unstated(MINI_AGENCY),
    "rocket": unstated(ROCKET),
    "mission": nullable(MISSION),
    "pad": unstated(PAD),
    "webcast_live": BOOL,
    "image": nullable("link"),
    "infographic": nullable("link"),
    "program": ([PROGRAM],),
    **{counter: unstated("int") for counter in COUNTERS},
    "type": STRING,
}
LANDING = {  # 2.5
    "id": INT,
    "attempt": nullable("bool"),
    "success": nullable("bool"),
    "description": STRING,
    "downrange_distance": nullable("number"),
    "location": (
        {
            "id": INT,
            "name": STRING,
            "abbrev": STRING,
            "description": STRING,
            "location": nullable("object"),
            "successful_landings": INT,
        },
    ),
    "type": (VOCABULARY,),
}
STATION = {"id": INT, "url": URL, "name": STRING}
DOCKING = {  # 2.7
    "id": INT,
    "spacestation": (
        {
            **STATION,
            "status": (ID_NAME,),
            "founded": ("date",),
            "description": STRING,
            "orbit": STRING,
            "image_url": nullable("link"),
        },
    ),
    "docking": ("datetime",),
    "departure": nullable("datetime"),
    "docking_location": ({"id": INT, "name": STRING, "spacestation": (STATION,)},),
}
DETAIL = {  # 2.1
    "id": INT,
    "url": URL,
    "mission_end": nullable("datetime"),
    "destination": nullable("string"),
    "launch_crew": CREW,
    "onboard_crew": CREW,
    "landing_crew": CREW,
    "spacecraft": (SPACECRAFT_DETAIL,),
    "launch": (LAUNCH,),
    "landing": nullable(LANDING),
    "docking_events": ([DOCKING],),
}
ITEM = {  # 1.3: destination before mission_end, the small spacecraft
    "id": INT,
    "url": URL,
    "destination": nullable("string"),
    "mission_end": nullable("datetime"),
    "spacecraft": (SPACECRAFT_SMALL,),
    "launch": (LAUNCH,),
    "landing": nullable(LANDING),
}

ENVELOPE = {  # 1.2, a page holding every flight
    "count": INT,
    "next": ("null",),
    "previous": ("null",),
    "results": ([ITEM],),
}


def misfits(value: Any, spec: Spec, path: str = "$") -> list[str]:
    """Where ``value`` does not fit ``spec``: one line per misfit, by path."""
    found: list[str] = []
    for alternative in spec:
        found = _misfits_of(value, alternative, path)
        if not found:
            return []
    if len(spec) > 1 and not isinstance(spec[0], dict | list):
        return [f"{path}: {value!r} is none of {spec}"]
    return found


def _misfits_of(value: Any, kind: Any, path: str) -> list[str]:
    if isinstance(kind, str):
        return [] if KINDS[kind](value) else [f"{path}: {value!r} is not {kind}"]
    if isinstance(kind, list):
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not an array"]
        return [
            line
            for index, item in enumerate(value)
            for line in misfits(item, (kind[0],), f"{path}[{index}]")
        ]
    if not isinstance(value, dict):
        return [f"{path}: {value!r} is not an object"]
    if list(value) != list(kind):
        return [f"{path}: keys {list(value)} are not {list(kind)}"]
    return [
        line
        for key, field in kind.items()
        for line in misfits(value[key], field, f"{path}.{key}")
    ]


@pytest.fixture
async def api(seeded_apps: Apps) -> Client:
    return await seeded_apps.shared()


async def get_json(client: Client, path: str) -> Any:
    response = await client.get(path)
    assert response.status == 200, await response.text()
    return await response.json()


# -- the field lists themselves -------------------------------------------------


def test_the_reference_capture_fits_the_detail_fields() -> None:
    assert misfits(reference_325(), (DETAIL,)) == []


@pytest.mark.parametrize(
    ("change", "misfit"),
    [
        (lambda d: d.update(id=True), "$.id: True is not int"),
        (lambda d: d.update(url=None), "$.url: None is not api_url"),
        (lambda d: d["spacecraft"].pop("name"), "$.spacecraft: keys"),
        (lambda d: d.update(launch_crew=None), "$.launch_crew: None is not an array"),
        (
            lambda d: d["docking_events"][0].update(docking="1978-08-28"),
            "$.docking_events[0].docking: '1978-08-28' is not datetime",
        ),
        (
            lambda d: d["spacecraft"].update(time_docked="65 days"),
            "$.spacecraft.time_docked: '65 days' is not duration",
        ),
        (
            lambda d: d.update(mission_end=d.pop("mission_end")),
            "$: keys ['id', 'url', 'destination'",
        ),
        (
            lambda d: d["launch_crew"][1]["astronaut"].update(date_of_birth=1),
            "$.launch_crew[1].astronaut.date_of_birth: 1 is none of",
        ),
    ],
)
def test_a_document_off_the_field_lists_is_named_where(
    change: Callable[[dict[str, Any]], Any], misfit: str
) -> None:
    document = reference_325()
    change(document)

    found = misfits(document, (DETAIL,))

    assert len(found) == 1 and found[0].startswith(misfit), found


# -- every seeded document -------------------------------------------------------


@pytest.mark.parametrize("flight", SEEDED_FLIGHTS)
async def test_every_detail_fits_the_detail_fields(api: Client, flight: int) -> None:
    document = await get_json(api, f"/2.2.0/spacecraft/flight/{flight}/")

    assert document["id"] == flight
    assert misfits(document, (DETAIL,)) == []


@pytest.mark.parametrize("query", ["", "&format=json", "&format="])
async def test_every_list_item_fits_the_list_fields(api: Client, query: str) -> None:
    page = await get_json(api, f"/2.2.0/spacecraft/flight/?limit=100{query}")

    assert [item["id"] for item in page["results"]] == SEEDED_FLIGHTS
    assert misfits(page, (ENVELOPE,)) == []


async def test_every_detailed_list_item_fits_the_detail_fields(api: Client) -> None:
    page = await get_json(api, "/2.2.0/spacecraft/flight/?limit=100&mode=detailed")

    assert [item["id"] for item in page["results"]] == SEEDED_FLIGHTS
    assert misfits(page["results"], ([DETAIL],)) == []


async def test_list_item_is_the_detail_cut_down_to_the_smaller_serializer(
    api: Client,
) -> None:
    page = await get_json(api, "/2.2.0/spacecraft/flight/?limit=100")

    for item in page["results"]:
        detail = await get_json(api, f"/2.2.0/spacecraft/flight/{item['id']}/")
        small = detail["spacecraft"]
        small["spacecraft_config"] = {
            key: small["spacecraft_config"][key] for key in CONFIG_SMALL
        }
        small["spacecraft_config"]["agency"] = {
            key: small["spacecraft_config"]["agency"][key] for key in MINI_AGENCY
        }
        assert item == {key: detail[key] for key in ITEM}


# -- flight 325 against its reference ----------------------------------------------


def leaves(value: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    """Every scalar and empty container of a JSON value, with its path, in order."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}")
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def differences(served: Any, wanted: Any) -> list[str]:
    """Every leaf that differs, by path; keys out of order show as differences."""
    got, want = list(leaves(served)), list(leaves(wanted))
    lines = [
        f"{w_path}: served {g_path}={g!r}, reference {w!r}"
        for (g_path, g), (w_path, w) in zip(got, want, strict=False)
        if (g_path, g) != (w_path, w) or type(g) is not type(w)
    ]
    if len(got) != len(want):
        lines.append(f"served {len(got)} leaves, the reference {len(want)}")
    return lines


@pytest.mark.parametrize("prefix", ["", "/api"])
async def test_flight_325_is_its_reference_with_links_upstream_when_configured(
    seeded_apps: Apps, prefix: str
) -> None:
    api = await seeded_apps.shared(upstream_url=LL2)
    base = f"http://{api.host}:{api.port}"
    wanted = served_325(base, LL2, "json")

    response = await api.get(f"{prefix}/2.2.0/spacecraft/flight/325/?format=json")
    body = await response.read()

    assert response.status == 200
    assert differences(json.loads(body), wanted) == []
    assert body == compact(wanted).encode()


@pytest.mark.parametrize("prefix", ["", "/api"])
@pytest.mark.parametrize("fmt", ["json", "", None])
async def test_flight_325_is_its_reference_on_this_host_by_default(
    api: Client, fmt: str | None, prefix: str
) -> None:
    base = f"http://{api.host}:{api.port}"
    wanted = served_325(base, base, fmt)

    query = "" if fmt is None else f"?format={fmt}"
    response = await api.get(f"{prefix}/2.2.0/spacecraft/flight/325/{query}")
    body = await response.read()

    assert response.status == 200
    assert differences(json.loads(body), wanted) == []
    assert body == compact(wanted).encode()
    assert LL2.encode() not in body


async def test_flight_325_on_its_browsable_page_shows_the_reference(
    api: Client,
) -> None:
    base = f"http://{api.host}:{api.port}"
    wanted = served_325(base, base, "api")

    response = await api.get("/2.2.0/spacecraft/flight/325/?format=api")
    page = await response.text()

    assert response.status == 200
    shown = re.search(r'<pre class="response">.*?\n\n(.*?)</pre>', page, re.S)
    assert shown is not None
    text = html.unescape(re.sub(r"<[^>]+>", "", shown.group(1)))
    assert differences(json.loads(text), wanted) == []
    assert text == json.dumps(wanted, indent=4, ensure_ascii=False)
