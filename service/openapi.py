"""The OpenAPI 3.1 description of the service, built from its pydantic models.

Operator bodies come from ``service.write_api.AppendBody`` narrowed per event
type to the payload model ``events.catalog`` validates ``data`` with, so each
route's body is a ``oneOf`` discriminated by ``type``. Read shapes and error
bodies come from ``service.openapi_models``. The document is built once, on
start, from the routes the application actually has: an endpoint is described
only if it is served.
"""

from __future__ import annotations

import json
import re
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, Literal, Union

import yaml
from aiohttp import web
from pydantic import BaseModel, Field, RootModel, create_model
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from events.catalog import ENTITY_NAMES, STREAM_KINDS, event_types
from service import openapi_models as shapes
from service.openapi_paths import (
    operator_paths,
    read_paths,
    rebuild_paths,
    service_paths,
)
from service.read_api import PREFIXES, append_slash
from service.write_api import AppendBody

SCHEMA_PATH = "/2.2.0/schema/"
REF = "#/components/schemas/{model}"
OPENAPI: web.AppKey[dict[str, Any]] = web.AppKey("openapi")
BODY_FIELDS = {
    "type": "the event type; decides the shape of `data`",
    "occurred_at": "when it happened (RFC 3339 with a zone; kept to milliseconds); "
    "never in the future, never before the stream's previous event",
    "data": "the event's payload",
    "expected_version": "the stream's current version, for optimistic concurrency: "
    "409 when the stream has moved on",
    "request_id": "idempotency key when no `Idempotency-Key` header is sent",
}
DESCRIPTION = """\
Spacecraft flights in the shape of Launch Library 2's `/2.2.0/spacecraft/flight/`,
folded from an append-only event log, and the operator endpoints that append to
it. Every path is also served under `/api/2.2.0/`. Operator endpoints need a
bearer token made with `flightlog token create NAME`.
"""


def add_openapi_routes(app: web.Application) -> None:
    """Serve the description at ``/2.2.0/schema/`` and ``/api/2.2.0/schema/``,
    built when the app starts; the path without its slash redirects to it."""
    for prefix in PREFIXES:
        path = prefix + SCHEMA_PATH
        app.router.add_get(path, schema_view)
        app.router.add_route("*", path.rstrip("/"), append_slash)
    app.on_startup.append(_build)


async def schema_view(request: web.Request) -> web.Response:
    """``GET /2.2.0/schema/``: JSON, or YAML with ``?format=yaml``."""
    document = request.app[OPENAPI]
    wanted = request.query.get("format", "json")
    if wanted == "yaml":
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        return web.Response(text=text, content_type="application/yaml")
    if wanted != "json":
        raise web.HTTPNotFound()
    return web.Response(
        text=json.dumps(document, ensure_ascii=False), content_type="application/json"
    )


async def _build(app: web.Application) -> None:
    served = {resource.canonical for resource in app.router.resources()}
    app[OPENAPI] = build_document(served)


def build_document(served: set[str] | None = None) -> dict[str, Any]:
    """The OpenAPI document; with ``served``, only the paths among them."""
    bodies = {kind: event_body_model(kind) for kind in STREAM_KINDS}
    components = _schemas(list(bodies.values()))
    paths = {
        **read_paths(),
        **operator_paths({kind: model.__name__ for kind, model in bodies.items()}),
        **rebuild_paths(),
        **service_paths(),
    }
    if served is not None:
        routes = {_template(path) for path in served}
        paths = {
            path: item for path, item in paths.items() if _template(path) in routes
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Flightlog",
            "version": _version(),
            "description": DESCRIPTION,
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "flights", "description": "LL2 2.2.0 read endpoints"},
            {"name": "operator", "description": "append events (bearer token)"},
            {"name": "admin", "description": "rebuild the documents (admin token)"},
            {"name": "service", "description": "description, docs and metrics"},
        ],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an operator token from `flightlog token create`",
                }
            },
        },
    }


def event_body_model(kind: str) -> type[BaseModel]:
    """The body of ``POST …/events/`` for one stream kind: one variant per type."""
    variants = tuple(
        _variant(event_type, payload)
        for event_type, payload in event_types(kind).items()
    )
    union = Annotated[
        Union[variants],  # type: ignore[valid-type]  # noqa: UP007
        Field(discriminator="type"),
    ]
    name = f"{_pascal(kind)}EventBody"
    doc = f"An event of {ENTITY_NAMES[kind]}'s stream, by type."
    return type(name, (RootModel[union],), {"__module__": __name__, "__doc__": doc})


def _variant(event_type: str, payload: type[BaseModel]) -> type[BaseModel]:
    return create_model(
        f"{_pascal(event_type)}Event",
        __base__=AppendBody,
        __doc__=payload.__doc__,
        type=(Literal[event_type], ...),  # type: ignore[arg-type]
        data=(payload, ...),
    )


def _schemas(bodies: list[type[BaseModel]]) -> dict[str, Any]:
    answers: list[type[BaseModel]] = [
        *shapes.READ_MODELS,
        shapes.AppendedEvent,
        shapes.RebuildStatus,
        *shapes.ERROR_MODELS,
    ]
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((model, "validation") for model in bodies),
        *((model, "serialization") for model in answers),
    ]
    _, top = models_json_schema(modes, ref_template=REF)
    schemas: dict[str, Any] = top["$defs"]
    for schema in schemas.values():
        if BODY_FIELDS.keys() <= schema.get("properties", {}).keys():
            for field, text in BODY_FIELDS.items():
                schema["properties"][field]["description"] = text
    return dict(sorted(schemas.items()))


def _template(path: str) -> str:
    # Route variables are named differently in aiohttp ({key}) and here ({id}).
    return re.sub(r"\{[^}]*\}", "{}", path)


def _pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def _version() -> str:
    try:
        return version("flightlog")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"
