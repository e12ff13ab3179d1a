"""One table row: the service and its ceiling, measured in alternating rounds."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.profile import Frame


@dataclass
class Row:
    """A measurement of the service beside its ceiling on the same machine."""

    target: str
    size: int
    name: str
    unit: str  # "req/s" (higher is better) or "s" (lower is better)
    goal: float | None = None
    service: list[float] = field(default_factory=list)
    ceiling: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # goals missed, and by how much
    profile: list[Frame] = field(default_factory=list)
    # Shares of the profile's samples by this project's function (or library).
    spent: list[tuple[str, float]] = field(default_factory=list)
    # The embedded database server's profile over the same seconds.
    server_profile: list[Frame] = field(default_factory=list)
    peak_mb: float | None = None  # the rebuild's median peak RSS

    def ratios(self) -> list[float]:
        """Service over ceiling per round (as throughput: time rows inverted)."""
        pairs = zip(self.service, self.ceiling, strict=False)
        if self.unit == "s":
            return [c / s for s, c in pairs if s]
        return [s / c for s, c in pairs if c]

    def ratio(self) -> float:
        found = self.ratios()
        return statistics.median(found) if found else 0.0

    def judge(self) -> None:
        """Record whether the ratio reaches the goal, and by how much it misses."""
        if self.goal is not None and self.ratio() < self.goal:
            short = (self.goal - self.ratio()) / self.goal
            self.failed.append(
                f"ratio {self.ratio():.2f} < {self.goal:.2f} ({short:.0%} short)"
            )


def alternate(
    rounds: int, service: Callable[[], float], ceiling: Callable[[], float], row: Row
) -> None:
    """Run both sides ``rounds`` times, swapping which goes first each round."""
    for number in range(rounds):
        sides = [(service, row.service), (ceiling, row.ceiling)]
        for measure, results in sides if number % 2 == 0 else sides[::-1]:
            results.append(measure())


def spread(values: list[float]) -> str:
    """Median and the range around it, e.g. ``12,345 (±4%)``."""
    if not values:
        return "–"
    middle = statistics.median(values)
    width = (max(values) - min(values)) / 2 / middle if middle else 0.0
    shown = f"{middle:,.0f}" if middle >= 100 else f"{middle:,.2f}"
    return f"{shown} (±{width:.0%})"
