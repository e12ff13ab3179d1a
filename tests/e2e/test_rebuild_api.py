"""``POST /2.2.0/rebuild/``: only an admin rebuilds, one rebuild at a time.

The rebuild runs after the answer (202); its status resource is polled until
it says ``done``. To keep one running for as long as a test needs, the test
holds the projection lease as another process would: the rebuild waits for it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from events.append import Appender
from service.app import create_app
from service.database import open_database
from service.settings import Settings
from tests.flight_steps import record_flight
from tests.log_rebuild import documents_from_log, served_documents
from tests.processes import wait_for

pytestmark = pytest.mark.timeout(60)

Client = TestClient[web.Request, web.Application]
REBUILD = "/2.2.0/rebuild/"
INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FINISH = 30.0
HOUR = timedelta(hours=1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def projected_flights(database: Any, *flights: int) -> None:
    await record_flight(Appender(database.events, mark=database.queue.mark), *flights)
    await database.projector.drain()


async def finished(client: Client, url: str, token: str) -> dict[str, Any]:
    """The rebuild's status once it is no longer running."""

    async def state() -> dict[str, Any] | None:
        response = await client.get(url, headers=bearer(token))
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return None if body["state"] == "running" else body

    return await wait_for(state, FINISH, f"{url} to finish")


async def hold_lease(handle: Any) -> None:
    """Hold the projection lease as a live process elsewhere would."""
    lease = {"owner": "elsewhere:1:1", "epoch": 50, "expires": datetime.now(UTC) + HOUR}
    await handle.projection_lease.replace_one(
        {"_id": "projector"}, {"_id": "projector", **lease}, upsert=True
    )


async def release_lease(handle: Any) -> None:
    await handle.projection_lease.update_one(
        {"_id": "projector"}, {"$set": {"expires": datetime.now(UTC) - HOUR}}
    )


async def test_only_an_admin_may_rebuild(
    client: Client, token: str, database: Any
) -> None:
    anonymous = await client.post(REBUILD)
    assert anonymous.status == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert await anonymous.json() == {
        "detail": "an operator token is required: Authorization: Bearer <token>"
    }

    wrong = await client.post(REBUILD, headers=bearer("fl_not-a-token"))
    assert (wrong.status, await wrong.json()) == (
        401,
        {"detail": "the operator token is not valid"},
    )

    forbidden = {"detail": "operator ops may not do this; it needs the admin role"}
    operator = await client.post(REBUILD, headers=bearer(token))
    assert (operator.status, await operator.json()) == (403, forbidden)
    status = await client.get(f"{REBUILD}{'0' * 32}/", headers=bearer(token))
    assert (status.status, await status.json()) == (403, forbidden)

    assert await database.handle.rebuilds.count_documents({}) == 0


async def test_an_admin_rebuild_is_accepted_and_reaches_done(
    client: Client, admin_token: str, database: Any
) -> None:
    await projected_flights(database, 9001, 9002)
    # A document lost from the read model: only the log still knows flight 9002.
    await database.handle.flight_documents.delete_one({"_id": 9002})
    assert (await client.get("/2.2.0/spacecraft/flight/9002/")).status == 404

    started = datetime.now(UTC)
    response = await client.post(REBUILD, headers=bearer(admin_token))
    assert response.status == 202
    assert response.content_type == "application/json"
    body = await response.json()
    rebuild_id = body["id"]
    assert re.fullmatch(r"[0-9a-f]{32}", rebuild_id)
    url = f"{REBUILD}{rebuild_id}/"
    assert response.headers["Location"] == url
    assert body == {
        "id": rebuild_id,
        "url": url,
        "state": "running",
        "requested_by": "chief",
        "requested_at": body["requested_at"],
        "finished_at": None,
        "documents": None,
    }
    requested_at = datetime.fromisoformat(body["requested_at"])
    assert INSTANT.match(body["requested_at"])
    assert started - timedelta(seconds=1) <= requested_at <= datetime.now(UTC)

    done = await finished(client, url, admin_token)
    assert done == {
        **body,
        "state": "done",
        "finished_at": done["finished_at"],
        "documents": 2,
    }
    assert INSTANT.match(done["finished_at"])
    assert datetime.fromisoformat(done["finished_at"]) >= requested_at

    assert await served_documents(database.handle) == await documents_from_log(
        database.events
    )
    assert (await client.get("/2.2.0/spacecraft/flight/9002/")).status == 200
    prefixed = await client.get(f"/api{url}", headers=bearer(admin_token))
    assert (await prefixed.json())["url"] == f"/api{url}"


async def test_a_rebuild_asked_for_while_one_runs_is_409(
    client: Client,
    admin_token: str,
    database: Any,
    settings: Settings,
    mongo_uri: str,
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    await projected_flights(database, 9001)
    await hold_lease(database.handle)
    first = await client.post(REBUILD, headers=bearer(admin_token))
    assert first.status == 202
    running = (await first.json())["id"]
    busy = {
        "detail": f"rebuild {running} is running; wait for it to finish",
        "running": running,
    }

    again = await client.post(REBUILD, headers=bearer(admin_token))
    assert (again.status, await again.json()) == (409, busy)
    # Another process learns of it from the database.
    elsewhere = open_database(settings, uri=mongo_uri)
    try:
        other = await aiohttp_client(create_app(settings, elsewhere))
        answer = await other.post(REBUILD, headers=bearer(admin_token))
        assert (answer.status, await answer.json()) == (409, busy)
        await other.close()
    finally:
        elsewhere.close()
    assert await database.handle.rebuilds.count_documents({}) == 1

    status = await client.get(f"{REBUILD}{running}/", headers=bearer(admin_token))
    assert (await status.json())["state"] == "running"
    await release_lease(database.handle)
    done = await finished(client, f"{REBUILD}{running}/", admin_token)
    assert (done["state"], done["documents"]) == ("done", 1)

    after = await client.post(REBUILD, headers=bearer(admin_token))
    assert after.status == 202
    following = f"{REBUILD}{(await after.json())['id']}/"
    assert (await finished(client, following, admin_token))["state"] == "done"


async def test_an_unknown_rebuild_is_404(client: Client, admin_token: str) -> None:
    unknown = "0123456789abcdef" * 2
    response = await client.get(f"{REBUILD}{unknown}/", headers=bearer(admin_token))
    assert (response.status, await response.json()) == (
        404,
        {"detail": f"no rebuild {unknown}"},
    )

    malformed = await client.get(f"{REBUILD}not-an-id/", headers=bearer(admin_token))
    assert (malformed.status, await malformed.json()) == (404, {"detail": "Not found."})
