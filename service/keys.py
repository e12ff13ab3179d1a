"""Typed keys of what the app factory and the middlewares share with the views."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from projections.store import ReadModel
from service.settings import Settings

READ_MODEL = web.AppKey("read_model", ReadModel)
SETTINGS = web.AppKey("settings", Settings)
# The request time that running durations count up to; tests freeze it.
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")

# The id of the request, set by whichever middleware accepts or makes it up.
REQUEST_ID = web.RequestKey("request_id", str)
# The type of the event a request appended (not set for a retry), for metrics.
APPENDED = web.RequestKey("appended_event_type", str)
