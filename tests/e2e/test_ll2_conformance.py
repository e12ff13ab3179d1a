"""Every row of the LL2 contract's tables, against the real app on the seed.

One test per row of ``ll2-contract.md`` sections 1.1 (parameters), 1.2
(pagination), 2.6 (links), 2.8 (bytes), 3 (errors and edge cases, headers,
CORS) and the project's Decisions table; parametrized where a row has several
cases. Each asserts the exact status, the headers the contract names, and the
body byte for byte. The application runs on the seeded database; the rows that
need a flight the seed does not hold (one still flying, one whose text holds a
line separator) post it to a database of their own.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import isodate
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from projections.values import duration
from tests.e2e.flight_fixture import REFERENCES, STEPS, expected
from tests.e2e.seeded import (
    ENDEAVOUR,
    ENDEAVOUR_FLIGHTS,
    LL2,
    SEEDED_FLIGHTS,
    Apps,
    compact,
    reference_325,
    served_325,
)

Client = TestClient[web.Request, web.Application]

LIST = "/2.2.0/spacecraft/flight/"
API_LIST = "/api/2.2.0/spacecraft/flight/"
DETAIL_325 = f"{LIST}325/"
ALL_FLIGHTS = SEEDED_FLIGHTS
COUNT = len(ALL_FLIGHTS)  # 22

NOT_FOUND = b'{"detail":"Not found."}'
INVALID_CHOICE = (
    b'{"spacecraft":["Select a valid choice. '
    b'That choice is not one of the available choices."]}'
)
NOT_ACCEPTABLE = b'{"detail":"Could not satisfy the request Accept header."}'
DESCRIPTION = [
    "API endpoint that allows a flight of a specific Spacecraft instances "
    "to be viewed.",
    "GET:",
    "Return a list of all the existing Spacecraft flights.",
    "FILTERS:",
    "Parameters - 'spacecraft'",
    "Example - /api/2.2.0/spacecraft/flight/?spacecraft=37",
]

# The headers these rows are about; others (Date, Server, caching) are not.
WATCHED = (
    "Content-Type",
    "Allow",
    "Vary",
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Max-Age",
    "Location",
    "Retry-After",
)
READ = {"Allow": "GET", "Vary": "Accept", "Access-Control-Allow-Origin": "*"}
JSON_READ = {"Content-Type": "application/json", **READ}
HTML_READ = {"Content-Type": "text/html; charset=utf-8", **READ}
REDIRECT = {"Content-Type": "text/html; charset=utf-8"}
REDIRECT |= {"Access-Control-Allow-Origin": "*"}

DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
DURATION = re.compile(r"^P(?=\d|T\d)(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$")
DATETIME_KEYS = {"mission_end", "net", "window_start", "window_end", "last_updated"}
DATETIME_KEYS |= {"docking", "departure", "first_flight", "last_flight"}
DATETIME_KEYS |= {"start_date", "end_date"}  # of a program: datetimes in S1
DATE_KEYS = {"date_of_birth", "date_of_death", "founded", "maiden_flight"}
DURATION_KEYS = {"time_in_space", "time_docked"}


@dataclass(frozen=True)
class Answer:
    """What a client sees of a response: status, the watched headers, bytes."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def fetch(
    client: Client,
    path: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> Answer:
    async with client.request(
        method, path, headers=headers, allow_redirects=False
    ) as response:
        watched = {k: response.headers[k] for k in WATCHED if k in response.headers}
        return Answer(response.status, watched, await response.read())


def base_of(client: Client) -> str:
    return f"http://{client.host}:{client.port}"


def page(
    next_url: str | None, previous: str | None, items: list[str], count: int = COUNT
) -> bytes:
    """A list page's exact bytes around already serialized items."""
    return (
        f'{{"count":{count},"next":{json.dumps(next_url)},'
        f'"previous":{json.dumps(previous)},"results":[{",".join(items)}]}}'
    ).encode()


def envelope(answer: Answer) -> bytes:
    """A list page's bytes up to its first item."""
    return answer.body[: answer.body.index(b'"results":[') + len(b'"results":[')]


def envelope_of(
    next_url: str | None, previous: str | None, count: int = COUNT
) -> bytes:
    """The bytes ``envelope`` should find."""
    return page(next_url, previous, [], count)[: -len("]}")]


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar of a JSON value with its dotted path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def urls(value: Any) -> list[str]:
    """Every ``url`` field of a document, in document order."""
    return [leaf for path, leaf in leaves(value) if path.rsplit(".", 1)[-1] == "url"]


@pytest.fixture
async def api(seeded_apps: Apps) -> Client:
    return await seeded_apps.shared()


@pytest.fixture
async def items(api: Client) -> dict[int, str]:
    """Every seeded flight's list item as compact JSON text, by id."""
    answer = await fetch(api, f"{LIST}?limit=100")
    results = answer.json()["results"]
    return {item["id"]: compact(item) for item in results}


def texts(items: dict[int, str], ids: list[int]) -> list[str]:
    return [items[i] for i in ids]


# -- 1.1 query parameters -------------------------------------------------------


async def test_spacecraft_matches_the_spacecraft_id_exactly(
    api: Client, items: dict[int, str]
) -> None:
    answer = await fetch(api, f"{LIST}?spacecraft={ENDEAVOUR}&limit=100")

    assert answer == Answer(
        200,
        JSON_READ,
        page(None, None, texts(items, ENDEAVOUR_FLIGHTS), len(ENDEAVOUR_FLIGHTS)),
    )
    assert {item["spacecraft"]["id"] for item in answer.json()["results"]} == {40}


