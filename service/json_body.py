"""Reading an operator's JSON body without trusting it.

Bodies are refused before they reach validation, let alone MongoDB, when
they are not ``application/json``, larger than the configured limit, not
UTF-8, not strict JSON (``NaN``, ``Infinity`` and numerals of more than
``MAX_DIGITS`` digits are not), nested deeper than ``MAX_DEPTH`` levels, or
hold a key that MongoDB would read as an operator or a path (a leading ``$``
or ``.``, or a NUL anywhere), an array of more than ``MAX_ITEMS`` items, or a lone
surrogate in a string. Numbers that parse but lie out of a field's
range (``1e400``, ``2**70``) are left to the models, which name the field.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from events.errors import InvalidInput, UnsupportedMediaType
from service.errors import PayloadTooLarge

MAX_DEPTH = 32
MAX_DIGITS = 100
MAX_ITEMS = 1000  # more than any event holds; bounds the errors a body can cause
KEY_RULE = "keys must not start with $ or . nor hold NUL"


class _NotStrictJson(ValueError):
    pass


async def read_json_object(request: web.Request, limit: int) -> dict[str, Any]:
    """The request's body as a JSON object; ``InvalidInput`` (or a subclass)
    or ``PayloadTooLarge`` when it is not one this service accepts."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType(request.content_type)
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(limit)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(limit) from None

    parsed = _parse(raw)
    if not isinstance(parsed, dict):
        raise InvalidInput(
            "the body must be a JSON object", {"body": ["expected an object"]}
        )
    _check_shape(parsed)
    return parsed


def _parse(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "the body is not valid UTF-8",
            {"body": [f"byte {exc.start} is not UTF-8"]},
        ) from None
    try:
        return json.loads(text, parse_constant=_constant, parse_int=_integer)
    except _NotStrictJson as exc:
        raise InvalidInput("the body is not valid JSON", {"body": [str(exc)]}) from None
    except json.JSONDecodeError as exc:
        where = f"{exc.msg}: line {exc.lineno} column {exc.colno}"
        raise InvalidInput("the body is not valid JSON", {"body": [where]}) from None
    except RecursionError:
        raise _too_deep() from None


def _constant(name: str) -> Any:
    raise _NotStrictJson(f"{name} is not a JSON number")


def _integer(numeral: str) -> int:
    if len(numeral.lstrip("-")) > MAX_DIGITS:
        raise _NotStrictJson(f"an integer has more than {MAX_DIGITS} digits")
    return int(numeral)


def _check_shape(body: dict[str, Any]) -> None:
    # Iterative, so that the walk itself cannot run out of stack.
    pending: list[tuple[Any, str, int]] = [(body, "", 1)]
    while pending:
        value, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else key
                if key.startswith(("$", ".")) or "\x00" in key:
                    raise _at(where, KEY_RULE)
                _check_text(key, where)
                pending.append((item, where, depth + 1))
        elif isinstance(value, list):
            if len(value) > MAX_ITEMS:
                raise _at(path or "body", f"at most {MAX_ITEMS} items in one array")
            for index, item in enumerate(value):
                where = f"{path}.{index}" if path else str(index)
                pending.append((item, where, depth + 1))
        elif isinstance(value, str):
            _check_text(value, path)


def _check_text(text: str, where: str) -> None:
    # JSON may escape lone surrogates (\\ud800); MongoDB stores only UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _at(where, "must be valid Unicode (no lone surrogates)") from None


def _at(where: str, message: str) -> InvalidInput:
    return InvalidInput("invalid request body", {where: [message]})


def _too_deep() -> InvalidInput:
    return InvalidInput(
        "the body is nested too deeply",
        {"body": [f"at most {MAX_DEPTH} levels of objects and arrays"]},
    )
