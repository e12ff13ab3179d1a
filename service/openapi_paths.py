"""The path items of the OpenAPI document: what each route takes and answers.

Statuses and bodies follow ``service.errors`` (one mapping from error to
status) and ``docs/http.md``; the schemas they name are built in
``service.openapi`` from the pydantic models.
"""

from __future__ import annotations

from typing import Any

from events.catalog import ENTITY_NAMES
from service.write_api import IDEMPOTENCY_KEY

FLIGHTS = "/2.2.0/spacecraft/flight/"
INTEGER_KEY = {"type": "integer", "minimum": 0, "maximum": 9_999_999_999}
UUID_KEY = {
    "type": "string",
    "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
}
# Stream kind: (path below /2.2.0/ up to the key, name of the entity).
OPERATOR_ROUTES = {
    "flight": "spacecraft/flight",
    "astronaut": "astronaut",
    "spacecraft": "spacecraft",
    "spacecraft_config": "config/spacecraft",
    "agency": "agencies",
    "spacestation": "spacestation",
    "launch": "launch",
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def read_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """JSON, or the browsable HTML page once a request negotiated it."""
    answer = json_body(schema, description)
    answer["content"]["text/html"] = {"schema": {"type": "string"}}
    return answer


def error(description: str, name: str = "ErrorDetail") -> dict[str, Any]:
    return json_body(ref(name), description)


def retry_after(answer: dict[str, Any]) -> dict[str, Any]:
    answer["headers"] = {
        "Retry-After": {
            "description": "seconds to wait before trying again",
            "schema": {"type": "string"},
        }
    }
    return answer


FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "`json` or `api` (the browsable page); echoed into every `url`",
    "schema": {"type": "string", "enum": ["json", "api"]},
}
LIST_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "page size, 10 by default, at most 100 (larger is capped)",
        "schema": {"type": "integer", "minimum": 1},
    },
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": "flights to skip",
        "schema": {"type": "integer", "minimum": 0},
    },
    {
        "name": "spacecraft",
        "in": "query",
        "required": False,
        "description": "only flights of this spacecraft id; 400 if it flew none",
        "schema": {"type": "integer", "minimum": 0},
    },
    {
        "name": "mode",
        "in": "query",
        "required": False,
        "description": "`detailed` lists flights in the detail shape",
        "schema": {"type": "string", "enum": ["detailed"]},
    },
    FORMAT,
]


def _read_errors() -> dict[str, Any]:
    return {
        "400": read_body(
            {"oneOf": [ref("FieldErrors"), ref("ErrorDetail")]},
            "a malformed or unknown `spacecraft`, or a malformed Host header",
        ),
        "404": read_body(ref("ErrorDetail"), "no such flight, or an unknown `format`"),
        "406": error("nothing satisfies the Accept header"),
        "429": retry_after(
            read_body(ref("ErrorDetail"), "throttled (FLIGHTLOG_THROTTLE_RATE)")
        ),
        "503": retry_after(error("the database is unavailable")),
    }


def read_paths() -> dict[str, Any]:
    """The LL2 list and detail endpoints."""
    return {
        FLIGHTS: {
            "get": {
                "tags": ["flights"],
                "operationId": "listSpacecraftFlights",
                "summary": "Spacecraft flights, newest first",
                "parameters": LIST_PARAMETERS,
                "responses": {
                    "200": read_body(
                        ref("PaginatedSpacecraftFlightList"), "one page of flights"
                    ),
                    **_read_errors(),
                },
            }
        },
        FLIGHTS + "{id}/": {
            "get": {
                "tags": ["flights"],
                "operationId": "retrieveSpacecraftFlight",
                "summary": "One spacecraft flight in the detail shape",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 0},
                    },
                    FORMAT,
                ],
                "responses": {
                    "200": read_body(ref("SpacecraftFlightDetailed"), "the flight"),
                    **_read_errors(),
                },
            }
        },
    }


def operator_paths(bodies: dict[str, str]) -> dict[str, Any]:
    """``POST /2.2.0/<resource>/<key>/events/`` for each stream kind."""
    paths: dict[str, Any] = {}
    for kind, route in OPERATOR_ROUTES.items():
        key = UUID_KEY if kind == "launch" else INTEGER_KEY
        paths[f"/2.2.0/{route}/{{id}}/events/"] = {
            "post": _post_event(kind, key, bodies[kind])
        }
    return paths