@pytest.mark.parametrize(
    ("query", "shown", "next_query"),
    [
        ("", 10, "limit=10&offset=10"),
        ("?limit=5", 5, "limit=5&offset=5"),
        ("?limit=100", COUNT, None),
        ("?limit=500", COUNT, None),
    ],
)
async def test_limit_defaults_to_ten_and_goes_up_to_one_hundred(
    api: Client, items: dict[int, str], query: str, shown: int, next_query: str | None
) -> None:
    base = base_of(api)
    following = f"{base}{LIST}?{next_query}" if next_query else None

    answer = await fetch(api, LIST + query)

    assert answer == Answer(
        200, JSON_READ, page(following, None, texts(items, ALL_FLIGHTS[:shown]))
    )


async def test_offset_is_a_zero_based_index(api: Client, items: dict[int, str]) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?offset=3&limit=2")

    assert answer == Answer(
        200,
        JSON_READ,
        page(
            f"{base}{LIST}?limit=2&offset=5",
            f"{base}{LIST}?limit=2&offset=1",
            texts(items, ALL_FLIGHTS[3:5]),
        ),
    )


@pytest.mark.parametrize(
    ("fmt", "status", "content_type"),
    [
        ("json", 200, "application/json"),
        ("api", 200, "text/html; charset=utf-8"),
        ("xml", 404, "application/json"),
        ("yaml", 404, "application/json"),
        ("JSON", 404, "application/json"),
    ],
)
async def test_format_picks_json_or_the_page_and_nothing_else(
    api: Client, fmt: str, status: int, content_type: str
) -> None:
    for path in (LIST, DETAIL_325):
        answer = await fetch(api, f"{path}?format={fmt}")

        assert (answer.status, answer.headers) == (
            status,
            {**READ, "Content-Type": content_type},
        )
        if status == 404:
            assert answer.body == NOT_FOUND


@pytest.mark.parametrize(
    ("mode", "detailed"), [("detailed", True), ("list", False), ("", False)]
)
async def test_mode_detailed_alone_gives_detail_shaped_items(
    api: Client, mode: str, detailed: bool
) -> None:
    base = base_of(api)
    details = [(await fetch(api, f"{LIST}{i}/")).body.decode() for i in ALL_FLIGHTS[:3]]
    plain = (await fetch(api, f"{LIST}?limit=3")).json()["results"]
    shown = details if detailed else [compact(item) for item in plain]

    answer = await fetch(api, f"{LIST}?limit=3&mode={mode}")

    following = f"{base}{LIST}?limit=3&mode={mode}&offset=3"
    assert answer == Answer(200, JSON_READ, page(following, None, shown))


@pytest.mark.parametrize("value", ["id", "-id", "mission_end"])
async def test_ordering_is_not_supported_and_ignored(
    api: Client, items: dict[int, str], value: str
) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?ordering={value}&limit=3")

    following = f"{base}{LIST}?limit=3&offset=3&ordering={value}"
    assert answer == Answer(
        200, JSON_READ, page(following, None, texts(items, ALL_FLIGHTS[:3]))
    )


@pytest.mark.parametrize("value", ["Soyuz", "STS-49"])
async def test_search_is_not_supported_and_ignored(
    api: Client, items: dict[int, str], value: str
) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?search={value}&limit=3")

    following = f"{base}{LIST}?limit=3&offset=3&search={value}"
    assert answer == Answer(
        200, JSON_READ, page(following, None, texts(items, ALL_FLIGHTS[:3]))
    )


async def test_any_other_parameter_is_ignored_but_kept_in_links(
    api: Client, items: dict[int, str]
) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?foo=bar&limit=3")

    following = f"{base}{LIST}?foo=bar&limit=3&offset=3"
    assert answer == Answer(
        200, JSON_READ, page(following, None, texts(items, ALL_FLIGHTS[:3]))
    )


# -- 1.2 pagination envelope -------------------------------------------------------


async def test_envelope_keys_are_count_next_previous_results(api: Client) -> None:
    answer = await fetch(api, f"{LIST}?offset=10")

    base = base_of(api)
    assert list(answer.json()) == ["count", "next", "previous", "results"]
    assert (
        envelope(answer)
        == (
            f'{{"count":22,"next":"{base}{LIST}?limit=10&offset=20",'
            f'"previous":"{base}{LIST}?limit=10","results":['
        ).encode()
    )


@pytest.mark.parametrize("prefix", ["", "/api"])
async def test_links_are_absolute_from_scheme_host_and_path(
    api: Client, items: dict[int, str], prefix: str
) -> None:
    base = base_of(api)
    path = f"{prefix}{LIST}"

    answer = await fetch(api, f"{path}?limit=4&offset=4")

    assert answer == Answer(
        200,
        JSON_READ,
        page(
            f"{base}{path}?limit=4&offset=8",
            f"{base}{path}?limit=4",
            texts(items, ALL_FLIGHTS[4:8]),
        ),
    )


@pytest.mark.parametrize(
    ("query", "next_query", "previous_query"),
    [
        (
            "spacecraft=40&format=json",
            "format=json&limit=10&offset=10&spacecraft=40",
            None,
        ),
        ("zeta=1&alpha=2&limit=3", "alpha=2&limit=3&offset=3&zeta=1", None),
        (
            "offset=1&limit=2&b=%C3%A4+x",
            "b=%C3%A4+x&limit=2&offset=3",
            "b=%C3%A4+x&limit=2",
        ),
        (
            "format=json&offset=4",
            "format=json&limit=10&offset=14",
            "format=json&limit=10",
        ),
    ],
)
async def test_link_queries_are_sorted_with_limit_always_written(
    api: Client, query: str, next_query: str, previous_query: str | None
) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?{query}")

    count = len(ENDEAVOUR_FLIGHTS) if "spacecraft" in query else COUNT
    following = f"{base}{LIST}?{next_query}"
    previous = f"{base}{LIST}?{previous_query}" if previous_query else None
    assert (answer.status, answer.headers) == (200, JSON_READ)
    assert envelope(answer) == envelope_of(following, previous, count)


