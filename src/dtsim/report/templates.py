"""Text templates of the report: titles, row labels, column headers and notes that state a value
of the scenario read it from the scenario, so that ``--set`` rewrites them.

A template is a ``str.format`` string whose fields are dotted scenario paths of the field
registry, after every default is filled in (``{network.wan.bandwidth_mbps:g} Mbps``,
``{compression.quality}``), or ``result.KEY`` for a result key of the scenario
(``{result.params:params}``). The format spec is a Python format (``g``, ``,.0f``) or the name
of a report format (``params``, ``usd``, ``sci``, ``upper``, ...). Literal braces are doubled.
A text without braces is returned as it is.
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from dtsim.errors import DtsimError
from dtsim.report.formats import FORMATS, format_value
from dtsim.report.spec import TableSpecError

__all__ = ["TemplateScope", "render_template", "resolved_fields"]


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@lru_cache(maxsize=4096)
def _resolved(key: str) -> dict[str, Any]:
    from dtsim.normalize import normalize, stack_scenarios
    from dtsim.scenario import parse_scenario

    scenario = json.loads(key)
    columns = normalize(stack_scenarios([parse_scenario(scenario)]))
    return {path: _plain(column[0]) for path, column in columns.items()}


def _with_nodes(scenario: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario with ``nodes: 1`` when it names none (search bases and node tables)."""
    return {"nodes": 1, **scenario} if "nodes" not in scenario else dict(scenario)


def resolved_fields(scenario: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of the registry for ``scenario`` (nested or dotted keys), defaults and presets
    filled in (``None`` where a field stays unset, such as ``model.params`` before the engine
    picks the model)."""
    from dtsim.report.tables import merge_scenario

    nested = merge_scenario(scenario)
    return dict(_resolved(json.dumps(_with_nodes(nested), sort_keys=True, default=str)))


@lru_cache(maxsize=1024)
def _result(key: str) -> dict[str, Any]:
    from dtsim.engine import simulate

    return simulate(json.loads(key)).to_dict()


class TemplateScope:
    """What a template may read: the resolved fields of one scenario and, on demand, its result
    (computed once per scenario, or given when the caller has it already)."""

    def __init__(self, scenario: Mapping[str, Any] | None, result: Mapping[str, Any] | None = None) -> None:
        self.scenario = _with_nodes(scenario or {})
        self._key = json.dumps(self.scenario, sort_keys=True, default=str)
        self._result = result

    def field(self, path: str) -> Any:
        """A resolved scenario field."""
        fields = _resolved(self._key)
        if path not in fields:
            raise KeyError(path)
        return fields[path]

    def result(self, key: str) -> Any:
        """A result key of the scenario."""
        result = self._result if self._result is not None else _result(self._key)
        if key not in result:
            raise KeyError(f"result.{key}")
        return _plain(result[key])


class _Formatter(string.Formatter):
    def __init__(self, lookup: Callable[[str], Any]) -> None:
        self._lookup = lookup

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        return self._lookup(field_name), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in FORMATS:
            return format_value(value, format_spec)
        if value is None:
            return "—"
        return super().format_field(value, format_spec)


def render_template(text: str, scope: TemplateScope | None, *, field: str) -> str:
    """``text`` with its ``{path}`` fields filled from ``scope``; a field that names no scenario
    path or result key, or a malformed template, is a ScenarioError on ``field``."""
    if "{" not in text and "}" not in text:
        return text
    if scope is None:
        scope = TemplateScope(None)

    def lookup(name: str) -> Any:
        try:
            return scope.result(name.removeprefix("result.")) if name.startswith("result.") else scope.field(name)
        except KeyError:
            raise TableSpecError(
                field, name, "a template field is a scenario path (network.wan.bandwidth_mbps) or result.KEY"
            ) from None

    try:
        return _Formatter(lookup).format(text)
    except DtsimError:
        raise
    except (ValueError, IndexError, TypeError) as exc:
        raise TableSpecError(field, text, f"not a valid template ({exc}); write literal braces as {{{{ }}}}") from None
