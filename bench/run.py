"""``make bench``: every row against the embedded server (and MONGODB_URI).

For each database and log size: load the synthetic log in bulk, rebuild it
(the rebuild row), start the service and the bare ceiling app, then measure
the read rows with wrk and the append row with the aiohttp-client generator,
service and ceiling alternating round by round. Rows that miss their goal are
profiled with py-spy. One table is printed and written to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import cast

from bench import processes, profile, wrk
from bench.prepare import launches, post_plan, prepare, stored_documents
from bench.report import print_table, write_results
from bench.rows import Row, alternate
from bench.settings import (
    APPEND_CONCURRENCY,
    DETAIL_IDS,
    OUT,
    PEAK_GROWTH_MB,
    SMOKE,
    Plan,
)
from bench.synthetic import FIRST_FLIGHT, generate
from service.embedded import EmbeddedServer

COLLECTION = "/2.2.0/spacecraft/flight/"


@dataclass(frozen=True)
class Target:
    """A database server the rows run against."""

    name: str
    uri: str
    pid: int | None = None  # the server's process, when this run started it


def main(plan: Plan | None = None, uri: str | None = None) -> list[Row]:
    """Run the plan; ``uri`` replaces the embedded server (tests pass theirs)."""
    plan = plan or (SMOKE if os.environ.get("BENCH_SMOKE") else Plan())
    OUT.mkdir(exist_ok=True)
    use_wrk = wrk.have_wrk()
    rows: list[Row] = []
    with ExitStack() as stack:
        targets = []
        if uri is None:
            storage = Path(tempfile.mkdtemp(prefix="db-", dir=OUT))
            stack.callback(shutil.rmtree, storage, ignore_errors=True)
            server = stack.enter_context(EmbeddedServer(str(storage)))
            targets.append(Target("embedded", server.uri, server.pid))
            if os.environ.get("MONGODB_URI"):
                targets.append(Target("MONGODB_URI", os.environ["MONGODB_URI"]))
        else:
            targets.append(Target("given", uri))
        for target in targets:
            measured = [measure(plan, target, size, use_wrk) for size in plan.sizes]
            _peak_growth(plan, [found[-1] for found in measured])
            rows += [row for found in measured for row in found]
    print_table(rows)
    if plan.results is not None:
        write_results(plan.results, rows, plan, use_wrk, targets)
    return rows


def measure(plan: Plan, target: Target, size: int, use_wrk: bool) -> list[Row]:
    """Every row for one database server and one log size."""
    database = f"{plan.database}_{size}"
    append_rounds = plan.rebuild_rounds + int(plan.profile)
    events = generate(size, spare_launches=append_rounds * plan.appends)
    token = asyncio.run(prepare(target.uri, database, events))
    flights = sum(1 for e in events if e["type"] == "launch")
    rebuild = rebuild_row(plan, target, database, size)
    rebuild.notes.insert(0, f"{flights:,} flights")
    _log(f"{target.name} {size:,} events, {flights:,} flights: rebuilt")

    port = processes.free_port()
    with processes.service(target.uri, database, port) as pid:
        bodies = _capture(port, flights)
        reads = read_rows(plan, target, size, port, pid, bodies, use_wrk)
        bundles = launches(events, append_rounds, plan.appends)
        append = append_row(plan, target, size, database, (port, pid), token, bundles)
    return [*reads, append, rebuild]


def rebuild_row(plan: Plan, target: Target, database: str, size: int) -> Row:
    """``flightlog replay`` against a bulk insert of as many read documents.

    The ratio goal is the issue's "replay of 100k events": it applies to the
    plan's largest size only. At small sizes the replay's time is mostly the
    start of a Python process, which the ceiling's timing does not include.
    """
    judged = plan.goals and size == max(plan.sizes)
    row = Row(target.name, size, "rebuild (replay)", "s", 0.5 if judged else None)
    peaks: list[float] = []

    def service() -> float:
        done = processes.replay(target.uri, database)
        peaks.append(done.peak_mb)
        return done.seconds

    processes.replay(target.uri, database)  # the documents the ceiling copies
    alternate(plan.rebuild_rounds, service, lambda: _bulk(target, database), row)
    row.peak_mb = statistics.median(peaks)
    row.notes.append(f"peak RSS {row.peak_mb:.0f} MB")
    row.judge()
    if row.failed and plan.profile:
        out = OUT / f"profile-rebuild-{size}.txt"
        prefix = profile.command_prefix(out)
        if target.pid is None:
            processes.replay(target.uri, database, prefix)
        else:
            server = OUT / f"profile-rebuild-{size}-server.txt"
            seconds = max(statistics.median(row.service), 1.0)
            profile.while_running(
                {server: target.pid},
                seconds,
                lambda: processes.replay(target.uri, database, prefix),
            )
            row.server_profile = profile.top_of_busy(server)
        row.profile, row.spent = profile.summary(out)
    return row


def read_rows(
    plan: Plan,
    target: Target,
    size: int,
    port: int,
    pid: int,
    bodies: dict[str, tuple[bytes, str]],
    use_wrk: bool,
) -> list[Row]:
    """Detail, list (first and last page) and conditional GETs beside the ceiling."""
    pickled = OUT / f"bodies-{size}.pickle"
    pickled.write_bytes(pickle.dumps(bodies))
    paths = [p for p in bodies if not p.startswith(COLLECTION + "?")]
    first, deep = [p for p in bodies if p.startswith(COLLECTION + "?")]
    tags = [bodies[p][1] for p in paths]
    goal = plan.goals
    specs = [
        ("detail GET", paths, None, 0.8 if goal else None),
        ("list GET limit=100, first page", [first], None, 0.6 if goal else None),
        ("list GET limit=100, last page", [deep], None, 0.6 if goal else None),
        ("conditional GET (304)", paths, tags, 0.8 if goal else None),
    ]
    rows = []
    ceiling_port = processes.free_port()
    with processes.ceiling(ceiling_port, pickled, paths[0]) as _:
        for name, cycle, etags, target_ratio in specs:
            row = Row(target.name, size, name, "req/s", target_ratio)

            service, ceiling = (
                partial(_load, at, cycle, plan.seconds, etags, use_wrk, row)
                for at in (port, ceiling_port)
            )
            service()
            ceiling()  # warm both up, unrecorded
            alternate(plan.rounds, service, ceiling, row)
            row.judge()
            rows.append(row)
        _paced_p99(plan, rows[0], port, paths, use_wrk)
        _deep_versus_first(rows[1], rows[2], plan)
    for row in rows:
        if row.failed and plan.profile:
            cycle = (
                [first]
                if "first" in row.name
                else [deep]
                if "last" in row.name
                else paths
            )
            etags = tags if "conditional" in row.name else None
            _profiled(
                row,
                target,
                pid,
                plan.seconds,
                lambda c=cycle, e=etags: wrk.run(
                    port, c, plan.seconds, e, None, use_wrk
                ),
            )
    return rows


def append_row(
    plan: Plan,
    target: Target,
    size: int,
    database: str,
    service_at: tuple[int, int],
    token: str,
    bundles: list[list[dict[str, object]]],
) -> Row:
    """Launch POSTs of new flights against ``insert_one`` of the same events."""
    name = f"append POST, concurrency {APPEND_CONCURRENCY}"
    port, pid = service_at
    row = Row(target.name, size, name, "req/s", 0.5 if plan.goals else None)
    p99: list[float] = []
    rounds = iter(bundles)
    for number in range(plan.rebuild_rounds):
        bodies = next(rounds)

        def service(bodies: list[dict[str, object]] = bodies) -> float:
            plan_ = post_plan(
                port, token, bodies, APPEND_CONCURRENCY, plan.append_seconds
            )
            result = wrk.loadgen(plan_)
            statuses = cast(dict[str, int], result["statuses"])
            bad = {k: v for k, v in statuses.items() if k != "201"}
            if bad:
                row.notes.append(f"statuses {bad}")
            p99.append(float(result["p99_ms"]))  # type: ignore[arg-type]
            return float(result["rps"])  # type: ignore[arg-type]

        def ceiling(bodies: list[dict[str, object]] = bodies, n: int = number) -> float:
            return _inserts(target, database, bodies, f"r{n}")

        alternate(1, service, ceiling, row)
    row.notes.append(f"service p99 {statistics.median(p99):.0f} ms")
    row.judge()
    if row.failed and plan.profile:
        bodies = next(rounds)
        plan_ = post_plan(port, token, bodies, APPEND_CONCURRENCY, plan.append_seconds)
        _profiled(row, target, pid, plan.append_seconds / 2, lambda: wrk.loadgen(plan_))
    return row


def _profiled(
    row: Row, target: Target, pid: int, seconds: float, work: Callable[[], object]
) -> None:
    """Profile the service, and the database server when this run started it,
    while ``work`` loads the service again."""
    name = f"profile-{row.size}-{row.name.split()[0]}"
    service, server = OUT / f"{name}.txt", OUT / f"{name}-server.txt"
    pids = {service: pid}
    if target.pid is not None:
        pids[server] = target.pid
    profile.while_running(pids, seconds, work)
    row.profile, row.spent = profile.summary(service)
    if target.pid is not None:
        row.server_profile = profile.top_of_busy(server)


def _load(
    port: int,
    paths: list[str],
    seconds: float,
    tags: list[str] | None,
    use_wrk: bool,
    row: Row,
) -> float:
    done = wrk.run(port, paths, seconds, tags, None, use_wrk)
    if done.errors:
        row.notes.append(f"{done.errors} errors on port {port}")
    return done.rps


def _paced_p99(
    plan: Plan, row: Row, port: int, paths: list[str], use_wrk: bool
) -> None:
    """p99 of the service at half the ceiling's rate (wrk's per-connection delay)."""
    if not use_wrk:
        row.notes.append("p99 at half rate needs wrk")
        return
    rate = statistics.median(row.ceiling) / 2
    runs = [wrk.run(port, paths, plan.seconds, None, rate) for _ in range(3)]
    p99 = statistics.median(r.p99_ms for r in runs)
    achieved = statistics.median(r.rps for r in runs)
    row.notes.append(f"p99 {p99:.1f} ms at {achieved:,.0f} req/s (half the ceiling)")
    if plan.goals and p99 >= 10:
        row.failed.append(f"p99 {p99:.1f} ms ≥ 10 ms at half rate")


def _peak_growth(plan: Plan, rebuilds: list[Row]) -> None:
    """The rebuild's peak memory at the largest size against the smallest."""
    if len(rebuilds) < 2:
        return
    least, most = rebuilds[0], rebuilds[-1]
    assert least.peak_mb is not None and most.peak_mb is not None
    growth = most.peak_mb - least.peak_mb
    most.notes.append(f"peak RSS {growth:+.0f} MB from {least.size:,} events")
    if plan.goals and growth > PEAK_GROWTH_MB:
        most.failed.append(
            f"peak RSS grows {growth:.0f} MB from {least.size:,} events "
            f"(> {PEAK_GROWTH_MB} MB)"
        )


