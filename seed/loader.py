"""Loading the bundled seed: the facts-only log, then flight 325 as given.

Each line of ``log.jsonl`` is appended with the request id
``seed:<stream>:<version>`` at exactly that version, so a second load finds
every request done and appends nothing. ``flight_325.json`` then goes through
the importer, which adds its prose and the flight itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from typing import Any

from events.append import Appender, AppendRequest
from events.catalog import stream_kind
from events.envelope import StoredEvent
from events.errors import FlightlogError, VersionConflict
from events.folds import stream_key
from events.store import EventStore
from seed.facts import Facts
from seed.importer import ORDER, Importer, ImportReport

logger = logging.getLogger(__name__)

LOG_FILE = "log.jsonl"
FLIGHT_325_FILE = "flight_325.json"
# Links between streams need their targets first; flights need every kind.
KIND_RANK = {kind: rank for rank, kind in enumerate((*ORDER, "flight"))}

Progress = Callable[[], None]


def seed_text(name: str) -> str:
    """The text of one bundled seed file."""
    return resources.files("seed").joinpath(name).read_text(encoding="utf-8")


def seed_events() -> list[dict[str, Any]]:
    """The log's events in an order the appender accepts: targets before links."""
    entries = [json.loads(line) for line in seed_text(LOG_FILE).splitlines() if line]
    return sorted(entries, key=lambda e: KIND_RANK[stream_kind(e["stream"])])


async def load_seed(
    appender: Appender,
    store: EventStore,
    operator: str = "seed",
    progress: Progress | None = None,
) -> ImportReport:
    """Append the seed log and flight 325 once; a second load appends nothing.

    ``progress`` is called once per log event and once per flight of the 325
    document: ``len(seed_events()) + 1`` calls in all.
    """
    report = ImportReport()
    for entry in seed_events():
        await _append_entry(appender, entry, operator, report)
        if progress is not None:
            progress()

    facts = Facts()
    facts.add(json.loads(seed_text(FLIGHT_325_FILE)))
    imported = await Importer(store, appender, operator).run(facts, progress)
    report.appended += imported.appended
    report.skipped.extend(imported.skipped)

    logger.info(
        "seed loaded appended=%d skipped=%d", report.appended, len(report.skipped)
    )
    return report


async def _append_entry(
    appender: Appender, entry: dict[str, Any], operator: str, report: ImportReport
) -> None:
    stream, version = entry["stream"], int(entry["version"])
    request = AppendRequest(
        kind=stream_kind(stream),
        key=stream_key(stream),
        type=entry["type"],
        occurred_at=datetime.fromisoformat(entry["occurred_at"]),
        data=entry["data"],
        operator=operator,
        request_id=f"seed:{stream}:{version}",
        expected_version=version - 1,
    )
    try:
        _, appended = await _append_or_find(appender, request)
    except VersionConflict:
        _skip(report, f"{stream} version {version}: the stream holds other events")
        return
    except FlightlogError as exc:
        _skip(report, f"{stream} version {version} {entry['type']}: {exc.detail}")
        return
    report.appended += int(appended)


def _skip(report: ImportReport, note: str) -> None:
    report.skipped.append(note)
    logger.warning("seed skipped %s", note)


async def _append_or_find(
    appender: Appender, request: AppendRequest
) -> tuple[StoredEvent, bool]:
    """Append; a concurrent load that stored the same request counts as done."""
    try:
        return await appender.append(request)
    except VersionConflict:
        # The retry finds the request id if the other load stored this event.
        return await appender.append(request)
