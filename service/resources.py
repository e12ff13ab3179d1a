"""Typed keys of what the application shares between handlers."""

from __future__ import annotations

from aiohttp import web

from service.database import Database

DATABASE = web.AppKey("database", Database)
