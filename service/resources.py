"""Typed keys of what the application shares between handlers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from service.database import Database

DATABASE = web.AppKey("database", Database)
# The request time that running durations count up to; tests freeze it.
CLOCK = web.AppKey("clock", Callable[[], datetime])