@pytest.mark.parametrize(
    ("offset", "limit", "next_offset"),
    [(0, 10, 10), (11, 10, 21), (12, 10, None), (21, 1, None), (20, 1, 21)],
)
async def test_next_is_null_once_offset_plus_limit_reaches_count(
    api: Client, offset: int, limit: int, next_offset: int | None
) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?offset={offset}&limit={limit}")

    following = None
    if next_offset is not None:
        following = f"{base}{LIST}?limit={limit}&offset={next_offset}"
    previous = f"{base}{LIST}?limit={limit}&offset={offset - limit}"
    if offset <= limit:
        previous = f"{base}{LIST}?limit={limit}" if offset else None
    assert (answer.status, answer.headers) == (200, JSON_READ)
    assert envelope(answer) == envelope_of(following, previous)


@pytest.mark.parametrize(
    ("offset", "previous_query"),
    [
        ("0", None),
        ("-5", None),
        ("3", "limit=10"),
        ("10", "limit=10"),
        ("15", "limit=10&offset=5"),
    ],
)
async def test_previous_is_null_at_zero_and_drops_offset_at_or_below_zero(
    api: Client, offset: str, previous_query: str | None
) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?offset={offset}")

    previous = f"{base}{LIST}?{previous_query}" if previous_query else None
    start = max(int(offset), 0) + 10
    following = f"{base}{LIST}?limit=10&offset={start}" if start < COUNT else None
    assert (answer.status, answer.headers) == (200, JSON_READ)
    assert envelope(answer) == envelope_of(following, previous)


async def test_links_carry_the_effective_limit(api: Client) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?limit=500&offset=101")

    assert answer == Answer(
        200, JSON_READ, page(None, f"{base}{LIST}?limit=100&offset=1", [])
    )


async def test_last_page_like_the_observed_lldev_page(api: Client) -> None:
    base = base_of(api)
    everything = (await fetch(api, f"{LIST}?format=json&limit=100")).json()
    shown = [compact(item) for item in everything["results"]]

    answer = await fetch(api, f"{LIST}?format=json&offset=20")

    assert answer == Answer(
        200,
        JSON_READ,
        page(None, f"{base}{LIST}?format=json&limit=10&offset=10", shown[20:]),
    )


# -- 2.6 how url fields are formed ---------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "spacecraft/flight/325/",
        "spacecraft/153/",
        "astronaut/84/",
        "agencies/63/",
        "config/spacecraft/1/",
        "config/launcher/37/",
        "launch/ebd27066-16ca-4039-ac18-858aa79201e6/",
        "pad/32/",
        "location/15/",
        "program/8/",
        "spacestation/14/",
    ],
)
async def test_urls_are_absolute_routes_of_their_resource(
    api: Client, path: str
) -> None:
    base = base_of(api)

    answer = await fetch(api, DETAIL_325)

    wanted = compact(served_325(base, base, None)).encode()
    assert answer == Answer(200, JSON_READ, wanted)
    assert f"{base}/2.2.0/{path}" in urls(answer.json())


@pytest.mark.parametrize("trust", [True, False])
async def test_links_follow_each_requests_own_host(
    seeded_apps: Apps, trust: bool
) -> None:
    api = await seeded_apps.shared(trust_proxy=trust)
    header = "X-Forwarded-Host" if trust else "Host"

    for _ in range(2):
        for host in ("a.example", "b.example:8080", "a.example"):
            for path in (f"{LIST}?limit=1", DETAIL_325, f"{LIST}?limit=1&format="):
                answer = await fetch(api, path, headers={header: host})

                found = urls(answer.json()) + [answer.json().get("next")]
                assert all(url.startswith(f"http://{host}/") for url in found if url)


@pytest.mark.parametrize("upstream", [None, LL2], ids=["default", "upstream"])
@pytest.mark.parametrize("fmt", ["json", "api", ""])
async def test_every_url_echoes_the_format_parameter(
    seeded_apps: Apps, fmt: str, upstream: str | None
) -> None:
    configured = {} if upstream is None else {"upstream_url": upstream}
    api = await seeded_apps.shared(**configured)

    listed = await fetch(api, f"{LIST}?format=json&limit=100&format={fmt}")
    detail = await fetch(api, f"{DETAIL_325}?format={fmt}")

    found = urls(shown_json(listed))
    assert len(found) > 100
    assert all(url.endswith(f"/?format={fmt}") for url in found)
    base = base_of(api)
    assert shown_json(detail) == served_325(base, upstream or base, fmt)


@pytest.mark.parametrize(
    "query",
    ["format=json&limit=5&offset=0", "mode=list&foo=bar&format=json"],
)
async def test_urls_echo_no_parameter_but_format(api: Client, query: str) -> None:
    detail = await fetch(api, f"{DETAIL_325}?{query}&spacecraft=40")
    listed = await fetch(api, f"{LIST}?{query}&spacecraft=153&mode=detailed")

    wanted = served_325(base_of(api), base_of(api), "json")
    assert detail == Answer(200, JSON_READ, compact(wanted).encode())
    assert listed.json()["results"] == [wanted]


