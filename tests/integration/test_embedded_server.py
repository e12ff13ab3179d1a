"""The embedded server: answers, enforces unique indexes, is shared per var dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pymongo
import pytest
from pymongo.errors import DuplicateKeyError

from service.embedded import (
    SERVER_COMMAND,
    EmbeddedServer,
    EmbeddedServerError,
    embedded_uri,
    server_command,
    stop_embedded,
)

ROOT = Path(__file__).resolve().parents[2]
SPAWN_SCRIPT = (
    "import sys; from pathlib import Path; "
    "from service.embedded import embedded_uri; "
    "print(embedded_uri(Path(sys.argv[1])))"
)


@pytest.fixture(autouse=True)
def _server_installed() -> None:
    try:
        server_command()
    except EmbeddedServerError:
        if not os.environ.get("MONGODB_URI"):
            raise
        pytest.skip(f"{SERVER_COMMAND} is not installed")


@pytest.fixture
def var_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path.resolve() / "var"
    yield path
    stop_embedded(path)


def server_pids(storage: Path) -> list[int]:
    """Pids of live server processes whose storage path is `storage`."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if str(storage) in args and any(a.endswith(SERVER_COMMAND) for a in args):
            pids.append(int(proc.name))
    return sorted(pids)


def recorded_pid(var_dir: Path) -> int:
    return int(json.loads((var_dir / "embedded.json").read_text())["pid"])


def test_throw_away_server_answers_ping_and_stops() -> None:
    with EmbeddedServer() as server:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(server.uri)
        try:
            reply = client.admin.command("ping")
        finally:
            client.close()
        uri, pid = server.uri, server.pid

    assert reply["ok"] == 1.0
    assert uri == f"mongodb://127.0.0.1:{server.port}/?directConnection=true"
    assert pid is not None
    assert pid not in server_pids(Path(":memory:"))


async def test_unique_compound_index_rejects_second_insert(motor_db: Any) -> None:
    flights = motor_db["flights"]
    await flights.create_index([("tail", 1), ("day", 1)], unique=True)
    await flights.insert_one({"tail": "D-EABC", "day": "2024-05-01"})

    with pytest.raises(DuplicateKeyError) as caught:
        await flights.insert_one({"tail": "D-EABC", "day": "2024-05-01"})

    assert caught.value.code == 11000
    assert await flights.count_documents({}) == 1


def test_embedded_uri_reuses_one_server_until_stopped(var_dir: Path) -> None:
    first = embedded_uri(var_dir)
    second = embedded_uri(var_dir)
    pid = recorded_pid(var_dir)

    assert first == second
    assert server_pids(var_dir / "db") == [pid]
    assert stop_embedded(var_dir) is True
    assert server_pids(var_dir / "db") == []
    assert not (var_dir / "embedded.json").exists()
    assert stop_embedded(var_dir) is False


def test_concurrent_threads_share_one_server(var_dir: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        uris = list(pool.map(embedded_uri, [var_dir, var_dir]))

    assert uris[0] == uris[1]
    assert server_pids(var_dir / "db") == [recorded_pid(var_dir)]


def test_concurrent_processes_share_one_server(var_dir: Path) -> None:
    command = [sys.executable, "-c", SPAWN_SCRIPT, str(var_dir)]
    procs = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=60)[0].strip() for proc in procs]

    assert [proc.returncode for proc in procs] == [0, 0]
    assert outputs[0] == outputs[1] == embedded_uri(var_dir)
    assert server_pids(var_dir / "db") == [recorded_pid(var_dir)]
    assert stop_embedded(var_dir) is True
    assert server_pids(var_dir / "db") == []
