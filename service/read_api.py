"""The LL2 read endpoints: the spacecraft flight list and a flight's detail.

Both answer GET only, under ``/2.2.0/`` and ``/api/2.2.0/``. Stored documents
are filled in (hosts, ``format``, running durations) and joined as text, never
parsed again, except for the browsable page which pretty-prints them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from events.catalog import stream_name
from events.errors import NotFound
from projections.encoding import Filler
from service import browsable, conditional, ll2
from service.errors import RENDERER, MethodNotAllowed, Renderer, json_response
from service.keys import CLOCK, READ_MODEL, SETTINGS
from service.resources import DATABASE
from service.throttle import RateLimiter, client_address

logger = logging.getLogger(__name__)

PREFIXES = ("", "/api")
COLLECTION = "/2.2.0/spacecraft/flight"
FLIGHT_ID = "{id:[^/.]+}"  # what LL2's router accepts as a lookup value
STYLESHEET = Path(__file__).parent / "static" / "browsable.css"
MAX_SKIP = 2**31 - 1  # any offset past this is past the end anyway
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": (
        "accept, authorization, content-type, user-agent, x-request-id, "
        "x-requested-with"
    ),
    "Access-Control-Max-Age": "86400",
}
JSON_HEADERS = {"Allow": "GET", "Content-Type": "application/json", "Vary": "Accept"}

# Request key set once a request is handled by a read view; its response then
# gets the read headers (``_read_headers``), errors included.
READ = web.RequestKey("read_route", bool)
THROTTLE = web.AppKey("read_throttle", RateLimiter)

View = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class _Read:
    query: ll2.Query
    renderer: ll2.Renderer
    filler: Filler


def add_read_routes(app: web.Application) -> None:
    """Register the read endpoints, their slash redirects and the page's styles."""
    for prefix in PREFIXES:
        collection = prefix + COLLECTION
        _add_read(app, f"{collection}/", flight_list, browsable.LIST_TITLE)
        _add_read(
            app, f"{collection}/{FLIGHT_ID}/", flight_detail, browsable.DETAIL_TITLE
        )
        app.router.add_route("*", collection, append_slash)
        app.router.add_route("*", f"{collection}/{FLIGHT_ID}", append_slash)
    app.router.add_get("/static/browsable.css", stylesheet)
    app.on_response_prepare.append(_read_headers)
    app.on_startup.append(_start_throttle)


async def flight_list(request: web.Request) -> web.StreamResponse:
    """``GET /2.2.0/spacecraft/flight/``: one page of flights, newest first."""
    read = _begin(request, browsable.LIST_TITLE)
    model = request.app[READ_MODEL]
    as_json = read.renderer == "json"
    key = await conditional.page_key(model, request, read.filler) if as_json else None
    kept = conditional.recall_page(model, key, read.filler)
    if kept is not None:
        return conditional.respond(request, kept)

    spacecraft = ll2.spacecraft_filter(read.query)
    if spacecraft is not None and not await _known_spacecraft(request, spacecraft):
        raise ll2.invalid_spacecraft()

    limit = ll2.page_limit(read.query)
    offset = ll2.page_offset(read.query)
    detailed = ll2.detailed(read.query)
    page = await model.page(spacecraft, min(offset, MAX_SKIP), limit, detailed)

    page_url = read.filler.self_base + request.path
    following = ll2.next_link(page_url, read.query, offset, limit, page.count)
    previous = ll2.previous_link(page_url, read.query, offset, limit)
    items = (read.filler.fill(document) for document in page.documents)
    text = ll2.envelope(page.count, following, previous, items)
    if as_json:
        found = conditional.keep_page(model, key, text, page.documents, read.filler)
        return conditional.respond(request, found)
    return _respond(request, read, browsable.LIST_TITLE, text, (previous, following))


async def flight_detail(request: web.Request) -> web.StreamResponse:
    """``GET /2.2.0/spacecraft/flight/{id}/``: one flight in the detail shape."""
    read = _begin(request, browsable.DETAIL_TITLE)
    flight_id = ll2.flight_id(request.match_info["id"])
    if flight_id is None:
        raise NotFound(ll2.NOT_FOUND)
    model = request.app[READ_MODEL]
    if read.renderer == "json":
        found = await conditional.detail(model, flight_id, read.filler)
        if found is None:
            raise NotFound(ll2.NOT_FOUND)
        return conditional.respond(request, found)

    document = await model.detail(flight_id)
    if document is None:
        raise NotFound(ll2.NOT_FOUND)

    text = read.filler.fill(document)
    return _respond(request, read, browsable.DETAIL_TITLE, text)


