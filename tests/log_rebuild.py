"""The documents the log implies, folded from scratch, beside the served ones."""

from __future__ import annotations

from typing import Any

from events.mongo import MongoEventStore
from projections.build import build_document
from projections.cache import StreamStates
from projections.documents import Sources

Stored = dict[int, tuple[Any, Any]]  # flight id: (detail segments, item segments)


async def documents_from_log(store: MongoEventStore) -> Stored:
    """Every launched flight's document, folded from the whole log."""
    states = StreamStates()
    async for batch in store.read_all():
        states.apply(batch)
    sources = Sources(flights=states.flights, references=states.references)
    built = (
        build_document(flight, sources)
        for flight in states.flights.values()
        if flight.launched_at is not None
    )
    return {document.id: (document.detail, document.item) for document in built}


async def served_documents(handle: Any) -> Stored:
    """Every stored flight document, as readers are served it."""
    cursor = handle["flight_documents"].find({}, {"detail": 1, "item": 1})
    return {found["_id"]: (found["detail"], found["item"]) async for found in cursor}
