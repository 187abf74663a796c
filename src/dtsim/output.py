"""Writing files: every writer is atomic, CSV is quoted, JSON is finite.

Atomic means a destination either keeps its old content or gets the complete new one, never a
part: the new content is written to a hidden temporary file (or folder) beside the
destination, then renamed over it. On an error, Ctrl-C (``KeyboardInterrupt``) or SIGTERM the
temporary file is removed and the destination is untouched. SIGTERM, which would otherwise kill
the process where it stands, raises ``Terminated`` (a ``SystemExit`` with status 143) for the
duration of a write, so that the clean-up runs; the previous handler is restored afterwards,
and a handler the host program installed itself is left alone. The final rename runs with
SIGINT and SIGTERM held back, so an interrupt lands before it or after it. Only SIGKILL or a
power cut can leave a temporary file (named ``.NAME.*.tmp``) behind, and then the destination
is still untouched.

- ``atomic_path(dest)``: a temporary path to write, renamed over ``dest`` when the block ends.
- ``atomic_write_text(dest, text)``.
- ``atomic_directory(dest)``: a staging folder to fill; when the block ends each of its entries
  replaces the entry of the same name in ``dest`` (a sub-folder as a whole), other entries of
  ``dest`` are kept. A missing ``dest`` appears complete, in one rename.
- ``ChunkWriter(path)``: a ``.csv`` or ``.parquet`` file written chunk by chunk, atomically.
- ``csv_text(columns)``: columns as quoted CSV (floats in shortest round-trip form).
- ``json_text(data, cause=...)``: JSON that is valid (no NaN or infinity: refused, naming the
  value and the input that caused it).

Bad destinations (a missing folder, a directory where a file goes, a path under a file, no
permission, a full disk) are a one-line ``ScenarioError`` naming the option.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

import numpy as np

from dtsim.errors import ScenarioError
from dtsim.numbers import refuse_non_finite

__all__ = [
    "ChunkWriter",
    "Terminated",
    "atomic_directory",
    "atomic_path",
    "atomic_write_text",
    "check_destination",
    "csv_text",
    "json_text",
    "terminate_raises",
    "write_csv_rows",
]


class Terminated(SystemExit):
    """SIGTERM during a write: exits with status 128 + 15 once the temporary files are removed
    (a ``SystemExit``, so no traceback and no ``except Exception`` swallows it)."""

    def __init__(self, signum: int = 15) -> None:
        super().__init__(128 + signum)
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def terminate_raises() -> Iterator[None]:
    """For the block: SIGTERM raises ``Terminated`` instead of killing the process, when it
    would have killed it (the default handler) and this is the main thread."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous != signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _uninterrupted() -> Iterator[None]:
    """For the block: SIGINT and SIGTERM are held back and re-delivered when it ends (Python
    runs signal handlers in the main thread, so holding them there works whichever thread the
    system picked to receive them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous: dict[int, Any] = {}
    for signum in (int(signal.SIGINT), int(signal.SIGTERM)):
        handler = signal.getsignal(signum)
        if handler is not None:  # None: a handler not installed from Python; left alone
            previous[signum] = handler
            signal.signal(signum, lambda received, frame: held.append(received))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if held:
            signal.raise_signal(held[0])


@functools.cache
def _umask() -> int:
    """The process umask (read once: reading it means setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _file_mode() -> int:
    """The mode ``open`` gives a new file; temporary files start at 0o600."""
    return 0o666 & ~_umask()


def _problem(exc: OSError) -> str:
    return f"cannot write: {exc.strerror or exc}"


def check_destination(dest: str | Path, *, field: str = "--out", directory: bool = False) -> Path:
    """``dest`` if a file (``directory``: a folder) can be written there: its folder exists and
    is a folder, and ``dest`` is not a folder (a file); else a one-line ``ScenarioError``."""
    dest = Path(dest)
    parent = dest.parent
    try:
        info = os.stat(dest)
    except FileNotFoundError:
        info = None
    except OSError as exc:  # a path under a file: ENOTDIR
        raise ScenarioError(field, str(dest), f"{_problem(exc)} (is a part of the path a file?)") from None
    if info is not None:
        if directory and not stat.S_ISDIR(info.st_mode):
            raise ScenarioError(field, str(dest), "is a file, not a folder")
        if not directory and stat.S_ISDIR(info.st_mode):
            raise ScenarioError(field, str(dest), "is a folder: give a file name")
        return dest
    if not directory:
        try:
            parent_info = os.stat(parent)
        except FileNotFoundError:
            raise ScenarioError(field, str(dest), f"the folder {str(parent)!r} does not exist") from None
        except OSError as exc:
            raise ScenarioError(field, str(dest), f"{_problem(exc)} (is a part of the path a file?)") from None
        if not stat.S_ISDIR(parent_info.st_mode):
            raise ScenarioError(field, str(dest), f"{str(parent)!r} is a file, not a folder")
    return dest


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()


@contextlib.contextmanager
def atomic_path(dest: str | Path, *, field: str = "--out") -> Iterator[Path]:
    """A temporary path beside ``dest`` to write; renamed over ``dest`` when the block ends
    without an error, removed otherwise (error, ``KeyboardInterrupt``, SIGTERM)."""
    dest = check_destination(dest, field=field)
    with terminate_raises():
        tmp: Path | None = None
        committed = False
        try:
            with _uninterrupted():  # the temporary file exists only once its name is known
                fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
                os.close(fd)
                tmp = Path(name)
            yield tmp
            with _uninterrupted():
                os.chmod(tmp, _file_mode())
                os.replace(tmp, dest)
                committed = True
        except OSError as exc:
            if tmp is not None and not committed:
                _remove(tmp)
            raise ScenarioError(field, str(dest), _problem(exc)) from None
        except BaseException:
            if tmp is not None and not committed:
                _remove(tmp)
            raise


def atomic_write_text(dest: str | Path, text: str, *, field: str = "--out") -> Path:
    """Write ``text`` (UTF-8) to ``dest`` atomically; returns ``dest``."""
    with atomic_path(dest, field=field) as tmp:
        tmp.write_text(text, "utf-8")
    return Path(dest)


@contextlib.contextmanager
def atomic_directory(dest: str | Path, *, field: str = "--out") -> Iterator[Path]:
    """A staging folder to fill; when the block ends without an error, each of its entries
    replaces the entry of the same name in ``dest`` (files renamed over, sub-folders swapped
    whole) and the other entries of ``dest`` are kept; a missing ``dest`` (and its missing
    parents) is created, ``dest`` itself appearing complete in one rename. On an error or an
    interrupt the staging folder is removed and ``dest`` is untouched."""
    dest = check_destination(dest, field=field, directory=True)
    existed = dest.is_dir()
    try:
        if not existed:
            dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(field, str(dest), f"{_problem(exc)} (is a part of the path a file?)") from None
    with terminate_raises():
        staging: Path | None = None
        try:
            with _uninterrupted():  # the staging folder exists only once its name is known
                staging = Path(
                    tempfile.mkdtemp(prefix=".staging-", dir=dest)
                    if existed
                    else tempfile.mkdtemp(prefix=f".{dest.name}.staging-", dir=dest.parent)
                )
            yield staging
            with _uninterrupted():
                if existed:
                    _move_entries(staging, dest, field)
                    staging.rmdir()
                else:
                    os.chmod(staging, 0o777 & ~_umask())  # as mkdir makes it; temporary folders start at 0o700
                    os.rename(staging, dest)
                staging = None
        except OSError as exc:
            if staging is not None:
                _remove(staging)
            raise ScenarioError(field, str(dest), _problem(exc)) from None
        except BaseException:
            if staging is not None:
                _remove(staging)
            raise


def _move_entries(staging: Path, dest: Path, field: str) -> None:
    """Move every entry of ``staging`` into ``dest``: checked first (a file may only replace a
    file, a folder a folder), then renamed."""
    entries = sorted(staging.iterdir())
    for entry in entries:
        target = dest / entry.name
        if target.exists() and entry.is_dir() != target.is_dir():
            kind = "a folder" if target.is_dir() else "a file"
            raise ScenarioError(
                field, str(target), f"is {kind}; the report writes a {'folder' if entry.is_dir() else 'file'} there"
            )
    for entry in entries:
        target = dest / entry.name
        if entry.is_dir() and target.is_dir():
            old = Path(tempfile.mkdtemp(prefix=f".{entry.name}.old-", dir=dest))
            os.rename(target, old / entry.name)
            os.rename(entry, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(entry, target)


# --------------------------------------------------------------------------------------------
# CSV and JSON


def _cell(value: Any) -> str:
    """One value as a CSV cell: floats in shortest round-trip form, null (None, NaN) empty,
    booleans ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return "" if value != value else repr(float(value))
    return str(value)


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _quoted(cell: str) -> str:
    """A CSV cell quoted as ``csv.QUOTE_MINIMAL`` does: only when it holds a comma, a quote or a
    line break (quotes doubled)."""
    return '"' + cell.replace('"', '""') + '"' if _NEEDS_QUOTES.search(cell) else cell


def _cells(values: np.ndarray) -> list[str]:
    """A column as CSV cells (``_cell`` of each value, quoted where needed), vectorised by
    dtype: a broadcast column is formatted once, numbers never need quotes."""
    values = np.asarray(values)
    n = len(values)
    if n > 1 and values.ndim == 1 and values.strides[0] == 0:  # one broadcast value
        return _cells(values[:1]) * n
    kind = values.dtype.kind
    if kind == "f":
        return _float_cells(np.ascontiguousarray(values, dtype=float))
    if kind == "b":
        return ["true" if v else "false" for v in values.tolist()]
    if kind in "iu":
        return list(map(str, values.tolist()))
    return [_quoted(_cell(v)) for v in values.tolist()]


#: Columns longer than this are checked for repeated values before formatting.
_REPEAT_CHECK = 1024


def _float_cells(values: np.ndarray) -> list[str]:
    """Floats in shortest round-trip form (``repr``), NaN empty. A column of few distinct values
    (a grid axis, a cost by node count) formats each distinct value once: values are told apart
    by their bits, so ``-0.0`` and ``0.0`` stay distinct."""
    n = len(values)
    bits = values.view(np.uint64)
    if n > _REPEAT_CHECK:
        sample = bits[:: n // 256]
        if len(np.unique(sample)) < len(sample):  # repeats: sorting costs less than formatting
            distinct, inverse = np.unique(bits, return_inverse=True)
            texts = ["" if v != v else repr(v) for v in distinct.view(np.float64).tolist()]
            return list(map(texts.__getitem__, inverse.tolist()))
    cells = list(map(float.__repr__, values.tolist()))
    for i in np.flatnonzero(np.isnan(values)).tolist():
        cells[i] = ""
    return cells


def csv_text(columns: Mapping[str, np.ndarray], *, header: bool = True) -> str:
    """Equal-length columns as CSV text (``\\n`` line ends, minimal quoting: a value holding a
    comma, a quote or a line break is quoted, so every value round-trips; floats in shortest
    round-trip form, so every float64 reads back exactly)."""
    lines = [",".join(_quoted(str(key)) for key in columns)] if header else []
    cells = [_cells(np.asarray(values)) for values in columns.values()]
    if len(cells) == 1:  # a lone empty cell must be quoted, or the row reads as a blank line
        lines += [cell or '""' for cell in cells[0]]
    elif cells:
        lines += map(",".join, zip(*cells, strict=True))
    return "\n".join(lines) + "\n" if lines else ""


def json_text(data: Any, *, cause: str, indent: int | None = 1) -> str:
    """``data`` as JSON, refusing (``InfeasibleError`` naming the value's path and ``cause``)
    any NaN or infinity, so the text is always valid JSON."""
    refuse_non_finite(data, cause=cause)
    return json.dumps(data, indent=indent, allow_nan=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


# --------------------------------------------------------------------------------------------
# Chunked result files


class ChunkWriter:
    """Columns appended chunk by chunk to a ``.csv`` or ``.parquet`` file, atomically: the file
    appears at ``path`` complete when the ``with`` block ends, or not at all (an error, Ctrl-C
    or SIGTERM removes the partial temporary file). CSV: a header from the first chunk, minimal
    quoting. Parquet (pyarrow): the schema from the first chunk; float columns are not
    dictionary-encoded (their values rarely repeat)."""

    def __init__(self, path: str | Path, *, field: str = "--out"):
        self.path = Path(path)
        self.field = field
        self.kind = self.path.suffix.lower()
        if self.kind not in (".csv", ".parquet"):
            raise ScenarioError(field, str(path), "allowed file types: .csv, .parquet")
        self._pa: Any = None
        if self.kind == ".parquet":
            try:
                import pyarrow as pa
                import pyarrow.parquet
            except ImportError:
                raise ScenarioError(
                    field, str(path), "Parquet output needs pyarrow (pip install pyarrow); or write .csv"
                ) from None
            self._pa = pa
        check_destination(self.path, field=field)
        self._stack: contextlib.ExitStack | None = None
        self._tmp: Path | None = None
        self._csv: IO[str] | None = None
        self._parquet: Any = None

    def __enter__(self) -> ChunkWriter:
        stack = contextlib.ExitStack()
        self._tmp = stack.enter_context(atomic_path(self.path, field=self.field))
        self._stack = stack
        return self

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        """Append one chunk of equal-length columns."""
        if self._tmp is None:
            raise RuntimeError("ChunkWriter.write outside its `with` block")
        if self.kind == ".csv":
            first = self._csv is None
            if self._csv is None:
                self._csv = self._tmp.open("w", encoding="utf-8", newline="")
            self._csv.write(csv_text(columns, header=first))
            return
        pa = self._pa
        table = pa.table({k: np.asarray(v) for k, v in columns.items()})
        if self._parquet is None:
            plain = [f.name for f in table.schema if not pa.types.is_floating(f.type)]
            self._parquet = pa.parquet.ParquetWriter(str(self._tmp), table.schema, use_dictionary=plain)
        self._parquet.write_table(table)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        stack, self._stack = self._stack, None
        handles = [h for h in (self._csv, self._parquet) if h is not None]
        self._csv = self._parquet = self._tmp = None
        if stack is None:
            return
        try:
            for handle in handles:
                try:
                    handle.close()  # flushes the last bytes: may meet a full disk
                except OSError as exc:
                    if error is None:
                        kind, error, trace = type(exc), exc, exc.__traceback__
        except BaseException as exc:  # interrupted while closing
            stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if error is None:
            stack.close()
        else:
            stack.__exit__(kind, error, trace)  # removes the temporary file; an OSError becomes one line


def write_csv_rows(stream: IO[str], rows: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> None:
    """Records streamed as CSV, one row at a time (header ``keys``; same cells as ``csv_text``)."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(keys)
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key in keys])
