"""The application on the real server, driven through HTTP."""

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.keys import CLOCK

FROZEN = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client for tests that drive ``flightlog`` processes."""
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as opened:
        yield opened


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


# The seeded database, shared by the tests that only read (tests/e2e/seeded.py).


@pytest.fixture(scope="session")
def seeded_database(mongo_uri: str) -> Iterator[str]:
    """Name of a database holding the bundled seed, projected, for the session."""
    from tests.e2e.seeded import create_seeded_database, drop_database

    name = create_seeded_database(mongo_uri)
    yield name
    drop_database(mongo_uri, name)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def seeded_apps(mongo_uri: str, seeded_database: str) -> AsyncIterator[Any]:
    """Test clients of the application on the seeded database, for a module.

    ``await seeded_apps.shared(**settings)`` gives the module's client for those
    settings (``upstream_url=""``, ``trust_proxy=True``, ...), ``fresh`` one of
    its own, ``empty()`` a client and token on an empty database; the clock is
    frozen like the ``client`` fixture's.
    """
    from tests.e2e.seeded import Apps

    apps = Apps(mongo_uri, seeded_database, FROZEN)
    yield apps
    await apps.close()
