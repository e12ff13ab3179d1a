"""The application on the real server, driven through HTTP."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.keys import CLOCK

FROZEN = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
async def client(
    aiohttp_client: Callable[..., Any], settings: Any, database: Any
) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """A test client of the application on the test's database, its clock frozen."""
    app = create_app(settings, database)
    app[CLOCK] = lambda: FROZEN
    test_client = await aiohttp_client(app)
    yield test_client
    await test_client.close()  # before the database fixture closes its client


@pytest.fixture
async def token(database: Any) -> str:
    """An operator token."""
    return str(await database.operators.create("ops", "operator"))


@pytest.fixture
async def admin_token(database: Any) -> str:
    """An admin token."""
    return str(await database.operators.create("chief", "admin"))
