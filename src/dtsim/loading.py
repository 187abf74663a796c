"""Reading every file dtsim reads, safely: scenario files, audit plans, population
configurations and data, report table specs, analysis arguments (``--args @file``).

One promise for all of them: whatever the file holds, reading it either returns plain data
(dicts, lists, str, int, float, bool, None) or raises a one-line ``ScenarioError`` naming the
file and, where it can, the key and the line. Never a hang, a traceback or unbounded memory.

- **Files.** Regular files only, whatever a path or symlink points to (a FIFO, a device such as
  ``/dev/zero``, a directory are refused; a FIFO is opened non-blocking, so it cannot hang).
  Reads are bounded: at most ``limit_bytes + 1`` bytes are read, then the file is refused.
  Text is UTF-8 (a leading byte-order mark is dropped).
- **YAML.** Safe loading (no Python objects; only the tags of the core schema) with limits
  enforced *while composing*: the composer counts nodes, with every alias counted at its full
  expanded size, and nesting depth, and stops at the first node past a limit, so a 20 MB list or
  an alias-expansion bomb is refused in a fraction of a second. Recursive aliases are refused.
  Duplicate keys are refused (naming the key and both lines).
- **YAML 1.2 numbers.** Plain scalars follow the YAML 1.2 core schema: ``240e9`` and ``1e25``
  are floats; ``0o17`` and ``0x1F`` are integers; ``true``/``false`` are booleans and ``null``/``~``
  null. Forms that YAML 1.1 tools read differently are *refused*, with a message saying how to
  write them, rather than read one way or the other: sexagesimal ``1:30`` (90 in YAML 1.1),
  leading-zero ``017`` (octal 15 in YAML 1.1), ``0b101``, and ``yes``/``no``/``on``/``off``
  (booleans in YAML 1.1). Quoted, they are text. Underscores between digits (``1_000``) are
  accepted. ``.nan`` and ``.inf`` are refused, and so are numbers beyond the float range
  (``1e400``, a 401-digit integer): dtsim's inputs are finite floats.
- **JSON and JSON lines.** ``NaN``/``Infinity`` refused, duplicate keys refused, integers and
  floats beyond the float range refused, nesting depth limited (never a ``RecursionError``).
- **Documents.** A ``.jsonl`` file, or a YAML/JSON list, holds at most ``MAX_DOCUMENTS``
  documents, counted while reading (line by line for ``.jsonl``).
- **CSV.** The same file rule, a byte limit, a row limit and a field-size limit, each refused
  with a message naming the line.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dtsim.errors import MISSING, ScenarioError

__all__ = [
    "MAX_CSV_BYTES",
    "MAX_CSV_FIELD",
    "MAX_CSV_ROWS",
    "MAX_DEPTH",
    "MAX_DOCUMENTS",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "SUFFIXES",
    "load_documents",
    "load_yaml_text",
    "parse_documents",
    "parse_json_text",
    "parse_value",
    "read_bytes",
    "read_csv_rows",
    "read_text",
]

#: Largest scenario, plan or configuration file read, bytes: hand-written files are small.
MAX_FILE_BYTES = 20_000_000
#: Largest YAML document, in nodes with every alias counted at its expanded size: anchors that
#: share a base are fine, an alias-expansion bomb ("billion laughs") is refused.
MAX_NODES = 200_000
#: Deepest nesting of a document (a scenario nests 4 levels; a list of them 5).
MAX_DEPTH = 64
#: Most documents in one file (lines of ``.jsonl``, items of a YAML or JSON list).
MAX_DOCUMENTS = 100_000
#: Largest CSV file, rows and field (characters) read.
MAX_CSV_BYTES = 64 * 1024 * 1024
MAX_CSV_ROWS = 1_000_000
MAX_CSV_FIELD = 128 * 1024
#: File types ``parse_documents`` reads.
SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")

#: Integers with more digits than this are beyond the float range (about 1.8e308) anyway; they
#: are refused before Python converts them (which is slow, and refused past 4,300 digits).
_MAX_INT_DIGITS = 310


# --------------------------------------------------------------------------------------------
# Files


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_bytes(path: str | Path, *, limit_bytes: int = MAX_FILE_BYTES, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit_bytes`` bytes.

    The path may be a symlink; what it points to must be a regular file. FIFOs are opened
    non-blocking (never waiting for a writer) and refused, like devices and directories. At
    most ``limit_bytes + 1`` bytes are read whatever the file claims its size to be.
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ScenarioError(what, str(path), f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(what, str(path), f"cannot read: {_file_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit_bytes:
            raise ScenarioError(what, str(path), f"file is {info.st_size:,} bytes; the limit is {limit_bytes:,}")
        chunks: list[bytes] = []
        size = 0
        while size <= limit_bytes:
            chunk = os.read(fd, min(1 << 20, limit_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit_bytes:
            raise ScenarioError(what, str(path), f"file is over {limit_bytes:,} bytes, the limit")
        return b"".join(chunks)
    except OSError as exc:
        raise ScenarioError(what, str(path), f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_text(path: str | Path, *, limit_bytes: int = MAX_FILE_BYTES, what: str = "file") -> str:
    """The UTF-8 text of a regular file of at most ``limit_bytes`` bytes (see ``read_bytes``);
    a leading byte-order mark is dropped."""
    data = read_bytes(path, limit_bytes=limit_bytes, what=what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(what, str(path), f"not UTF-8 text (byte {exc.start})") from None


# --------------------------------------------------------------------------------------------
# Numbers of YAML and JSON documents


def _int_problem(text: str) -> str | None:
    """Why an integer literal is refused (None: it is fine)."""
    digits = len(text.lstrip("+-"))
    if digits > _MAX_INT_DIGITS:
        return f"a {digits:,}-digit integer is beyond the float range (about 1.8e308)"
    try:
        float(_yaml_int(text))
    except OverflowError:
        return "integer beyond the float range (about 1.8e308)"
    return None


def _float_problem(value: float) -> str | None:
    if math.isnan(value) or math.isinf(value):
        return "number beyond the float range (about 1.8e308)"
    return None


def _refuse_nan(name: str) -> Any:
    raise ScenarioError("", name, "NaN and infinities are not allowed")


def _json_int(text: str) -> int:
    problem = _int_problem(text)
    if problem:
        raise ScenarioError("", _cut(text), problem)
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    problem = _float_problem(value)
    if problem:
        raise ScenarioError("", _cut(text), problem)
    return value


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ScenarioError(key, MISSING, "duplicate key: give each key once")
        out[key] = value
    return out


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_depth(data: Any, source: str) -> None:
    """Refuse data nested deeper than ``MAX_DEPTH`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= MAX_DEPTH and children:
            raise ScenarioError("", f"depth {depth + 1}", f"nesting deeper than {MAX_DEPTH} levels", source=source)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def parse_json_text(text: str, source: str = "<text>") -> Any:
    """One JSON document: no NaN or infinities, no duplicate keys, numbers within the float
    range, nesting at most ``MAX_DEPTH`` deep."""
    try:
        data = json.loads(
            text,
            parse_constant=_refuse_nan,
            parse_int=_json_int,
            parse_float=_json_float,
            object_pairs_hook=_json_object,
        )
    except json.JSONDecodeError as exc:
        raise ScenarioError("", source, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ScenarioError("", source, f"not valid JSON: nesting deeper than {MAX_DEPTH} levels") from None
    except ScenarioError as exc:
        raise exc.at(source) from None
    _check_depth(data, source)
    return data


# --------------------------------------------------------------------------------------------
# YAML: the YAML 1.2 core schema, limits enforced while composing

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
#: Plain scalars refused because YAML 1.1 and 1.2 read them differently: the tag carries why.
_REFUSED = "tag:dtsim,refused:"

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_YAML11_BOOLS = frozenset({"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"})
_DECIMAL = re.compile(r"[-+]?[0-9][0-9_]*\Z")
_HEX = re.compile(r"0x[0-9a-fA-F_]+\Z")
_OCTAL = re.compile(r"0o[0-7_]+\Z")
_FLOAT_TEXT = re.compile(r"[-+]?(?:\.[0-9][0-9_]*|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_NON_FINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z|\.(?:nan|NaN|NAN)\Z")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
_BINARY = re.compile(r"[-+]?0b[0-1_]+\Z")

_WHY = {
    "bool": "YAML 1.1 reads this as a boolean and YAML 1.2 as text: write true or false, or quote it for text",
    "sexagesimal": "YAML 1.1 reads this as a base-60 number (1:30 = 90): write the number, or quote it for text",
    "octal": "YAML 1.1 reads a leading zero as octal (017 = 15): drop the zero, write 0o17 for octal, "
    "or quote it for text",
    "binary": "YAML 1.1 reads this as a binary number and YAML 1.2 as text: write the number, or quote it",
    "nonfinite": "NaN and infinities are not allowed",
}


def _plain_tag(value: str) -> str:
    """The tag of a plain (unquoted) scalar under the YAML 1.2 core schema, or a refusal."""
    if value in _NULLS:
        return _NULL
    if value in _BOOLS:
        return _BOOL
    if value == "<<":
        return _MERGE
    first = value[0]
    if first in _YAML11_BOOLS_FIRST and value in _YAML11_BOOLS:
        return _REFUSED + "bool"
    if first not in "+-.0123456789":
        return _STR
    if _NON_FINITE.match(value):
        return _REFUSED + "nonfinite"
    if _DECIMAL.match(value):
        unsigned = value.lstrip("+-")
        return _REFUSED + "octal" if len(unsigned) > 1 and unsigned[0] == "0" else _INT
    if _HEX.match(value) or _OCTAL.match(value):
        return _INT
    if _BINARY.match(value):
        return _REFUSED + "binary"
    if _SEXAGESIMAL.match(value):
        return _REFUSED + "sexagesimal"
    if _FLOAT_TEXT.match(value):
        return _FLOAT
    return _STR


_YAML11_BOOLS_FIRST = frozenset(word[0] for word in _YAML11_BOOLS)


def _yaml_int(text: str) -> int:
    """An integer literal of the core schema (decimal, ``0o`` octal, ``0x`` hexadecimal)."""
    text = text.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if text.startswith("0o"):
        return sign * int(text[2:], 8)
    if text.startswith("0x"):
        return sign * int(text[2:], 16)
    return sign * int(text)


def _scalar_problem(tag: str, value: str) -> str | None:
    """Why a scalar of an int, float or bool tag (implicit or explicit) is refused."""
    if tag.startswith(_REFUSED):
        return _WHY[tag.removeprefix(_REFUSED)]
    if tag == _INT:
        if not (_DECIMAL.match(value) or _HEX.match(value) or _OCTAL.match(value)):
            return "not an integer"
        return _int_problem(value)
    if tag == _FLOAT:
        if _NON_FINITE.match(value):
            return _WHY["nonfinite"]
        if not (_FLOAT_TEXT.match(value) or _DECIMAL.match(value)):
            return "not a number"
        return _float_problem(float(value.replace("_", "")))
    if tag == _BOOL and value not in _BOOLS:
        return _WHY["bool"] if value in _YAML11_BOOLS else "not a boolean (true or false)"
    return None


try:  # libyaml's parser when PyYAML was built with it (several times faster); the composer is ours.
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


class _Loader(SafeConstructor):
    """The parser's events composed into nodes by this class, which counts nodes (aliases at
    their expanded size), depth and top-level documents as it goes and stops at the first
    node past a limit; scalars are typed by the YAML 1.2 core schema and checked as they are
    composed; mappings are checked for duplicate keys as they are constructed."""

    def __init__(self, text: str, source: str) -> None:
        self.parser = _Parser(text)
        SafeConstructor.__init__(self)
        self.source = source
        self.anchors: dict[str, Node] = {}
        self.sizes: dict[int, int] = {}  # expanded size of every composed collection
        self.paths: dict[int, str] = {}  # dotted key path of every mapping, for messages
        self.path: list[str] = []
        self.nodes = 0
        self.depth = 0
        self.documents = 0

    # The parser's event interface, as the constructor expects of a loader.
    def check_event(self, *choices: type) -> bool:
        return bool(self.parser.check_event(*choices))

    def get_event(self) -> Any:
        return self.parser.get_event()

    def peek_event(self) -> Any:
        return self.parser.peek_event()

    def dispose(self) -> None:
        self.parser.dispose()

    # ---- refusals
    def _refuse(self, value: Any, allowed: str, mark: Any) -> None:
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ScenarioError(".".join(self.path), value, allowed + where, source=self.source)

    def _count(self, size: int, mark: Any) -> None:
        self.nodes += size
        if self.nodes > MAX_NODES:
            self.path = []
            self._refuse(f"{self.nodes:,}+ nodes", f"the document is too large (limit {MAX_NODES:,} nodes)", mark)

    # ---- composing
    def get_single_node(self) -> Node | None:
        self.get_event()  # stream start
        document = None
        if not self.check_event(StreamEndEvent):
            self.get_event()  # document start
            document = self.compose_node(None)
            self.get_event()  # document end
        if not self.check_event(StreamEndEvent):
            event = self.get_event()
            raise yaml.composer.ComposerError(
                "expected a single document in the stream", None, "but found another document", event.start_mark
            )
        self.get_event()  # stream end
        return document

    def compose_node(self, parent: Node | None) -> Node:
        if self.depth == 1 and isinstance(parent, SequenceNode):
            self.documents += 1
            if self.documents > MAX_DOCUMENTS:
                self.path = []
                self._refuse(f"{self.documents:,}+ documents", f"a file holds at most {MAX_DOCUMENTS:,}", None)
        if self.check_event(AliasEvent):
            event = self.get_event()
            if event.anchor not in self.anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
            target = self.anchors[event.anchor]
            if id(target) not in self.sizes and not isinstance(target, ScalarNode):
                self._refuse(
                    f"*{event.anchor}", "an alias inside its own anchor (a recursive structure)", event.start_mark
                )
            self._count(self.sizes.get(id(target), 1), event.start_mark)
            return target
        event = self.peek_event()
        if event.anchor is not None and event.anchor in self.anchors:
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {event.anchor!r}; first occurrence",
                self.anchors[event.anchor].start_mark,
                "second occurrence",
                event.start_mark,
            )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self._refuse(f"depth {self.depth}", f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        before = self.nodes
        self._count(1, event.start_mark)
        if self.check_event(ScalarEvent):
            node: Node = self.compose_scalar_node(event.anchor)
        elif self.check_event(SequenceStartEvent):
            node = self.compose_sequence_node(event.anchor)
        else:
            assert self.check_event(MappingStartEvent)
            node = self.compose_mapping_node(event.anchor)
        self.depth -= 1
        if not isinstance(node, ScalarNode):
            self.sizes[id(node)] = self.nodes - before
        return node

    def compose_scalar_node(self, anchor: str | None) -> Node:
        event = self.get_event()
        tag = event.tag
        if tag is None or tag == "!":
            tag = _plain_tag(event.value) if event.implicit[0] else _STR
        problem = _scalar_problem(tag, event.value)
        if problem is not None:
            self._refuse(_cut(event.value), problem, event.start_mark)
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        if anchor is not None:
            self.anchors[anchor] = node
        return node

    def compose_sequence_node(self, anchor: str | None) -> Node:
        start = self.get_event()
        tag = _SEQ if start.tag in (None, "!") else start.tag
        node = SequenceNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        index = 0
        while not self.check_event(SequenceEndEvent):
            self.path.append(str(index))
            node.value.append(self.compose_node(node))
            self.path.pop()
            index += 1
        node.end_mark = self.get_event().end_mark
        return node

    def compose_mapping_node(self, anchor: str | None) -> Node:
        start = self.get_event()
        tag = _MAP if start.tag in (None, "!") else start.tag
        node = MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        self.paths[id(node)] = ".".join(self.path)
        if anchor is not None:
            self.anchors[anchor] = node
        while not self.check_event(MappingEndEvent):
            key = self.compose_node(node)
            self.path.append(_cut(key.value, 80) if isinstance(key, ScalarNode) else "?")
            value = self.compose_node(node)
            self.path.pop()
            node.value.append((key, value))
        node.end_mark = self.get_event().end_mark
        return node

    # ---- constructing
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # unhashable: refused by the base constructor
                    continue
                if first is not key_node:
                    parent = self.paths.get(id(node), "")
                    field = f"{parent}.{key}" if parent else str(key)
                    raise ScenarioError(
                        _cut(field, 120),
                        MISSING,
                        f"duplicate key (lines {first.start_mark.line + 1} and {key_node.start_mark.line + 1}): "
                        "give each key once",
                        source=self.source,
                    )
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: ScalarNode) -> int:
        return _yaml_int(str(self.construct_scalar(node)))

    def construct_yaml_float(self, node: ScalarNode) -> float:
        return float(str(self.construct_scalar(node)).replace("_", ""))

    def construct_yaml_bool(self, node: ScalarNode) -> bool:
        return _BOOLS[str(self.construct_scalar(node))]


# Only the core schema's types come out: no timestamps, binary, sets or ordered maps (their tags
# are refused as unknown), never Python objects.
_Loader.yaml_constructors = {
    _NULL: SafeConstructor.construct_yaml_null,
    _BOOL: _Loader.construct_yaml_bool,
    _INT: _Loader.construct_yaml_int,
    _FLOAT: _Loader.construct_yaml_float,
    _STR: SafeConstructor.construct_yaml_str,
    _SEQ: SafeConstructor.construct_yaml_seq,
    _MAP: SafeConstructor.construct_yaml_map,
    None: SafeConstructor.construct_undefined,
}


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line: what the YAML parser found wrong, and where."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).strip().splitlines() or ["unreadable"])[0]
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else str(problem)


def _load_yaml(text: str, source: str) -> Any:
    """One YAML document; a syntax error is raised as ``yaml.YAMLError``."""
    loader = None
    collecting = gc.isenabled()
    gc.disable()  # composing allocates many objects and no cycles: collections would only cost time
    try:
        loader = _Loader(text, source)
        return loader.get_single_data()
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise ScenarioError("", source, f"not valid YAML: nesting deeper than {MAX_DEPTH} levels") from None
    finally:
        if collecting:
            gc.enable()
        if loader is not None:
            loader.dispose()


def load_yaml_text(text: str, source: str = "<text>") -> Any:
    """One YAML document as plain data (see the module docstring for the rules)."""
    try:
        return _load_yaml(text, source)
    except yaml.YAMLError as exc:
        raise ScenarioError("", source, f"not valid YAML: {_yaml_problem(exc)}") from None


def parse_value(text: str, source: str = "--set") -> Any:
    """A command-line value (``--set KEY=VALUE``, ``--vary PATH=V1,V2``) read as YAML by the same
    rules (``25`` → 25, ``1e9`` → 1e9, ``{1: 1.0}`` → a table); text that is not valid YAML is
    the text itself, but a refused form (``1:30``, ``.nan``, ``1e400``, a duplicate key) is
    still refused, naming ``source``."""
    try:
        return _load_yaml(text, source)
    except yaml.YAMLError:
        return text


# --------------------------------------------------------------------------------------------
# Documents


def _check_count(docs: list[Any], source: str) -> None:
    if len(docs) > MAX_DOCUMENTS:
        raise ScenarioError("", f"{len(docs):,} documents", f"a file holds at most {MAX_DOCUMENTS:,}", source=source)


def _json_lines(text: str, source: str) -> list[tuple[str, Any]]:
    docs: list[tuple[str, Any]] = []
    for number, line in enumerate(io.StringIO(text, newline="\n"), start=1):
        if not line.strip():
            continue
        if len(docs) == MAX_DOCUMENTS:
            raise ScenarioError(
                "", f"line {number:,}", f"a .jsonl file holds at most {MAX_DOCUMENTS:,} documents", source=source
            )
        docs.append((f"{source}[{len(docs)}]", parse_json_text(line, f"{source}, line {number}")))
    return docs


def parse_documents(text: str, suffix: str, source: str = "<text>") -> list[tuple[str, Any]]:
    """Parse the text of a file type (``.yaml``, ``.yml``, ``.json``, ``.jsonl``) into raw
    documents with source labels: ``source`` for a file holding one mapping, ``source[i]`` for
    the items of a list or the lines of ``.jsonl``. Every failure is a ``ScenarioError``."""
    if suffix == ".jsonl":
        return _json_lines(text, source)
    if suffix == ".json":
        data = parse_json_text(text, source)
    elif suffix in (".yaml", ".yml"):
        data = load_yaml_text(text, source)
    else:
        raise ScenarioError("", source, f"unknown file type; allowed: {', '.join(SUFFIXES)}")
    if isinstance(data, list):
        _check_count(data, source)
        return [(f"{source}[{i}]", doc) for i, doc in enumerate(data)]
    return [(source, data)]


def load_documents(
    path: str | Path, *, what: str = "scenario file", limit_bytes: int = MAX_FILE_BYTES
) -> list[tuple[str, Any]]:
    """Read the raw documents of a YAML, JSON or JSON-lines file, each with its source label
    (``file`` or ``file[i]``). A YAML/JSON file holds one mapping or a list of them."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ScenarioError("", str(path), f"unknown file type; allowed: {', '.join(SUFFIXES)}")
    return parse_documents(read_text(path, limit_bytes=limit_bytes, what=what), suffix, str(path))


# --------------------------------------------------------------------------------------------
# CSV


def read_csv_rows(
    path: str | Path,
    *,
    what: str = "CSV file",
    limit_bytes: int = MAX_CSV_BYTES,
    max_rows: int = MAX_CSV_ROWS,
    max_field: int = MAX_CSV_FIELD,
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the rows (each with its line number) of a UTF-8 CSV file. The file is
    read whole within ``limit_bytes``; rows are parsed lazily. More than ``max_rows`` rows, a
    field longer than ``max_field`` characters or malformed CSV raise ``ScenarioError``
    naming the line."""
    text = read_text(path, limit_bytes=limit_bytes, what=what)
    reader = csv.reader(io.StringIO(text, newline=""))
    label = str(path)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for row in reader:
                if any(len(field) > max_field for field in row):
                    raise ScenarioError(
                        what, label, f"line {reader.line_num:,}: a field is longer than {max_field:,} characters"
                    )
                yield reader.line_num, row
        except csv.Error as exc:
            message = str(exc)
            if "field larger than field limit" in message:
                message = f"a field is longer than {csv.field_size_limit():,} characters"
            raise ScenarioError(what, label, f"line {reader.line_num:,}: not valid CSV: {message}") from None

    stream = rows()
    header = next(stream, (0, []))[1]

    def numbered() -> Iterator[tuple[int, list[str]]]:
        for count, (line, row) in enumerate(stream, start=1):
            if count > max_rows:
                raise ScenarioError(what, label, f"more than {max_rows:,} rows (line {line:,})")
            yield line, row

    return header, numbered()
