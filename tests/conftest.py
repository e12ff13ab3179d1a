"""Shared fixtures: a MongoDB-compatible server, per-test databases, a mock."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
from mongomock_motor import AsyncMongoMockClient
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase

from service.embedded import EmbeddedServer

TESTS_DIR = Path(__file__).parent
TIER_MARKERS = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by their tier folder: tests/integration and tests/e2e."""
    for item in items:
        try:
            tier = item.path.relative_to(TESTS_DIR).parts[0]
        except ValueError:
            continue
        marker = TIER_MARKERS.get(tier)
        if marker is not None:
            item.add_marker(marker)


@pytest.fixture(scope="session")
def mongo_uri() -> Iterator[str]:
    """MONGODB_URI if set, else a throw-away embedded server for the session."""
    configured = os.environ.get("MONGODB_URI")
    if configured:
        yield configured
        return
    with EmbeddedServer(":memory:") as server:
        yield server.uri


@pytest.fixture
def database_name(mongo_uri: str) -> Iterator[str]:
    """A database name unique to the test, dropped after it."""
    name = f"flightlog_test_{uuid.uuid4().hex[:12]}"
    yield name
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(mongo_uri)
    try:
        client.drop_database(name)
    finally:
        client.close()


@pytest.fixture
async def motor_db(
    mongo_uri: str, database_name: str
) -> AsyncIterator[AsyncIOMotorDatabase[Any]]:
    """A motor database on the real server, unique to the test."""
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(mongo_uri)
    try:
        yield client[database_name]
    finally:
        client.close()


@pytest.fixture
def mock_db() -> AsyncIOMotorDatabase[Any]:
    """An in-memory mongomock database for fast unit tests."""
    database: AsyncIOMotorDatabase[Any] = AsyncMongoMockClient()["flightlog_unit"]
    return database


REPO = TESTS_DIR.parent
SHARED_LL2 = REPO.parent / "shared" / "data" / "ll2"


@pytest.fixture
def settings(database_name: str) -> Any:
    """Service settings pointing at the test's database."""
    from service.settings import Settings

    return Settings(database=database_name, projection_wait=5.0, heal_interval=0.2)


@pytest.fixture
async def database(mongo_uri: str, settings: Any) -> AsyncIterator[Any]:
    """The wired stores on the real server, indexes created."""
    from service.database import open_database

    wired = open_database(settings, uri=mongo_uri)
    await wired.create_indexes()
    try:
        yield wired
    finally:
        wired.close()
