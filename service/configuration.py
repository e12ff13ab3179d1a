"""Settings as an operator sees them: variable names, defaults, masked values.

``Settings`` is the one source: the README's table and ``docs/configuration.md``
are checked against ``settings_table()`` by the tests, ``flightlog config``
prints ``effective()``, and configuration errors name the variable with
``env_name()``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from pydantic.fields import FieldInfo

from service.settings import Settings

MASK = "****"
_URI_PASSWORD = re.compile(r"^(?P<scheme>[a-z+]+://)(?P<user>[^:@/]*):[^@/]*@")
_SECRET_QUERY = re.compile(r"(?P<key>[?&][^=&]*(?:password|secret)[^=&]*)=[^&]*", re.I)


def env_name(field: str) -> str:
    """The environment variable of a setting (its field name or its alias)."""
    for name, info in Settings.model_fields.items():
        if field in (name, info.validation_alias):
            return _variable(name, info)
    return field.upper()


def configuration_errors(exc: ValidationError) -> list[str]:
    """One line per bad setting: the variable, what is wrong, and the value."""
    lines = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "?"
        message = error["msg"].removeprefix("Value error, ")
        line = f"{env_name(field)}: {message}"
        if not _is_secret(field) and error.get("input") is not None:
            line += f" (got {error['input']!r})"
        lines.append(line)
    return lines


def effective(settings: Settings) -> list[tuple[str, str, bool]]:
    """Each variable, the value in force (secrets masked), and whether it is
    the default."""
    rows = []
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        rows.append((_variable(name, info), _shown(value), value == info.default))
    return rows


def mask_uri(uri: str) -> str:
    """A connection string with its password (and password options) hidden."""
    masked = _URI_PASSWORD.sub(rf"\g<scheme>\g<user>:{MASK}@", uri)
    return _SECRET_QUERY.sub(rf"\g<key>={MASK}", masked)


def settings_table() -> str:
    """The Markdown table of every setting: variable, default, meaning."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, info in Settings.model_fields.items():
        default = _default(info.default)
        meaning = (info.description or "").replace("|", "\\|")
        lines.append(f"| `{_variable(name, info)}` | {default} | {meaning} |")
    return "\n".join(lines)


def _variable(name: str, info: FieldInfo) -> str:
    if isinstance(info.validation_alias, str):
        return info.validation_alias
    prefix = Settings.model_config.get("env_prefix", "")
    return f"{prefix}{name}".upper()


def _is_secret(field: str) -> bool:
    for name, info in Settings.model_fields.items():
        if field in (name, info.validation_alias):
            return "SecretStr" in str(info.annotation)
    return False


def _shown(value: Any) -> str:
    if value is None:
        return "(unset)"
    if value == "":
        return "(empty)"
    if isinstance(value, SecretStr):
        return mask_uri(value.get_secret_value())
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _default(value: Any) -> str:
    if value is None:
        return "unset"
    if value == "":
        return "empty"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, Path | str | int | float):
        return f"`{value}`"
    return f"`{value!r}`"
