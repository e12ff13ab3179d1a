"""Launch Library 2's rules for query parameters, links and representations.

Pure functions of strings: the read views hand them the raw query string and
headers and get back numbers, URLs or JSON text. They follow the contract in
``ll2-contract.md`` (sections 1.1, 1.2, 2.6 and 3), which in turn follows what
Django REST framework does with LL2's configuration.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, parse_qsl, urlencode

from events.errors import NotFound
from service.errors import BadRequest, NotAcceptable

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
LARGEST_ID = 2**63 - 1  # what a MongoDB integer holds
INVALID_CHOICE = (
    "Select a valid choice. That choice is not one of the available choices."
)
NOT_FOUND = "Not found."
NOT_ACCEPTABLE = "Could not satisfy the request Accept header."

Renderer = Literal["json", "api"]
# In LL2's order: the first one an Accept entry matches wins.
RENDERERS: tuple[tuple[Renderer, str], ...] = (
    ("json", "application/json"),
    ("api", "text/html"),
)

HOST = re.compile(r"^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:[0-9]+)?$")


@dataclass(frozen=True)
class Query:
    """A request's query string, read the way Django reads it."""

    raw: str
    pairs: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, raw: str) -> Query:
        """Split ``raw`` (without ``?``) into decoded pairs, blanks kept."""
        return cls(raw, tuple(parse_qsl(raw, keep_blank_values=True)))

    def values(self, key: str) -> list[str]:
        """Every value given for ``key``, in request order."""
        return [value for name, value in self.pairs if name == key]

    def last(self, key: str) -> str | None:
        """The value a Django ``QueryDict`` reports: the last one given."""
        found = self.values(key)
        return found[-1] if found else None


def page_limit(query: Query) -> int:
    """``limit``: a positive integer capped at 100, else the default 10."""
    value = _integer(query.last("limit"))
    if value is None or value <= 0:
        return DEFAULT_LIMIT
    return min(value, MAX_LIMIT)


def page_offset(query: Query) -> int:
    """``offset``: a non-negative integer, else 0."""
    value = _integer(query.last("offset"))
    if value is None or value < 0:
        return 0
    return value


def spacecraft_filter(query: Query) -> int | None:
    """The ``spacecraft`` id to filter on, None when absent or empty."""
    given = query.values("spacecraft")
    if not given or given == [""]:
        return None
    value = _integer(given[0]) if len(given) == 1 else None
    if value is None or not 0 <= value <= LARGEST_ID:
        raise invalid_spacecraft()
    return value


def invalid_spacecraft() -> BadRequest:
    """The 400 LL2 answers for a spacecraft that is malformed or unknown."""
    return BadRequest(INVALID_CHOICE, {"spacecraft": [INVALID_CHOICE]})


def detailed(query: Query) -> bool:
    """Whether ``?mode=detailed`` asks for detail-shaped list items."""
    return query.last("mode") == "detailed"


def flight_id(raw: str) -> int | None:
    """The flight id in a detail path, None when it cannot name a flight."""
    value = _integer(raw)
    if value is None or not 0 <= value <= LARGEST_ID:
        return None
    return value


def format_suffix(query: Query) -> str:
    """What every ``url`` ends with: the request's ``format``, nothing else."""
    value = query.last("format")
    if value is None:
        return ""
    return "?" + urlencode([("format", value)])


def negotiate(query: Query, accept: str | None) -> Renderer:
    """Pick JSON or the browsable page from ``?format=`` and ``Accept``."""
    return _negotiate(query.last("format"), accept)


# Clients send few distinct Accept headers: the answer is kept for the most
# recent (a bounded number, so that made-up headers cannot grow it).
@functools.lru_cache(maxsize=256)
def _negotiate(wanted_format: str | None, accept: str | None) -> Renderer:
    candidates = RENDERERS
    if wanted_format:
        candidates = tuple(r for r in RENDERERS if r[0] == wanted_format)
        if not candidates:
            raise NotFound(NOT_FOUND)

    if accept is None or not accept.strip():
        accept = "*/*"
    for group in _by_precedence(accept.split(",")):
        for name, media_type in candidates:
            if any(_matches(media_type, wanted) for wanted in group):
                return name
    raise NotAcceptable(NOT_ACCEPTABLE)


