"""Following ``next`` to the end and ``previous`` back, as an LL2 client does.

Every walk runs on the seeded database and is checked against what that
database holds (read directly, not through HTTP): each flight is visited
exactly once, ``count`` is the number visited, and walking back retraces the
same pages in reverse.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.e2e.seeded import (
    ENDEAVOUR,
    ENDEAVOUR_FLIGHTS,
    SEEDED_FLIGHTS,
    Apps,
    seeded_flights,
)

Client = TestClient[web.Request, web.Application]

LIST = "/2.2.0/spacecraft/flight/"


@pytest.fixture
async def api(seeded_apps: Apps) -> Client:
    return await seeded_apps.shared()


@pytest.fixture
def flown(mongo_uri: str, seeded_database: str) -> dict[int, int]:
    """Each flight the seeded database holds, with its spacecraft."""
    return seeded_flights(mongo_uri, seeded_database)


async def get_page(client: Client, url: str) -> dict[str, Any]:
    """The page at an absolute link of this service."""
    base = f"http://{client.host}:{client.port}"
    assert url.startswith(base + LIST), url
    response = await client.get(url.removeprefix(base))
    assert response.status == 200, await response.text()
    page: dict[str, Any] = await response.json()
    return page


async def walk(
    client: Client, first: str, direction: str
) -> list[tuple[str, list[int], int]]:
    """Follow ``direction`` links from ``first``: (url, ids, count) of each page."""
    pages: list[tuple[str, list[int], int]] = []
    url: str | None = first
    while url is not None:
        assert len(pages) <= len(SEEDED_FLIGHTS) + 1, "the links never end"
        page = await get_page(client, url)
        pages.append((url, [item["id"] for item in page["results"]], page["count"]))
        url = page[direction]
    return pages


@pytest.mark.parametrize("limit", [1, 7, 100])
@pytest.mark.parametrize("spacecraft", [None, ENDEAVOUR])
async def test_following_next_visits_every_flight_once(
    api: Client, flown: dict[int, int], limit: int, spacecraft: int | None
) -> None:
    wanted = sorted(
        (f for f, craft in flown.items() if spacecraft in (None, craft)), reverse=True
    )
    query = f"limit={limit}" + (f"&spacecraft={spacecraft}" if spacecraft else "")
    first = f"http://{api.host}:{api.port}{LIST}?{query}"

    pages = await walk(api, first, "next")

    visited = [flight for _, ids, _ in pages for flight in ids]
    assert visited == wanted
    assert wanted == (ENDEAVOUR_FLIGHTS if spacecraft else SEEDED_FLIGHTS)
    assert {count for _, _, count in pages} == {len(visited)}
    assert len(pages) == -(-len(wanted) // limit)
    assert all(len(ids) == limit for _, ids, _ in pages[:-1])


@pytest.mark.parametrize("limit", [1, 7, 100])
@pytest.mark.parametrize("spacecraft", [None, ENDEAVOUR])
async def test_following_previous_from_the_last_page_retraces_the_walk(
    api: Client, limit: int, spacecraft: int | None
) -> None:
    query = f"limit={limit}" + (f"&spacecraft={spacecraft}" if spacecraft else "")
    first = f"http://{api.host}:{api.port}{LIST}?{query}"
    forward = await walk(api, first, "next")

    backward = await walk(api, forward[-1][0], "previous")

    assert [ids for _, ids, _ in backward] == [ids for _, ids, _ in reversed(forward)]
    assert [url for url, _, _ in backward][-1] == first


@pytest.mark.parametrize("extra", ["format=json", "mode=detailed", "foo=bar"])
async def test_walks_keep_the_other_parameters_on_every_link(
    api: Client, extra: str
) -> None:
    first = f"http://{api.host}:{api.port}{LIST}?{extra}&limit=7"

    pages = await walk(api, first, "next")
    backward = await walk(api, pages[-1][0], "previous")

    assert [f for _, ids, _ in pages for f in ids] == SEEDED_FLIGHTS
    assert all(extra in url for url, _, _ in pages + backward)
    assert [ids for _, ids, _ in backward] == [ids for _, ids, _ in reversed(pages)]
