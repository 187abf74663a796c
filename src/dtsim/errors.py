"""The errors dtsim raises on user input.

::

    DtsimError                    base of everything dtsim raises on purpose
    ├── ScenarioError(ValueError) a field is malformed: wrong type, out of range, unknown key,
    │                             unreadable file. Carries ``field`` (dotted path), ``value``
    │                             and ``allowed``.
    └── InfeasibleError(ValueError)
                                  a well-formed scenario the physics refuses (the model does not
                                  fit the node, too few nodes for a pipeline group ...). Carries
                                  ``field`` and ``guidance`` (what to change).

The CLI catches ``DtsimError``, prints its one-line message and exits with status 2. Anything
else escaping dtsim is a bug.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DtsimError", "InfeasibleError", "ScenarioError"]


def _printable(text: str) -> str:
    """A field path as one printable line (a key holding control characters is shown quoted)."""
    return text if text.isprintable() else repr(text)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DtsimError(Exception):
    """Base class of the errors dtsim raises on purpose."""


class ScenarioError(DtsimError, ValueError):
    """A scenario field is malformed: names the field, the value and what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str, *, source: str | None = None):
        self.field = field
        self.value = value
        self.allowed = allowed
        self.source = source
        where = f"{source}: " if source else ""
        shown = "" if value is _MISSING else f" = {_short(value)}"
        super().__init__(f"{where}{_printable(field) or '<scenario>'}{shown}: {_printable(allowed)}")


class InfeasibleError(DtsimError, ValueError):
    """A valid scenario that cannot run, with guidance on what to change."""

    def __init__(self, field: str, problem: str, guidance: str, *, source: str | None = None):
        self.field = field
        self.problem = problem
        self.guidance = guidance
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{_printable(field)}: {_printable(problem)}; {_printable(guidance)}")


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


#: Marker for a ScenarioError about a field that is absent (no value to show).
_MISSING: Any = _Missing()
MISSING = _MISSING