@pytest.mark.parametrize("query", ["", "?limit=3", "?mode=detailed"])
async def test_without_format_urls_end_in_a_slash(api: Client, query: str) -> None:
    detail = await fetch(api, f"{DETAIL_325}{query}")
    listed = await fetch(api, f"{LIST}{query}")

    wanted = served_325(base_of(api), base_of(api), None)
    assert detail == Answer(200, JSON_READ, compact(wanted).encode())
    found = urls(listed.json())
    assert found and all(url.endswith("/") for url in found)


async def test_urls_that_are_not_api_routes_are_never_rewritten(
    api: Client,
) -> None:
    reference = dict(leaves(reference_325()))

    answer = await fetch(api, f"{DETAIL_325}?format=api&format=json")

    served = dict(leaves(answer.json()))
    others = {
        path: value
        for path, value in reference.items()
        if isinstance(value, str)
        and value.startswith("http")
        and not path.endswith("url")
    }
    assert len(others) >= 10
    assert {path: served[path] for path in others} == others


@pytest.mark.parametrize(
    ("setting", "upstream"),
    [
        (None, None),
        ("", None),
        (LL2, LL2),
        ("https://mirror.example/", "https://mirror.example"),
    ],
    ids=["default", "empty", "ll2", "mirror"],
)
async def test_flights_link_here_and_the_rest_upstream(
    seeded_apps: Apps, setting: str | None, upstream: str | None
) -> None:
    configured = {} if setting is None else {"upstream_url": setting}
    api = await seeded_apps.shared(**configured)
    base = base_of(api)
    upstream = upstream or base

    for path in (f"{LIST}?limit=100&mode=detailed", DETAIL_325):
        found = urls((await fetch(api, path)).json())

        own = [url for url in found if "/spacecraft/flight/" in url]
        rest = [url for url in found if "/spacecraft/flight/" not in url]
        assert own and all(url.startswith(f"{base}/2.2.0/") for url in own)
        assert rest and all(url.startswith(f"{upstream}/2.2.0/") for url in rest)


@pytest.mark.parametrize(
    ("proto", "host", "seen"),
    [
        ("https", "flights.example", "https://flights.example"),
        ("https, http", "flights.example:8443, inner", "https://flights.example:8443"),
        ("ftp", "flights.example", "http://flights.example"),
    ],
)
@pytest.mark.parametrize("trust", [True, False])
async def test_forwarded_headers_build_links_only_when_the_proxy_is_trusted(
    seeded_apps: Apps, trust: bool, proto: str, host: str, seen: str
) -> None:
    api = await seeded_apps.shared(trust_proxy=trust)
    forwarded = {"X-Forwarded-Proto": proto, "X-Forwarded-Host": host}
    base = seen if trust else base_of(api)

    listed = await fetch(api, f"{LIST}?limit=2", headers=forwarded)
    detail = await fetch(api, DETAIL_325, headers=forwarded)

    assert (listed.status, detail.status) == (200, 200)
    assert listed.json()["next"] == f"{base}{LIST}?limit=2&offset=2"
    for url in urls(listed.json()) + urls(detail.json()):
        assert url.startswith(f"{base}/2.2.0/")


@pytest.mark.parametrize(
    ("trust", "headers"),
    [
        (False, {"Host": "bad host!"}),
        (True, {"X-Forwarded-Host": "evil.example/path"}),
    ],
)
async def test_a_host_that_cannot_be_linked_to_is_a_400(
    seeded_apps: Apps, trust: bool, headers: dict[str, str]
) -> None:
    api = await seeded_apps.shared(trust_proxy=trust)

    answer = await fetch(api, DETAIL_325, headers=headers)

    assert answer == Answer(400, JSON_READ, b'{"detail":"Invalid Host header."}')


# -- 2.8 bytes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [DETAIL_325, f"{LIST}?limit=100", f"{LIST}?mode=detailed&limit=100"],
)
async def test_json_is_compact_utf8_with_no_insignificant_space(
    api: Client, path: str
) -> None:
    answer = await fetch(api, path)

    assert answer.headers["Content-Type"] == "application/json"
    assert answer.body == compact(answer.json()).encode("utf-8")
    assert b'": ' not in answer.body and b", " not in answer.body[:200]


async def test_non_ascii_goes_out_as_raw_utf8(api: Client) -> None:
    answer = await fetch(api, DETAIL_325)

    assert "Sigmund Jähn".encode() in answer.body
    assert "Вале́рий".encode() in answer.body
    assert b"\\u00e4" not in answer.body and b"\\u0" not in answer.body


async def test_line_and_paragraph_separators_are_escaped(
    client: Client, token: str
) -> None:
    bio = "Line\u2028Paragraph\u2029end"
    await record_flight(client, token, steps=1, bio=bio)

    answer = await fetch(client, "/2.2.0/spacecraft/flight/9001/")

    want = expected(1, base_of(client))
    for seat in want["launch_crew"]:
        seat["astronaut"]["bio"] = bio
    assert answer == Answer(200, JSON_READ, compact(want).encode())
    assert b"Line\\u2028Paragraph\\u2029end" in answer.body
    assert "\u2028".encode() not in answer.body


async def test_quotes_and_control_characters_use_json_escapes(api: Client) -> None:
    answer = await fetch(api, DETAIL_325)

    bios = [seat["astronaut"]["bio"] for seat in answer.json()["landing_crew"]]
    assert any("\r\n" in bio for bio in bios)
    assert b"\\r\\n" in answer.body
    assert not re.search(rb"[\x00-\x1f]", answer.body)


async def test_content_type_is_application_json_without_charset(
    api: Client,
) -> None:
    for path in (LIST, DETAIL_325, f"{LIST}abc/", f"{LIST}?spacecraft=x"):
        answer = await fetch(api, path)

        assert answer.headers["Content-Type"] == "application/json"


