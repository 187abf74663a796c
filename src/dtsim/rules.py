"""Cross-field rules of a scenario, written once as vectorised predicates over raw columns
(what the user gave, before defaults are filled in).

The same rules run on a single validated ``Scenario`` (so it can never contradict itself) and
on every chunk of a sweep or batch, where a failing point refuses the whole call with one line
naming the field, the value, what is allowed and which point. The engine validates scenarios
inside ``deferred()``, so that each scenario of a call is checked once, with the whole batch,
rather than once when it is parsed and again when it is evaluated.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dtsim.errors import MISSING, ScenarioError

if TYPE_CHECKING:
    from dtsim.scenario import Scenario

__all__ = ["RULES", "Rule", "check_columns", "check_scenario", "deferred"]

Columns = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Rule:
    """A predicate that marks the points where ``field`` breaks a rule, and what is allowed."""

    field: str
    allowed: str
    broken: Callable[[Columns], NDArray[np.bool_]]
    #: The value shown in the message (default: the field's value at that point).
    shown: Callable[[Columns, int], Any] | None = None


def _given(c: Columns, path: str) -> NDArray[np.bool_]:
    column = c[path]
    if column.dtype == object:
        return np.asarray(column != None, dtype=bool)  # noqa: E711 - elementwise on an object array
    return ~np.isnan(column)


def _strategy(c: Columns, name: str) -> NDArray[np.bool_]:
    strategy = c["strategy"]
    if name == "diloco":
        return np.asarray((strategy == "diloco") | (strategy == None), dtype=bool)  # noqa: E711
    return np.asarray(strategy == name, dtype=bool)


def _tokens_and_budget(c: Columns) -> NDArray[np.bool_]:
    return _given(c, "training.tokens") & (_given(c, "training.days") | _given(c, "training.years"))


RULES: tuple[Rule, ...] = (
    Rule(
        "training.years",
        "give only one of training.days, training.years, training.tokens",
        lambda c: _given(c, "training.years") & _given(c, "training.days"),
    ),
    Rule(
        "training.tokens",
        "give only one of training.days, training.years, training.tokens",
        _tokens_and_budget,
    ),
    Rule(
        "model.params",
        "moe-ep takes model.total_params and model.active_params instead",
        lambda c: _strategy(c, "moe-ep") & _given(c, "model.params"),
    ),
    Rule(
        "model.total_params",
        "required for strategy moe-ep",
        lambda c: _strategy(c, "moe-ep") & ~_given(c, "model.total_params"),
        lambda c, i: MISSING,
    ),
    Rule(
        "model.active_params",
        "required for strategy moe-ep",
        lambda c: _strategy(c, "moe-ep") & ~_given(c, "model.active_params"),
        lambda c, i: MISSING,
    ),
    Rule(
        "model.total_params",
        "only for strategy moe-ep; use model.params",
        lambda c: ~_strategy(c, "moe-ep") & _given(c, "model.total_params"),
    ),
    Rule(
        "model.active_params",
        "only for strategy moe-ep; use model.params",
        lambda c: ~_strategy(c, "moe-ep") & _given(c, "model.active_params"),
    ),
    Rule(
        "model.active_params",
        "must be ≤ model.total_params",
        lambda c: np.asarray(c["model.active_params"] > c["model.total_params"], dtype=bool),
    ),
    Rule(
        "model.params",
        "required for pp-diloco (a model larger than one node)",
        lambda c: _strategy(c, "pp-diloco") & ~_given(c, "model.params"),
        lambda c, i: MISSING,
    ),
    Rule(
        "hardware.gpu",
        "give hardware.preset or hardware.gpu, not both",
        lambda c: _given(c, "hardware.preset") & _given(c, "hardware.gpu"),
    ),
    Rule(
        "hardware.node_memory_gb",
        "a custom node (no hardware.gpu or preset) needs node_pflops and node_memory_gb",
        lambda c: (
            ~_given(c, "hardware.gpu")
            & ~_given(c, "hardware.preset")
            & _given(c, "hardware.node_pflops")
            & ~_given(c, "hardware.node_memory_gb")
        ),
        lambda c, i: MISSING,
    ),
    Rule(
        "hardware.node_pflops",
        "a custom node (no hardware.gpu or preset) needs node_pflops and node_memory_gb",
        lambda c: (
            ~_given(c, "hardware.gpu")
            & ~_given(c, "hardware.preset")
            & _given(c, "hardware.node_memory_gb")
            & ~_given(c, "hardware.node_pflops")
        ),
        lambda c, i: MISSING,
    ),
    Rule(
        "network.straggler",
        "the reliability section sets the straggler tail on every tier (its fail_slow and mitigation); "
        "remove network.straggler or the reliability section",
        lambda c: np.asarray(c["reliability"], dtype=bool) & _given(c, "network.straggler"),
    ),
    Rule(
        "network.straggler_per_doubling",
        "the reliability section sets the straggler tail on every tier (its fail_slow and mitigation); "
        "remove network.straggler_per_doubling or the reliability section",
        lambda c: np.asarray(c["reliability"], dtype=bool) & _given(c, "network.straggler_per_doubling"),
    ),
)


def check_columns(c: Columns, *, label: str = "point") -> None:
    """Refuse the first point that breaks a rule (``label`` names points in the message)."""
    n = max(len(column) for column in c.values())
    for rule in RULES:
        broken = rule.broken(c)
        if broken.any():
            i = int(np.argmax(np.broadcast_to(broken, (n,))))
            if rule.shown is not None:
                value = rule.shown(c, i)
            else:
                column = c[rule.field]
                value = column[i if len(column) > 1 else 0]
                value = value.item() if hasattr(value, "item") else value
            where = f" ({label} {i})" if n > 1 else ""
            raise ScenarioError(rule.field, value, rule.allowed + where)


#: Set while the caller checks the rules itself on the stacked batch (``deferred``).
_DEFERRED: contextvars.ContextVar[bool] = contextvars.ContextVar("dtsim_rules_deferred", default=False)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within the block, ``check_scenario`` leaves the rules to the caller, who promises to run
    ``check_columns`` on the raw columns of every scenario validated in it before using them."""
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


def check_scenario(scenario: Scenario) -> None:
    """The rules on one validated scenario (unless ``deferred``)."""
    if _DEFERRED.get():
        return
    from dtsim.normalize import stack_scenarios

    check_columns(stack_scenarios([scenario]))
