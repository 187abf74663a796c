"""The registry of analyses, read from the functions themselves.

Each entry's name, one-line summary, arguments (name, type, kind, allowed values, default, whether
required, one-line meaning) and result keys come from the analysis function's signature, its
docstring ("Args:" section) and its result dataclass (whose docstring has an "Attributes:"
section). There is no second list: a new analysis is a function and one line in ``ANALYSES``.
``describe()`` gives the same as JSON-able data, for ``dtsim analyze --list``, ``--help`` and a
web form.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dtsim.analyses._args import Kind
from dtsim.analyses._result import AnalysisResult, plain
from dtsim.errors import MISSING, ScenarioError
from dtsim.physics.hardware import gpu_catalogue

__all__ = ["Analysis", "Argument", "ResultKey", "analysis", "describe"]

_NUMBERS = MappingProxyType({float: "number", int: "integer", str: "text", bool: "boolean"})


@dataclass(frozen=True)
class Argument:
    """One argument of an analysis."""

    name: str
    type: str
    kind: str
    choices: tuple[str, ...] | None
    default: Any
    required: bool
    nullable: bool
    meaning: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (a form field)."""
        data = {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        if self.kind == "gpu":
            data["choices"] = list(gpu_catalogue())
        return data


@dataclass(frozen=True)
class ResultKey:
    """One key of an analysis result."""

    name: str
    type: str
    meaning: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (a result column)."""
        return {"name": self.name, "type": self.type, "meaning": self.meaning}


@dataclass(frozen=True)
class Analysis:
    """A named analysis: its function, one-line summary, longer description, arguments and
    result keys."""

    name: str
    summary: str
    description: str
    function: Callable[..., AnalysisResult]
    arguments: tuple[Argument, ...]
    result: tuple[ResultKey, ...]

    def run(self, **args: Any) -> AnalysisResult:
        """Call the function with keyword arguments; unknown or missing ones are refused with one
        line naming them and the allowed ones."""
        allowed = [a.name for a in self.arguments]
        unknown = [name for name in args if name not in allowed]
        missing = [a.name for a in self.arguments if a.required and a.name not in args]
        if unknown or missing:
            problem = "; ".join(
                part
                for part in (
                    f"unknown argument{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}" if unknown else "",
                    f"missing argument{'s' if len(missing) > 1 else ''} {', '.join(missing)}" if missing else "",
                )
                if part
            )
            raise ScenarioError(f"{self.name} arguments", MISSING, f"{problem}; allowed: {', '.join(allowed)}")
        return self.function(**args)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description of the analysis."""
        return {
            "name": self.name,
            "summary": self.summary,
            "description": self.description,
            "arguments": [a.to_dict() for a in self.arguments],
            "result": [r.to_dict() for r in self.result],
        }


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _section(doc: str, title: str) -> dict[str, str]:
    """``name: meaning`` entries of a Google-style docstring section, continuation lines joined."""
    lines = inspect.cleandoc(doc).splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == f"{title}:"), None)
    if start is None:
        return {}
    base = _indent(lines[start])
    entries: dict[str, str] = {}
    current: str | None = None
    entry_indent: int | None = None
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        depth = _indent(line)
        if depth <= base:
            break
        if entry_indent is None:
            entry_indent = depth
        match = re.match(r"(\w+): (.*)", line.strip())
        if depth == entry_indent and match:
            current = match.group(1)
            entries[current] = match.group(2).strip()
        elif current is not None:
            entries[current] += " " + line.strip()
    return entries


def _description(doc: str) -> str:
    """The docstring's paragraphs between the summary line and the first section (``Args:``),
    each joined into one line, separated by a blank line."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in inspect.cleandoc(doc).splitlines()[1:]:
        text = line.strip()
        if re.fullmatch(r"\w+:", text):
            break
        if text:
            current.append(text)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _type_text(hint: Any) -> str:
    """A result key's type in words: ``float``, ``int | null``, ``list[str]``, ``Result``."""
    if hint is type(None):
        return "null"
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_text(a) for a in typing.get_args(hint))
    if origin in (tuple, list):
        return f"list[{_type_text(typing.get_args(hint)[0])}]"
    return hint.__name__ if isinstance(hint, type) else str(hint)


def _kind(annotation: Any) -> tuple[str, str, tuple[str, ...] | None, bool]:
    """(type text, kind, choices, nullable) of an argument annotation."""
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(members) < len(typing.get_args(annotation))
        if len(members) == 1:
            annotation = members[0]
            origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        marker = next((e for e in extras if isinstance(e, Kind)), None)
        text, kind, choices, inner_null = _kind(base)
        if marker is not None:
            kind = marker.name
            text = {
                "scenario": "scenario",
                "hardware": "hardware block",
                "scaling_law": "scaling_law block",
                "hardware_options": '"paper" or a list of hardware blocks',
                "numbers": "list of numbers",
                "gpu": "GPU key",
            }.get(kind, text)
        return text, kind, choices, nullable or inner_null
    if origin is typing.Literal:
        choices = tuple(str(v) for v in typing.get_args(annotation))
        return " | ".join(choices), "choice", choices, nullable
    if isinstance(annotation, type) and annotation in _NUMBERS:
        return _NUMBERS[annotation], _NUMBERS[annotation], None, nullable
    return str(annotation), "text", None, nullable


def _result_keys(cls: Any) -> tuple[ResultKey, ...]:
    meanings = _section(cls.__doc__ or "", "Attributes")
    hints = typing.get_type_hints(cls)
    return tuple(
        ResultKey(f.name, _type_text(hints[f.name]), meanings.get(f.name, "")) for f in dataclasses.fields(cls)
    )


def analysis(name: str, function: Callable[..., AnalysisResult]) -> Analysis:
    """The registry entry of an analysis function, read from its signature and docstrings."""
    doc = function.__doc__ or ""
    meanings = _section(doc, "Args")
    hints = typing.get_type_hints(function, include_extras=True)
    arguments = []
    for parameter in inspect.signature(function).parameters.values():
        text, kind, choices, nullable = _kind(hints[parameter.name])
        required = parameter.default is inspect.Parameter.empty
        default = None if required else parameter.default
        arguments.append(
            Argument(
                name=parameter.name,
                type=text,
                kind=kind,
                choices=choices,
                default=list(default) if isinstance(default, tuple) else default,
                required=required,
                nullable=nullable,
                meaning=meanings.get(parameter.name, ""),
            )
        )
    return Analysis(
        name=name,
        summary=inspect.cleandoc(doc).splitlines()[0] if doc else "",
        description=_description(doc),
        function=function,
        arguments=tuple(arguments),
        result=_result_keys(hints["return"]),
    )


def describe(entries: Mapping[str, Analysis] | Sequence[Analysis]) -> list[dict[str, Any]]:
    """Every analysis as JSON-able data (``Analysis.to_dict``)."""
    values = entries.values() if isinstance(entries, Mapping) else entries
    return [entry.to_dict() for entry in values]
