"""Regenerate ``seed/log.jsonl``, the facts-only event log of the real flights.

``python -m seed.build [SOURCE_DIR]`` imports every LL2 document in SOURCE_DIR
(default ``../shared/data/ll2`` from the repository root) with prose left empty,
oldest first so that newer documents win, and writes every event one JSON object
a line, by stream and version. The same sources give the same file, byte for
byte. Flight 325 is left out: ``seed/flight_325.json`` ships it as given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from events.append import Appender
from events.catalog import stream_kind
from events.envelope import StoredEvent
from events.memory import MemoryEventStore
from seed.facts import Facts
from seed.importer import Importer, ImportReport

logger = logging.getLogger(__name__)

SEED_DIR = Path(__file__).parent
LOG_PATH = SEED_DIR / "log.jsonl"
SUPPLEMENT_PATH = SEED_DIR / "supplement.json"
DEFAULT_SOURCES = SEED_DIR.parent.parent / "shared" / "data" / "ll2"
REFERENCE_DOCUMENT = "ll2_220_spacecraft_flight_325_detail.json"
SHIPPED_AS_GIVEN = "flight-325"
OPERATOR = "seed"


@dataclass
class Build:
    """The log's lines and what the import had to leave out."""

    lines: list[str]
    report: ImportReport

    def text(self) -> str:
        """The content of ``log.jsonl``."""
        return "".join(line + "\n" for line in self.lines)

    def streams(self) -> Counter[str]:
        """Number of streams of each kind in the log."""
        names = {json.loads(line)["stream"] for line in self.lines}
        return Counter(stream_kind(name) for name in names)


def source_paths(source_dir: Path) -> list[Path]:
    """The documents in the order later ones win: 2021 files, supplement, 325."""
    reference = source_dir / REFERENCE_DOCUMENT
    if not reference.is_file():
        raise FileNotFoundError(f"{reference} is missing")
    older = sorted(p for p in source_dir.glob("ll2_*.json") if p != reference)
    return [*older, SUPPLEMENT_PATH, reference]


def gather(paths: list[Path]) -> Facts:
    """The facts of ``paths``, read in order, with prose left empty."""
    facts = Facts(strip_prose=True)
    for path in paths:
        facts.add(json.loads(path.read_text(encoding="utf-8")))
    return facts


async def build_log(source_dir: Path = DEFAULT_SOURCES) -> Build:
    """Import the sources into a memory store and render its events as lines."""
    store = MemoryEventStore()
    importer = Importer(store, Appender(store), OPERATOR)
    report = await importer.run(gather(source_paths(source_dir)))

    events = [event async for batch in store.read_all() for event in batch]
    events.sort(key=lambda event: (event.stream, event.version))
    lines = [log_line(e) for e in events if e.stream != SHIPPED_AS_GIVEN]
    return Build(lines, report)


def log_line(event: StoredEvent) -> str:
    """One event as a compact, key-sorted JSON object."""
    entry: dict[str, Any] = {
        "stream": event.stream,
        "version": event.version,
        "type": event.type,
        "occurred_at": instant_text(event),
        "data": event.data,
    }
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def instant_text(event: StoredEvent) -> str:
    """The event's occurred time in UTC, milliseconds only when it has some."""
    moment = event.occurred_at
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def summary(build: Build) -> list[str]:
    """Human-readable lines: what the log holds and what was skipped, and why."""
    kinds = build.streams()
    lines = [
        f"{kinds['flight']} flights, {len(build.lines)} events in "
        f"{sum(kinds.values())} streams "
        f"({', '.join(f'{n} {kind}' for kind, n in sorted(kinds.items()))})",
        f"{SHIPPED_AS_GIVEN} left out: seed/flight_325.json ships it as given",
    ]
    flights = [note for note in build.report.skipped if " docking " not in note]
    dockings = [note for note in build.report.skipped if " docking " in note]
    reasons = Counter(note.split(": ", 1)[1] for note in flights)
    lines.append(f"skipped {len(flights)} flights:")
    lines += [f"  {n} x {reason}" for reason, n in sorted(reasons.items())]
    lines.append(f"skipped {len(dockings)} dockings:")
    lines += [f"  {note}" for note in dockings]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Write ``seed/log.jsonl`` from the sources and print what it holds."""
    parser = argparse.ArgumentParser(prog="python -m seed.build")
    parser.add_argument("source_dir", nargs="?", type=Path, default=DEFAULT_SOURCES)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    build = asyncio.run(build_log(args.source_dir))
    LOG_PATH.write_text(build.text(), encoding="utf-8", newline="\n")
    print(f"wrote {LOG_PATH}")
    for line in summary(build):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
