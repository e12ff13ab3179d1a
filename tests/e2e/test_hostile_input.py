"""Hostile requests: each gets a clear 4xx, stores nothing, injects nothing.

One row per kind of hostile input. Every row asserts the exact status and JSON
body, that the log holds as many events afterwards as before, and that no
command the request made reached MongoDB with an operator the client wrote:
the application runs on a client whose ``CommandListener`` keeps every
command, and each is searched for the row's operators.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pymongo
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import monitoring
from yarl import URL

from service.app import create_app
from service.database import Database, open_database
from service.settings import Settings

pytestmark = pytest.mark.timeout(60)

FLIGHT = "/2.2.0/spacecraft/flight/9001/events/"
AGENCY = "/2.2.0/agencies/702/events/"
LIST = "/2.2.0/spacecraft/flight/"
AT = "2026-11-01T00:00:00Z"
LIMIT = 262144  # FLIGHTLOG_MAX_BODY_BYTES's default
INVALID_CHOICE = (
    "Select a valid choice. That choice is not one of the available choices."
)
EMPTY_PAGE = {"count": 0, "next": None, "previous": None, "results": []}
NOT_FOUND = {"detail": "Not found."}
KEY_RULE = ["keys must not start with $ or . nor hold NUL"]
# Operators the service never writes itself: none may reach MongoDB, ever.
NEVER = {"$ne", "$where", "$regex", "$expr", "$nin", "$exists", "$function"}


def body(**fields: Any) -> bytes:
    """A flight event body with ``fields`` set (a launch at AT by default)."""
    base: dict[str, Any] = {"type": "launch", "occurred_at": AT, "data": {}}
    return json.dumps({**base, **fields}).encode()


def raw(text: str) -> bytes:
    return text.encode()


def invalid(errors: dict[str, list[str]], detail: str = "invalid request body") -> Any:
    return {"detail": detail, "errors": errors}


def not_json(message: str) -> Any:
    return invalid({"body": [message]}, "the body is not valid JSON")


OPEN, CLOSE = '{"a":' * 40, "}" * 40
NESTED = raw(f'{{"type":"launch","occurred_at":"{AT}","data":{OPEN}1{CLOSE}}}')
TOO_DEEP = invalid(
    {"body": ["at most 32 levels of objects and arrays"]},
    "the body is nested too deeply",
)


@dataclass(frozen=True)
class Case:
    """One hostile request and the answer it must get."""

    name: str
    path: str
    status: int
    answer: Any
    data: bytes | None = None  # None: a GET
    content_type: str = "application/json"
    # (key, value) pairs the client wrote that no command may hold.
    written: tuple[tuple[str, Any], ...] = field(default=())


CASES = [
    Case(
        "body over the size limit",
        FLIGHT,
        413,
        {"detail": f"the body is larger than {LIMIT} bytes"},
        body(data={"pad": "x" * LIMIT}),
    ),
    Case(
        "text/plain body",
        FLIGHT,
        415,
        invalid(
            {"Content-Type": ["must be application/json"]},
            'Unsupported media type "text/plain" in request.',
        ),
        body(),
        "text/plain",
    ),
    Case(
        "form body",
        FLIGHT,
        415,
        invalid(
            {"Content-Type": ["must be application/json"]},
            'Unsupported media type "application/x-www-form-urlencoded" in request.',
        ),
        raw("type=launch&data[$ne]=1"),
        "application/x-www-form-urlencoded",
    ),
    Case("objects nested 41 deep", FLIGHT, 400, TOO_DEEP, NESTED),
    Case(
        "arrays nested 60000 deep",
        FLIGHT,
        400,
        TOO_DEEP,
        raw("[" * 60000 + "]" * 60000),
    ),
    Case(
        "a huge string within the limit",
        FLIGHT,
        400,
        invalid({"type": ["String should have at most 64 characters"]}),
        body(type="x" * 200_000),
    ),
    Case(
        "a huge array within the limit",
        FLIGHT,
        400,
        invalid({"data.launch_crew": ["at most 1000 items in one array"]}),
        body(data={"launch_crew": [0] * 50_000}),
    ),
    Case(
        "1e400 as the expected version",
        FLIGHT,
        400,
        invalid({"expected_version": ["Input should be a finite number"]}),
        raw(
            f'{{"type":"launch","occurred_at":"{AT}","data":{{}},'
            '"expected_version":1e400}'
        ),
    ),
    Case(
        "2**70 as the expected version",
        FLIGHT,
        400,
        invalid(
            {"expected_version": ["Input should be less than or equal to 1000000000"]}
        ),
        body(expected_version=2**70),
    ),
    Case(
        "2**70 as an id",
        FLIGHT,
        400,
        invalid(
            {"data.spacecraft": ["Input should be less than or equal to 2147483647"]},
            "invalid event data",
        ),
        body(
            data={
                "spacecraft": 2**70,
                "launch": "11111111-2222-3333-4444-555555555555",
                "destination": "Test Station",
                "launch_crew": [],
            }
        ),
    ),
    Case(
        "a 400-digit integer",
        FLIGHT,
        400,
        not_json("an integer has more than 100 digits"),
        body(expected_version=10**400),
    ),
    Case(
        "NaN",
        FLIGHT,
        400,
        not_json("NaN is not a JSON number"),
        raw(f'{{"type":"launch","occurred_at":"{AT}","data":{{"x":NaN}}}}'),
    ),
    Case(
        "non-UTF-8 bytes",
        FLIGHT,
        400,
        invalid({"body": ["byte 9 is not UTF-8"]}, "the body is not valid UTF-8"),
        b'{"type":"\xff\xfe","occurred_at":"2026-11-01T00:00:00Z","data":{}}',
    ),
    Case(
        "a lone surrogate in a stored string",
        AGENCY,
        400,
        invalid(
            {"data.name": ["must be valid Unicode (no lone surrogates)"]},
        ),
        raw(
            f'{{"type":"agency_recorded","occurred_at":"{AT}",'
            '"data":{"id":702,"name":"\\ud800","type":"Government"}}'
        ),
    ),
    Case(
        "$ key at the top",
        FLIGHT,
        400,
        invalid({"$where": KEY_RULE}),
        body(**{"$where": "sleep(1000)"}),
        written=(("$where", "sleep(1000)"),),
    ),
    Case(
        "$ key in data",
        FLIGHT,
        400,
        invalid({"data.$ne": KEY_RULE}),
        body(data={"$ne": 1}),
        written=(("$ne", 1),),
    ),
    Case(
        "$ key deep in an array",
        FLIGHT,
        400,
        invalid({"data.launch_crew.0.astronaut.$gt": KEY_RULE}),
        body(data={"launch_crew": [{"astronaut": {"$gt": 0}}]}),
        written=(("$gt", 0),),
    ),
    Case(
        ". key in data",
        FLIGHT,
        400,
        invalid({"data..secret": KEY_RULE}),
        body(data={".secret": 1}),
    ),
    Case(
        "NUL in a key",
        FLIGHT,
        400,
        invalid({"data.a\x00b": KEY_RULE}),
        body(data={"a\x00b": 1}),
    ),
    Case(
        "$ key in a reference record",
        AGENCY,
        400,
        invalid({"data.type.$regex": KEY_RULE}),
        body(
            type="agency_recorded",
            data={"id": 702, "name": "A", "type": {"$regex": ".*"}},
        ),
        written=(("$regex", ".*"),),
    ),
    Case(
        "operator syntax in a parameter name is ignored, as LL2 ignores it",
        LIST + "?spacecraft[$ne]=1",
        200,
        EMPTY_PAGE,
        written=(("$ne", 1), ("$ne", "1")),
    ),
    Case(
        "a JSON operator as the spacecraft filter",
        LIST + "?spacecraft=%7B%22%24gt%22%3A0%7D",
        400,
        {"spacecraft": [INVALID_CHOICE]},
        written=(("$gt", 0), ("$gt", "0")),
    ),
    Case(
        "a $where as the spacecraft filter",
        LIST + "?spacecraft=%24where",
        400,
        {"spacecraft": [INVALID_CHOICE]},
    ),
    Case(
        "2**70 as the spacecraft filter",
        LIST + f"?spacecraft={2**70}",
        400,
        {"spacecraft": [INVALID_CHOICE]},
    ),
    Case(
        "2**70 as the offset",
        LIST + f"?offset={2**70}",
        200,
        {
            **EMPTY_PAGE,
            "previous": f"HOST{LIST}?limit=10&offset={2**70 - 10}",
        },
    ),
    Case(
        "path traversal in a flight id",
        "/2.2.0/spacecraft/flight/..%2F..%2Fetc/",
        404,
        NOT_FOUND,
    ),
    Case(
        "dot segments as a flight id",
        "/2.2.0/spacecraft/flight/%2E%2E/",
        404,
        NOT_FOUND,
    ),
    Case("NUL in a flight id", "/2.2.0/spacecraft/flight/1%00/", 404, NOT_FOUND),
    Case(
        "2**70 as a flight id",
        f"/2.2.0/spacecraft/flight/{2**70}/",
        404,
        NOT_FOUND,
    ),
    Case(
        "path traversal in an operator route",
        "/2.2.0/spacecraft/flight/..%2F..%2Fetc/events/",
        404,
        NOT_FOUND,
        body(),
    ),
    Case(
        "NUL in an operator route",
        "/2.2.0/spacecraft/flight/9001%00/events/",
        404,
        NOT_FOUND,
        body(),
    ),
    Case(
        "a very long query string",
        LIST + "?foo=" + "a" * 5000,
        414,
        {"detail": "the path and query string are longer than 4096 bytes"},
    ),
    Case(
        "a very long path",
        LIST + "1" * 5000 + "/",
        414,
        {"detail": "the path and query string are longer than 4096 bytes"},
    ),
    Case(
        "a very long operator URL",
        FLIGHT + "?x=" + "b" * 5000,
        414,
        {"detail": "the path and query string are longer than 4096 bytes"},
        body(),
    ),
]


class Recorder(monitoring.CommandListener):
    """Keeps a copy of every command sent while ``recording``."""

    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []
        self.recording = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.recording:
            self.commands.append(copy.deepcopy(dict(event.command)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class Target:
    client: TestClient  # type: ignore[type-arg]
    database: Database
    recorder: Recorder
    token: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def target(mongo_uri: str) -> AsyncIterator[Target]:
    """The application on an empty database, its commands recorded."""
    name = f"flightlog_test_{uuid.uuid4().hex[:12]}"
    recorder = Recorder()
    motor: AsyncIOMotorClient[Any] = AsyncIOMotorClient(
        mongo_uri, tz_aware=True, event_listeners=[recorder]
    )
    settings = Settings(_env_file=None, database=name, heal_interval=60.0)
    database = open_database(settings, client=motor)
    await database.create_indexes()
    token = await database.operators.create("ops", "operator")
    client = TestClient(TestServer(create_app(settings, database)))
    await client.start_server()
    try:
        yield Target(client, database, recorder, token)
    finally:
        await client.close()
        motor.close()
        sync: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(mongo_uri)
        sync.drop_database(name)
        sync.close()


def keys_and_values(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair anywhere in a command."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from keys_and_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_and_values(item)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_hostile_input_is_a_clear_4xx_storing_and_injecting_nothing(
    target: Target, case: Case
) -> None:
    before = await target.database.handle.events.count_documents({})
    headers = {"Authorization": f"Bearer {target.token}"}
    if case.data is not None:
        headers["Content-Type"] = case.content_type
    url = URL(case.path, encoded=True)  # sent as written, never normalised

    target.recorder.commands.clear()
    target.recorder.recording = True
    if case.data is None:
        response = await target.client.get(url, headers=headers)
    else:
        response = await target.client.post(url, data=case.data, headers=headers)
    answer = await response.read()
    target.recorder.recording = False

    host = str(target.client.make_url("")).rstrip("/")
    expected = json.loads(json.dumps(case.answer).replace('"HOST/', f'"{host}/'))
    assert (response.status, json.loads(answer)) == (case.status, expected)
    assert response.content_type == "application/json"
    assert await target.database.handle.events.count_documents({}) == before
    pairs = [
        pair
        for command in target.recorder.commands
        for pair in keys_and_values(command)
    ]
    assert not [key for key, _ in pairs if key in NEVER]
    assert not [pair for pair in pairs if pair in case.written]


async def test_a_request_line_past_the_parser_limit_is_refused_before_the_app(
    target: Target,
) -> None:
    before = await target.database.handle.events.count_documents({})

    response = await target.client.get(URL(LIST + "?q=" + "c" * 9000, encoded=True))

    assert response.status == 400
    assert (await response.text()).startswith("Got more than 8190 bytes when reading: ")
    assert await target.database.handle.events.count_documents({}) == before
