"""The aiohttp application: wiring, background healing, start and stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta

from aiohttp import web

from events.errors import Unavailable
from projections.cache_docs import PATIENCE_SECONDS, DocumentCache
from projections.mongo import patient
from projections.store import ReadModel
from service.auth import add_auth
from service.database import Database, open_database
from service.health import add_health_routes
from service.keys import CLOCK
from service.resources import DATABASE
from service.settings import Settings
from service.write_api import WAIT, add_write_routes

logger = logging.getLogger(__name__)

# What ``app.cleanup_ctx`` takes: set up before the yield, tear down after.
CleanupContext = Callable[[web.Application], AsyncIterator[None]]

RECONCILE_EVERY = 30  # heal intervals between two comparisons of heads and positions
# How far before the previous reconciliation the next one looks: an append
# commits within its database timeout, and processes' clocks may differ.
RECONCILE_LOOKBACK = timedelta(minutes=5)


def create_app(settings: Settings, database: Database | None = None) -> web.Application:
    """The Flightlog application; opens its own database unless given one."""
    from service.docs_page import add_docs_routes
    from service.errors import error_middleware
    from service.keys import READ_MODEL, SETTINGS
    from service.limits import url_limit_middleware
    from service.metrics import (
        add_metrics,
        error_metrics_middleware,
        request_metrics_middleware,
    )
    from service.openapi import add_openapi_routes
    from service.read_api import add_read_routes
    from service.rebuild_api import add_rebuild_routes
    from service.request_log import add_request_log, request_log_middleware

    # The request id and the metrics see the answer error_middleware makes;
    # error_metrics_middleware sees the error it makes the answer from.
    middlewares = [
        request_log_middleware,
        request_metrics_middleware,
        error_middleware,
        error_metrics_middleware,
        url_limit_middleware,
    ]
    app = web.Application(
        middlewares=middlewares, client_max_size=settings.max_body_bytes
    )
    app[SETTINGS] = settings
    app[WAIT] = settings.projection_wait
    app[CLOCK] = lambda: datetime.now(UTC)
    app.cleanup_ctx.append(_database(settings, database))
    app.cleanup_ctx.append(_healer(settings))
    app.cleanup_ctx.append(_document_cache(settings, READ_MODEL))
    add_read_routes(app)
    add_write_routes(app)
    add_rebuild_routes(app)  # after the database's context: it uses the database
    add_auth(app, settings)
    add_health_routes(app)
    add_metrics(app)
    add_docs_routes(app)
    add_openapi_routes(app)  # last: it describes the routes added before it
    add_request_log(app)
    return app


def _database(settings: Settings, given: Database | None) -> CleanupContext:
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


def _document_cache(settings: Settings, key: web.AppKey[ReadModel]) -> CleanupContext:
    async def context(app: web.Application) -> AsyncIterator[None]:
        cache = DocumentCache(
            app[DATABASE].documents,
            staleness=settings.cache_staleness,
            memo_bytes=settings.cache_memo_mb * 2**20,
            # A read that waited in vain still has its database call to make.
            patience=min(PATIENCE_SECONDS, settings.db_timeout_ms / 1000 / 4),
        )
        app[key] = cache
        task = asyncio.create_task(cache.follow())
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    return context


def _healer(settings: Settings) -> CleanupContext:
    async def context(app: web.Application) -> AsyncIterator[None]:
        healing = heal_forever(
            app[DATABASE],
            settings.heal_interval,
            batch_timeout=settings.batch_timeout_ms / 1000,
        )
        task = asyncio.create_task(healing)
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    return context


async def heal_forever(
    database: Database,
    interval: float,
    reconcile_every: int = RECONCILE_EVERY,
    batch_timeout: float = 600.0,
) -> None:
    """Project what crashed appends left behind: at start, then every interval.

    Marks cover a crash anywhere but one place: a process that dies between
    storing an event and marking it again, while another process projects the
    stream from a read made just before the insert, loses the event's mark.
    Reconciling the log's heads with the projected positions finds such a
    stream without a restart: the whole log at start, then every
    ``reconcile_every`` intervals the streams appended to since the previous
    reconciliation (``RECONCILE_LOOKBACK`` earlier, for late commits and
    clock skew between processes).
    """
    countdown = 0
    since: datetime | None = None  # None: the whole log
    while True:
        try:
            await database.ensure_indexes()
            if countdown == 0:
                started = datetime.now(UTC)
                with patient(batch_timeout):
                    await reconcile(database, since)
                since = started - RECONCILE_LOOKBACK
                countdown = reconcile_every
            countdown -= 1
            await database.projector.drain()
        except Unavailable:
            pass  # logged at the adapter; try again on the next tick
        except Exception:
            logger.exception("projection failed; the marks stay and are retried")
        await asyncio.sleep(interval)


async def reconcile(database: Database, since: datetime | None = None) -> int:
    """Mark every stream whose log is ahead of what the documents reflect: of
    the whole log, or of the streams with events recorded from ``since`` on."""
    if since is None:
        heads = await database.events.all_heads()
        positions = await database.queue.positions()
    else:
        heads = await database.events.heads_since(since)
        positions = await database.queue.positions(sorted(heads))
    behind = [s for s, v in heads.items() if positions.get(s, 0) < v]
    for stream in behind:
        await database.queue.mark(stream)
    if behind:
        logger.info("reconcile marked streams=%d", len(behind))
    return len(behind)
