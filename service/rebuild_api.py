"""``POST /2.2.0/rebuild/``: an admin rebuilds every document from the log.

A rebuild reads the whole log, so it is not done within the request: the
answer is 202 with the status resource of the rebuild (``Location``), which
``GET /2.2.0/rebuild/{id}/`` serves from any process until it says ``done``
(with the number of documents swapped in), ``failed`` or ``abandoned``. One
rebuild at a time: asking while one is running is 409 naming it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import suppress
from datetime import datetime
from typing import Any

from aiohttp import web

from events.errors import Busy, NotFound, Unavailable
from projections.cache_docs import DocumentCache
from projections.replay import replay
from service.auth import authenticate
from service.errors import compact_json, json_response
from service.keys import READ_MODEL, SETTINGS
from service.rebuilds import BEAT, Rebuild, RebuildLog
from service.resources import DATABASE

logger = logging.getLogger(__name__)

PATH = "/2.2.0/rebuild/"
REBUILD_ID = "{rebuild_id:[0-9a-f]{32}}"
REBUILDS = web.AppKey("rebuilds", RebuildLog)
RUNNING: web.AppKey[dict[str, asyncio.Task[None]]] = web.AppKey("rebuild_tasks")


def add_rebuild_routes(app: web.Application) -> None:
    """Register the rebuild endpoint and its status resource (after the database)."""
    for prefix in ("", "/api"):
        app.router.add_post(prefix + PATH, start_rebuild)
        app.router.add_get(f"{prefix}{PATH}{REBUILD_ID}/", rebuild_status)
    app.cleanup_ctx.append(_rebuilds)


async def start_rebuild(request: web.Request) -> web.Response:
    """Start a rebuild and answer 202 with its status."""
    operator = await authenticate(request, "admin")
    log = request.app[REBUILDS]
    running = request.app[RUNNING]
    busy = next(iter(running), None)
    if busy is None:
        found = await log.running()  # one another process runs
        busy = None if found is None else found.id
    if busy is not None:
        raise Busy(f"rebuild {busy} is running; wait for it to finish", busy)

    rebuild = await log.start(uuid.uuid4().hex, operator.name)
    task = asyncio.create_task(_rebuild(request.app, rebuild.id))
    running[rebuild.id] = task
    task.add_done_callback(lambda _: running.pop(rebuild.id, None))
    logger.info("rebuild %s requested by %s", rebuild.id, operator.name)
    return _answer(request, rebuild, 202)


async def rebuild_status(request: web.Request) -> web.Response:
    """``GET /2.2.0/rebuild/{id}/``: how a rebuild is going."""
    await authenticate(request, "admin")
    rebuild_id = request.match_info["rebuild_id"]
    rebuild = await request.app[REBUILDS].find(rebuild_id)
    if rebuild is None:
        raise NotFound(f"no rebuild {rebuild_id}")
    return _answer(request, rebuild, 200)


async def _rebuild(app: web.Application, rebuild_id: str) -> None:
    database = app[DATABASE]
    log = app[REBUILDS]
    beating = asyncio.create_task(_beat(log, rebuild_id))
    try:
        written = await replay(
            database.projector,
            database.events,
            database.handle,
            call_timeout=app[SETTINGS].batch_timeout_ms / 1000,
        )
    except asyncio.CancelledError:
        await _quietly(log.fail(rebuild_id))
        raise
    except Exception:
        logger.exception("rebuild %s failed; the served documents are kept", rebuild_id)
        await _quietly(log.fail(rebuild_id))
        return
    finally:
        beating.cancel()

    cache = app.get(READ_MODEL)
    if isinstance(cache, DocumentCache):
        cache.barrier()  # this process's next reads show the new documents
    await _quietly(log.finish(rebuild_id, written))


async def _beat(log: RebuildLog, rebuild_id: str) -> None:
    while True:
        await asyncio.sleep(BEAT)
        await _quietly(log.beat(rebuild_id))


async def _quietly(step: Awaitable[None]) -> None:
    # The status is best effort: a database that went away is logged by the
    # adapter, and the rebuild's state shows ``abandoned`` once beats stop.
    with suppress(Unavailable):
        await step


async def _rebuilds(app: web.Application) -> AsyncIterator[None]:
    app[REBUILDS] = RebuildLog(app[DATABASE].handle["rebuilds"])
    app[RUNNING] = {}
    yield
    for task in list(app[RUNNING].values()):
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


def _answer(request: web.Request, rebuild: Rebuild, status: int) -> web.Response:
    prefix = "/api" if request.path.startswith("/api/") else ""
    url = f"{prefix}{PATH}{rebuild.id}/"
    body: dict[str, Any] = {
        "id": rebuild.id,
        "url": url,
        "state": rebuild.state,
        "requested_by": rebuild.requested_by,
        "requested_at": _instant(rebuild.requested_at),
        "finished_at": _instant(rebuild.finished_at),
        "documents": rebuild.documents,
    }
    headers = {"Location": url} if status == 202 else {}
    return json_response(compact_json(body), status, headers)


def _instant(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
