"""The ``flightlog`` command line.

Exit codes: 0 success, 1 refused or failed (message on stderr), 2 usage or
configuration error, 3 database unavailable. The project's own messages start
with ``error:``; click's usage errors keep its ``Error:``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from aiohttp import web
from pydantic import ValidationError

from events.append import Appender
from events.errors import FlightlogError, Unavailable
from service.database import Database, open_database
from service.settings import Settings

T = TypeVar("T")
logger = logging.getLogger("flightlog")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        from service.configuration import configuration_errors

        for line in configuration_errors(exc):
            click.echo(f"configuration error: {line}", err=True)
        raise SystemExit(2) from exc


def _configure_logging(settings: Settings, batch: bool = False) -> None:
    from service.logs import configure

    configure(settings, batch=batch)


def _refuse(message: str) -> NoReturn:
    """One line on stderr and exit code 1."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(1)


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    settings = _settings()
    _configure_logging(settings, batch=True)

    async def main() -> T:
        database = open_database(settings)
        try:
            await database.create_indexes()
            return await work(database)
        finally:
            database.close()

    try:
        return asyncio.run(main())
    except Unavailable as exc:
        click.echo(f"error: {exc.detail}", err=True)
        raise SystemExit(3) from exc
    except FlightlogError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        raise SystemExit(1) from exc


EXIT_CODES = (
    "Exit codes: 0 success, 1 refused or failed (message on stderr), "
    "2 usage or configuration error, 3 database unavailable."
)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES
)
def main() -> None:
    """Flightlog: spacecraft flights as an event log, served as LL2 2.2.0.

    Settings come from FLIGHTLOG_* variables, MONGODB_URI and a .env file;
    `flightlog config` shows them.
    """


@main.command("config")
@click.option("--json", "as_json", is_flag=True, help="print a JSON object")
def show_config(as_json: bool) -> None:
    """Print the settings in force, passwords masked."""
    from service.configuration import effective

    rows = effective(_settings())
    if as_json:
        click.echo(json.dumps({name: value for name, value, _ in rows}, indent=2))
        return
    width = max(len(name) for name, _, _ in rows)
    for name, value, default in rows:
        note = "  (default)" if default else ""
        click.echo(f"{name.ljust(width)}  {value}{note}")


@main.command()
@click.option("--host", default=None, help="address to listen on [FLIGHTLOG_HOST]")
@click.option("--port", type=int, default=None, help="port [FLIGHTLOG_PORT]")
def serve(host: str | None, port: int | None) -> None:
    """Serve the HTTP API until interrupted."""
    from service.app import create_app

    settings = _settings()
    _configure_logging(settings)
    sockets = _listen(host or settings.host, port or settings.port)
    web.run_app(
        create_app(settings),
        sock=sockets,
        print=lambda text: logger.info(text.strip()),
        access_log=None,
    )


def _listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address ``host`` names (all for an empty host).

    Bound here, before the application starts, so that a busy port or an
    unknown host is one line on stderr and exit code 1 rather than a
    traceback from inside the event loop.
    """
    try:
        found = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        addresses = dict.fromkeys((info[0], info[4]) for info in found)
        return [socket.create_server(at, family=kind) for kind, at in addresses]
    except OSError as exc:
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        _refuse(f"cannot listen on {shown}: {_reason(exc)}")


def _reason(exc: OSError) -> str:
    # The errno's own text ("Address already in use"); resolver errors carry
    # negative codes whose text is in ``strerror``.
    if exc.errno is not None and exc.errno > 0:
        return os.strerror(exc.errno)
    return exc.strerror or str(exc)


@main.command()
def seed() -> None:
    """Load the bundled flights; running it twice changes nothing."""
    from seed.loader import load_seed

    async def work(database: Database) -> None:
        appender = Appender(database.events, mark=database.queue.mark)
        with _progress("seed") as tick:
            report = await load_seed(appender, database.events, progress=tick)
        await database.projector.drain()
        click.echo(f"seed: {report.appended} events appended")

    _run(work)


@main.command("import-ll2")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--operator",
    default="import",
    show_default=True,
    help="recorded as the events' operator",
)
def import_ll2(files: tuple[Path, ...], operator: str) -> None:
    """Turn LL2 JSON documents into events; re-importing changes nothing."""
    from seed.facts import Facts
    from seed.importer import Importer

    facts = Facts()
    for path in files:
        try:
            facts.add(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            _refuse(f"{path}: not an LL2 document this importer reads ({_why(exc)})")

    async def work(database: Database) -> None:
        appender = Appender(database.events, mark=database.queue.mark)
        with _progress("import") as tick:
            report = await Importer(database.events, appender, operator).run(
                facts, progress=tick
            )
        await database.projector.drain()
        click.echo(
            f"import: {report.appended} events appended, "
            f"{len(report.skipped)} facts skipped"
        )
        for reason in report.skipped:
            click.echo(f"  skipped {reason}", err=True)

    _run(work)


@main.command()
def replay() -> None:
    """Rebuild every flight document from the log, then swap them in."""
    from projections.replay import replay as rebuild
    from service.faults import EXIT_DURING_REPLAY, EXIT_REPLAY_FOLDED, crash_hook

    call_timeout = _settings().batch_timeout_ms / 1000

    async def work(database: Database) -> None:
        with _progress("replay") as tick:
            written = await rebuild(
                database.projector,
                database.events,
                database.handle,
                progress=lambda phase, done, total: tick(),
                before_swap=crash_hook(EXIT_DURING_REPLAY),
                after_fold=crash_hook(EXIT_REPLAY_FOLDED),
                call_timeout=call_timeout,
            )
        click.echo(f"replay: {written} flight documents rebuilt")

    _run(work)


@main.group()
def token() -> None:
    """Create and revoke operator tokens."""


@token.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["operator", "admin"]),
    default="operator",
    show_default=True,
)
def token_create(name: str, role: str) -> None:
    """Create a token for NAME and print it once; only its hash is kept."""

    async def work(database: Database) -> str:
        return await database.operators.create(name, role)  # type: ignore[arg-type]

    click.echo(_run(work))


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Revoke NAME's token."""

    async def work(database: Database) -> bool:
        return await database.operators.revoke(name)

    if not _run(work):
        _refuse(f"no operator named {name}")
    click.echo(f"revoked {name}")


def _why(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc}"
    if isinstance(exc, KeyError):
        return f"no {exc} key"
    return str(exc)


class _progress:
    """A progress bar on a terminal, silence otherwise."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._bar: Any = None

    def __enter__(self) -> Callable[[], None]:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            # On stderr, the stream whose terminal was checked: stdout stays clean.
            self._bar = Progress(console=Console(stderr=True), transient=True)
            self._bar.start()
            task = self._bar.add_task(self._label, total=None)
            return lambda: self._bar.advance(task)
        return lambda: None

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


@main.group()
def db() -> None:
    """Manage the embedded database server."""


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded server that commands share (its data stays in var/)."""
    from service.embedded import stop_embedded

    settings = _settings()
    stopped = stop_embedded(settings.var_dir)
    click.echo("embedded server stopped" if stopped else "no embedded server running")
