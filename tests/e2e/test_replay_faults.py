"""``flightlog replay`` dies half-way, or pauses while operators post.

A crash point (``FLIGHTLOG_FAULT``) ends the replay process, or freezes it
(``NAME:stop``) so that the test decides what happens at that exact point: a
SIGKILL, or appends through a serving process and then a SIGCONT. Every wait is
a bounded poll, never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from events.append import Appender
from projections.mongo import DOCUMENTS
from projections.replay import SHADOW
from service.faults import EXIT_CODE, EXIT_DURING_REPLAY, EXIT_REPLAY_FOLDED
from tests.flight_steps import (
    dockings,
    launch_body,
    post_event,
    record_flight,
    request,
    served_dockings,
    step,
)
from tests.log_rebuild import documents_from_log, served_documents
from tests.processes import (
    FLIGHTLOG,
    ServeProcess,
    flightlog_env,
    run_flightlog,
    wait_for,
)

pytestmark = pytest.mark.timeout(90)

API = "/2.2.0"
REACH = 30.0  # seconds for a replay to reach its crash point on a busy machine
CONVERGE = 30.0
# A frozen replay is resumed at least this long before its projection lease
# (15 s from its last renewal) would expire and let another process take over.
LEASE_MARGIN = timedelta(seconds=4)


class ReplayProcess:
    """``flightlog replay`` in the background, its output kept in files."""

    def __init__(self, env: dict[str, str], workdir: Path, name: str) -> None:
        self.env = env
        self.stdout_path = workdir / f"{name}.out"
        self.stderr_path = workdir / f"{name}.err"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> ReplayProcess:
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = subprocess.Popen(
                [FLIGHTLOG, "replay"],
                env=self.env,
                cwd=self.stdout_path.parent,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        return self

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def state(self) -> str:
        """The kernel's one-letter state of the process (``T``: stopped)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0]

    async def frozen_at(self, point: str) -> None:
        """Return once the process said it reached ``point`` and is stopped."""
        line = f"fault {point} reached: stopping\n"

        def frozen() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"replay exited early:\n{self.stderr()}")
            return line in self.stderr() and self.state() == "T"

        await wait_for(frozen, REACH, f"replay frozen at {point}")

    async def exited(self, timeout: float = REACH) -> int:
        assert self.proc is not None
        return await wait_for(self.proc.poll, timeout, "replay to exit")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # SIGKILL ends a stopped process too
            self.proc.wait(10)


@pytest.fixture
def env(mongo_uri: str, database_name: str) -> dict[str, str]:
    return flightlog_env(mongo_uri, database_name)


@pytest.fixture
def replay(
    env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., ReplayProcess]]:
    """Start ``flightlog replay`` with a fault armed; kills what is left after."""
    started: list[ReplayProcess] = []

    def start(fault: str) -> ReplayProcess:
        name = f"replay-{len(started)}"
        process = ReplayProcess(env | {"FLIGHTLOG_FAULT": fault}, tmp_path, name)
        started.append(process.start())
        return process

    yield start
    for process in started:
        process.kill()