async def test_datetimes_are_utc_seconds_with_a_z(api: Client) -> None:
    answer = await fetch(api, f"{LIST}?mode=detailed&limit=100")

    found = {
        path: value
        for path, value in leaves(answer.json())
        if path.rsplit(".", 1)[-1] in DATETIME_KEYS and value is not None
    }
    assert len(found) > 100
    assert {p: v for p, v in found.items() if not DATETIME.match(v)} == {}


async def test_fractional_seconds_render_with_six_digits(
    client: Client, token: str
) -> None:
    await record_flight(client, token, steps=4, landed_at="2026-11-05T12:00:00.250Z")

    answer = await fetch(client, "/2.2.0/spacecraft/flight/9001/")

    assert answer.status == 200
    assert b'"mission_end":"2026-11-05T12:00:00.250000Z"' in answer.body


async def test_dates_are_year_month_day(api: Client) -> None:
    answer = await fetch(api, f"{LIST}?mode=detailed&limit=100")

    found = {
        path: value
        for path, value in leaves(answer.json())
        if path.rsplit(".", 1)[-1] in DATE_KEYS and value is not None
    }
    assert len(found) > 20
    assert {p: v for p, v in found.items() if not DATE.match(v)} == {}


async def test_floats_are_plain_numbers_as_given(api: Client) -> None:
    answer = await fetch(api, DETAIL_325)

    assert b'"height":7.48,"diameter":2.72,' in answer.body
    assert b'"latitude":"45.92","longitude":"63.342"' in answer.body


async def test_empty_arrays_are_written_never_omitted(api: Client) -> None:
    detail = await fetch(api, DETAIL_325)
    shuttle = await fetch(api, f"{LIST}90/")

    assert b'"onboard_crew":[],' in detail.body
    assert b'"launch_crew":[],"onboard_crew":[],"landing_crew":[],' in shuttle.body
    assert shuttle.body.endswith(b'"landing":null,"docking_events":[]}')


async def test_durations_are_iso8601_in_days_hours_minutes_seconds(
    api: Client,
) -> None:
    answer = await fetch(api, f"{LIST}?mode=detailed&limit=100")

    found = {
        path: value
        for path, value in leaves(answer.json())
        if path.rsplit(".", 1)[-1] in DURATION_KEYS
    }
    assert len(found) > 50
    assert {p: v for p, v in found.items() if not DURATION.match(v)} == {}
    assert b'"time_in_space":"P67DT20H12M47S"' in answer.body
    assert b'"time_docked":"P0D"' in answer.body


# -- 3 errors and edge behaviour -----------------------------------------------------


@pytest.mark.parametrize("flight", ["999999", "1", "0", "9223372036854775808"])
async def test_unknown_id_is_a_404(api: Client, flight: str) -> None:
    answer = await fetch(api, f"{LIST}{flight}/")

    assert answer == Answer(404, JSON_READ, NOT_FOUND)


@pytest.mark.parametrize("flight", ["abc", "3x", "-1", "1e3", "%20"])
async def test_id_that_is_not_an_integer_is_a_404(api: Client, flight: str) -> None:
    answer = await fetch(api, f"{LIST}{flight}/")

    assert answer == Answer(404, JSON_READ, NOT_FOUND)


@pytest.mark.parametrize("value", ["abc", "4.0", "0x28", "%E2%80%A8"])
async def test_spacecraft_that_is_not_an_integer_is_a_400(
    api: Client, value: str
) -> None:
    answer = await fetch(api, f"{LIST}?spacecraft={value}")

    assert answer == Answer(400, JSON_READ, INVALID_CHOICE)


@pytest.mark.parametrize("value", ["99999999", "-1", "9223372036854775808"])
async def test_spacecraft_that_does_not_exist_is_a_400(api: Client, value: str) -> None:
    answer = await fetch(api, f"{LIST}?spacecraft={value}")

    assert answer == Answer(400, JSON_READ, INVALID_CHOICE)


@pytest.mark.parametrize(
    ("query", "previous"),
    [("spacecraft=100", None), ("spacecraft=100&offset=5", "limit=10&spacecraft=100")],
)
async def test_spacecraft_recorded_without_flights_is_an_empty_page(
    api: Client, query: str, previous: str | None
) -> None:
    answer = await fetch(api, f"{LIST}?{query}")

    previous_url = f"{base_of(api)}{LIST}?{previous}" if previous else None
    assert answer == Answer(200, JSON_READ, page(None, previous_url, [], count=0))


@pytest.mark.parametrize(
    "query", ["spacecraft=40,153", "spacecraft=40&spacecraft=153", "spacecraft=40,"]
)
async def test_several_spacecraft_are_a_400(api: Client, query: str) -> None:
    answer = await fetch(api, f"{LIST}?{query}")

    assert answer == Answer(400, JSON_READ, INVALID_CHOICE)


async def test_empty_spacecraft_is_ignored_and_kept_in_links(
    api: Client, items: dict[int, str]
) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?spacecraft=&limit=3")

    following = f"{base}{LIST}?limit=3&offset=3&spacecraft="
    assert answer == Answer(
        200, JSON_READ, page(following, None, texts(items, ALL_FLIGHTS[:3]))
    )


async def test_limit_over_one_hundred_is_capped(
    api: Client, items: dict[int, str]
) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?limit=500&offset=2")

    assert answer == Answer(
        200,
        JSON_READ,
        page(None, f"{base}{LIST}?limit=100", texts(items, ALL_FLIGHTS[2:])),
    )


@pytest.mark.parametrize("limit", ["0", "-3", "abc", "", "1.5"])
async def test_unusable_limit_falls_back_to_ten(
    api: Client, items: dict[int, str], limit: str
) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?limit={limit}")

    assert answer == Answer(
        200,
        JSON_READ,
        page(f"{base}{LIST}?limit=10&offset=10", None, texts(items, ALL_FLIGHTS[:10])),
    )


