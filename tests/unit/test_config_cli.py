"""Settings as operators meet them: errors, ``flightlog config``, help, the docs."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from service import cli
from service.configuration import effective, env_name, mask_uri, settings_table
from service.logs import configure
from service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
FLIGHTLOG = str(Path(sys.executable).parent / "flightlog")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No FLIGHTLOG_* variable, MONGODB_URI or .env from the developer's shell."""
    import os

    for name in list(os.environ):
        if name.startswith("FLIGHTLOG_") or name == "MONGODB_URI":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def run(*args: str, **env: str) -> click.testing.Result:
    return CliRunner().invoke(cli.main, list(args), env=env)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "FLIGHTLOG_PORT",
            "99999",
            "FLIGHTLOG_PORT: Input should be less than or equal to 65535 (got '99999')",
        ),
        (
            "FLIGHTLOG_WRITE_CONCERN",
            "2",
            "FLIGHTLOG_WRITE_CONCERN: Input should be 'majority' or '1' (got '2')",
        ),
        (
            "FLIGHTLOG_LOG_LEVEL",
            "loud",
            "FLIGHTLOG_LOG_LEVEL: must be DEBUG, INFO, WARNING, ERROR or CRITICAL "
            "(got 'loud')",
        ),
        (
            "MONGODB_URI",
            "postgres://u:hunter2@db/",
            "MONGODB_URI: must start with mongodb:// or mongodb+srv://",
        ),
    ],
)
def test_a_bad_setting_stops_with_its_variable_named(
    variable: str, value: str, message: str
) -> None:
    result = run("config", **{variable: value})

    assert result.exit_code == 2
    assert result.stderr == f"configuration error: {message}\n"
    assert "hunter2" not in result.output


def test_config_prints_every_setting_with_the_password_masked() -> None:
    uri = "mongodb://flight:hunter2@db1:27017,db2:27017/?replicaSet=rs0"

    result = run("config", MONGODB_URI=uri, FLIGHTLOG_PORT="9000")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(Settings.model_fields)
    assert re.fullmatch(
        r"MONGODB_URI +mongodb://flight:\*\*\*\*@db1:27017,db2:27017/\?replicaSet=rs0",
        lines[0],
    )
    assert re.search(r"^FLIGHTLOG_PORT +9000$", result.stdout, re.M)
    assert re.search(
        r"^FLIGHTLOG_HOST +127\.0\.0\.1  \(default\)$", result.stdout, re.M
    )
    assert re.search(
        r"^FLIGHTLOG_UPSTREAM_URL +\(empty\)  \(default\)$", result.stdout, re.M
    )
    assert "hunter2" not in result.stdout


def test_config_as_json_reads_a_dot_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FLIGHTLOG_DATABASE=from_dotenv\n")

    result = run("config", "--json")

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["FLIGHTLOG_DATABASE"] == "from_dotenv"
    assert shown["MONGODB_URI"] == "(unset)"
    assert shown["FLIGHTLOG_UPSTREAM_URL"] == "(empty)"
    assert list(shown) == [name for name, _, _ in effective(Settings())]


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("mongodb://localhost/", "mongodb://localhost/"),
        ("mongodb://u:p@h/db", "mongodb://u:****@h/db"),
        ("mongodb+srv://u:p%40ss@cluster/x", "mongodb+srv://u:****@cluster/x"),
        (
            "mongodb://h/?tls=true&tlsCertificateKeyFilePassword=pw&w=1",
            "mongodb://h/?tls=true&tlsCertificateKeyFilePassword=****&w=1",
        ),
    ],
)
def test_connection_strings_are_masked(uri: str, shown: str) -> None:
    assert mask_uri(uri) == shown


def test_variables_are_named_as_the_environment_names_them() -> None:
    assert env_name("mongodb_uri") == "MONGODB_URI"
    assert env_name("MONGODB_URI") == "MONGODB_URI"
    assert env_name("db_timeout_ms") == "FLIGHTLOG_DB_TIMEOUT_MS"


