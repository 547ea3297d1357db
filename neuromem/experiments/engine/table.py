"""The one typed table codec: rows of ``int``, ``float``, ``bool``, ``str`` and missing
values written as CSV, read back as a :class:`pandas.DataFrame` (or as typed rows).

Floats are written with ``repr`` (they read back bit for bit), NaN as ``nan``, ``None``
as an empty field, booleans as ``True``/``False``; a text with a line break is quoted
(one record over several lines) and reads back as written. A table read with a schema (``{column:
type}``) gets exactly those columns and types; without one, each column's type is the
narrowest of int, float, bool and str that parses every value of it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ValidationError, described
from ...io import atomic_write

__all__ = [
    "SYNC_INTERVAL",
    "Appender",
    "column_types",
    "format_value",
    "line",
    "parse_value",
    "read_frame",
    "read_rows",
    "write_table",
]

Schema = Mapping[str, type]
#: Seconds between fsyncs of an :class:`Appender`'s lines (each is flushed at once).
SYNC_INTERVAL = 1.0


def format_value(value: Any) -> str:
    """One CSV field: ``repr`` of a float (``nan`` for NaN), empty for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        # float() first: the repr of np.float64 (a float) names its type.
        return "nan" if math.isnan(value) else repr(float(value))
    return str(value)


def parse_value(text: str, kind: type | None = None) -> Any:
    """A field back to its value: ``kind`` given, that type (an empty field is None
    for int/bool, NaN for float and "" for str); else the narrowest type that parses
    (an empty field is None)."""
    if kind is str:
        return text
    if kind is bool:
        if text in ("True", "False"):
            return text == "True"
        if text == "":
            return None
        raise ValueError(f"not a bool: {text!r}")
    if kind is float:
        return math.nan if text == "" else float(text)
    if kind is int:
        return None if text == "" else int(text)
    if text == "":
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text in ("True", "False"):
        return text == "True"
    return text


def line(row: Mapping[str, Any], columns: Iterable[str]) -> str:
    """The CSV record (ending in a newline) of ``row`` in the order of ``columns``."""
    buf = io.StringIO()
    # The writer quotes the characters of its line terminator: "\r\n" makes it quote
    # a field holding either, so a lone "\r" is not read as the end of a record.
    csv.writer(buf, lineterminator="\r\n").writerow([format_value(row[c]) for c in columns])
    return buf.getvalue()[:-2] + "\n"


def write_table(
    path: str | os.PathLike,
    rows: list[Mapping[str, Any]],
    columns: Iterable[str] | None = None,
) -> Path:
    """Write ``rows`` atomically (columns: ``columns``, or the first row's keys)."""
    path = Path(path)
    cols = list(columns) if columns is not None else (list(rows[0]) if rows else ["error"])
    with atomic_write(path, "w") as fh:
        fh.write(line(dict(zip(cols, cols, strict=True)), cols))
        for row in rows:
            fh.write(line(row, cols))
    return path


def _infer(values: list[str]) -> type:
    for kind in (int, float, bool):
        try:
            for v in values:
                if v != "" or kind is bool:
                    parse_value(v, kind)
            return kind
        except ValueError:
            continue
    return str


def _record_end(lines: list[bytes], start: int) -> int:
    """The last line of the record that begins at ``lines[start]``: a text field with
    a line break is quoted, so a record ends at the first line where its quotes
    balance (or at the end of the file, where an unclosed record does not parse)."""
    odd = False
    for j in range(start, len(lines)):
        odd ^= lines[j].count(b'"') % 2 == 1
        if not odd:
            return j
    return len(lines) - 1


def _fields(raw: bytes) -> list[str]:
    """The fields of one CSV record (which may span lines)."""
    records = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True))
    if len(records) != 1:
        raise ValueError(f"{len(records)} records where one was expected")
    return records[0]


