"""Writing result columns to files chunk by chunk: CSV always, Parquet with pyarrow."""

from __future__ import annotations

import math
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np

from dtsim.errors import ScenarioError

__all__ = ["ChunkWriter"]


def _text(values: np.ndarray) -> np.ndarray:
    """A column as CSV text: numbers in shortest round-trip form, nulls empty."""
    if values.dtype.kind == "f":
        text = values.astype(str)
        text[np.isnan(values)] = ""
        return text
    if values.dtype.kind == "b":
        return np.where(values, "true", "false")
    if values.dtype.kind == "O":
        return np.array(["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values])
    return values.astype(str)


class ChunkWriter:
    """Append column chunks to a ``.csv`` or ``.parquet`` file (header / schema from the first)."""

    def __init__(self, path: Path):
        self.path = path
        self.kind = path.suffix.lower()
        if self.kind not in (".csv", ".parquet"):
            raise ScenarioError("--out", str(path), "allowed file types: .csv, .parquet")
        self._csv: IO[str] | None = None
        self._parquet: Any = None
        self._pa: Any = None
        if self.kind == ".parquet":
            try:
                import pyarrow as pa
                import pyarrow.parquet
            except ImportError:
                raise ScenarioError(
                    "--out", str(path), "Parquet output needs pyarrow (pip install pyarrow); or write .csv"
                ) from None
            self._pa = pa

    def __enter__(self) -> ChunkWriter:
        return self

    def write(self, columns: dict[str, np.ndarray]) -> None:
        """Append one chunk of equal-length columns."""
        if self.kind == ".csv":
            if self._csv is None:
                self._csv = self.path.open("w", encoding="utf-8", newline="")
                self._csv.write(",".join(columns) + "\n")
            texts = [_text(np.asarray(v)) for v in columns.values()]
            rows = texts[0].astype(object)
            for text in texts[1:]:
                rows = rows + "," + text.astype(object)
            self._csv.write("\n".join(rows.tolist()) + "\n")
            return
        pa = self._pa
        table = pa.table({k: (v.astype(str) if v.dtype.kind == "U" else v) for k, v in columns.items()})
        if self._parquet is None:
            self._parquet = pa.parquet.ParquetWriter(str(self.path), table.schema)
        self._parquet.write_table(table)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._csv is not None:
            self._csv.close()
        if self._parquet is not None:
            self._parquet.close()
