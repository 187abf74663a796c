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

import reprlib
from typing import Any

__all__ = ["DtsimError", "InfeasibleError", "ScenarioError"]

#: Longest field path, source and explanation shown in a message (characters): a message is
#: one line however long the user's key or file name.
FIELD_LIMIT = 200
TEXT_LIMIT = 1000


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` as one printable line: control and other non-printable characters escaped as in
    a Python literal (ESC → ``\\x1b``, newline → ``\\n``), cut to ``limit`` characters with an
    ellipsis."""
    if limit is not None and len(text) > limit:
        text = text[: limit + 1]
    if not text.isprintable():
        text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 200
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6
_REPR.maxlevel = 3


def _short(value: Any, limit: int = 200) -> str:
    """A value for a message: its repr, bounded in length, depth and (for integers) digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 190:
        return f"<a {value.bit_length() * 0.30103:.0f}-digit integer>"
    try:
        text = _REPR.repr(value)
    except Exception:  # a value whose repr fails is still reported
        text = f"<{type(value).__name__}>"
    return one_line(text, limit)


class DtsimError(Exception):
    """Base class of the errors dtsim raises on purpose."""


class ScenarioError(DtsimError, ValueError):
    """A scenario field is malformed: names the field, the value and what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str, *, source: str | None = None):
        self.field = field
        self.value = value
        self.allowed = allowed
        self.source = source
        where = f"{one_line(source, FIELD_LIMIT)}: " if source else ""
        shown = "" if value is _MISSING else f" = {_short(value)}"
        name = one_line(field, FIELD_LIMIT) or "<scenario>"
        super().__init__(f"{where}{name}{shown}: {one_line(allowed, TEXT_LIMIT)}")

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its parts (a worker process's error reaches the caller whole)
        return _scenario_error, (self.field, self.value, self.allowed, self.source)

    def at(self, source: str) -> ScenarioError:
        """This error attributed to ``source`` (a file, a table), unless it names one already."""
        return self if self.source else ScenarioError(self.field, self.value, self.allowed, source=source)


class InfeasibleError(DtsimError, ValueError):
    """A valid scenario that cannot run, with guidance on what to change."""

    def __init__(self, field: str, problem: str, guidance: str, *, source: str | None = None):
        self.field = field
        self.problem = problem
        self.guidance = guidance
        self.source = source
        where = f"{one_line(source, FIELD_LIMIT)}: " if source else ""
        super().__init__(
            f"{where}{one_line(field, FIELD_LIMIT)}: {one_line(problem, TEXT_LIMIT)}; {one_line(guidance, TEXT_LIMIT)}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return _infeasible_error, (self.field, self.problem, self.guidance, self.source)

    def at(self, source: str) -> InfeasibleError:
        """This error attributed to ``source``, unless it names one already."""
        return self if self.source else InfeasibleError(self.field, self.problem, self.guidance, source=source)


def _scenario_error(field: str, value: Any, allowed: str, source: str | None) -> ScenarioError:
    return ScenarioError(field, value, allowed, source=source)


def _infeasible_error(field: str, problem: str, guidance: str, source: str | None) -> InfeasibleError:
    return InfeasibleError(field, problem, guidance, source=source)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self) -> str:
        return "MISSING"  # the one marker, also after pickling


#: Marker for a ScenarioError about a field that is absent (no value to show).
_MISSING: Any = _Missing()
MISSING = _MISSING
