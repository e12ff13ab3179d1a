"""Documents as JSON bytes ready to send, with holes a request fills in.

A projected document is stored as alternating text and slots: a slot is a link
(filled with the request's host or the upstream host, and its ``format``) or a
running duration (filled with the request time). Everything else is final.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from projections.values import Elapsed, Link, duration

Segments = list[Any]  # [text, slot, text, slot, ..., text]


def encode(document: Any) -> Segments:
    """Compact UTF-8 JSON of ``document`` split around its links and durations."""
    parts: Segments = []
    text: list[str] = []
    _write(document, text, parts)
    parts.append("".join(text))
    return parts


def _write(value: Any, text: list[str], parts: Segments) -> None:
    if isinstance(value, dict):
        text.append("{")
        for i, (key, item) in enumerate(value.items()):
            text.append(("," if i else "") + _string(key) + ":")
            _write(item, text, parts)
        text.append("}")
    elif isinstance(value, list | tuple):
        text.append("[")
        for i, item in enumerate(value):
            if i:
                text.append(",")
            _write(item, text, parts)
        text.append("]")
    elif isinstance(value, str):
        text.append(_string(value))
    elif isinstance(value, Link):
        parts.append("".join(text))
        parts.append({"link": value.base, "path": value.path})
        text.clear()
    elif isinstance(value, Elapsed):
        if not value.running_since:
            text.append(_string(duration(value.seconds)))
            return
        parts.append("".join(text))
        running = [start.timestamp() for start in value.running_since]
        parts.append({"seconds": value.seconds, "running_since": running})
        text.clear()
    else:
        text.append(json.dumps(value))


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
