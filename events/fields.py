"""Field types shared by every event payload: strict, frozen, no extra keys."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)

# Ids are positive and fit in a signed 32-bit column, as in LL2's database.
Id = Annotated[StrictInt, Field(ge=0, le=2_147_483_647)]
Count = Annotated[StrictInt, Field(ge=-1, le=2_147_483_647)]
Text = Annotated[StrictStr, Field(max_length=20_000)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=255)]
Url = Annotated[StrictStr, Field(max_length=2_000)]
Bool = StrictBool
Number = Annotated[
    StrictFloat | StrictInt, Field(ge=-1e12, le=1e12), AfterValidator(float)
]


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a time zone, e.g. 1978-08-26T14:51:30Z")
    value = value.astimezone(UTC)
    if not 1900 <= value.year <= 2200:
        raise ValueError("must lie between the years 1900 and 2200")
    return value


def _in_range(value: date) -> date:
    if not 1800 <= value.year <= 2200:
        raise ValueError("must lie between the years 1800 and 2200")
    return value


Instant = Annotated[datetime, AfterValidator(_as_utc)]
Day = Annotated[date, AfterValidator(_in_range)]


class Model(BaseModel):
    """Base of every payload: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class IdName(Model):
    """An LL2 lookup value such as a status or a type: ``{id, name}``."""

    id: Id
    name: Name
