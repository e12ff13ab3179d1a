"""The table, printed and written to ``bench/RESULTS.md`` with the machine."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.rows import Row, spread

HEADER = (
    "| server | events | row | service | ceiling | ratio | goal | verdict | notes |\n"
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |"
)


def table(rows: list[Row]) -> str:
    """One Markdown table: medians with their spread, ratio, goal and verdict."""
    lines = [HEADER]
    for row in rows:
        goal = "–" if row.goal is None else f"≥ {row.goal:.1f}"
        verdict = "misses" if row.failed else "meets" if row.goal is not None else "–"
        notes = "; ".join([*row.notes, *row.failed])
        lines.append(
            f"| {row.target} | {row.size:,} | {row.name} | "
            f"{spread(row.service)} {row.unit} | {spread(row.ceiling)} {row.unit} | "
            f"{row.ratio():.2f} | {goal} | {verdict} | {notes} |"
        )
    return "\n".join(lines)


def print_table(rows: list[Row]) -> None:
    print(table(rows))


def machine(use_wrk: bool, uris: list[Any]) -> list[str]:
    """What the numbers were measured on."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; memory {pages / 2**30:.0f} GiB",
        f"- {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, aiohttp {_version('aiohttp')}, "
        f"motor {_version('motor')}, pymongo {_version('pymongo')}",
        f"- servers: {', '.join(t.name for t in uris)}; embedded: SecantusDB "
        f"{_version('SecantusDB')}",
        f"- load generator: {_wrk_version() if use_wrk else 'bench.loadgen (aiohttp)'}",
    ]


def write_results(
    path: Path, rows: list[Row], plan: Any, use_wrk: bool, targets: list[Any]
) -> None:
    """``RESULTS.md``: machine, table, profiles of the rows that miss, how to rerun."""
    parts = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench`.",
        "",
        "## Machine",
        "",
        *machine(use_wrk, targets),
        "",
        "## Results",
        "",
        f"Median of {plan.rounds} rounds ({plan.rebuild_rounds} for append and "
        f"rebuild), service and ceiling alternating; ± is half the range around "
        "the median. The ratio is the median of the rounds' service/ceiling "
        "ratios (rebuild: ceiling time over service time).",
        "",
        table(rows),
        "",
    ]
    profiled = [row for row in rows if row.profile]
    if profiled:
        parts += ["## Profiles of the rows that miss", ""]
        for row in profiled:
            parts += [
                f"### {row.target}, {row.size:,} events: {row.name}",
                "",
                "| function | own | total |",
                "| --- | ---: | ---: |",
            ]
            parts += [
                f"| `{f.name}` | {f.own:.0%} | {f.total:.0%} |" for f in row.profile
            ]
            if row.spent:
                parts += ["", "| where the samples went | share |", "| --- | ---: |"]
                parts += [f"| {name} | {share:.0%} |" for name, share in row.spent]
            if row.server_profile:
                parts += [
                    "",
                    "The database server over the same seconds (samples of "
                    "threads waiting for a request or a lock left out):",
                    "",
                    "| function | own | total |",
                    "| --- | ---: | ---: |",
                ]
                parts += [
                    f"| `{f.name}` | {f.own:.0%} | {f.total:.0%} |"
                    for f in row.server_profile
                ]
            parts.append("")
    parts += [
        "## Reproduce",
        "",
        "```sh",
        "make bench                      # embedded server; writes bench/RESULTS.md",
        "MONGODB_URI=mongodb://… make bench   # adds rows against that server",
        "```",
        "",
        "See `bench/README.md` for what each row measures.",
        "",
    ]
    path.write_text("\n".join(parts), encoding="utf-8")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _wrk_version() -> str:
    found = shutil.which("wrk")
    if found is None:
        return "wrk"
    done = subprocess.run([found, "-v"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).splitlines()
    return first[0] if first else "wrk"