async def append_slash(request: web.Request) -> web.StreamResponse:
    """301 to the same path with a trailing slash, query string kept."""
    url = request.rel_url
    query = f"?{url.raw_query_string}" if url.raw_query_string else ""
    headers = {
        "Location": f"{url.raw_path}/{query}",
        "Access-Control-Allow-Origin": "*",
    }
    return web.Response(
        status=301, headers=headers, content_type="text/html", charset="utf-8"
    )


async def stylesheet(request: web.Request) -> web.StreamResponse:
    """The browsable page's styles."""
    return web.FileResponse(STYLESHEET)


async def _known_spacecraft(request: web.Request, spacecraft: int) -> bool:
    # LL2 validates the filter against every spacecraft, not only those with a
    # flight: a recorded spacecraft without flights is an empty page, not a 400.
    if await request.app[READ_MODEL].has_spacecraft(spacecraft):
        return True
    database = request.app.get(DATABASE)
    if database is None:
        return False
    return bool(await database.events.heads([stream_name("spacecraft", spacecraft)]))


def _add_read(app: web.Application, path: str, view: View, title: str) -> None:
    resource = app.router.add_resource(path)
    resource.add_route("GET", view)
    resource.add_route("*", _other_methods(title))


def _other_methods(title: str) -> View:
    async def other_methods(request: web.Request) -> web.StreamResponse:
        if (
            request.method == "OPTIONS"
            and "Access-Control-Request-Method" in request.headers
        ):
            return web.Response(headers=PREFLIGHT_HEADERS)
        # LL2 negotiates and throttles before it looks at the method.
        _begin(request, title)
        raise MethodNotAllowed(request.method)

    return other_methods


def _begin(request: web.Request, title: str) -> _Read:
    request[READ] = True
    query = ll2.Query.parse(request.rel_url.raw_query_string)
    renderer = ll2.negotiate(query, request.headers.get("Accept"))
    if renderer == "api":
        request[RENDERER] = _page_renderer(request, query, title)

    limiter = request.app.get(THROTTLE)
    if limiter is not None:
        limiter.admit(client_address(request, request.app[SETTINGS].trust_proxy))
    return _Read(query, renderer, _filler(request, query))


def _filler(request: web.Request, query: ll2.Query) -> Filler:
    settings = request.app[SETTINGS]
    headers = request.headers
    own = ll2.self_base(
        request.scheme,
        request.host,
        headers.get("X-Forwarded-Proto"),
        headers.get("X-Forwarded-Host"),
        settings.trust_proxy,
    )
    return Filler(
        self_base=own,
        upstream_base=ll2.upstream_base(settings.upstream_url, own),
        format_suffix=ll2.format_suffix(query),
        now=request.app[CLOCK]() if CLOCK in request.app else datetime.now(UTC),
    )


def _respond(
    request: web.Request,
    read: _Read,
    title: str,
    text: str,
    pager: tuple[str | None, str | None] = (None, None),
) -> web.StreamResponse:
    if read.renderer == "json":
        return json_response(text)
    return _page(request, read.query, title, 200, text, {}, pager)


def _page_renderer(request: web.Request, query: ll2.Query, title: str) -> Renderer:
    def render(
        status: int, text: str, headers: Mapping[str, str]
    ) -> web.StreamResponse:
        return _page(request, query, title, status, text, headers)

    return render


def _page(
    request: web.Request,
    query: ll2.Query,
    title: str,
    status: int,
    text: str,
    headers: Mapping[str, str],
    pager: tuple[str | None, str | None] = (None, None),
) -> web.Response:
    formats = {
        name: request.path + "?" + ll2.requery(query.raw, {"format": name})
        for name in ("json", "api")
    }
    shown = {**JSON_HEADERS, **headers}
    body = browsable.page(title, status, shown, text, formats, pager)
    return web.Response(
        text=body, status=status, headers=dict(headers), content_type="text/html"
    )


async def _read_headers(request: web.Request, response: web.StreamResponse) -> None:
    if not request.get(READ):
        return
    response.headers["Allow"] = "GET"
    vary = response.headers.get("Vary")
    if vary is None:
        response.headers["Vary"] = "Accept"
    elif "accept" not in (token.strip().lower() for token in vary.split(",")):
        response.headers["Vary"] = f"{vary}, Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"


async def _start_throttle(app: web.Application) -> None:
    rate = app[SETTINGS].throttle_rate
    if rate:
        app[THROTTLE] = RateLimiter.from_rate(rate)
        logger.info("read requests limited to %s per client address", rate)