@pytest.mark.parametrize("offset", ["-5", "abc", ""])
async def test_unusable_offset_is_zero(
    api: Client, items: dict[int, str], offset: str
) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?offset={offset}&limit=2")

    assert answer == Answer(
        200,
        JSON_READ,
        page(f"{base}{LIST}?limit=2&offset=2", None, texts(items, ALL_FLIGHTS[:2])),
    )


@pytest.mark.parametrize("offset", [1000, 2**31, 2**63])
async def test_offset_past_the_count_is_an_empty_page(api: Client, offset: int) -> None:
    base = base_of(api)

    answer = await fetch(api, f"{LIST}?offset={offset}")

    previous = f"{base}{LIST}?limit=10&offset={offset - 10}"
    assert answer == Answer(200, JSON_READ, page(None, previous, []))


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/2.2.0/spacecraft/flight", "/2.2.0/spacecraft/flight/"),
        ("/2.2.0/spacecraft/flight/325", "/2.2.0/spacecraft/flight/325/"),
        ("/2.2.0/spacecraft/flight/3", "/2.2.0/spacecraft/flight/3/"),
        (
            "/2.2.0/spacecraft/flight?limit=3&offset=2",
            "/2.2.0/spacecraft/flight/?limit=3&offset=2",
        ),
        (
            "/api/2.2.0/spacecraft/flight/325?format=json&b=%C3%A4+x",
            "/api/2.2.0/spacecraft/flight/325/?format=json&b=%C3%A4+x",
        ),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_missing_slash_is_a_301_keeping_the_query_string(
    api: Client, path: str, location: str, method: str
) -> None:
    answer = await fetch(api, path, method=method)

    assert answer == Answer(301, {**REDIRECT, "Location": location}, b"")


async def test_format_xml_is_a_404(api: Client) -> None:
    answer = await fetch(api, f"{LIST}?format=xml")

    assert answer == Answer(404, JSON_READ, NOT_FOUND)


@pytest.mark.parametrize(
    "accept", ["application/xml", "text/plain", "image/png, application/yaml"]
)
async def test_unsatisfiable_accept_is_a_406(api: Client, accept: str) -> None:
    for path in (LIST, DETAIL_325):
        answer = await fetch(api, path, headers={"Accept": accept})

        assert answer == Answer(406, JSON_READ, NOT_ACCEPTABLE)


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("?format=api", {}),
        ("", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),
    ],
)
async def test_browser_or_format_api_gets_the_browsable_page(
    api: Client, query: str, headers: dict[str, str]
) -> None:
    base = base_of(api)
    data = (await fetch(api, f"{DETAIL_325}?format=api&format=json")).json()
    suffix = "?format=api" if query else ""
    shown = json.dumps(data, indent=4, ensure_ascii=False)
    shown = shown.replace("/?format=json", f"/{suffix}")

    answer = await fetch(api, f"{DETAIL_325}{query}", headers=headers)

    assert (answer.status, answer.headers) == (200, HTML_READ)
    body = answer.body.decode()
    assert "<title>Spacecraft Flight Instance – Flightlog</title>" in body
    assert all(html.escape(line, quote=False) in body for line in DESCRIPTION)
    assert shown_text(answer) == (
        "HTTP 200 OK\nAllow: GET\nContent-Type: application/json\n"
        f"Vary: Accept\n\n{shown}"
    )
    own = f"{base}/2.2.0/spacecraft/flight/325/{suffix}"
    assert f'<a href="{html.escape(own)}" rel="nofollow">' in body


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", [LIST, DETAIL_325, f"{API_LIST}999/"])
async def test_other_methods_are_a_405(api: Client, method: str, path: str) -> None:
    answer = await fetch(api, path, method=method)

    body = f'{{"detail":"Method \\"{method}\\" not allowed."}}'.encode()
    assert answer == Answer(405, JSON_READ, body)


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
async def test_head_and_plain_options_are_a_405(api: Client, method: str) -> None:
    answer = await fetch(api, DETAIL_325, method=method)

    body = f'{{"detail":"Method \\"{method}\\" not allowed."}}'.encode()
    assert answer == Answer(405, JSON_READ, b"" if method == "HEAD" else body)


@pytest.mark.parametrize("path", [LIST, DETAIL_325, API_LIST])
async def test_preflight_is_answered_on_read_routes(api: Client, path: str) -> None:
    answer = await fetch(
        api,
        path,
        method="OPTIONS",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "GET",
        },
    )

    assert answer == Answer(
        200,
        {
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, OPTIONS",
            "Access-Control-Allow-Headers": (
                "accept, authorization, content-type, user-agent, x-request-id, "
                "x-requested-with"
            ),
            "Access-Control-Max-Age": "86400",
        },
        b"",
    )


async def test_throttled_is_a_429_with_the_wait(seeded_apps: Apps) -> None:
    api = await seeded_apps.fresh(throttle_rate="2/hour")

    first = await fetch(api, DETAIL_325)
    second = await fetch(api, f"{LIST}?limit=1")
    third = await fetch(api, DETAIL_325)

    assert (first.status, second.status) == (200, 200)
    assert third == Answer(
        429,
        {**JSON_READ, "Retry-After": "3600"},
        b'{"detail":"Request was throttled. Expected available in 3600 seconds."}',
    )


