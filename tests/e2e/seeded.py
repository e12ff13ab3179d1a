"""One seeded database per test session, and the real app served from it.

Seeding takes a second or two, so it is done once, in a loop of its own, and
every test that only reads opens the application on that database. Starting
the application costs too, so ``Apps`` keeps one test client per combination
of settings for a whole module: the ``seeded_apps`` fixture (in
``conftest.py``) runs in the module's event loop, where every test of the
module runs too (``asyncio_default_test_loop_scope`` in ``pyproject.toml``).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pymongo
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from events.append import Appender
from seed.loader import load_seed, seed_text
from service.app import create_app
from service.database import Database, open_database
from service.keys import CLOCK
from service.settings import Settings

Client = TestClient[web.Request, web.Application]

REFERENCE_325 = "flight_325.json"
# LL2's host: the reference capture's links are on it, and the tests that
# check FLIGHTLOG_UPSTREAM_URL configure it as the upstream.
LL2 = "https://ll.thespacedevs.com"

# What the seed holds (seed/README.md), newest id first as the list serves it.
ENDEAVOUR = 40
ENDEAVOUR_FLIGHTS = [194, 191, 186, 183, 157, 155, 149, 146, 142, 138]
ENDEAVOUR_FLIGHTS += [134, 116, 113, 110, 107, 99, 96, 93, 90]
SEEDED_FLIGHTS = [415, 327, 325, *ENDEAVOUR_FLIGHTS]


def create_seeded_database(uri: str) -> str:
    """Seed a fresh database with the bundled flights; return its name."""
    name = f"flightlog_seeded_{uuid.uuid4().hex[:12]}"
    asyncio.run(_seed(uri, name))
    return name


def drop_database(uri: str, name: str) -> None:
    """Drop a database made by ``create_seeded_database``."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(uri)
    try:
        client.drop_database(name)
    finally:
        client.close()


def seeded_flights(uri: str, name: str) -> dict[int, int]:
    """Every projected flight id with its spacecraft id."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(uri)
    try:
        found = client[name]["flight_documents"].find({}, {"spacecraft": 1})
        return {doc["_id"]: doc["spacecraft"] for doc in found}
    finally:
        client.close()


def reference_325() -> Any:
    """Flight 325 as LL2 serves it: the reference capture."""
    return json.loads(seed_text(REFERENCE_325))


def served_325(base: str, upstream: str, fmt: str | None) -> Any:
    """The reference capture as this service serves it at ``base``.

    The capture's links are LL2's with ``?format=api``; here the flight links
    to ``base``, everything else to ``upstream`` (``base`` too with the default
    settings), and every link carries the request's ``format`` (none when
    ``fmt`` is None).
    """
    own = f"{LL2}/2.2.0/spacecraft/flight/"
    suffix = "" if fmt is None else f"?format={fmt}"

    def moved(key: str, value: Any) -> Any:
        if key != "url":
            return value
        assert value.startswith(LL2) and value.endswith("/?format=api"), value
        path = value.removeprefix(LL2).removesuffix("?format=api") + suffix
        return (base if value.startswith(own) else upstream) + path

    return _rebuild(reference_325(), moved)


def compact(value: Any) -> str:
    """JSON text as LL2 writes it: compact, UTF-8, U+2028/U+2029 escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _rebuild(value: Any, moved: Callable[[str, Any], Any], key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _rebuild(v, moved, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebuild(v, moved, key) for v in value]
    return moved(key, value)


class Apps:
    """Test clients of the application, its clock frozen at ``frozen``."""

    def __init__(self, uri: str, seeded: str, frozen: datetime) -> None:
        self._uri = uri
        self._seeded = seeded
        self._frozen = frozen
        self._shared: dict[tuple[tuple[str, Any], ...], Client] = {}
        self._opened: list[tuple[Client, Database]] = []
        self._empty: list[str] = []

    async def shared(self, **settings: Any) -> Client:
        """The one client for these settings on the seeded database."""
        key = tuple(sorted(settings.items()))
        if key not in self._shared:
            self._shared[key] = await self.fresh(**settings)
        return self._shared[key]

    async def fresh(self, **settings: Any) -> Client:
        """A client of its own (its own throttle) on the seeded database."""
        client, _ = await self._start(self._seeded, settings)
        return client

    async def empty(self) -> tuple[Client, str]:
        """A client on a database of its own, empty, and an operator token."""
        name = f"flightlog_test_{uuid.uuid4().hex[:12]}"
        self._empty.append(name)
        client, database = await self._start(name, {})
        return client, str(await database.operators.create("ops", "operator"))

    async def close(self) -> None:
        """Stop every client, close the databases, drop the empty ones."""
        for client, database in self._opened:
            await client.close()
            database.close()
        for name in self._empty:
            drop_database(self._uri, name)

    async def _start(
        self, name: str, settings: dict[str, Any]
    ) -> tuple[Client, Database]:
        configured = Settings(database=name, heal_interval=60.0, **settings)
        database = open_database(configured, uri=self._uri)
        await database.create_indexes()
        app = create_app(configured, database)
        app[CLOCK] = lambda: self._frozen
        client = TestClient(TestServer(app))
        await client.start_server()
        self._opened.append((client, database))
        return client, database


async def _seed(uri: str, name: str) -> None:
    database = open_database(Settings(database=name), uri=uri)
    try:
        await database.create_indexes()
        appender = Appender(database.events, mark=database.queue.mark)
        report = await load_seed(appender, database.events)
        assert not report.skipped, report.skipped
        await database.projector.drain()
        assert await database.queue.count() == 0, "the seed left unprojected marks"
    finally:
        database.close()
