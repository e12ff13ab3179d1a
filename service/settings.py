"""Every setting of the service, read from the environment (and ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Validated at start; a bad value stops the process with its name."""

    model_config = SettingsConfigDict(
        env_prefix="FLIGHTLOG_", env_file=".env", extra="ignore"
    )

    mongodb_uri: SecretStr | None = Field(
        default=None,
        validation_alias="MONGODB_URI",
        description="MongoDB connection string (a replica set in production); "
        "unset: the embedded server",
    )
    database: str = Field(default="flightlog", description="database name")
    var_dir: Path = Field(
        default=Path("var"),
        description="data of the embedded server; a relative path is relative "
        "to the working directory",
    )
    host: str = Field(default="127.0.0.1", description="address `serve` listens on")
    port: int = Field(
        default=8080, ge=1, le=65535, description="port `serve` listens on"
    )
    upstream_url: str = Field(
        default="",
        description="base of links to the LL2 resources this service does not "
        "serve, such as `https://ll.thespacedevs.com`; empty: every link is built "
        "from the request's scheme and host",
    )
    trust_proxy: bool = Field(
        default=False,
        description="build links from X-Forwarded-Proto and X-Forwarded-Host and "
        "take client addresses from X-Forwarded-For",
    )
    throttle_rate: str | None = Field(
        default=None,
        pattern=r"^\d+/(second|minute|hour|day)$",
        description="per-address read limit such as '15/hour'; unset: no limit",
    )
    auth_failure_rate: str = Field(
        default="10/minute",
        pattern=r"^\d+/(second|minute|hour|day)$",
        description="failed token checks allowed per client address, such as "
        "'10/minute'; past it operator requests are answered 429",
    )
    write_concern: Literal["majority", "1"] = Field(
        default="majority", description="write concern of appends (`majority` or `1`)"
    )
    journal: bool = Field(
        default=True, description="acknowledge appends only after the journal commit"
    )
    db_timeout_ms: int = Field(
        default=5000,
        ge=100,
        description="milliseconds before a database call gives up (503)",
    )
    batch_timeout_ms: int = Field(
        default=600_000,
        ge=100,
        description="milliseconds a database call of background work (a rebuild, "
        "reconciling the log with the documents) may take",
    )
    projection_wait: float = Field(
        default=5.0, ge=0, description="seconds a POST waits for its projection"
    )
    heal_interval: float = Field(
        default=2.0, gt=0, description="seconds between checks for unprojected events"
    )
    cache_staleness: float = Field(
        default=0.25,
        ge=0,
        description="seconds a read from the in-process document cache may lag "
        "another process's write; 0: validate every read with the database",
    )
    cache_memo_mb: int = Field(
        default=128, ge=0, description="megabytes of rendered responses kept"
    )
    max_body_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        description="largest request body in bytes (413 above)",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="`text` (human lines) or `json` (one object a line)"
    )
    log_level: str = Field(
        default="INFO",
        description="least severe level logged: DEBUG, INFO, WARNING or ERROR",
    )

    @field_validator("mongodb_uri")
    @classmethod
    def _mongodb_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("mongodb://", "mongodb+srv://")
        ):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()