# -- 3 headers on every response, CORS -------------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        (LIST, "GET", 200),
        (DETAIL_325, "GET", 200),
        (f"{API_LIST}325/", "GET", 200),
        (f"{LIST}?spacecraft=abc", "GET", 400),
        (f"{LIST}999999/", "GET", 404),
        (f"{LIST}?format=xml", "GET", 404),
        (LIST, "DELETE", 405),
    ],
)
async def test_every_json_read_answer_has_the_read_headers(
    api: Client, path: str, method: str, status: int
) -> None:
    answer = await fetch(api, path, method=method)

    assert (answer.status, answer.headers) == (status, JSON_READ)


@pytest.mark.parametrize("origin", [None, "https://app.example"])
async def test_reads_allow_every_origin_with_or_without_origin(
    api: Client, origin: str | None
) -> None:
    headers = {"Origin": origin} if origin else {}

    for path in (LIST, DETAIL_325, f"{LIST}999999/", "/2.2.0/spacecraft/flight"):
        answer = await fetch(api, path, headers=headers)

        assert answer.headers["Access-Control-Allow-Origin"] == "*"


async def test_operator_routes_get_no_cors_and_no_preflight(
    api: Client,
) -> None:
    path = "/2.2.0/spacecraft/flight/325/events/"
    origin = {"Origin": "https://app.example"}

    posted = await fetch(api, path, method="POST", headers=origin)
    preflight = await fetch(
        api,
        path,
        method="OPTIONS",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )

    assert posted.status == 401
    assert preflight.status == 405
    for answer in (posted, preflight):
        assert not any(h.startswith("Access-Control-") for h in answer.headers)


# -- 4 ordering inside a document ----------------------------------------------------


async def test_crews_are_ordered_by_role_priority_then_seat_id(api: Client) -> None:
    answer = await fetch(api, f"{LIST}?mode=detailed&limit=100")

    crews = [
        flight[crew]
        for flight in answer.json()["results"]
        for crew in ("launch_crew", "onboard_crew", "landing_crew")
    ]
    assert sum(len(crew) for crew in crews) >= 8
    for crew in crews:
        order = [(seat["role"]["priority"], seat["id"]) for seat in crew]
        assert order == sorted(order)
    soyuz_31 = (await fetch(api, DETAIL_325)).json()
    assert [seat["id"] for seat in soyuz_31["landing_crew"]] == [2854, 2847]


async def test_docking_events_are_ordered_by_docking_then_id(api: Client) -> None:
    answer = await fetch(api, f"{LIST}?mode=detailed&limit=100")

    dockings = [flight["docking_events"] for flight in answer.json()["results"]]
    assert sum(len(events) for events in dockings) == 3
    for events in dockings:
        order = [(event["docking"], event["id"]) for event in events]
        assert order == sorted(order)
    soyuz_31 = (await fetch(api, DETAIL_325)).json()
    assert [event["id"] for event in soyuz_31["docking_events"]] == [189, 190]


async def test_programs_of_a_launch_are_ordered_by_id(api: Client) -> None:
    answer = await fetch(api, f"{LIST}?mode=detailed&limit=100")

    programs = [flight["launch"]["program"] for flight in answer.json()["results"]]
    for program in programs:
        ids = [entry["id"] for entry in program]
        assert ids == sorted(ids)
    soyuz_31 = (await fetch(api, DETAIL_325)).json()
    assert [entry["id"] for entry in soyuz_31["launch"]["program"]] == [8, 23]


# -- 5 durations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "written"),
    [
        (timedelta(0), "P0D"),
        (timedelta(hours=4, minutes=55, seconds=44), "PT4H55M44S"),
        (timedelta(hours=9, minutes=56, seconds=59), "PT9H56M59S"),
        (timedelta(days=67, hours=20, minutes=12, seconds=47), "P67DT20H12M47S"),
        (timedelta(days=7, hours=20, minutes=49, seconds=4), "P7DT20H49M4S"),
        (timedelta(days=5), "P5D"),
        (timedelta(minutes=5), "PT5M"),
        (timedelta(days=400), "P400D"),
    ],
)
def test_durations_are_written_as_isodate_writes_them(
    elapsed: timedelta, written: str
) -> None:
    assert duration(elapsed.total_seconds()) == written


@pytest.mark.parametrize(
    ("field", "written"),
    [
        ("spacecraft.time_in_space", "P67DT20H12M47S"),
        ("spacecraft.time_docked", "P65DT14H40M23S"),
        ("launch_crew[1].astronaut.time_in_space", "P7DT20H49M4S"),
        ("launch_crew[1].astronaut.first_flight", "1978-08-26T14:51:30Z"),
        ("launch_crew[1].astronaut.last_flight", "1978-08-26T14:51:30Z"),
        ("launch_crew[0].astronaut.last_flight", "1978-08-26T14:51:30Z"),
        ("spacecraft.flights_count", 1),
        ("spacecraft.mission_ends_count", 1),
        ("spacecraft.in_space", False),
    ],
)
async def test_derived_values_of_flight_325_check_out(
    api: Client, field: str, written: Any
) -> None:
    answer = await fetch(api, DETAIL_325)

    assert dict(leaves(answer.json()))[field] == written


# -- the project's decisions -------------------------------------------------------


async def test_default_order_is_newest_id_first(api: Client) -> None:
    answer = await fetch(api, f"{LIST}?limit=100")

    assert [item["id"] for item in answer.json()["results"]] == ALL_FLIGHTS


async def test_not_found_body_is_drf_314s(api: Client) -> None:
    answer = await fetch(api, f"{LIST}999999/")

    assert answer == Answer(404, JSON_READ, b'{"detail":"Not found."}')


@pytest.mark.parametrize("flight", [90, 194, 327, 415])
async def test_flight_without_landing_has_landing_null(
    api: Client, items: dict[int, str], flight: int
) -> None:
    detail = await fetch(api, f"{LIST}{flight}/")

    assert b',"landing":null,"docking_events":' in detail.body
    assert items[flight].endswith(',"landing":null}')


