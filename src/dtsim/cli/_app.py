"""The typer application and what every command shares: output formats, one-line errors,
rendering of rows, and parsing of command-line values."""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from typing import Any

import numpy as np
import typer
import yaml
from rich.console import Console
from rich.table import Table

from dtsim.errors import ScenarioError
from dtsim.result import RESULT_KEYS
from dtsim.scenario import _ScenarioLoader, load_documents, parse_scenario, set_path

app = typer.Typer(
    help="dtsim: how much training compute a decentralized run over sub-threshold sites reaches.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _fail(exc: Exception) -> None:
    Console(stderr=True, highlight=False).print(f"error: {exc}", markup=False, soft_wrap=True)
    raise typer.Exit(2)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
    return str(value)


def _print_rows(rows: list[dict[str, Any]], fmt: Format, title: str | None = None) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps(rows, indent=1) + "\n")
    elif fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else list(RESULT_KEYS), lineterminator="\n")
        writer.writeheader()
        writer.writerows([{k: ("" if v is None else v) for k, v in row.items()} for row in rows])
        sys.stdout.write(buffer.getvalue())
    else:
        table = Table(title=title, show_header=True, header_style="bold")
        table.add_column("key")
        for i, row in enumerate(rows):
            table.add_column(str(row.get("name") or f"#{i}"), justify="right")
        keys = [k for k in rows[0] if k != "name"] if rows else []
        for key in keys:
            table.add_row(key, *[_show(row.get(key)) for row in rows])
        Console().print(table)


def _read_args(text: str) -> dict[str, Any]:
    from dtsim.errors import ScenarioError

    if text.startswith("@"):
        docs = load_documents(text[1:])
        data = docs[0][1] if len(docs) == 1 else None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError("--args", text, f"not a JSON object: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ScenarioError("--args", text, "expected a JSON object of keyword arguments")
    return data


def _scalar(text: str) -> Any:
    """A command-line value read as YAML (``25`` → 25, ``1e9`` → 1e9, ``{1: 1.0}`` → a table)."""
    try:
        return yaml.load(text, Loader=_ScenarioLoader)
    except yaml.YAMLError:
        return text


def _parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs, each checked against the scenario schema."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ScenarioError("--set", pair, "expected KEY=VALUE, e.g. network.wan.bandwidth_mbps=25")
        overrides[key.strip()] = _scalar(value.strip())
    probe: dict[str, Any] = {"nodes": 1}
    for key, value in overrides.items():
        set_path(probe, key, value)
    parse_scenario(probe, source="--set")
    return overrides


def _axis_values(spec: str) -> Any:
    """``1,2,4`` | ``range:START:STOP:STEP`` (STOP included) | ``log:START:STOP:COUNT``."""
    kind, _, rest = spec.partition(":")
    if kind in ("range", "log"):
        parts = [_scalar(p) for p in rest.split(":")]
        if len(parts) != 3 or not all(isinstance(p, int | float) and not isinstance(p, bool) for p in parts):
            raise ScenarioError("--vary", spec, f"expected {kind}:START:STOP:{'STEP' if kind == 'range' else 'COUNT'}")
        start, stop, third = (float(p) for p in parts)
        if kind == "range":
            if third <= 0 or (stop - start) / third > 1e9:
                raise ScenarioError("--vary", spec, "STEP must be > 0 and give at most 1e9 points")
            return start + third * np.arange(int(np.floor((stop - start) / third + 1e-9)) + 1)
        if start <= 0 or stop <= 0 or not 1 <= third <= 1e9:
            raise ScenarioError("--vary", spec, "log needs START, STOP > 0 and 1 ≤ COUNT ≤ 1e9")
        return np.logspace(np.log10(start), np.log10(stop), int(third))
    values = [_scalar(v.strip()) for v in spec.split(",") if v.strip()]
    if not values:
        raise ScenarioError("--vary", spec, "no values")
    return values


def _print_records(rows: list[dict[str, Any]], fmt: Format, title: str) -> None:
    """Rows of records: JSON list, CSV, or a table with one column per row."""
    if fmt is not Format.table:
        _print_rows(rows, fmt)
        return
    table = Table(title=title, header_style="bold")
    table.add_column("", no_wrap=True)
    for row in rows:
        table.add_column(str(row.get("year", "")), justify="right")
    for key in rows[0] if rows else []:
        if key != "year":
            table.add_row(key, *[_show(row.get(key)) for row in rows])
    Console().print(table)
