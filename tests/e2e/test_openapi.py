"""The OpenAPI document, the models it is built from, and the docs page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from pydantic import BaseModel

from events.catalog import STREAM_KINDS, event_types
from service.docs_page import ASSETS, PAGE
from service.openapi import build_document
from service.openapi_models import (
    ErrorDetail,
    FieldErrors,
    PaginatedSpacecraftFlightList,
    SpacecraftFlightDetailed,
)
from tests.e2e.seeded import Apps

SCHEMA = "/2.2.0/schema/"
FLIGHTS = "/2.2.0/spacecraft/flight/"


async def _document(client: TestClient) -> dict[str, Any]:  # type: ignore[type-arg]
    response = await client.get(SCHEMA)
    assert response.status == 200
    assert response.content_type == "application/json"
    found: dict[str, Any] = await response.json()
    return found


def _same_text(model: type[BaseModel], body: str) -> None:
    """The body validates and re-serialises to the same values in the same order."""
    parsed = model.model_validate_json(body, strict=True)
    expected = json.dumps(json.loads(body), ensure_ascii=False)
    assert json.dumps(parsed.model_dump(mode="json"), ensure_ascii=False) == expected


def _validator(document: dict[str, Any], name: str) -> Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", **document}
    return Draft202012Validator(
        schema, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


async def test_the_schema_is_a_valid_openapi_3_1_document(
    seeded_apps: Apps,
) -> None:
    client = await seeded_apps.shared()

    document = await _document(client)

    assert document["openapi"] == "3.1.0"
    validate(document)


async def test_yaml_format_serves_the_same_document(seeded_apps: Apps) -> None:
    client = await seeded_apps.shared()

    as_json = await _document(client)
    response = await client.get(SCHEMA, params={"format": "yaml"})

    assert response.status == 200
    assert response.content_type == "application/yaml"
    assert yaml.safe_load(await response.text()) == as_json
    assert (await client.get(SCHEMA, params={"format": "xml"})).status == 404


async def test_every_public_endpoint_is_described(seeded_apps: Apps) -> None:
    client = await seeded_apps.shared()

    document = await _document(client)

    kinds = "spacecraft/flight|astronaut|spacecraft|config/spacecraft|agencies|"
    kinds += "spacestation|launch"
    events = [
        p
        for p in document["paths"]
        if re.fullmatch(f"/2.2.0/({kinds})/{{id}}/events/", p)
    ]
    assert len(events) == len(STREAM_KINDS) == 7
    assert set(document["paths"]) - set(events) == {
        FLIGHTS,
        FLIGHTS + "{id}/",
        SCHEMA,
        "/2.2.0/docs/",
        "/metrics",
        "/healthz",
        "/readyz",
        "/2.2.0/rebuild/",
        "/2.2.0/rebuild/{id}/",
    }


async def test_each_operator_body_is_a_oneof_by_event_type(
    seeded_apps: Apps,
) -> None:
    client = await seeded_apps.shared()

    document = await _document(client)

    schemas = document["components"]["schemas"]
    routes = {
        path: item["post"]
        for path, item in document["paths"].items()
        if path.endswith("/events/")
    }
    bodies = set()
    for operation in routes.values():
        assert operation["security"] == [{"bearerAuth": []}]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]
        bodies.add(ref["$ref"].rsplit("/", 1)[1])
    for kind in STREAM_KINDS:
        name = "".join(part.capitalize() for part in kind.split("_")) + "EventBody"
        assert name in bodies
        body = schemas[name]
        assert set(body["discriminator"]["mapping"]) == set(event_types(kind))
        assert len(body["oneOf"]) == len(event_types(kind))
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "an operator token from `flightlog token create`",
    }


async def test_every_seeded_flight_matches_the_detail_model_in_key_order(
    seeded_apps: Apps,
) -> None:
    client = await seeded_apps.shared()
    listing = await client.get(FLIGHTS, params={"limit": "100"})
    ids = [item["id"] for item in (await listing.json())["results"]]
    validator = _validator(await _document(client), "SpacecraftFlightDetailed")

    assert len(ids) > 20
    for flight_id in ids:
        response = await client.get(f"{FLIGHTS}{flight_id}/")
        body = await response.text()
        _same_text(SpacecraftFlightDetailed, body)
        validator.validate(json.loads(body))


@pytest.mark.parametrize("mode", ["", "detailed"])
async def test_list_pages_match_the_envelope_model_in_key_order(
    seeded_apps: Apps, mode: str
) -> None:
    client = await seeded_apps.shared()
    validator = _validator(await _document(client), "PaginatedSpacecraftFlightList")

    for query in (
        {"limit": "100", "mode": mode},
        {"limit": "5", "offset": "5", "mode": mode, "format": "json"},
    ):
        response = await client.get(FLIGHTS, params=query)
        body = await response.text()
        _same_text(PaginatedSpacecraftFlightList, body)
        validator.validate(json.loads(body))


async def test_read_errors_match_their_models(seeded_apps: Apps) -> None:
    client = await seeded_apps.shared()

    unknown = await client.get(f"{FLIGHTS}999999/")
    invalid = await client.get(FLIGHTS, params={"spacecraft": "x"})

    assert unknown.status == 404
    _same_text(ErrorDetail, await unknown.text())
    assert invalid.status == 400
    _same_text(FieldErrors, await invalid.text())


async def test_the_docs_page_loads_only_assets_of_this_service(
    seeded_apps: Apps,
) -> None:
    client = await seeded_apps.shared()

    page = await client.get("/2.2.0/docs/")
    html = await page.text()

    assert page.status == 200
    assert page.content_type == "text/html"
    assert "//" not in re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    linked = set(re.findall(r'(?:src|href)="([^"]+)"', html))
    assert linked == set(ASSETS)
    assert 'url: "../schema/"' in html
    for name, content_type in ASSETS.items():
        asset = await client.get(f"/2.2.0/docs/{name}")
        assert asset.status == 200, name
        assert asset.content_type == content_type
        assert len(await asset.read()) > 100
    assert (await client.get("/2.2.0/docs/index.html")).status == 404


@pytest.mark.parametrize("prefix", ["", "/api"])
async def test_the_description_and_the_docs_page_are_served_under_both_prefixes(
    seeded_apps: Apps, prefix: str
) -> None:
    client = await seeded_apps.shared()

    schema = await client.get(f"{prefix}{SCHEMA}")
    page = await client.get(f"{prefix}/2.2.0/docs/")
    asset = await client.get(f"{prefix}/2.2.0/docs/swagger-ui.css")

    assert (schema.status, page.status, asset.status) == (200, 200, 200)
    assert await schema.json() == await _document(client)
    assert (page.content_type, await page.text()) == ("text/html", PAGE)
    assert asset.content_type == "text/css"


@pytest.mark.parametrize(
    "path", ["/2.2.0/docs", "/api/2.2.0/docs", "/2.2.0/schema", "/api/2.2.0/schema"]
)
@pytest.mark.parametrize("query", ["", "?format=yaml"])
async def test_the_docs_and_schema_paths_without_a_slash_redirect(
    seeded_apps: Apps, path: str, query: str
) -> None:
    client = await seeded_apps.shared()

    response = await client.get(path + query, allow_redirects=False)

    assert response.status == 301
    assert response.headers["Location"] == f"{path}/{query}"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_descriptions_name_each_entity_with_its_article() -> None:
    document = build_document()
    schemas = document["components"]["schemas"]

    summaries = {
        path: item["post"]["summary"]
        for path, item in document["paths"].items()
        if path.endswith("/events/")
    }
    updated = {
        name: schemas[name]["description"]
        for name in ("AgencyUpdated", "AstronautUpdated", "SpacecraftConfigUpdated")
    }

    assert summaries == {
        "/2.2.0/spacecraft/flight/{id}/events/": "Append an event to a flight's stream",
        "/2.2.0/astronaut/{id}/events/": "Append an event to an astronaut's stream",
        "/2.2.0/spacecraft/{id}/events/": "Append an event to a spacecraft's stream",
        "/2.2.0/config/spacecraft/{id}/events/": (
            "Append an event to a spacecraft configuration's stream"
        ),
        "/2.2.0/agencies/{id}/events/": "Append an event to an agency's stream",
        "/2.2.0/spacestation/{id}/events/": (
            "Append an event to a space station's stream"
        ),
        "/2.2.0/launch/{id}/events/": "Append an event to a launch's stream",
    }
    assert updated == {
        "AgencyUpdated": "Some fields of an agency changed.",
        "AstronautUpdated": "Some fields of an astronaut changed.",
        "SpacecraftConfigUpdated": "Some fields of a spacecraft configuration changed.",
    }
    assert schemas["AgencyEventBody"]["description"] == (
        "An event of an agency's stream, by type."
    )
