"""Limits on what a request may be before any view reads it."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from service.errors import UriTooLong

# Longer than any link this service makes; aiohttp's HTTP parser refuses
# request lines past 8190 bytes on its own (a plain-text 400).
MAX_URL_BYTES = 4096


@web.middleware
async def url_limit_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Refuse a path and query string longer than ``MAX_URL_BYTES`` (414)."""
    if len(request.raw_path.encode()) > MAX_URL_BYTES:
        raise UriTooLong(MAX_URL_BYTES)
    return await handler(request)
