"""Schemathesis against a live ``flightlog serve``: no 500, nothing off-schema.

The server runs as its own process on a freshly seeded database, with an
operator token, so the operator endpoints are exercised past authentication.
Schemathesis runs every phase (coverage, fuzzing, stateful) with at most
``MAX_EXAMPLES`` cases per operation, from a fixed seed so that a failure
reproduces; set ``FLIGHTLOG_SCHEMATHESIS_SEED`` to explore other cases.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.database import open_database
from service.settings import Settings
from tests.e2e.seeded import create_seeded_database, drop_database

BIN = Path(sys.executable).parent
MAX_EXAMPLES = 25
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _create_token(uri: str, database: str) -> str:
    wired = open_database(Settings(database=database), uri=uri)
    try:
        return str(await wired.operators.create("schemathesis", "operator"))
    finally:
        wired.close()


def _wait_until_serving(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert server.poll() is None, "flightlog serve exited during start-up"
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"flightlog serve did not answer within {START_TIMEOUT} s")


@pytest.fixture
def live_server(mongo_uri: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Base URL and operator token of a served, seeded, throw-away database."""
    database = create_seeded_database(mongo_uri)
    token = asyncio.run(_create_token(mongo_uri, database))
    port = _free_port()
    environment = {
        **os.environ,
        "MONGODB_URI": mongo_uri,
        "FLIGHTLOG_DATABASE": database,
        "FLIGHTLOG_LOG_LEVEL": "WARNING",
        "FLIGHTLOG_PROJECTION_WAIT": "2",
    }
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [BIN / "flightlog", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, server)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        drop_database(mongo_uri, database)


@pytest.mark.timeout(240)
def test_schemathesis_finds_no_server_error_and_no_off_schema_answer(
    live_server: tuple[str, str], tmp_path: Path
) -> None:
    base, token = live_server
    seed = os.environ.get("FLIGHTLOG_SCHEMATHESIS_SEED", "2026")

    run = subprocess.run(
        [
            BIN / "st",
            "run",
            f"{base}/2.2.0/schema/",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            seed,
            "--request-timeout",
            "10",
            "--header",
            f"Authorization: Bearer {token}",
            "--warnings",
            "off",
            "--no-color",
        ],
        cwd=tmp_path,  # Hypothesis keeps its example database here
        capture_output=True,
        text=True,
        timeout=200,
        env={**os.environ, "NO_COLOR": "1"},
    )

    served = (tmp_path / "serve.log").read_text(errors="replace")[-4000:]
    assert run.returncode == 0, f"{run.stdout[-12000:]}\n--- server log ---\n{served}"
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert tested is not None and int(tested[1]) >= 13, run.stdout
