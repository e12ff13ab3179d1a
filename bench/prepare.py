"""Setting up one benchmark database, and the append row's requests."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.load import OPERATOR, load
from bench.synthetic import Event, reference_ids, spare_launch_ids
from events.catalog import SCHEMA_VERSION
from service.database import open_database
from service.settings import Settings

NEW_FLIGHTS = 5_000_000  # ids of flights the append row launches


async def prepare(uri: str, database: str, events: list[Event]) -> str:
    """A fresh database holding ``events``; returns an operator token."""
    settings = Settings(database=database, db_timeout_ms=120_000)
    wired = open_database(settings, uri=uri)
    try:
        await wired.client.drop_database(database)
        await load(wired, events)
        return await wired.operators.create(OPERATOR, "operator")
    finally:
        wired.close()


def launches(
    events: list[Event], rounds: int, count: int
) -> list[list[dict[str, Any]]]:
    """For each round, ``count`` launch bodies of new flights (spare launches,
    recorded spacecraft and astronauts), with their flight ids."""
    rng = random.Random(7)
    crafts, people = reference_ids(events)
    spare = spare_launch_ids(events, rounds * count)
    at = datetime(2026, 11, 1, tzinfo=UTC)
    bodies = []
    for number, launch in enumerate(spare):
        crew = rng.sample(people, k=min(len(people), rng.choice((1, 2, 3))))
        seats = [
            {
                "id": 10_000_000 + number * 10 + i,
                "astronaut": person,
                "role": {"id": 1, "role": "Commander", "priority": i},
            }
            for i, person in enumerate(crew)
        ]
        occurred = at + timedelta(minutes=number)
        data = {
            "spacecraft": rng.choice(crafts),
            "launch": launch,
            "destination": "International Space Station",
            "launch_crew": seats,
        }
        bodies.append(
            {
                "flight": NEW_FLIGHTS + number,
                "occurred_at": occurred,
                "data": data,
            }
        )
    return [bodies[r * count : (r + 1) * count] for r in range(rounds)]


def post_plan(
    port: int,
    token: str,
    bodies: list[dict[str, Any]],
    concurrency: int,
    seconds: float,
) -> dict[str, Any]:
    """The load generator's plan: one launch POST per body."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    requests = [
        {
            "method": "POST",
            "path": f"/2.2.0/spacecraft/flight/{body['flight']}/events/",
            "headers": headers,
            "body": json.dumps(
                {
                    "type": "launch",
                    "occurred_at": body["occurred_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "data": body["data"],
                }
            ),
        }
        for body in bodies
    ]
    return {
        "base": f"http://127.0.0.1:{port}",
        "requests": requests,
        "concurrency": concurrency,
        "duration": seconds,
        "count": len(requests),
    }


def stored_documents(bodies: list[dict[str, Any]], tag: str) -> list[dict[str, Any]]:
    """The event documents the same launches are stored as (for the ceiling)."""
    now = datetime.now(UTC)
    return [
        {
            "stream": f"flight-{body['flight']}",
            "version": 1,
            "type": "launch",
            "schema_version": SCHEMA_VERSION,
            "occurred_at": body["occurred_at"],
            "recorded_at": now,
            "operator": OPERATOR,
            "request_id": f"{OPERATOR}:{tag}:{body['flight']}",
            "request_hash": "0" * 64,
            "data": body["data"],
        }
        for body in bodies
    ]