def _readme_table() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1]
    start = section.index("| variable |")
    return section[start : section.index("\n\n", start)]


def test_the_readme_table_is_the_settings_model() -> None:
    assert _readme_table() == settings_table(), (
        "README.md's configuration table has drifted from service.settings; "
        "paste the output of service.configuration.settings_table() into it"
    )


def test_docs_configuration_covers_every_setting() -> None:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")

    missing = [name for name, _, _ in effective(Settings()) if f"`{name}`" not in text]

    assert missing == []


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


@pytest.mark.parametrize("command", _commands(cli.main), ids=" ".join)
def test_every_command_explains_itself(command: tuple[str, ...]) -> None:
    for flag in ("--help", "-h"):
        result = run(*command, flag)

        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Usage: ")
        summary = result.stdout.split("\n\n")[1].strip()
        assert summary and summary[0].isupper() and summary.endswith(".")


def test_the_readme_and_the_help_state_the_same_exit_codes() -> None:
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())

    assert cli.EXIT_CODES in readme
    assert cli.EXIT_CODES in " ".join(run("--help").stdout.split())


def test_an_unknown_command_is_a_usage_error() -> None:
    assert run("fly").exit_code == 2


@pytest.mark.parametrize("terminal", [False, True])
def test_progress_bars_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return terminal

    stream = Stream()
    monkeypatch.setattr("sys.stderr", stream)
    progress = cli._progress("seed")

    with progress as tick:
        for _ in range(3):
            tick()

    if terminal:
        assert "seed" in stream.getvalue()
    else:
        assert progress._bar is None
        assert stream.getvalue() == ""


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    """The root logger, its handlers and level put back after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    ("level", "batch", "logged"),
    [
        (None, False, logging.INFO),
        (None, True, logging.WARNING),
        ("INFO", True, logging.WARNING),
        ("ERROR", True, logging.ERROR),
        ("DEBUG", True, logging.DEBUG),
        ("DEBUG", False, logging.DEBUG),
    ],
)
def test_batch_commands_log_warnings_only_unless_debugging(
    root_logging: logging.Logger, level: str | None, batch: bool, logged: int
) -> None:
    settings = Settings() if level is None else Settings(log_level=level)

    configure(settings, batch=batch)

    assert root_logging.level == logged


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{}", "no flight, spacecraft, astronaut or docking event in it"),
        ("[1, 2]", "no flight, spacecraft, astronaut or docking event in it"),
        ("x", "not JSON: Expecting value: line 1 column 1 (char 0)"),
        ('{"mission_end": null}', "no 'id' key"),
    ],
)
def test_import_names_the_file_it_cannot_read_once(
    tmp_path: Path, text: str, reason: str
) -> None:
    (tmp_path / "flight.json").write_text(text, encoding="utf-8")

    result = run("import-ll2", "flight.json")

    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        f"error: flight.json: not an LL2 document this importer reads ({reason})\n",
    )


def test_make_run_leaves_host_and_port_to_the_settings() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")

    recipe = makefile.split("\nrun: install\n", 1)[1].split("\n\n", 1)[0]

    assert recipe.splitlines() == [
        "\t$(BIN)/flightlog seed",
        "\t$(BIN)/flightlog serve",
    ]


@pytest.mark.parametrize("flags", [False, True], ids=["settings", "options"])
def test_serve_on_a_busy_port_is_one_line_and_exit_code_1(
    tmp_path: Path, flags: bool
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTLOG_")}
        # A database that is never reached: the port is refused before.
        env |= {"MONGODB_URI": "mongodb://127.0.0.1:9/", "FLIGHTLOG_PORT": "1"}
        if flags:
            args = ["--host", "127.0.0.1", "--port", str(port)]
        else:
            args = []
            env |= {"FLIGHTLOG_HOST": "127.0.0.1", "FLIGHTLOG_PORT": str(port)}

        done = subprocess.run(
            [FLIGHTLOG, "serve", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "",
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n",
    )
