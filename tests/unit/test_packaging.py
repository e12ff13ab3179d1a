"""What ``pip install .`` puts in the environment, read from ``pyproject.toml``.

Packages are listed by name, so a folder left off the list would be missing
from the installed service (or, when it holds only data, installed with a
setuptools warning): every folder of the sources must be on it, and the
files the service opens at run time must be package data.
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def setuptools_table() -> dict[str, Any]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    table: dict[str, Any] = project["tool"]["setuptools"]
    return table


def test_every_source_folder_is_a_listed_package() -> None:
    listed = setuptools_table()["packages"]
    roots = [REPO / name for name in listed if "." not in name]

    found = {
        ".".join(folder.relative_to(REPO).parts)
        for root in roots
        for folder in [root, *root.rglob("*")]
        if folder.is_dir() and "__pycache__" not in folder.parts
    }

    assert sorted(listed) == sorted(found)
    assert "service.static" in listed


def test_files_opened_at_run_time_are_package_data() -> None:
    data = setuptools_table()["package-data"]
    wanted = {
        "service.static": ["browsable.css"],
        "seed": ["log.jsonl", "flight_325.json"],
    }

    for package, names in wanted.items():
        folder = REPO.joinpath(*package.split("."))
        for name in names:
            assert (folder / name).is_file(), f"{package}/{name}"
            assert any(fnmatch(name, pattern) for pattern in data[package]), name
