"""The commands as a newcomer runs them: ``make run`` on the default settings.

Each command runs as a real process on the test's database with nothing but
``MONGODB_URI`` and ``FLIGHTLOG_DATABASE`` set (and ``FLIGHTLOG_PORT``, since
8080 may be taken), so every other setting is its default.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import REPO, SHARED_LL2
from tests.e2e.seeded import LL2, compact
from tests.processes import HOST, ServeProcess, run_flightlog

REFERENCE_NAME = "ll2_220_spacecraft_flight_325_detail.json"
# The shared capture; the seed ships a byte-exact copy (tests/unit/test_seed.py).
REFERENCE = SHARED_LL2 / REFERENCE_NAME
if not REFERENCE.is_file():
    REFERENCE = REPO / "seed" / "flight_325.json"


@pytest.fixture
def env(mongo_uri: str, database_name: str) -> dict[str, str]:
    """The environment of a shell with no FLIGHTLOG_* setting but the database."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTLOG_")}
    return clean | {"MONGODB_URI": mongo_uri, "FLIGHTLOG_DATABASE": database_name}


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[ServeProcess]:
    process = ServeProcess("serve", env, tmp_path)
    yield process
    process.stop()


def on_this_host(value: Any, base: str) -> Any:
    """The capture with every ``url`` on ``base`` and ``?format=json``."""
    if isinstance(value, dict):
        return {
            key: moved(item, base) if key == "url" else on_this_host(item, base)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [on_this_host(item, base) for item in value]
    return value


def moved(url: str, base: str) -> str:
    assert url.startswith(f"{LL2}/2.2.0/") and url.endswith("/?format=api"), url
    return base + url.removeprefix(LL2).removesuffix("?format=api") + "?format=json"


async def test_make_run_serves_flight_325_as_its_reference_on_the_request_host(
    env: dict[str, str], server: ServeProcess, tmp_path: Path
) -> None:
    seeded = run_flightlog(["seed"], env, tmp_path)
    assert (seeded.returncode, seeded.stdout, seeded.stderr) == (
        0,
        "seed: 386 events appended\n",
        "",
    )

    server.start(by_settings=True)
    async with aiohttp.ClientSession() as session:
        await server.ready(session)
        url = f"{server.url}/2.2.0/spacecraft/flight/325/?format=json"
        async with session.get(url) as response:
            status, content_type = response.status, response.content_type
            body = await response.read()

    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    wanted = on_this_host(reference, f"http://{HOST}:{server.port}")
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == wanted
    assert body == compact(wanted).encode()
    assert LL2.encode() not in body


async def test_batch_commands_print_their_summary_and_log_only_when_debugging(
    env: dict[str, str], tmp_path: Path
) -> None:
    seeded = run_flightlog(["seed"], env, tmp_path)
    imported = run_flightlog(
        ["import-ll2", str(REPO / "seed" / "flight_325.json")], env, tmp_path
    )
    rebuilt = run_flightlog(["replay"], env, tmp_path)
    debugging = run_flightlog(
        ["replay"], env | {"FLIGHTLOG_LOG_LEVEL": "DEBUG"}, tmp_path
    )

    outcomes = [(r.returncode, r.stdout, r.stderr) for r in (seeded, imported, rebuilt)]
    assert outcomes == [
        (0, "seed: 386 events appended\n", ""),
        (0, "import: 0 events appended, 0 facts skipped\n", ""),
        (0, "replay: 22 flight documents rebuilt\n", ""),
    ]
    assert debugging.returncode == 0
    assert debugging.stdout == "replay: 22 flight documents rebuilt\n"
    rebuild_line = (
        " INFO projections.replay: projection rebuilt documents=22 events=386 "
    )
    assert rebuild_line in debugging.stderr