@pytest.fixture
def serve(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """Start ``flightlog serve`` processes on the test's database; stops them."""
    started: list[ServeProcess] = []

    def start(name: str, **extra: str) -> ServeProcess:
        process = ServeProcess(name, env | extra, tmp_path).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


async def stored_bytes(handle: Any) -> dict[int, bytes]:
    """Every served document as the server stores it, byte for byte."""
    raw = handle[DOCUMENTS].with_options(
        codec_options=CodecOptions(document_class=RawBSONDocument)
    )
    return {found["_id"]: found.raw async for found in raw.find({})}


async def lease(handle: Any) -> dict[str, Any]:
    found = await handle.projection_lease.find_one({"_id": "projector"})
    assert found is not None
    return dict(found)


async def expire_lease_of(handle: Any, pid: int) -> None:
    """The killed replay still holds the projection lease: a second run would
    wait out its 15 s. Let that time pass, as the lease's expiry would."""
    held = await lease(handle)
    assert held["owner"].split(":")[1] == str(pid)
    assert held["expires"] > datetime.now(UTC)
    past = datetime.now(UTC) - timedelta(seconds=1)
    await handle.projection_lease.update_one(
        {"_id": "projector"}, {"$set": {"expires": past}}
    )


async def log_ahead_of_documents(database: Any) -> None:
    """Flights 9001 and 9002 projected; then a dock of 9001 and the launch of
    9003 stored without marks, so only a rebuild shows them (and the counters
    every document keeps of the shared spacecraft and astronaut)."""
    await record_flight(Appender(database.events, mark=database.queue.mark), 9001, 9002)
    await database.projector.drain()
    unmarked = Appender(database.events)
    await unmarked.append(request("flight", "9001", step(2), "dock-9001"))
    await unmarked.append(request("flight", "9003", launch_body(), "launch-9003"))


@pytest.mark.parametrize(
    ("point", "how", "shadow_size"),
    [
        (EXIT_REPLAY_FOLDED, "exit", 0),
        (EXIT_DURING_REPLAY, "exit", 3),
        (EXIT_REPLAY_FOLDED, "sigkill", 0),
        (EXIT_DURING_REPLAY, "sigkill", 3),
    ],
)
async def test_a_replay_killed_half_way_leaves_the_documents_and_runs_again(
    database: Any,
    env: dict[str, str],
    tmp_path: Path,
    replay: Callable[..., ReplayProcess],
    point: str,
    how: str,
    shadow_size: int,
) -> None:
    await log_ahead_of_documents(database)
    handle = database.handle
    before = await stored_bytes(handle)
    from_log = await documents_from_log(database.events)
    assert sorted(before) == [9001, 9002]
    assert await served_documents(handle) != from_log  # a swap would show

    if how == "exit":
        crashed = replay(point)
        assert await crashed.exited() == EXIT_CODE, crashed.stderr()
    else:
        crashed = replay(f"{point}:stop")
        await crashed.frozen_at(point)
        os.kill(crashed.pid, signal.SIGKILL)
        assert await crashed.exited() == -signal.SIGKILL
    assert crashed.stdout() == ""

    assert await stored_bytes(handle) == before
    assert SHADOW in await handle.list_collection_names()
    assert await handle[SHADOW].count_documents({}) == shadow_size

    await expire_lease_of(handle, crashed.pid)
    again = run_flightlog(["replay"], env, tmp_path)
    assert (again.returncode, again.stdout) == (
        0,
        "replay: 3 flight documents rebuilt\n",
    )
    assert await served_documents(handle) == from_log
    assert SHADOW not in await handle.list_collection_names()


async def test_events_posted_while_a_replay_runs_are_in_the_swapped_in_documents(
    database: Any,
    token: str,
    replay: Callable[..., ReplayProcess],
    serve: Callable[..., ServeProcess],
    session: aiohttp.ClientSession,
) -> None:
    await record_flight(Appender(database.events, mark=database.queue.mark), 9001)
    await database.projector.drain()
    # Each POST waits 0.3 s for a projection the replay's lease holds back. No
    # healing in the background: what the documents show once the replay exits
    # comes from the rebuild and the drain after its swap, nothing later.
    process = serve("a", FLIGHTLOG_PROJECTION_WAIT="0.3", FLIGHTLOG_HEAL_INTERVAL="600")
    await process.ready(session)

    rebuilding = replay(f"{EXIT_REPLAY_FOLDED}:stop")
    await rebuilding.frozen_at(EXIT_REPLAY_FOLDED)
    held = await lease(database.handle)
    assert held["owner"].split(":")[1] == str(rebuilding.pid)

    posts: list[tuple[str, str, dict[str, Any]]] = [
        ("spacecraft/flight/9001", "dock-2", step(2)),
        ("spacecraft/flight/9001", "undock-3", step(3)),
        ("spacecraft/flight/9002", "launch-9002", launch_body()),
        (
            "astronaut/801",
            "astronaut-801",
            {
                "type": "astronaut_updated",
                "occurred_at": "2026-11-02T00:00:00Z",
                "data": {"nationality": "Updatedish"},
            },
        ),
    ]
    acknowledged = []
    for path, key, body in posts:
        url = f"{process.url}{API}/{path}/events/"
        status, raw = await post_event(session, url, token, body, key)
        assert status == 201, raw
        acknowledged.append((key, json.loads(raw)))
    # Nothing projected them: the frozen replay holds the lease.
    for stream in ("flight-9001", "flight-9002", "astronaut-801"):
        assert await database.queue.is_marked(stream)
    assert datetime.now(UTC) < held["expires"] - LEASE_MARGIN, "froze too long"

    os.kill(rebuilding.pid, signal.SIGCONT)
    assert await rebuilding.exited() == 0, rebuilding.stderr()
    # The fold preceded the posts: the rebuild wrote flight 9001 only.
    assert rebuilding.stdout() == "replay: 1 flight documents rebuilt\n"

    events = database.handle.events
    for key, answer in acknowledged:
        stored = await events.find_one(
            {"stream": answer["stream"], "version": answer["version"]}
        )
        assert stored is not None and stored["request_id"] == f"ops:{key}"

    from_log = await documents_from_log(database.events)
    assert sorted(from_log) == [9001, 9002]
    assert await served_documents(database.handle) == from_log
    assert not await database.queue.pending()

    def serves(flight: int, target: int) -> Callable[[], Awaitable[bool]]:
        """Whether the serving process shows the flight with every event."""

        async def probe() -> bool:
            url = f"{process.url}{API}/spacecraft/flight/{flight}/?format=json"
            async with session.get(url) as response:
                if response.status != 200:
                    return False
                document = await response.json()
            crew = {
                seat["astronaut"]["nationality"] for seat in document["launch_crew"]
            }
            return served_dockings(document) == dockings(target) and crew == {
                "Updatedish"
            }

        return probe

    await wait_for(serves(9001, 3), CONVERGE, "flight 9001 served")
    await wait_for(serves(9002, 1), CONVERGE, "flight 9002 served")
