"""Prometheus metrics of one application, served at ``/metrics``.

Each application owns its registry (never the process-wide default), so two
apps in one process, as in the tests, count separately. Request counts and
latencies are taken by an outer middleware; conflicts and database errors by
an inner one that sees the project's errors before ``error_middleware`` turns
them into responses. Projection lag and rebuild progress are read from the
database when scraped, so they are the same whichever process is asked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from events.errors import (
    FlightlogError,
    IdempotencyMismatch,
    RuleViolation,
    Unavailable,
    VersionConflict,
)
from projections.mongo import DOCUMENTS
from projections.replay import SHADOW
from service.errors import Outcome
from service.keys import APPENDED
from service.resources import DATABASE

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
PROJECTION = DOCUMENTS  # the one projection: LL2 flight documents
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    """The collectors of one application, on its own registry."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def answered(self, method: str, route: str, status: int, elapsed: float) -> None:
        """Count and time one answer. The labelled children are kept: looking
        them up by label values on every request costs more than the counting."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(elapsed)

    def __post_init__(self) -> None:
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        on = self.registry
        ProcessCollector(registry=on)
        PlatformCollector(registry=on)
        self.requests = Counter(
            "flightlog_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=on,
        )
        self.latency = Histogram(
            "flightlog_http_request_duration_seconds",
            "Time from the request's arrival to its answer, by route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=on,
        )
        self.appended = Counter(
            "flightlog_events_appended",
            "Events appended to the log through this process, by type",
            ["type"],
            registry=on,
        )
        self.conflicts = Counter(
            "flightlog_conflicts",
            "Appends refused with 409 or 422: a rule's name, "
            "expected_version or idempotency_key",
            ["reason"],
            registry=on,
        )
        self.database_errors = Counter(
            "flightlog_database_errors",
            "Times the database failed to answer: in a request or while scraping",
            ["where"],
            registry=on,
        )
        self.lag = Gauge(
            "flightlog_projection_lag_events",
            "Events in the log not yet reflected in the projection "
            "(head minus applied version, summed over the marked streams)",
            ["projection"],
            registry=on,
        )
        self.pending = Gauge(
            "flightlog_projection_pending_streams",
            "Streams marked for projection and not yet projected",
            ["projection"],
            registry=on,
        )
        self.documents = Gauge(
            "flightlog_projection_documents",
            "Documents the projection serves",
            ["projection"],
            registry=on,
        )
        self.rebuilt = Gauge(
            "flightlog_rebuild_documents_written",
            "Documents a rebuild (flightlog replay) has written to its shadow "
            "collection so far; 0 when no rebuild is under way",
            ["projection"],
            registry=on,
        )
        for reason in ("expected_version", "idempotency_key"):
            self.conflicts.labels(reason)
        for where in ("request", "scrape"):
            self.database_errors.labels(where)

    def database_error(self, where: str) -> None:
        """Count one failure to reach the database."""
        self.database_errors.labels(where).inc()

    def count_error(self, exc: FlightlogError) -> None:
        """Count what a refused or failed request says about the system."""
        if isinstance(exc, RuleViolation):
            self.conflicts.labels(exc.rule).inc()
        elif isinstance(exc, VersionConflict):
            self.conflicts.labels("expected_version").inc()
        elif isinstance(exc, IdempotencyMismatch):
            self.conflicts.labels("idempotency_key").inc()
        elif isinstance(exc, Unavailable):
            self.database_error("request")

    async def refresh(self, app: web.Application) -> None:
        """Read projection lag and rebuild progress from the database."""
        database = app.get(DATABASE)
        if database is None:
            return
        try:
            # The marked streams only: a scrape never reads the whole log. A
            # stream whose mark a crash lost counts once reconciliation marks it.
            marked = [mark.stream for mark in await database.queue.pending()]
            heads = await database.events.heads(marked)
            positions = await database.queue.positions(marked)
            pending = await database.queue.count()
            served = await _count(database.handle, DOCUMENTS)
            shadow = await _count(database.handle, SHADOW)
        except Unavailable:
            self.database_error("scrape")
            return
        behind = (v - positions.get(s, 0) for s, v in heads.items())
        self.lag.labels(PROJECTION).set(sum(max(n, 0) for n in behind))
        self.pending.labels(PROJECTION).set(pending)
        self.documents.labels(PROJECTION).set(served)
        self.rebuilt.labels(PROJECTION).set(shadow)


METRICS = web.AppKey("metrics", Metrics)


def add_metrics(app: web.Application) -> None:
    """Give the app its registry and serve it at ``/metrics``."""
    app[METRICS] = Metrics()
    app.router.add_get(METRICS_PATH, metrics_view)


async def metrics_view(request: web.Request) -> web.Response:
    """``GET /metrics``: the Prometheus text format."""
    metrics = request.app[METRICS]
    await metrics.refresh(request.app)
    body = generate_latest(metrics.registry)
    # The 0.0.4 text format: every Prometheus version reads it.
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


@web.middleware
async def request_metrics_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Count every answer by route template and status, and time it."""
    metrics = request.app.get(METRICS)
    if metrics is None:
        return await handler(request)
    outcome = Outcome()
    try:
        return await outcome.run(request, handler)
    finally:
        route = route_of(request)
        metrics.answered(request.method, route, outcome.status, outcome.elapsed())
        appended = request.get(APPENDED)
        if appended is not None:
            metrics.appended.labels(appended).inc()


@web.middleware
async def error_metrics_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Count conflicts and database errors on their way to ``error_middleware``."""
    try:
        return await handler(request)
    except FlightlogError as exc:
        metrics = request.app.get(METRICS)
        if metrics is not None:
            metrics.count_error(exc)
        raise


async def _count(handle: Any, collection: str) -> int:
    """Documents in a collection; 0 when it does not exist."""
    try:
        return int(await handle[collection].count_documents({}))
    except Exception as exc:  # the driver's errors; this module does not import it
        raise Unavailable(
            f"could not count {collection}: {type(exc).__name__}"
        ) from exc


def route_of(request: web.Request) -> str:
    """The route template that matched, e.g. ``/2.2.0/spacecraft/flight/{id}/``."""
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"  # never the raw path: label values must stay few
    return resource.canonical