def read_rows(
    path: str | os.PathLike,
    schema: Schema | None = None,
    *,
    strict: bool = True,
    text_columns: Iterable[str] = ("error",),
) -> tuple[list[dict[str, Any]], bool]:
    """Typed rows of a table, and whether a damaged line was dropped.

    The file is read as bytes, record by record: a record is one line, or several
    where a quoted text field holds a line break. ``strict``: a record that is not
    UTF-8, does not parse or has the wrong number of fields is a
    :class:`ValidationError` naming its first line; otherwise that line is dropped (a
    line torn by a kill, garbage appended) and the second value is True. ``text_columns`` stay strings when types are inferred.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            "results",
            described(f"{str(path)!r}, unreadable ({exc.strerror})"),
            "a readable table",
        ) from None
    damaged = bool(data) and not data.endswith(b"\n")
    if damaged and not strict:  # a write cut short: the last line is incomplete
        data = data[: data.rfind(b"\n") + 1]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        return [], damaged
    try:
        header = next(csv.reader([lines[0].decode("utf-8")]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        header = None
    if not header or (schema is not None and header != list(schema)):
        raise ValidationError(
            "results",
            described(f"{str(path)!r} with columns {str(header)[:200]}"),
            "a table written by this version of neuromem"
            + (f" (columns {', '.join(schema)})" if schema is not None else ""),
        )
    fields_list = []
    i = 1
    while i < len(lines):
        end = _record_end(lines, i)
        try:
            fields = _fields(b"\n".join(lines[i : end + 1]))
            if len(fields) != len(header):
                raise ValueError(
                    f"the wrong length: {len(fields)} fields for {len(header)} columns"
                )
            if schema is not None:
                [parse_value(f, schema[c]) for c, f in zip(header, fields, strict=True)]
            fields_list.append(fields)
            i = end + 1
        except (ValueError, csv.Error) as exc:
            if strict:
                raise ValidationError(
                    "results",
                    described(f"{str(path)!r}, whose line {i + 1} does not parse ({exc})"),
                    "a table of complete rows written by neuromem",
                ) from None
            damaged = True
            i += 1  # only this line is dropped: the next may begin a whole record
    if schema is None:
        texts = set(text_columns)
        kinds = {
            c: str if c in texts else _infer([f[i] for f in fields_list])
            for i, c in enumerate(header)
        }
    else:
        kinds = dict(schema)
    rows = [
        {c: parse_value(f, kinds[c]) for c, f in zip(header, fields, strict=True)}
        for fields in fields_list
    ]
    return rows, damaged


#: Type names of a table's columns as ``run.json`` records them (``"schemas"``).
TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str}


def column_types(rows: list[Mapping[str, Any]]) -> dict[str, str] | None:
    """The type name of every column of ``rows`` (``"int"``, ``"float"``, ``"bool"``,
    ``"str"``; a column of None only is ``"str"``), or None if a column mixes kinds."""
    if not rows:
        return None
    out = {}
    for c in rows[0]:
        kinds = set()
        for r in rows:
            v = r.get(c)
            if isinstance(v, bool | np.bool_):
                kinds.add("bool")
            elif isinstance(v, numbers.Integral):
                kinds.add("int")
            elif isinstance(v, numbers.Real):
                kinds.add("float")
            elif isinstance(v, str):
                kinds.add("str")
            elif v is not None:
                return None
        if kinds == {"int", "float"}:
            kinds = {"float"}
        if len(kinds) > 1:
            return None
        out[c] = kinds.pop() if kinds else "str"
    return out


def _recorded_schema(path: Path) -> Schema | None:
    """The column types ``run.json`` beside ``path`` recorded for it, if its header
    still has those columns (a table edited since is read by inference)."""
    try:
        meta = json.loads((path.parent / "run.json").read_text(encoding="utf-8"))
        names = meta["schemas"][path.stem]
        with open(path, encoding="utf-8", newline="") as fh:
            header = next(csv.reader([fh.readline()]))
        if sorted(header) != sorted(names):
            return None
        return {c: TYPES[names[c]] for c in header}  # run.json sorts its keys
    except (OSError, ValueError, KeyError, TypeError, AttributeError, StopIteration):
        return None


def read_frame(
    path: str | os.PathLike,
    schema: Schema | None = None,
    *,
    text_columns: Iterable[str] = ("error",),
):
    """A table as a :class:`pandas.DataFrame` (strict: a damaged line is an error).

    Columns keep the codec's types: int columns are ``int64`` (nullable ``Int64``
    where a value is missing), floats ``float64``, bools ``bool``, text ``object``.
    Without ``schema``, the types the run recorded in ``run.json`` (``"schemas"``) are
    used, so a text column of digits stays text; a table without them is typed by
    inference.
    """
    import pandas as pd

    path = Path(path)
    if schema is None:
        schema = _recorded_schema(path)
    rows, _ = read_rows(path, schema, strict=True, text_columns=text_columns)
    names = list(rows[0]) if rows else list(schema or ())
    data = {}
    for c in names:
        values = [r[c] for r in rows]
        present = [v for v in values if v is not None]
        ints = present and all(
            isinstance(v, int) and not isinstance(v, bool) for v in present
        )
        if ints and len(present) < len(values):
            data[c] = pd.array(values, dtype="Int64")
        else:
            data[c] = values
    return pd.DataFrame(data, columns=names)


class Appender:
    """Appends lines to a table or journal, flushing each to the operating system at
    once: a killed run loses no line it wrote.

    Lines are also fsync'd, at most every :data:`SYNC_INTERVAL` seconds and on close:
    a crash of the operating system itself loses at most the last second of lines (a
    resumed run recomputes them); an fsync per row cost a run of a thousand small
    trials seconds of waiting on the disk.
    """

    def __init__(self, path: str | os.PathLike, columns: Iterable[str] = ()):
        self.columns = list(columns)
        self.fh = open(path, "a", encoding="utf-8")  # closed in close()
        self._synced = time.monotonic()

    def write(self, row: Mapping[str, Any]) -> None:
        """Append ``row`` (a line of :attr:`columns`)."""
        self.append(line(row, self.columns))

    def append(self, text: str) -> None:
        """Append ``text`` (whole lines, newline included)."""
        self.fh.write(text)
        self.fh.flush()
        now = time.monotonic()
        if now - self._synced >= SYNC_INTERVAL:
            os.fsync(self.fh.fileno())
            self._synced = now

    def close(self) -> None:
        """Make every line durable and close the file."""
        if not self.fh.closed:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
