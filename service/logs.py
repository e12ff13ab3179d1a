"""Logging configuration, done once by the entry points."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from service.request_log import RequestIdFilter
from service.settings import Settings

COMMANDS = "pymongo.command"


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line["request_id"] = request_id
        http = getattr(record, "http", None)
        if isinstance(http, dict):
            line["http"] = http
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(settings: Settings, batch: bool = False) -> None:
    """Human lines on a terminal, JSON lines when configured.

    ``batch`` is for the commands that print their own summary (seed,
    import-ll2, replay, token): below DEBUG they log warnings and errors
    only, so that hundreds of appends are not hundreds of lines.
    """
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(_JsonLines())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = logging.getLevelName(settings.log_level.upper())
    if batch and level > logging.DEBUG:
        level = max(level, logging.WARNING)
    root.setLevel(level)
    # pymongo logs each command with its documents (event bodies among them)
    # at DEBUG; its other loggers name only servers, timings and failures.
    logging.getLogger(COMMANDS).setLevel(max(root.level, logging.INFO))
