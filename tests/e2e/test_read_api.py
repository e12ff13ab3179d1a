"""The LL2 read endpoints and the error middleware, driven through HTTP.

The application here is built from the read routes alone, on an in-memory read
model holding documents encoded the way the projections encode them, so every
status, header and byte is asserted exactly without a database.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from yarl import URL

from events.errors import (
    FlightlogError,
    Forbidden,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    RuleViolation,
    Throttled,
    Unauthenticated,
    Unavailable,
    VersionConflict,
)
from projections.encoding import Segments, encode
from projections.store import Page
from projections.values import Link
from service.errors import error_middleware
from service.keys import READ_MODEL, REQUEST_ID, SETTINGS
from service.read_api import MAX_SKIP, THROTTLE, add_read_routes
from service.settings import Settings
from service.throttle import RateLimiter

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]

HOST = {"Host": "ll.example"}
LIST = "/2.2.0/spacecraft/flight/"
BASE = "http://ll.example"
INVALID_CHOICE = (
    '{"spacecraft":["Select a valid choice. '
    'That choice is not one of the available choices."]}'
)
JSON_READ_HEADERS = {
    "Content-Type": "application/json",
    "Vary": "Accept",
    "Allow": "GET",
    "Access-Control-Allow-Origin": "*",
}
CRAFT = {1: 40, 2: 40, 3: 40, 4: 153, 5: 153}


def item(flight_id: int) -> dict[str, Any]:
    spacecraft = CRAFT[flight_id]
    return {
        "id": flight_id,
        "url": Link("self", f"/2.2.0/spacecraft/flight/{flight_id}/"),
        "destination": "Salyut 6",
        "mission_end": "1978-11-02T11:04:17Z" if flight_id < 5 else None,
        "spacecraft": {
            "id": spacecraft,
            "url": Link("self", f"/2.2.0/spacecraft/{spacecraft}/"),
            "name": "Soyuz <7K-T> & co",
        },
        "launch": {"id": f"L{flight_id}", "url": Link("upstream", "/2.2.0/launch/L/")},
        "landing": None,
    }


def detail(flight_id: int) -> dict[str, Any]:
    document = item(flight_id)
    crew = [{"id": 2904, "name": "Sigmund Jähn", "bio": "a\r\nb\u2028c"}]
    return {**document, "launch_crew": crew, "docking_events": []}


def item_text(
    flight_id: int, suffix: str = "", upstream: str = "https://up.example"
) -> str:
    spacecraft = CRAFT[flight_id]
    end = '"1978-11-02T11:04:17Z"' if flight_id < 5 else "null"
    return (
        f'{{"id":{flight_id},'
        f'"url":"{BASE}/2.2.0/spacecraft/flight/{flight_id}/{suffix}",'
        f'"destination":"Salyut 6","mission_end":{end},'
        f'"spacecraft":{{"id":{spacecraft},'
        f'"url":"{BASE}/2.2.0/spacecraft/{spacecraft}/{suffix}",'
        f'"name":"Soyuz <7K-T> & co"}},"launch":{{"id":"L{flight_id}",'
        f'"url":"{upstream}/2.2.0/launch/L/{suffix}"}},"landing":null}}'
    )


class MemoryReadModel:
    """The read model port over five flights in memory; it records page calls."""

    def __init__(self) -> None:
        self.items = {i: encode(item(i)) for i in CRAFT}
        self.details = {i: encode(detail(i)) for i in CRAFT}
        self.pages: list[tuple[int | None, int, int, bool]] = []

    async def detail(self, flight_id: int) -> Segments | None:
        return self.details.get(flight_id)

    async def page(
        self, spacecraft: int | None, offset: int, limit: int, detailed: bool
    ) -> Page:
        self.pages.append((spacecraft, offset, limit, detailed))
        ids = sorted(
            (i for i in CRAFT if spacecraft is None or CRAFT[i] == spacecraft),
            reverse=True,
        )
        shelf = self.details if detailed else self.items
        return Page(len(ids), [shelf[i] for i in ids[offset : offset + limit]])

    async def has_spacecraft(self, spacecraft: int) -> bool:
        return spacecraft in CRAFT.values()


async def raise_from_query(request: web.Request) -> web.StreamResponse:
    raise ERRORS[request.query["error"]]


async def operator_events(request: web.Request) -> web.StreamResponse:
    return web.json_response({"version": 1}, status=201)


async def refuse_big_body(request: web.Request) -> web.StreamResponse:
    raise web.HTTPRequestEntityTooLarge(max_size=10, actual_size=20)


async def refuse_with_json(request: web.Request) -> web.StreamResponse:
    raise web.HTTPUnsupportedMediaType(
        text='{"detail":"Unsupported media type."}', content_type="application/json"
    )


async def with_request_id(request: web.Request) -> web.StreamResponse:
    request[REQUEST_ID] = "req-from-middleware"
    raise RuntimeError("boom")


ERRORS: dict[str, Exception] = {
    "invalid": InvalidInput("Invalid event.", {"data.net": ["Field required"]}),
    "rule": RuleViolation("landing-once", "flight 3 has landed already"),
    "conflict": VersionConflict("flight-3", 2, 4),
    "idempotency": IdempotencyMismatch("key reused with another body"),
    "unauthenticated": Unauthenticated("Missing bearer token."),
    "forbidden": Forbidden("admins only"),
    "operator-not-found": NotFound("Flight 9 has no stream."),
    "unavailable": Unavailable("database unreachable", retry_after=7),
    "throttled-one": Throttled(1),
    "bare": FlightlogError("no status for this"),
    "bug": RuntimeError("boom"),
}


def build_app(settings: Settings, model: MemoryReadModel) -> web.Application:
    app = web.Application(middlewares=[error_middleware])
    app[SETTINGS] = settings
    app[READ_MODEL] = model
    add_read_routes(app)
    app.router.add_post(LIST + "{id}/events/", operator_events)
    app.router.add_get("/raise", raise_from_query)
    app.router.add_post("/too-big", refuse_big_body)
    app.router.add_get("/request-id", with_request_id)
    app.router.add_post("/json-415", refuse_with_json)
    return app


@pytest.fixture
def model() -> MemoryReadModel:
    return MemoryReadModel()


@pytest.fixture
def make_client(
    aiohttp_client: Callable[..., Awaitable[Client]], model: MemoryReadModel
) -> MakeClient:
    async def make(**overrides: Any) -> Client:
        limiter = overrides.pop("limiter", None)
        options = {"upstream_url": "https://up.example", **overrides}
        app = build_app(Settings(_env_file=None, **options), model)
        if limiter is not None:
            app[THROTTLE] = limiter
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def api(make_client: MakeClient) -> Client:
    return await make_client()


async def fetch(
    api: Client, path: str, method: str = "GET", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    # Sent as written: the client would otherwise normalise the query.
    url = URL(path, encoded=True)
    response = await api.request(
        method, url, headers={**HOST, **headers}, allow_redirects=False
    )
    body = await response.read()
    return response.status, dict(response.headers), body


def picked(headers: dict[str, str], *names: str) -> dict[str, str]:
    return {name: headers[name] for name in names if name in headers}


READ_NAMES = ("Content-Type", "Vary", "Allow", "Access-Control-Allow-Origin")


# The list


async def test_first_page_is_the_newest_flights_with_a_next_link(
    api: Client,
) -> None:
    status, headers, body = await fetch(api, LIST + "?limit=2")

    assert status == 200
    assert picked(headers, *READ_NAMES) == JSON_READ_HEADERS
    assert body.decode() == (
        f'{{"count":5,"next":"{BASE}{LIST}?limit=2&offset=2","previous":null,'
        f'"results":[{item_text(5)},{item_text(4)}]}}'
    )


async def test_links_reencode_the_query_as_django_does(api: Client) -> None:
    _, _, body = await fetch(api, LIST + "?y=1+2&x=%2F%C3%A4&flag&limit=2")

    assert json.loads(body)["next"] == (
        f"{BASE}{LIST}?flag=&limit=2&offset=2&x=%2F%C3%A4&y=1+2"
    )


async def test_middle_page_links_both_ways_and_keeps_other_parameters(
    api: Client, model: MemoryReadModel
) -> None:
    status, _, body = await fetch(api, LIST + "?offset=2&limit=2&foo=bar")

    assert status == 200
    page = json.loads(body)
    assert page["next"] == f"{BASE}{LIST}?foo=bar&limit=2&offset=4"
    assert page["previous"] == f"{BASE}{LIST}?foo=bar&limit=2"
    assert [flight["id"] for flight in page["results"]] == [3, 2]
    assert model.pages == [(None, 2, 2, False)]


async def test_default_limit_is_ten_and_the_last_page_has_no_next(
    api: Client, model: MemoryReadModel
) -> None:
    _, _, body = await fetch(api, LIST)

    page = json.loads(body)
    assert (page["count"], page["next"], page["previous"]) == (5, None, None)
    assert [flight["id"] for flight in page["results"]] == [5, 4, 3, 2, 1]
    assert model.pages == [(None, 0, 10, False)]


async def test_spacecraft_filter_narrows_the_count(api: Client) -> None:
    _, _, body = await fetch(api, LIST + "?spacecraft=153&limit=1")

    page = json.loads(body)
    assert page["count"] == 2
    assert page["next"] == f"{BASE}{LIST}?limit=1&offset=1&spacecraft=153"
    assert [flight["id"] for flight in page["results"]] == [5]


async def test_empty_spacecraft_is_ignored_and_kept_in_links(api: Client) -> None:
    _, _, body = await fetch(api, LIST + "?spacecraft=&limit=4")

    page = json.loads(body)
    assert page["count"] == 5
    assert page["next"] == f"{BASE}{LIST}?limit=4&offset=4&spacecraft="


@pytest.mark.parametrize(
    "query",
    [
        "spacecraft=abc",
        "spacecraft=99",
        "spacecraft=1,2",
        "spacecraft=40&spacecraft=153",
        "spacecraft=-1",
        "spacecraft=99999999999999999999999",
    ],
)
async def test_spacecraft_that_names_no_known_spacecraft_is_a_400(
    api: Client, model: MemoryReadModel, query: str
) -> None:
    status, headers, body = await fetch(api, f"{LIST}?{query}")

    assert status == 400
    assert picked(headers, *READ_NAMES) == JSON_READ_HEADERS
    assert body.decode() == INVALID_CHOICE
    assert model.pages == []


async def test_limit_is_capped_at_one_hundred(
    api: Client, model: MemoryReadModel
) -> None:
    _, _, body = await fetch(api, LIST + "?limit=500")

    assert json.loads(body)["next"] is None
    assert model.pages == [(None, 0, 100, False)]


@pytest.mark.parametrize("limit", ["0", "-3", "abc"])
async def test_unusable_limit_falls_back_to_ten(
    api: Client, model: MemoryReadModel, limit: str
) -> None:
    _, _, body = await fetch(api, f"{LIST}?limit={limit}&offset=3")

    assert json.loads(body)["previous"] == f"{BASE}{LIST}?limit=10"
    assert model.pages == [(None, 3, 10, False)]


@pytest.mark.parametrize("offset", ["-5", "abc"])
async def test_unusable_offset_is_zero(
    api: Client, model: MemoryReadModel, offset: str
) -> None:
    status, _, body = await fetch(api, f"{LIST}?offset={offset}")

    assert status == 200
    assert json.loads(body)["previous"] is None
    assert model.pages == [(None, 0, 10, False)]


async def test_offset_past_the_end_is_an_empty_page(api: Client) -> None:
    _, _, body = await fetch(api, LIST + "?offset=1000")

    assert body.decode() == (
        f'{{"count":5,"next":null,"previous":"{BASE}{LIST}?limit=10&offset=990",'
        '"results":[]}'
    )


async def test_huge_offset_never_reaches_the_store_as_is(
    api: Client, model: MemoryReadModel
) -> None:
    huge = 10**30
    _, _, body = await fetch(api, f"{LIST}?offset={huge}")

    assert json.loads(body)["previous"] == f"{BASE}{LIST}?limit=10&offset={huge - 10}"
    assert model.pages == [(None, MAX_SKIP, 10, False)]


async def test_mode_detailed_gives_detail_shaped_items(
    api: Client, model: MemoryReadModel
) -> None:
    _, _, body = await fetch(api, LIST + "?mode=detailed&limit=1")

    page = json.loads(body)
    assert list(page["results"][0]) == [*item(5), "launch_crew", "docking_events"]
    assert page["next"] == f"{BASE}{LIST}?limit=1&mode=detailed&offset=1"
    assert model.pages == [(None, 0, 1, True)]


async def test_api_prefix_serves_the_same_list_and_links_to_itself(
    api: Client,
) -> None:
    status, _, body = await fetch(api, "/api" + LIST + "?limit=4")

    assert status == 200
    page = json.loads(body)
    assert page["next"] == f"{BASE}/api{LIST}?limit=4&offset=4"
    assert page["results"][0]["url"] == f"{BASE}{LIST}5/"


# The detail


async def test_detail_bytes_are_compact_utf8_with_line_separators_escaped(
    api: Client,
) -> None:
    status, headers, body = await fetch(api, LIST + "3/")

    assert status == 200
    assert picked(headers, *READ_NAMES) == JSON_READ_HEADERS
    crew = '"launch_crew":[{"id":2904,"name":"Sigmund Jähn","bio":"a\\r\\nb\\u2028c"}]'
    expected = item_text(3)[:-1] + "," + crew + ',"docking_events":[]}'
    assert body == expected.encode()


@pytest.mark.parametrize("path", ["999/", "abc/", "0/", "-3/", "99999999999999999999/"])
async def test_unknown_or_malformed_id_is_not_found(api: Client, path: str) -> None:
    status, headers, body = await fetch(api, LIST + path)

    assert status == 404
    assert picked(headers, *READ_NAMES) == JSON_READ_HEADERS
    assert body == b'{"detail":"Not found."}'


async def test_path_outside_every_route_is_a_json_404(api: Client) -> None:
    status, headers, body = await fetch(api, LIST + "1.5/")

    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert body == b'{"detail":"Not found."}'


async def test_api_prefix_serves_the_detail(api: Client) -> None:
    status, _, body = await fetch(api, "/api" + LIST + "3/?format=json")

    assert status == 200
    assert json.loads(body)["url"] == f"{BASE}{LIST}3/?format=json"


# Formats, negotiation and links


async def test_format_json_is_echoed_in_every_url_and_nothing_else(
    api: Client,
) -> None:
    _, _, body = await fetch(api, LIST + "?format=json&limit=1&spacecraft=153")

    assert body.decode() == (
        f'{{"count":2,"next":"{BASE}{LIST}'
        '?format=json&limit=1&offset=1&spacecraft=153",'
        f'"previous":null,"results":[{item_text(5, "?format=json")}]}}'
    )


@pytest.mark.parametrize(
    ("setting", "upstream"),
    [(None, BASE), ("https://up.example/", "https://up.example")],
    ids=["default", "configured"],
)
async def test_links_of_other_resources_follow_the_upstream_setting(
    make_client: MakeClient, setting: str | None, upstream: str
) -> None:
    default = Settings.model_fields["upstream_url"].default
    api = await make_client(upstream_url=default if setting is None else setting)

    _, _, body = await fetch(api, LIST + "?format=json&limit=1")

    assert default == ""
    assert body.decode() == (
        f'{{"count":5,"next":"{BASE}{LIST}?format=json&limit=1&offset=1",'
        f'"previous":null,"results":[{item_text(5, "?format=json", upstream)}]}}'
    )


@pytest.mark.parametrize("query", ["format=xml", "format=JSON", "format=yaml"])
async def test_unknown_format_is_not_found(api: Client, query: str) -> None:
    status, headers, body = await fetch(api, f"{LIST}?{query}")

    assert status == 404
    assert picked(headers, *READ_NAMES) == JSON_READ_HEADERS
    assert body == b'{"detail":"Not found."}'


async def test_unsatisfiable_accept_is_a_406(api: Client) -> None:
    status, headers, body = await fetch(api, LIST + "3/", Accept="application/xml")

    assert status == 406
    assert picked(headers, *READ_NAMES) == JSON_READ_HEADERS
    assert body == b'{"detail":"Could not satisfy the request Accept header."}'


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/*"])
async def test_json_accept_values_get_json(api: Client, accept: str) -> None:
    status, headers, _ = await fetch(api, LIST, Accept=accept)

    assert status == 200
    assert headers["Content-Type"] == "application/json"


async def test_trusted_proxy_headers_build_every_link(make_client: MakeClient) -> None:
    api = await make_client(trust_proxy=True, upstream_url="")
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ll.proxy.example"}

    _, _, body = await fetch(api, LIST + "?limit=1", **headers)

    page = json.loads(body)
    assert page["next"] == f"https://ll.proxy.example{LIST}?limit=1&offset=1"
    assert page["results"][0]["url"] == f"https://ll.proxy.example{LIST}5/"
    launch = "https://ll.proxy.example/2.2.0/launch/L/"
    assert page["results"][0]["launch"]["url"] == launch


async def test_proxy_headers_are_ignored_unless_trusted(api: Client) -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}

    _, _, body = await fetch(api, LIST + "5/", **headers)

    assert json.loads(body)["url"] == f"{BASE}{LIST}5/"


async def test_malformed_host_is_a_400(api: Client) -> None:
    status, _, body = await fetch(api, LIST, Host="evil.example/x")

    assert status == 400
    assert body == b'{"detail":"Invalid Host header."}'


# The browsable page


async def test_format_api_is_an_html_page_with_clickable_urls(api: Client) -> None:
    status, headers, body = await fetch(api, LIST + "3/?format=api")

    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert picked(headers, "Vary", "Allow") == {"Vary": "Accept", "Allow": "GET"}
    page = body.decode()
    assert "<title>Spacecraft Flight Instance – Flightlog</title>" in page
    assert '<link rel="stylesheet" href="/static/browsable.css">' in page
    assert "<script" not in page
    assert (
        '<span class="meta"><b>HTTP 200 OK</b>\n'
        '<b>Allow:</b> <span class="lit">GET</span>\n'
        '<b>Content-Type:</b> <span class="lit">application/json</span>\n'
        '<b>Vary:</b> <span class="lit">Accept</span>\n\n</span>{\n    "id": 3,\n'
    ) in page
    url = f"{BASE}{LIST}3/?format=api"
    assert f'"url": "<a href="{url}" rel="nofollow">{url}</a>",' in page
    assert '"name": "Soyuz &lt;7K-T&gt; &amp; co"' in page
    assert '"name": "Sigmund Jähn",' in page
    assert '"bio": "a\\r\\nb\\u2028c"' in page
    assert "API endpoint that allows a flight of a specific Spacecraft" in page


async def test_browser_accept_gets_the_list_page_with_a_pager(api: Client) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

    status, headers, body = await fetch(api, LIST + "?limit=2", Accept=accept)

    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert "<h1>Spacecraft Flight List</h1>" in page
    assert f'<a rel="next" href="{BASE}{LIST}?limit=2&amp;offset=2">Next »</a>' in page
    assert f'<a href="{LIST}?format=json&amp;limit=2">json</a>' in page


async def test_errors_of_a_browsable_request_are_pages_too(api: Client) -> None:
    status, headers, body = await fetch(api, LIST + "?format=api&spacecraft=x")

    assert status == 400
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert "<b>HTTP 400 Bad Request</b>" in page
    assert '    "spacecraft": [\n' in page


async def test_stylesheet_is_served_locally(api: Client) -> None:
    status, headers, body = await fetch(api, "/static/browsable.css")

    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert b"pre.response" in body


# Slashes, methods and CORS


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/2.2.0/spacecraft/flight", LIST),
        ("/2.2.0/spacecraft/flight?limit=3&offset=2", LIST + "?limit=3&offset=2"),
        ("/2.2.0/spacecraft/flight/3", LIST + "3/"),
        ("/2.2.0/spacecraft/flight/abc?format=api", LIST + "abc/?format=api"),
        ("/api/2.2.0/spacecraft/flight", "/api" + LIST),
        ("/2.2.0/spacecraft/flight?q=%2F+x&flag", LIST + "?q=%2F+x&flag"),
    ],
)
async def test_missing_slash_is_a_permanent_redirect(
    api: Client, path: str, location: str
) -> None:
    status, headers, body = await fetch(api, path)

    assert status == 301
    assert headers["Location"] == location
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_other_methods_are_not_allowed(api: Client, method: str) -> None:
    status, headers, body = await fetch(api, LIST + "3/", method)

    assert status == 405
    assert picked(headers, *READ_NAMES) == JSON_READ_HEADERS
    assert body == f'{{"detail":"Method \\"{method}\\" not allowed."}}'.encode()


async def test_head_is_not_allowed(api: Client) -> None:
    status, headers, _ = await fetch(api, LIST, "HEAD")

    assert status == 405
    assert headers["Allow"] == "GET"


async def test_preflight_is_answered_on_read_routes(api: Client) -> None:
    status, headers, body = await fetch(
        api,
        LIST,
        "OPTIONS",
        Origin="https://app.example",
        **{"Access-Control-Request-Method": "GET"},
    )

    assert status == 200
    assert body == b""
    assert picked(
        headers, "Access-Control-Allow-Origin", "Access-Control-Allow-Methods"
    ) == {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, OPTIONS",
    }


async def test_plain_options_is_not_allowed(api: Client) -> None:
    status, _, body = await fetch(api, LIST, "OPTIONS")

    assert status == 405
    assert body == b'{"detail":"Method \\"OPTIONS\\" not allowed."}'


async def test_operator_routes_get_no_cors_and_no_preflight(api: Client) -> None:
    path = LIST + "3/events/"
    preflight = {
        "Origin": "https://app.example",
        "Access-Control-Request-Method": "POST",
    }

    status, headers, body = await fetch(api, path, "OPTIONS", **preflight)

    assert status == 405
    assert headers["Allow"] == "POST"
    assert "Access-Control-Allow-Origin" not in headers
    assert body == b'{"detail":"Method \\"OPTIONS\\" not allowed."}'

    status, headers, _ = await fetch(api, path, "POST", Origin="https://app.example")
    assert status == 201
    assert "Access-Control-Allow-Origin" not in headers


# Throttling


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_throttle_refuses_past_the_rate_with_the_wait(
    make_client: MakeClient,
) -> None:
    clock = Clock()
    api = await make_client(limiter=RateLimiter(2, 3600, clock))

    assert (await fetch(api, LIST))[0] == 200
    clock.now += 600
    assert (await fetch(api, LIST + "3/"))[0] == 200
    status, headers, body = await fetch(api, LIST)

    assert status == 429
    assert picked(headers, "Retry-After", "Allow", "Vary") == {
        "Retry-After": "3000",
        "Allow": "GET",
        "Vary": "Accept",
    }
    assert (
        body
        == b'{"detail":"Request was throttled. Expected available in 3000 seconds."}'
    )

    clock.now += 3000
    assert (await fetch(api, LIST))[0] == 200


async def test_throttle_counts_each_forwarded_address_behind_a_proxy(
    make_client: MakeClient,
) -> None:
    api = await make_client(trust_proxy=True, limiter=RateLimiter(1, 60, Clock()))
    first = {"X-Forwarded-For": "203.0.113.9, 198.51.100.1"}
    second = {"X-Forwarded-For": "198.51.100.2"}

    assert (await fetch(api, LIST, **first))[0] == 200
    assert (await fetch(api, LIST, **second))[0] == 200
    assert (await fetch(api, LIST, **first))[0] == 429


async def test_throttle_rate_from_settings(make_client: MakeClient) -> None:
    api = await make_client(throttle_rate="1/minute")

    assert (await fetch(api, LIST))[0] == 200
    status, headers, body = await fetch(api, LIST + "?format=api")

    assert status == 429
    assert headers["Retry-After"] == "60"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Expected available in 60 seconds." in body.decode()


async def test_no_throttle_by_default(api: Client) -> None:
    statuses = {(await fetch(api, LIST))[0] for _ in range(30)}

    assert statuses == {200}


# The error middleware


@pytest.mark.parametrize(
    ("error", "status", "body", "extra"),
    [
        (
            "invalid",
            400,
            '{"detail":"Invalid event.","errors":{"data.net":["Field required"]}}',
            {},
        ),
        (
            "rule",
            409,
            '{"detail":"flight 3 has landed already","rule":"landing-once"}',
            {},
        ),
        (
            "conflict",
            409,
            '{"detail":"stream flight-3 is at version 4, not 2; '
            'read it again and retry"}',
            {},
        ),
        ("idempotency", 422, '{"detail":"key reused with another body"}', {}),
        (
            "unauthenticated",
            401,
            '{"detail":"Missing bearer token."}',
            {"WWW-Authenticate": "Bearer"},
        ),
        ("forbidden", 403, '{"detail":"admins only"}', {}),
        ("operator-not-found", 404, '{"detail":"Flight 9 has no stream."}', {}),
        (
            "unavailable",
            503,
            '{"detail":"database unreachable"}',
            {"Retry-After": "7"},
        ),
        (
            "throttled-one",
            429,
            '{"detail":"Request was throttled. Expected available in 1 second."}',
            {"Retry-After": "1"},
        ),
    ],
)
async def test_each_error_becomes_its_status_body_and_headers(
    api: Client, error: str, status: int, body: str, extra: dict[str, str]
) -> None:
    got_status, headers, got_body = await fetch(api, f"/raise?error={error}")

    assert got_status == status
    assert headers["Content-Type"] == "application/json"
    assert got_body.decode() == body
    assert picked(headers, *extra) == extra
    assert "Allow" not in headers
    assert "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize("error", ["bug", "bare"])
async def test_unexpected_errors_are_500s_logged_once_with_the_request_id(
    api: Client, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    with caplog.at_level(logging.ERROR, logger="service.errors"):
        status, headers, body = await fetch(
            api, f"/raise?error={error}", **{"X-Request-ID": "abc-123"}
        )

    assert status == 500
    assert headers["Content-Type"] == "application/json"
    assert body == b'{"detail":"Internal server error.","request_id":"abc-123"}'
    records = [r for r in caplog.records if r.name == "service.errors"]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert "abc-123" in records[0].getMessage()


async def test_request_id_set_by_an_earlier_middleware_wins(api: Client) -> None:
    status, _, body = await fetch(api, "/request-id", **{"X-Request-ID": "from-header"})

    assert status == 500
    assert json.loads(body)["request_id"] == "req-from-middleware"


async def test_500_without_any_request_id_makes_one_up(api: Client) -> None:
    _, headers, body = await fetch(api, "/raise?error=bug")

    request_id = json.loads(body)["request_id"]
    assert len(request_id) == 32
    assert headers["X-Request-ID"] == request_id


async def test_other_http_errors_keep_their_status_with_a_json_body(
    api: Client,
) -> None:
    status, headers, body = await fetch(api, "/too-big", "POST")

    assert status == 413
    assert headers["Content-Type"] == "application/json"
    assert body == (b'{"detail":"Maximum request body size 10 exceeded."}')


async def test_http_errors_that_already_carry_json_pass_unchanged(api: Client) -> None:
    status, headers, body = await fetch(api, "/json-415", "POST")

    assert status == 415
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert body == b'{"detail":"Unsupported media type."}'
