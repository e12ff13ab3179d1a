"""The stored envelope every event shares, defined once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class StoredEvent(BaseModel):
    """One fact in the log, as it is kept forever."""

    model_config = ConfigDict(frozen=True)

    stream: str
    version: int
    type: str
    schema_version: int
    occurred_at: datetime
    recorded_at: datetime
    operator: str
    request_id: str
    data: dict[str, Any]


class PendingEvent(BaseModel):
    """A validated event about to be appended; the store adds the rest."""

    model_config = ConfigDict(frozen=True)

    stream: str
    type: str
    schema_version: int
    occurred_at: datetime
    data: dict[str, Any]
    operator: str
    request_id: str
    request_hash: str