@functools.lru_cache(maxsize=256)
def self_base(
    scheme: str,
    host: str,
    forwarded_proto: str | None = None,
    forwarded_host: str | None = None,
    trust_proxy: bool = False,
) -> str:
    """``scheme://host`` of the request, from the proxy's headers if trusted."""
    if trust_proxy and forwarded_proto:
        proto = forwarded_proto.split(",")[0].strip().lower()
        if proto in ("http", "https"):
            scheme = proto
    if trust_proxy and forwarded_host:
        host = forwarded_host.split(",")[0].strip()
    if not HOST.match(host.lower()):
        raise BadRequest("Invalid Host header.")
    return f"{scheme}://{host}"


def upstream_base(upstream_url: str, own_base: str) -> str:
    """Base of links to LL2 resources; an empty setting means this service."""
    return upstream_url.rstrip("/") or own_base


def next_link(
    page_url: str, query: Query, offset: int, limit: int, count: int
) -> str | None:
    """URL of the next page, None on the last one."""
    if offset + limit >= count:
        return None
    return (
        page_url + "?" + requery(query.raw, {"limit": limit, "offset": offset + limit})
    )


def previous_link(page_url: str, query: Query, offset: int, limit: int) -> str | None:
    """URL of the previous page, None on the first; ``offset`` dropped at 0."""
    if offset <= 0:
        return None
    if offset - limit <= 0:
        return page_url + "?" + requery(query.raw, {"limit": limit}, drop=("offset",))
    return (
        page_url + "?" + requery(query.raw, {"limit": limit, "offset": offset - limit})
    )


def requery(raw: str, replace: Mapping[str, object], drop: Iterable[str] = ()) -> str:
    """``raw`` with keys replaced or dropped, sorted and urlencoded again."""
    params = parse_qs(raw, keep_blank_values=True)
    for key in drop:
        params.pop(key, None)
    for key, value in replace.items():
        params[key] = [str(value)]
    return urlencode(sorted(params.items()), doseq=True)


def envelope(
    count: int, next_url: str | None, previous_url: str | None, items: Iterable[str]
) -> str:
    """The list page as JSON text around already serialized items."""
    return (
        f'{{"count":{count},"next":{json.dumps(next_url)},'
        f'"previous":{json.dumps(previous_url)},"results":[{",".join(items)}]}}'
    )


def _integer(raw: str | None) -> int | None:
    # int() is what Django applies to ids and DRF to limit/offset, so the same
    # spellings are accepted (" 7", "+7", "007").
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def _media_type(token: str) -> tuple[str, str, list[str]]:
    full, *params = token.split(";")
    main, _, sub = full.strip().lower().partition("/")
    names = [p.split("=", 1)[0].strip().lower() for p in params if "=" in p]
    return main, sub, names


def _precedence(token: str) -> int:
    main, sub, params = _media_type(token)
    if main == "*":
        return 0
    if sub == "*":
        return 1
    return 2 if params in ([], ["q"]) else 3


def _by_precedence(tokens: Iterable[str]) -> list[list[str]]:
    # Most specific first; quality values are not weighed (DRF does not).
    groups: list[list[str]] = [[], [], [], []]
    for token in tokens:
        groups[3 - _precedence(token)].append(token.strip())
    return [group for group in groups if group]


def _matches(offered: str, wanted: str) -> bool:
    main, sub, _ = _media_type(offered)
    want_main, want_sub, _ = _media_type(wanted)
    if "*" not in (sub, want_sub) and sub != want_sub:
        return False
    return "*" in (main, want_main) or main == want_main
