"""How LL2 writes times, dates and durations, and the two values a request fills in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import isodate


def instant(moment: datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ``, with six fractional digits only when needed."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def day(value: date | None) -> str | None:
    """``YYYY-MM-DD``."""
    return None if value is None else value.isoformat()


def duration(seconds: float) -> str:
    """LL2's ISO-8601 duration: ``P67DT20H12M47S``, ``PT4H55M44S``, ``P0D``."""
    return str(isodate.duration_isoformat(timedelta(seconds=seconds)))


@dataclass(frozen=True)
class Link:
    """A ``url`` field: a path on this service (``self``) or on LL2 (``upstream``)."""

    base: str
    path: str


@dataclass(frozen=True)
class Elapsed:
    """A duration that may still be running: closed seconds plus open spans."""

    seconds: float
    running_since: tuple[datetime, ...] = ()

    def at(self, now: datetime) -> float:
        """The duration as of ``now``, counted in whole seconds for open spans."""
        now = now.replace(microsecond=0)
        running = sum((now - start).total_seconds() for start in self.running_since)
        return self.seconds + max(running, 0.0)
