"""From folded streams to the documents the read model stores."""

from __future__ import annotations

from events.catalog import stream_name
from events.flight import FlightState
from events.reference import Astronaut, Spacecraft
from projections.cache import StreamStates
from projections.documents import Sources, dependencies, flight_detail, flight_item
from projections.encoding import encode
from projections.store import FlightDocument


def build_document(flight: FlightState, sources: Sources) -> FlightDocument:
    """The stored form of one launched flight."""
    streams = dependencies(flight, sources)
    return FlightDocument(
        id=flight.id,
        spacecraft=flight.spacecraft or 0,
        astronauts=sorted(flight.astronauts()),
        dependencies=streams,
        detail=encode(flight_detail(flight, sources)),
        item=encode(flight_item(flight, sources)),
        versions={stream_name("flight", flight.id): flight.version},
    )


def references_of(flights: list[FlightState], states: StreamStates) -> list[set[str]]:
    """The reference streams flights embed, level by level: what the flights name,
    then what those name (configurations, agencies)."""
    first: set[str] = set()
    for flight in flights:
        first.add(stream_name("spacecraft", flight.spacecraft or 0))
        first.add(stream_name("launch", flight.launch or ""))
        first.update(stream_name("astronaut", a) for a in flight.astronauts())
        first.update(
            stream_name("spacestation", d.spacestation) for d in flight.dockings
        )
    return [first]


def linked_references(streams: set[str], states: StreamStates) -> set[str]:
    """Streams that the given reference entities point to."""
    linked: set[str] = set()
    for stream in streams:
        entity = states.references.get(stream)
        if isinstance(entity, Spacecraft):
            linked.add(stream_name("spacecraft_config", entity.spacecraft_config))
        elif isinstance(entity, Astronaut) and entity.agency is not None:
            linked.add(stream_name("agency", entity.agency))
        elif entity is not None and hasattr(entity, "agency"):
            agency = entity.agency
            if isinstance(agency, int):
                linked.add(stream_name("agency", agency))
    return linked - streams
