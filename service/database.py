"""Connecting to MongoDB and wiring the stores onto one database."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

import pymongo
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo.errors import PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from events.mongo import MongoEventStore, unavailable
from projections.mongo import Lease, MongoReadModel, ProjectionQueue
from projections.projector import Projector
from service.embedded import embedded_uri
from service.operators import OperatorStore
from service.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Database:
    """The stores of one Flightlog database, sharing one client."""

    client: Any
    handle: Any
    events: MongoEventStore
    documents: MongoReadModel
    queue: ProjectionQueue
    projector: Projector
    operators: OperatorStore
    indexed: bool = False

    async def create_indexes(self) -> None:
        """Create every index the service's queries and guarantees need."""
        await self.events.create_indexes()
        await self.documents.create_indexes()
        await self.queue.create_indexes()
        await self.operators.create_indexes()
        self.indexed = True

    async def ensure_indexes(self) -> None:
        """Create the indexes unless this process already did (a service that
        started while the database was down creates them once it answers)."""
        if not self.indexed:
            await self.create_indexes()

    async def ping(self, timeout: float) -> None:
        """Return once the server answers a ping; ``Unavailable`` after ``timeout``."""
        try:
            with pymongo.timeout(timeout):
                await self.client.admin.command("ping")
        except PyMongoError as exc:
            raise unavailable(exc) from exc

    def close(self) -> None:
        self.client.close()


def resolve_uri(settings: Settings) -> str:
    """``MONGODB_URI`` when set, else the embedded server under ``var_dir``."""
    if settings.mongodb_uri is not None:
        return settings.mongodb_uri.get_secret_value()
    return embedded_uri(settings.var_dir)


def open_database(
    settings: Settings, uri: str | None = None, client: Any = None
) -> Database:
    """Wire the stores onto the configured database (connects lazily)."""
    if client is None:
        client = AsyncIOMotorClient(
            uri or resolve_uri(settings),
            tz_aware=True,
            # timeoutMS bounds each operation as a whole: selection, connecting
            # and a retry share it, so a hung server cannot hold a request longer.
            timeoutMS=settings.db_timeout_ms,
            serverSelectionTimeoutMS=settings.db_timeout_ms,
            connectTimeoutMS=settings.db_timeout_ms,
            socketTimeoutMS=settings.db_timeout_ms,
            appname="flightlog",
        )
    handle = client[settings.database]
    write_concern = WriteConcern(
        w="majority" if settings.write_concern == "majority" else 1,
        j=settings.journal,
    )
    events = handle.get_collection(
        "events", write_concern=write_concern, read_concern=ReadConcern("majority")
    )
    store = MongoEventStore(events)
    documents = MongoReadModel(handle)
    queue = ProjectionQueue(handle)
    lease = Lease(handle, owner=f"{socket.gethostname()}:{os.getpid()}:{id(client)}")
    return Database(
        client=client,
        handle=handle,
        events=store,
        documents=documents,
        queue=queue,
        projector=Projector(store, documents, queue, lease),
        operators=OperatorStore(handle["operators"]),
    )
