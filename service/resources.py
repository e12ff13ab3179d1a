"""Typed keys of what the application shares between handlers."""

from __future__ import annotations

from aiohttp import web

from service.database import Database

DATABASE = web.AppKey("database", Database)
# The operator a request was authenticated as, for the access log.
OPERATOR = web.RequestKey("operator", str)