async def test_mode_detailed_is_honoured_on_the_list(api: Client) -> None:
    answer = await fetch(api, f"{LIST}?mode=detailed&limit=100")

    for item in answer.json()["results"]:
        detail = await fetch(api, f"{LIST}{item['id']}/")
        assert compact(item).encode() == detail.body


async def test_counters_are_derived_from_the_log_never_copied(api: Client) -> None:
    answer = await fetch(api, f"{LIST}?mode=detailed&limit=100")
    flights = answer.json()["results"]

    endeavour = [f for f in flights if f["spacecraft"]["id"] == ENDEAVOUR]
    flown = sum(
        (_instant(f["mission_end"]) - _instant(f["launch"]["net"]) for f in endeavour),
        timedelta(),
    )
    soyuz_31 = next(f for f in flights if f["id"] == 325)
    docked = sum(
        (
            _instant(d["departure"]) - _instant(d["docking"])
            for d in soyuz_31["docking_events"]
        ),
        timedelta(),
    )
    for flight in endeavour:
        assert (
            flight["spacecraft"]
            | {
                "flights_count": 19,
                "mission_ends_count": 19,
                "time_in_space": isodate.duration_isoformat(flown),
                "in_space": False,
            }
            == flight["spacecraft"]
        )
    assert isodate.duration_isoformat(flown) == "P213DT8H31M13S"
    assert soyuz_31["spacecraft"]["time_docked"] == isodate.duration_isoformat(docked)
    assert soyuz_31["spacecraft"]["time_docked"] == "P65DT14H40M23S"


@pytest.mark.parametrize("steps", [1, 2])
async def test_ongoing_flight_counts_up_to_the_request_time(
    client: Client, token: str, steps: int
) -> None:
    await record_flight(client, token, steps=steps)

    answer = await fetch(client, "/2.2.0/spacecraft/flight/9001/")

    want = expected(steps, base_of(client))
    assert answer == Answer(200, JSON_READ, compact(want).encode())
    assert want["spacecraft"]["in_space"] is True
    assert want["spacecraft"]["time_in_space"] == "P30DT12H"


@pytest.mark.parametrize(
    ("rate", "wait", "unit"),
    [("2/hour", 3600, "seconds"), ("1/second", 1, "second")],
)
async def test_rate_limit_per_address_when_configured(
    seeded_apps: Apps, rate: str, wait: int, unit: str
) -> None:
    api = await seeded_apps.fresh(throttle_rate=rate, trust_proxy=True)
    count = int(rate.split("/")[0])
    me = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
    other = {"X-Forwarded-For": "198.51.100.8"}

    admitted = [await fetch(api, DETAIL_325, headers=me) for _ in range(count)]
    refused = await fetch(api, DETAIL_325, headers=me)
    elsewhere = await fetch(api, DETAIL_325, headers=other)

    assert [a.status for a in admitted] == [200] * count
    body = f'{{"detail":"Request was throttled. Expected available in {wait} {unit}."}}'
    assert refused == Answer(
        429, {**JSON_READ, "Retry-After": str(wait)}, body.encode()
    )
    assert elsewhere.status == 200


async def test_rate_limit_is_off_by_default(api: Client) -> None:
    answers = [await fetch(api, f"{LIST}?limit=1") for _ in range(40)]

    assert {a.status for a in answers} == {200}


async def test_rate_limit_skips_preflights_and_redirects(
    seeded_apps: Apps,
) -> None:
    api = await seeded_apps.fresh(throttle_rate="1/hour")
    preflight = {"Origin": "https://a.example", "Access-Control-Request-Method": "GET"}

    for _ in range(3):
        assert (await fetch(api, LIST.rstrip("/"))).status == 301
        assert (await fetch(api, LIST, "OPTIONS", preflight)).status == 200
    first = await fetch(api, LIST)
    second = await fetch(api, f"{LIST}?format=xml")
    third = await fetch(api, LIST, method="POST")

    assert (first.status, second.status, third.status) == (200, 404, 429)


# -- helpers -----------------------------------------------------------------------


def shown_text(answer: Answer) -> str:
    """The text a browsable page shows in its response block."""
    found = re.search(r'<pre class="response">(.*?)</pre>', answer.body.decode(), re.S)
    assert found is not None, answer.body[:300]
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def shown_json(answer: Answer) -> Any:
    """The JSON of an answer, or the JSON its browsable page shows."""
    if answer.headers["Content-Type"].startswith("text/html"):
        return json.loads(shown_text(answer).split("\n\n", 1)[1])
    return answer.json()


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def record_flight(
    client: Client,
    token: str,
    steps: int,
    bio: str = "",
    landed_at: str | None = None,
) -> None:
    """Post the fixture flight's references and its first ``steps`` events."""
    auth = {"Authorization": f"Bearer {token}"}
    for path, event_type, data in REFERENCES:
        if event_type == "astronaut_recorded":
            data = {**data, "bio": bio}
        body = {"type": event_type, "occurred_at": "2026-10-01T00:00:00Z", "data": data}
        response = await client.post(f"/2.2.0/{path}/events/", json=body, headers=auth)
        assert response.status == 201, await response.text()
    for event_type, at, data in STEPS[:steps]:
        if event_type == "landing" and landed_at is not None:
            at = landed_at
        body = {"type": event_type, "occurred_at": at, "data": data}
        response = await client.post(
            "/2.2.0/spacecraft/flight/9001/events/", json=body, headers=auth
        )
        assert response.status == 201, await response.text()