def _post_event(kind: str, key: dict[str, Any], body: str) -> dict[str, Any]:
    return {
        "tags": ["operator"],
        "operationId": f"post{''.join(p.capitalize() for p in kind.split('_'))}Event",
        "summary": f"Append an event to {ENTITY_NAMES[kind]}'s stream",
        "security": [{"bearerAuth": []}],
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": key},
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "a retry with the same key gets the first answer",
                "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY},
            },
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        },
        "responses": {
            "201": json_body(ref("AppendedEvent"), "the stored event"),
            "400": error(
                "malformed body or data; fields at fault", "InvalidInputError"
            ),
            "401": error("no valid operator token"),
            "403": error("the token's role may not do this"),
            "404": error("a flight event other than launch for an unknown flight"),
            "409": json_body(
                {"oneOf": [ref("RuleViolationError"), ref("ErrorDetail")]},
                "a broken flight rule, or a stale `expected_version`",
            ),
            "413": error("the body is larger than FLIGHTLOG_MAX_BODY_BYTES"),
            "414": error("the path and query string are too long"),
            "415": error("the body is not application/json", "InvalidInputError"),
            "422": error("the idempotency key was used for another request"),
            **_auth_errors(),
        },
    }


def _auth_errors() -> dict[str, Any]:
    return {
        "429": retry_after(
            error("too many invalid tokens from this address (auth failure rate)")
        ),
        "503": retry_after(error("the database is unavailable")),
    }


REBUILD_ID = {"type": "string", "pattern": "^[0-9a-f]{32}$"}


def rebuild_paths() -> dict[str, Any]:
    """``POST /2.2.0/rebuild/`` and the status resource it answers with."""
    admin = {
        "401": error("no valid operator token"),
        "403": error("the token's role is not admin"),
        **_auth_errors(),
    }
    return {
        "/2.2.0/rebuild/": {
            "post": {
                "tags": ["admin"],
                "operationId": "startRebuild",
                "summary": "Rebuild every flight document from the log",
                "description": "Answers at once; the rebuild runs in the "
                "background and its status resource (`Location`) says when "
                "it is done. The served documents stay until the swap.",
                "security": [{"bearerAuth": []}],
                "responses": {
                    "202": {
                        **json_body(ref("RebuildStatus"), "the rebuild, running"),
                        "headers": {
                            "Location": {
                                "description": "the rebuild's status resource",
                                "schema": {"type": "string"},
                            }
                        },
                    },
                    "409": error("a rebuild is running already", "BusyError"),
                    **admin,
                },
            }
        },
        "/2.2.0/rebuild/{id}/": {
            "get": {
                "tags": ["admin"],
                "operationId": "getRebuild",
                "summary": "How a rebuild is going",
                "security": [{"bearerAuth": []}],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": REBUILD_ID}
                ],
                "responses": {
                    "200": json_body(ref("RebuildStatus"), "the rebuild"),
                    "404": error("no rebuild with this id"),
                    **admin,
                },
            }
        },
    }


def service_paths() -> dict[str, Any]:
    """The description itself, its page, metrics and health checks."""
    return {
        "/2.2.0/schema/": {
            "get": {
                "tags": ["service"],
                "operationId": "getOpenApiDocument",
                "summary": "This OpenAPI 3.1 document",
                "parameters": [
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["json", "yaml"]},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "the document",
                        "content": {
                            "application/json": {"schema": {"type": "object"}},
                            "application/yaml": {"schema": {"type": "string"}},
                        },
                    }
                },
            }
        },
        "/2.2.0/docs/": _page("getApiDocs", "Interactive API documentation"),
        "/metrics": {
            "get": {
                "tags": ["service"],
                "operationId": "getMetrics",
                "summary": "Prometheus metrics of this process",
                "responses": {
                    "200": {
                        "description": "the Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/healthz": _health("getHealth", "The process is alive"),
        "/readyz": _health(
            "getReadiness",
            "The database answers and the projections have caught up",
            ready=True,
        ),
    }


def _page(operation: str, summary: str) -> dict[str, Any]:
    return {
        "get": {
            "tags": ["service"],
            "operationId": operation,
            "summary": summary,
            "responses": {
                "200": {
                    "description": "an HTML page",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
            },
        }
    }


def _health(operation: str, summary: str, ready: bool = False) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": json_body({"type": "object"}, summary)}
    if ready:
        responses["503"] = json_body(
            {"type": "object"}, "not ready; the body names the check that failed"
        )
    return {
        "get": {
            "tags": ["service"],
            "operationId": operation,
            "summary": summary,
            "responses": responses,
        }
    }