def _deep_versus_first(first: Row, deep: Row, plan: Plan) -> None:
    slower = statistics.median(first.service) / max(statistics.median(deep.service), 1)
    deep.notes.append(f"last page takes {slower:.2f}× the first page's time")
    if plan.goals and slower > 2:
        deep.failed.append(f"last page {slower:.2f}× slower than the first (> 2×)")


def _capture(port: int, flights: int) -> dict[str, tuple[bytes, str]]:
    """The service's bytes and ETags for every path the read rows request."""
    count = min(flights, DETAIL_IDS)
    step = max(flights // count, 1)
    paths = [f"{COLLECTION}{FIRST_FLIGHT + i * step}/" for i in range(count)]
    last = (flights - 1) // 100 * 100
    paths += [f"{COLLECTION}?limit=100", f"{COLLECTION}?limit=100&offset={last}"]
    bodies = {}
    for path in paths:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as answer:
            bodies[path] = (answer.read(), answer.headers["ETag"])
    return bodies


def _bulk(target: Target, database: str) -> float:
    plan = {
        "uri": target.uri,
        "database": database,
        "source": "flight_documents",
        "collection": "bench_ceiling_documents",
    }
    return float(_inserts_run("documents", plan)["seconds"])


def _inserts(
    target: Target, database: str, bodies: list[dict[str, object]], tag: str
) -> float:
    documents = OUT / f"events-{tag}.pickle"
    documents.write_bytes(pickle.dumps(stored_documents(bodies, tag)))
    plan = {
        "uri": target.uri,
        "database": database,
        "collection": "bench_ceiling_events",
        "documents": str(documents),
        "concurrency": APPEND_CONCURRENCY,
    }
    try:
        return float(_inserts_run("events", plan)["rps"])
    finally:
        documents.unlink(missing_ok=True)


def _inserts_run(kind: str, plan: dict[str, object]) -> dict[str, object]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=OUT, delete=False) as f:
        json.dump(plan, f)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.inserts", kind, f.name],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    finally:
        Path(f.name).unlink(missing_ok=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _log(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)
