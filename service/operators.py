"""Operator tokens: random, shown once, kept only as a hash, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError, PyMongoError

from events.errors import InvalidInput
from events.mongo import unavailable

Role = Literal["operator", "admin"]
ROLES: tuple[Role, ...] = ("operator", "admin")


@dataclass(frozen=True)
class Operator:
    """Who posted a request, and what they may do."""

    name: str
    role: Role


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OperatorStore:
    """Operators and the hashes of their tokens."""

    def __init__(self, collection: Any) -> None:
        self._operators = collection

    async def create_indexes(self) -> None:
        await self._guard(
            self._operators.create_indexes(
                [IndexModel([("digest", ASCENDING)], unique=True)]
            )
        )

    async def create(self, name: str, role: Role = "operator") -> str:
        """A new token for ``name``; the only time it is ever shown."""
        if role not in ROLES:
            raise InvalidInput("unknown role", {"role": [f"must be one of {ROLES}"]})
        token = "fl_" + secrets.token_urlsafe(32)
        document = {
            "_id": name,
            "digest": _digest(token),
            "role": role,
            "created_at": datetime.now(UTC),
            "revoked": False,
        }
        try:
            await self._operators.insert_one(document)
        except DuplicateKeyError as exc:
            # A token is shown once: rotating one is revoke, then create.
            raise InvalidInput(
                f"operator {name} exists; revoke it first to make a new token",
                {"name": [f"{name} exists; revoke it first"]},
            ) from exc
        except PyMongoError as exc:
            raise unavailable(exc) from exc
        return token

    async def revoke(self, name: str) -> bool:
        """Revoke ``name``'s token; False when there was none."""
        result = await self._guard(self._operators.delete_one({"_id": name}))
        return bool(result.deleted_count)

    async def authenticate(self, token: str) -> Operator | None:
        """The operator holding ``token``, or None."""
        digest = _digest(token)
        found = await self._guard(self._operators.find_one({"digest": digest}))
        if found is None or not hmac.compare_digest(found["digest"], digest):
            return None
        return Operator(found["_id"], found["role"])

    @staticmethod
    async def _guard(awaitable: Any) -> Any:
        try:
            return await awaitable
        except PyMongoError as exc:
            raise unavailable(exc) from exc
