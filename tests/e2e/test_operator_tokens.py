"""Operator tokens from the command line, revoked from the command line, and
the operator every stored event names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.processes import flightlog_env, run_flightlog

Client = TestClient[web.Request, web.Application]
REFUSED = {"detail": "the operator token is not valid"}
TOKEN = re.compile(r"^fl_[A-Za-z0-9_-]{43}\n$")


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    return headers | ({"Idempotency-Key": key} if key else {})


async def post_agency(
    client: Client, agency: int, token: str, key: str | None = None
) -> tuple[int, Any]:
    body = {
        "type": "agency_recorded",
        "occurred_at": "2026-10-01T00:00:00Z",
        "data": {"id": agency, "name": f"Agency {agency}", "type": "Government"},
    }
    response = await client.post(
        f"/2.2.0/agencies/{agency}/events/", json=body, headers=bearer(token, key)
    )
    return response.status, await response.json()


async def test_a_revoked_token_is_refused_and_a_second_revoke_exits_1(
    client: Client, database: Any, mongo_uri: str, database_name: str, tmp_path: Path
) -> None:
    env = flightlog_env(mongo_uri, database_name)
    created = run_flightlog(
        ["token", "create", "alice", "--role", "admin"], env, tmp_path
    )
    assert (created.returncode, created.stderr) == (0, "")
    assert TOKEN.match(created.stdout)
    token = created.stdout.strip()

    status, answer = await post_agency(client, 701, token)
    assert (status, answer["operator"]) == (201, "alice")
    unknown = "/2.2.0/rebuild/" + "0" * 32 + "/"
    assert (await client.get(unknown, headers=bearer(token))).status == 404  # admin

    revoked = run_flightlog(["token", "revoke", "alice"], env, tmp_path)
    assert (revoked.returncode, revoked.stdout, revoked.stderr) == (
        0,
        "revoked alice\n",
        "",
    )
    assert await post_agency(client, 702, token) == (401, REFUSED)
    refused = await client.get(unknown, headers=bearer(token))
    assert (refused.status, await refused.json()) == (401, REFUSED)
    assert await database.handle.events.count_documents({}) == 1

    again = run_flightlog(["token", "revoke", "alice"], env, tmp_path)
    assert (again.returncode, again.stdout, again.stderr) == (
        1,
        "",
        "error: no operator named alice\n",
    )


async def test_create_refuses_a_name_in_use_and_rotating_is_revoke_then_create(
    client: Client, mongo_uri: str, database_name: str, tmp_path: Path
) -> None:
    env = flightlog_env(mongo_uri, database_name)
    first = run_flightlog(["token", "create", "alice"], env, tmp_path)
    assert (first.returncode, first.stderr) == (0, "")

    again = run_flightlog(["token", "create", "alice"], env, tmp_path)
    assert (again.returncode, again.stdout, again.stderr) == (
        1,
        "",
        "error: operator alice exists; revoke it first to make a new token\n",
    )
    assert (await post_agency(client, 701, first.stdout.strip()))[0] == 201

    revoked = run_flightlog(["token", "revoke", "alice"], env, tmp_path)
    assert (revoked.returncode, revoked.stdout) == (0, "revoked alice\n")
    second = run_flightlog(["token", "create", "alice"], env, tmp_path)
    assert (second.returncode, second.stderr) == (0, "")
    assert TOKEN.match(second.stdout) and second.stdout != first.stdout
    assert await post_agency(client, 702, first.stdout.strip()) == (401, REFUSED)
    status, answer = await post_agency(client, 703, second.stdout.strip())
    assert (status, answer["operator"]) == (201, "alice")


async def test_every_stored_event_names_the_operator_who_posted_it(
    client: Client, database: Any
) -> None:
    alice = await database.operators.create("alice", "operator")
    bob = await database.operators.create("bob", "admin")

    posts = [(alice, 701, "k1"), (bob, 702, "k1"), (alice, 703, "k2"), (bob, 704, None)]
    for token, agency, key in posts:
        status, answer = await post_agency(client, agency, token, key)
        assert status == 201, answer

    cursor = database.handle.events.find({}, sort=[("stream", 1)])
    stored = [(e["stream"], e["operator"], e["request_id"]) async for e in cursor]
    assert stored[:3] == [
        ("agency-701", "alice", "alice:k1"),
        ("agency-702", "bob", "bob:k1"),  # one key, two operators: two requests
        ("agency-703", "alice", "alice:k2"),
    ]
    assert stored[3][:2] == ("agency-704", "bob")
    assert re.fullmatch(r"bob:[0-9a-f]{32}", stored[3][2])
