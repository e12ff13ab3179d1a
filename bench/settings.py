"""What a benchmark run does: sizes, rounds, durations, and where it writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "out"  # scratch: server data, scripts, profiles (not kept)
CONNECTIONS = 32  # wrk connections of the read rows
APPEND_CONCURRENCY = 16
DETAIL_IDS = 2_000  # flights the detail rows cycle through
PEAK_GROWTH_MB = 50  # most the rebuild's peak RSS may grow from the least size


@dataclass(frozen=True)
class Plan:
    """One benchmark run."""

    sizes: tuple[int, ...] = (1_000, 100_000)
    rounds: int = 5
    seconds: float = 4.0
    rebuild_rounds: int = 3
    appends: int = 240  # POSTs per round of the append row
    append_seconds: float = 20.0
    profile: bool = True
    goals: bool = True
    results: Path | None = HERE / "RESULTS.md"
    database: str = "bench"  # each size's database is named ``{database}_{size}``


SMOKE = Plan(
    sizes=(120,),
    rounds=1,
    seconds=1.0,
    rebuild_rounds=1,
    appends=8,
    append_seconds=10.0,
    profile=False,
    goals=False,
    results=None,
)
