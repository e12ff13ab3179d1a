"""Documents as JSON bytes ready to send, with holes a request fills in.

A projected document is stored as alternating text and slots: a slot is a link
(filled with the request's host or the upstream host, and its ``format``) or a
running duration (filled with the request time). Everything else is final.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from projections.values import Elapsed, Link, duration

Segments = list[Any]  # [text, slot, text, slot, ..., text]


def encode(document: Any) -> Segments:
    """Compact UTF-8 JSON of ``document`` split around its links and durations."""
    slots: list[dict[str, Any]] = []

    def hole(value: Any) -> str:
        if isinstance(value, Link):
            slots.append({"link": value.base, "path": value.path})
        elif isinstance(value, Elapsed):
            if not value.running_since:
                return duration(value.seconds)
            running = [start.timestamp() for start in value.running_since]
            slots.append({"seconds": value.seconds, "running_since": running})
        else:
            raise TypeError(f"{type(value).__name__} is not JSON serializable")
        return f"{_HOLE}{len(slots) - 1}"

    # The C encoder writes everything but the holes, which it asks ``hole``
    # for; each hole comes back as a string holding this process's random
    # marker, which no value holds, and the text is cut there.
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=hole)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    first, *rest = text.split(_HOLE_WRITTEN)
    parts: Segments = [first]
    for piece in rest:
        number, after = piece.split('"', 1)
        parts += [slots[int(number)], after]
    return parts


_HOLE = f"\0{secrets.token_hex(8)}:"
_HOLE_WRITTEN = json.dumps(_HOLE)[:-1]  # the opening quote and the escaped marker


def _string(value: str) -> str:
    encoded = json.dumps(value, ensure_ascii=False)
    return encoded.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@dataclass(frozen=True)
class Filler:
    """What one request fills into the holes: hosts, ``format`` and the time."""

    self_base: str
    upstream_base: str
    format_suffix: str = ""
    now: datetime | None = None

    def fill(self, parts: Segments) -> str:
        """The finished JSON text."""
        out: list[str] = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(part)
            elif "link" in part:
                out.append(self._link(part))
            else:
                out.append(self._duration(part))
        return "".join(out)

    def _link(self, slot: dict[str, Any]) -> str:
        base = self.self_base if slot["link"] == "self" else self.upstream_base
        return _string(base + slot["path"] + self.format_suffix)

    def _duration(self, slot: dict[str, Any]) -> str:
        now = self.now or datetime.now(UTC)
        running = tuple(
            datetime.fromtimestamp(start, UTC) for start in slot["running_since"]
        )
        return _string(duration(Elapsed(slot["seconds"], running).at(now)))
