"""Every setting of the service, read from the environment (and ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Validated at start; a bad value stops the process with its name."""

    model_config = SettingsConfigDict(
        env_prefix="FLIGHTLOG_", env_file=".env", extra="ignore"
    )

    mongodb_uri: SecretStr | None = Field(
        default=None,
        validation_alias="MONGODB_URI",
        description="MongoDB connection string; unset: the embedded server",
    )
    database: str = Field(default="flightlog", description="database name")
    var_dir: Path = Field(
        default=Path("var"), description="data of the embedded server"
    )
    host: str = Field(default="127.0.0.1", description="address to serve on")
    port: int = Field(default=8080, ge=1, le=65535, description="port to serve on")
    upstream_url: str = Field(
        default="https://ll.thespacedevs.com",
        description="base of links to LL2 resources this service does not serve; "
        "empty: link them to this service too",
    )
    trust_proxy: bool = Field(
        default=False,
        description="build links from X-Forwarded-Proto and X-Forwarded-Host",
    )
    throttle_rate: str | None = Field(
        default=None,
        pattern=r"^\d+/(second|minute|hour|day)$",
        description="per-address read limit such as '15/hour'; unset: no limit",
    )
    write_concern: Literal["majority", "1"] = Field(
        default="majority", description="write concern of event appends"
    )
    journal: bool = Field(default=True, description="wait for the journal commit")
    db_timeout_ms: int = Field(
        default=5000, ge=100, description="give up on the database after this long"
    )
    projection_wait: float = Field(
        default=5.0, ge=0, description="seconds a POST waits for its projection"
    )
    heal_interval: float = Field(
        default=2.0, gt=0, description="seconds between checks for unprojected events"
    )
    max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, description="largest accepted request body"
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="log line format"
    )
    log_level: str = Field(default="INFO", description="log level")
