"""The aiohttp application: wiring, background healing, start and stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime

from aiohttp import web

from events.errors import Unavailable
from projections.store import ReadModel
from service.database import Database, open_database
from service.keys import CLOCK
from service.resources import DATABASE
from service.settings import Settings
from service.write_api import WAIT, add_write_routes

logger = logging.getLogger(__name__)


def create_app(settings: Settings, database: Database | None = None) -> web.Application:
    """The Flightlog application; opens its own database unless given one."""
    from service.errors import error_middleware
    from service.keys import READ_MODEL, SETTINGS
    from service.read_api import add_read_routes

    app = web.Application(
        middlewares=[error_middleware], client_max_size=settings.max_body_bytes
    )
    app[SETTINGS] = settings
    app[WAIT] = settings.projection_wait
    app[CLOCK] = lambda: datetime.now(UTC)
    app.cleanup_ctx.append(_database(settings, database))
    app.cleanup_ctx.append(_healer(settings))
    app.on_startup.append(_share_read_model(READ_MODEL))
    add_read_routes(app)
    add_write_routes(app)
    return app


def _database(settings: Settings, given: Database | None):  # type: ignore[no-untyped-def]
    async def context(app: web.Application) -> AsyncIterator[None]:
        database = given or open_database(settings)
        app[DATABASE] = database
        try:
            await database.create_indexes()
        except Unavailable:
            logger.warning("database not reachable at start; serving 503 until it is")
        yield
        if given is None:
            database.close()

    return context


def _share_read_model(
    key: web.AppKey[ReadModel],
) -> Callable[[web.Application], Awaitable[None]]:
    async def share(app: web.Application) -> None:
        app[key] = app[DATABASE].documents

    return share


def _healer(settings: Settings):  # type: ignore[no-untyped-def]
    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(heal_forever(app[DATABASE], settings.heal_interval))
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    return context


async def heal_forever(database: Database, interval: float) -> None:
    """Project what crashed appends left behind: at start, then every interval."""
    reconciled = False
    while True:
        try:
            if not reconciled:
                await reconcile(database)
                reconciled = True
            await database.projector.drain()
        except Unavailable:
            pass  # logged at the adapter; try again on the next tick
        except Exception:
            logger.exception("projection failed; the marks stay and are retried")
        await asyncio.sleep(interval)


async def reconcile(database: Database) -> int:
    """Mark every stream whose log is ahead of what the documents reflect."""
    heads = await database.events.all_heads()
    positions = await database.queue.positions()
    behind = [s for s, v in heads.items() if positions.get(s, 0) < v]
    for stream in behind:
        await database.queue.mark(stream)
    if behind:
        logger.info("reconcile marked streams=%d", len(behind))
    return len(behind)
