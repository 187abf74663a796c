"""The architecture map of the package docstring names every module and subpackage, and each
subpackage's docstring names its own modules."""

from __future__ import annotations

import importlib
import pkgutil

import dtsim


def _named(doc: str | None, name: str) -> bool:
    return f"``{name}``" in (doc or "")


def test_package_docstring_maps_every_top_level_module() -> None:
    missing = [m.name for m in pkgutil.iter_modules(dtsim.__path__) if not _named(dtsim.__doc__, m.name)]
    assert not missing, f"not in dtsim's architecture map: {missing}"


def test_each_subpackage_maps_its_modules() -> None:
    missing = []
    for package in pkgutil.iter_modules(dtsim.__path__):
        if not package.ispkg:
            continue
        module = importlib.import_module(f"dtsim.{package.name}")
        for child in pkgutil.iter_modules(module.__path__):
            if not child.name.startswith("_") and not _named(module.__doc__, child.name):
                missing.append(f"dtsim.{package.name}.{child.name}")
    assert not missing, f"not named in their package's docstring: {missing}"


def test_reference_documentation_is_current() -> None:
    from pathlib import Path

    from dtsim.reference import reference_markdown

    path = Path(__file__).resolve().parents[1] / "docs" / "reference.md"
    assert path.read_text("utf-8") == reference_markdown(), "regenerate: dtsim schema --format md > docs/reference.md"


def test_every_result_key_is_described() -> None:
    from dtsim.result import RESULT_INFO, RESULT_KEYS

    assert list(RESULT_INFO) == list(RESULT_KEYS)
    assert all(meaning for _, meaning in RESULT_INFO.values())
