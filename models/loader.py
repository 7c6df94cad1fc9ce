"""Loading, validating and saving datasets in the CSV contract of `models.contract`.

`load_dataset` reads every file, collects every problem it finds (file, row, column, message) and
raises one `DatasetError` with all of them; it never returns a partly loaded dataset. Every value rule
(id pattern and length, number bounds, weeks, dates, enumerations, pseudonymous ids) comes from the
contract's `Column`s, the same rules the JSON form's models (`models.domain`) are derived from; the
checks are vectorised per column (ids and weeks once per distinct value), never per row in Python.
`save_dataset` writes the same contract back so that `load(save(d))` equals `d`.

What a dataset may leave out is declared in the contract and handled here in one way: an optional
file left out is replaced by its `Dataset` default table (before references are checked, so a
reference to it is checked against the default), and a column with a `default` left out of the
header, or empty in a row, holds the default, unless the file its `required_with` names is given.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import re
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

from models.atomic import replace_folder
from models.bookings import booking_problems
from models.contract import (
    FALSE_VALUES,
    FILES,
    MAX_NUMBER,
    TOTAL_TOLERANCE,
    TRUE_VALUES,
    Column,
    ColumnType,
    FileSpec,
)
from models.dataset import Dataset
from models.errors import DatasetError, Problem
from models.identity import personal_number_mask
from models.provenance import DatasetMetadata, read_metadata, write_metadata
from models.weeks import format_iso_week, is_iso_week, parse_iso_week

log = logging.getLogger(__name__)

#: At most this many problems are listed per file and column; the rest are counted.
MAX_PROBLEMS_PER_COLUMN = 20
_TRUE = set(TRUE_VALUES)
_FALSE = set(FALSE_VALUES)


class _Problems:
    """Collects problems, capping how many are listed per (file, column)."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.items.append(Problem(file, row, column, message))

    def add_rows(self, file: str, column: str | None, rows: pd.Index | list[int], message: str) -> None:
        """One problem per offending data row (index → file line = index + 2, see `_read_file`)."""
        rows = list(rows)
        for r in rows[:MAX_PROBLEMS_PER_COLUMN]:
            self.add(file, int(r) + 2, column, message)
        if len(rows) > MAX_PROBLEMS_PER_COLUMN:
            self.add(file, None, column, f"... and {len(rows) - MAX_PROBLEMS_PER_COLUMN} more rows: {message}")


def load_dataset(path: str | os.PathLike, plan_start: str | None = None) -> Dataset:
    """Load and validate the dataset in folder `path`.

    `plan_start` is the plan's first ISO week; by default the earliest week in capacity.csv.
    Raises `DatasetError` listing every problem (file, row, column) when anything is wrong.
    """
    folder = Path(path)
    problems = _Problems()
    if not folder.is_dir():
        raise DatasetError([Problem(str(folder), None, None, "dataset folder does not exist")])
    metadata = read_metadata(folder)
    given = frozenset(name for name in FILES if (folder / name).is_file())
    expected = [name for name, spec in FILES.items() if name in given or not spec.optional]
    raw: dict[str, pd.DataFrame] = {}
    for name in expected:
        frame = _read_file(folder / name, FILES[name], given, problems)
        if frame is not None:
            raw[name] = frame
    typed = {name: _convert_types(frame, FILES[name], given, problems) for name, frame in raw.items()}
    for name, frame in typed.items():
        _check_keys(frame, FILES[name], problems)
    if len(typed) < len(expected):  # without every file, references cannot be checked
        raise DatasetError(problems.items)
    typed = {name: typed[name] if name in typed else _default_table(spec) for name, spec in FILES.items()}
    for spec in FILES.values():
        _check_references(typed, spec, given, problems)
    _check_specialties(typed, problems)
    problems.items.extend(booking_problems(typed["waiting_list.csv"], typed["capabilities.csv"]))
    start = _plan_start(typed["capacity.csv"], plan_start, problems)
    if start is not None:
        _check_decision_dates(typed["waiting_list.csv"], start, problems)
    if problems.items:
        raise DatasetError(problems.items)
    tables = {name.removesuffix(".csv"): frame.reset_index(drop=True) for name, frame in typed.items()}
    log.info("loaded dataset %s: %d waiting-list rows", folder.name, len(tables["waiting_list"]))
    return Dataset(name=folder.name, plan_start=start, synthetic=metadata.synthetic, **tables)


def _default_table(spec: FileSpec) -> pd.DataFrame:
    """The table a dataset holds when optional file `spec` is left out: its `Dataset` field's default."""
    (dataset_field,) = (f for f in fields(Dataset) if f.name == spec.table)
    return dataset_field.default_factory()


def _left_out(spec: FileSpec, header: list[str], given: frozenset[str]) -> list[Column]:
    """The columns missing from `header` that may be: they have a default and no given file requires them."""
    return [
        column
        for column in spec.columns
        if column.name not in header and column.may_be_left_out and column.required_with not in given
    ]


def _read_file(path: Path, spec: FileSpec, given: frozenset[str], problems: _Problems) -> pd.DataFrame | None:
    """Read one CSV as strings; report a missing, empty, mis-encoded or mis-shaped file.

    The frame's index is each record's line in the file minus 2 (header = line 1), so problems name
    the right line even after blank lines or quoted fields that span several lines. A column that
    may be left out (`_left_out`; `given` are the files in the dataset) and is, holds its default.
    """
    name = spec.name
    if not path.is_file():
        problems.add(name, None, None, "file is missing")
        return None
    data = path.read_bytes()
    if not data.strip():
        problems.add(name, 1, None, "file is empty: expected a header row " + ",".join(spec.column_names))
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        problems.add(name, 1, None, "file starts with a byte-order mark (BOM): save it as UTF-8 without BOM")
        return None
    if b"\x00" in data:  # UTF-16 without a BOM, or a binary file: NUL is valid UTF-8 and csv accepts it
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        problems.add(name, line, None, "contains NUL bytes: not a UTF-8 text file (UTF-16?); save the file as UTF-8")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add(name, line, None, f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8")
        return None
    first_line = text.splitlines()[0]
    if ";" in first_line and "," not in first_line:
        problems.add(name, 1, None, "file is semicolon-separated: the contract uses commas")
        return None
    parsed = _parse_plain(text) or _parse_records(text, spec, problems)
    if parsed is None:
        return None
    header, rows, index = parsed
    expected = spec.column_names
    left_out = {column.name: column.default for column in _left_out(spec, header, given)}
    for column in dict.fromkeys(header):
        if column not in expected:
            problems.add(name, 1, column or None, f"unexpected column; expected exactly {', '.join(expected)}")
        elif header.count(column) > 1:
            problems.add(name, 1, column, "column appears more than once in the header")
    for column in spec.columns:
        if column.name not in header and column.name not in left_out:
            required_with = column.may_be_left_out and column.required_with
            reason = f" ({required_with} is given)" if required_with else ""
            problems.add(name, 1, column.name, "required column is missing" + reason)
    if len(set(header)) != len(header) or set(header) | set(left_out) != set(expected):
        return None
    if isinstance(rows, pd.DataFrame):  # the plain fast path: rectangular by construction
        return rows.set_axis(header, axis=1).assign(**left_out)[expected]
    ragged: dict[int, list[int]] = {}
    for row, i in zip(rows, index, strict=True):
        if len(row) != len(header):
            ragged.setdefault(len(row), []).append(i)
    for width, rows_of_width in sorted(ragged.items()):
        problems.add_rows(name, None, rows_of_width, f"row has {width} fields; the header has {len(header)}")
    if ragged:
        return None
    return pd.DataFrame(rows, columns=header, index=index, dtype=str).assign(**left_out)[expected]


#: Whitespace as `str.strip` sees it, newlines aside.
_WHITESPACE = re.compile(r"[^\S\n]+")


def _has_padded_field(text: str) -> bool:
    """True if some field starts or ends with whitespace (only then is stripping worth its cost)."""
    for run in _WHITESPACE.finditer(text):  # the big files have none; names have a few inside fields
        start, end = run.span()
        if start == 0 or text[start - 1] in ",\n" or end == len(text) or text[end] in ",\n":
            return True
    return False


def _parse_plain(text: str) -> tuple[list[str], pd.DataFrame, list[int]] | None:
    """Header, data rows (a string frame, fields stripped) and their index, or None if not plain.

    A plain file has no quotes, no carriage returns, no blank lines and the same number of fields
    on every line: then record k is line k + 2 and pandas' C reader can read it ~10× faster than
    the `csv` module. Anything else goes through `_parse_records`, which reports problems by line.
    """
    if '"' in text or "\r" in text:
        return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    commas = lines[0].count(",")
    if any(not line.strip() or line.count(",") != commas for line in lines):
        return None
    frame = pd.read_csv(io.StringIO(text), header=None, dtype=str, na_filter=False, skip_blank_lines=False, engine="c")
    if len(frame) != len(lines):
        return None
    if _has_padded_field(text):
        frame = frame.apply(lambda column: column.str.strip())
    header = frame.iloc[0].tolist()
    rows = frame.iloc[1:].reset_index(drop=True)
    return header, rows, list(range(len(rows)))


def _parse_records(
    text: str, spec: FileSpec, problems: _Problems
) -> tuple[list[str], list[list[str]], list[int]] | None:
    """Header, data rows and their index (file line − 2), read record by record with `csv`.

    Handles quoted fields that span lines and blank lines, so problems name the right line.
    """
    records: list[list[str]] = []  # fields stripped, equal values shared (pandas' own reader does so too)
    lines: list[int] = []
    shared = {}.setdefault
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        start = 1
        for record in reader:
            if len(record) > 1 or (record and record[0].strip()):  # skip blank lines
                records.append([shared(value, value) for value in map(str.strip, record)])
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:  # csv's messages describe the structure and never quote data
        problems.add(spec.name, reader.line_num, None, f"cannot be parsed as CSV: {exc}")
        return None
    if not records:
        problems.add(spec.name, 1, None, "file is empty: expected a header row " + ",".join(spec.column_names))
        return None
    return records[0], records[1:], [line - 2 for line in lines[1:]]


def _convert_types(frame: pd.DataFrame, spec: FileSpec, given: frozenset[str], problems: _Problems) -> pd.DataFrame:
    """Convert each column to its contract type, reporting the rows that do not fit.

    An empty field of an optional column with a default holds the default, unless the file named by
    the column's `required_with` is among `given` (then the value is required).
    """
    out = {}
    for column in spec.columns:
        values = frame[column.name]
        empty = values == ""
        if empty.any():
            if not column.optional:
                problems.add_rows(spec.name, column.name, values.index[empty], "value is required")
            elif column.required_with in given:
                message = f"value is required when {column.required_with} is given"
                problems.add_rows(spec.name, column.name, values.index[empty], message)
            elif column.default is not None:
                values = values.where(~empty, column.default)
                empty = values == ""
        before = len(problems.items)
        out[column.name] = _CONVERTERS[column.type](values, empty, spec.name, column, problems)
        if column.total is not None and len(problems.items) == before:
            _check_total(out[column.name], spec, column, problems)
    return pd.DataFrame(out, index=frame.index)


def _check_total(values: pd.Series, spec: FileSpec, column: Column, problems: _Problems) -> None:
    """The column sums to its `total`: a problem of the whole file (no row) when it does not."""
    total = float(values.sum())
    if abs(total - column.total) > TOTAL_TOLERANCE:
        problems.add(spec.name, None, column.name, f"the column must sum to {column.total:g}; it sums to {total:.10g}")


def _per_distinct(values: pd.Series, test: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """A vectorised string test run once per distinct value (ids repeat a lot), mapped back to rows."""
    return _masks_per_distinct(values, test)[0]


def _masks_per_distinct(values: pd.Series, *tests: Callable[[pd.Series], pd.Series]) -> list[np.ndarray]:
    """Several such tests, one row mask each, the values factorised once."""
    codes, distinct = pd.factorize(values)
    distinct = pd.Series(distinct, dtype=values.dtype)
    return [np.asarray(test(distinct), dtype=bool)[codes] for test in tests]


def _as_id(values: pd.Series, empty: pd.Series, file: str, column: Column, problems: _Problems) -> pd.Series:
    # messages never quote the value: an id may be a personal identity number
    shaped, long = _masks_per_distinct(
        values, lambda v: v.str.fullmatch(column.pattern), lambda v: v.str.len() > column.max_length
    )
    bad = ~empty & ~shaped
    if bad.any():
        problems.add_rows(file, column.name, values.index[bad], "id may hold only letters, digits, _ . -")
    long = ~empty & long
    if long.any():
        problems.add_rows(file, column.name, values.index[long], f"id is longer than {column.max_length} characters")
    if column.pseudonymous:
        pin = personal_number_mask(values)
        if pin.any():
            # never echo the value: it may be a real person's identity number
            problems.add_rows(
                file, column.name, values.index[pin], "looks like a personal identity number; use pseudonymous ids"
            )
    return values.where(~empty, None).astype(object)


def _as_text(values: pd.Series, empty: pd.Series, file: str, column: Column, problems: _Problems) -> pd.Series:
    return values


def _as_number(values: pd.Series, empty: pd.Series, file: str, column: Column, problems: _Problems) -> pd.Series:
    numbers = pd.to_numeric(values.where(~empty, None), errors="coerce").astype(float)
    not_number = ~empty & (numbers.isna() | ~np.isfinite(numbers.fillna(0)))
    if not_number.any():
        problems.add_rows(file, column.name, values.index[not_number], "not a finite number")
    ok = ~empty & ~not_number
    out_of_range = pd.Series(False, index=values.index)
    if column.minimum is not None:
        low = ok & (numbers < column.minimum)
        if low.any():
            problems.add_rows(file, column.name, values.index[low], f"must be at least {column.minimum:g}")
        out_of_range |= low
    if column.maximum is not None:
        high = ok & (numbers > column.maximum)
        if high.any():
            problems.add_rows(file, column.name, values.index[high], f"must be at most {column.maximum:g}")
        out_of_range |= high
    if column.positive:
        nonpos = ok & (numbers <= 0)
        if nonpos.any():
            problems.add_rows(file, column.name, values.index[nonpos], "must be greater than 0")
    huge = ok & ~out_of_range & (numbers.abs() > MAX_NUMBER)  # one bound problem per cell
    if huge.any():
        problems.add_rows(file, column.name, values.index[huge], f"implausibly large (over {MAX_NUMBER:g})")
    if column.type == "int":
        fractional = ok & (numbers != numbers.round())
        if fractional.any():
            problems.add_rows(file, column.name, values.index[fractional], "must be a whole number")
        # NaN, inf and huge values are reported above; zero them so that the cast cannot fail
        return numbers.where(ok & ~huge, 0).round().astype("int64")
    return numbers


def _as_week(values: pd.Series, empty: pd.Series, file: str, column: Column, problems: _Problems) -> pd.Series:
    valid = values.isin([label for label in values.unique() if is_iso_week(label)])
    bad = ~empty & ~valid
    if bad.any():
        problems.add_rows(file, column.name, values.index[bad], "not an ISO week like 2025-W14")
    return values


def _as_date(values: pd.Series, empty: pd.Series, file: str, column: Column, problems: _Problems) -> pd.Series:
    shaped = _per_distinct(values, lambda v: v.str.fullmatch(column.pattern))  # pandas also takes 2025-3-5
    dates = pd.to_datetime(values.where(~empty & shaped, None), format="%Y-%m-%d", errors="coerce")
    bad = ~empty & dates.isna()
    if bad.any():
        problems.add_rows(file, column.name, values.index[bad], "not a date like 2025-03-31 (YYYY-MM-DD)")
    return dates


def _as_bool(values: pd.Series, empty: pd.Series, file: str, column: Column, problems: _Problems) -> pd.Series:
    lowered = values.str.lower()
    bad = ~empty & ~lowered.isin(_TRUE | _FALSE)
    if bad.any():
        problems.add_rows(file, column.name, values.index[bad], "must be true or false")
    return lowered.isin(_TRUE)


def _as_choice(values: pd.Series, empty: pd.Series, file: str, column: Column, problems: _Problems) -> pd.Series:
    bad = ~empty & ~values.isin(column.choices)
    if bad.any():
        problems.add_rows(file, column.name, values.index[bad], f"must be one of {', '.join(column.choices)}")
    return values


_CONVERTERS: dict[ColumnType, Callable[[pd.Series, pd.Series, str, Column, _Problems], pd.Series]] = {
    "id": _as_id,
    "text": _as_text,
    "int": _as_number,
    "float": _as_number,
    "week": _as_week,
    "date": _as_date,
    "bool": _as_bool,
    "level": _as_choice,
    "status": _as_choice,
}


def _check_keys(frame: pd.DataFrame, spec: FileSpec, problems: _Problems) -> None:
    duplicated = frame.duplicated(list(spec.key), keep="first")
    if duplicated.any():
        problems.add_rows(
            spec.name, ",".join(spec.key), frame.index[duplicated], f"duplicate key ({', '.join(spec.key)})"
        )


def _check_references(
    typed: dict[str, pd.DataFrame], spec: FileSpec, given: frozenset[str], problems: _Problems
) -> None:
    """Every reference of `spec` names a row of its target (the default table of an optional file left out)."""
    frame = typed[spec.name]
    for ref in spec.references:
        if ref.column == "specialty":
            continue  # specialties are checked against procedures' specialties below
        known = set(typed[ref.target_file][ref.target_column].dropna())
        values = frame[ref.column]
        unknown = values.notna() & ~values.isin(known)
        if unknown.any():
            if ref.target_file in given:
                message = f"unknown {ref.target_column} (not in {ref.target_file})"
            else:
                only = ", ".join(sorted(known))
                message = f"unknown {ref.target_column} (without {ref.target_file} the only one is {only})"
            problems.add_rows(spec.name, ref.column, frame.index[unknown], message)


def _check_specialties(typed: dict[str, pd.DataFrame], problems: _Problems) -> None:
    known = set(typed["procedures.csv"]["specialty"])
    capacity = typed["capacity.csv"]
    unknown = ~capacity["specialty"].isin(known)
    if unknown.any():
        problems.add_rows(
            "capacity.csv", "specialty", capacity.index[unknown], "unknown specialty (no procedure in procedures.csv)"
        )


def _plan_start(capacity: pd.DataFrame, plan_start: str | None, problems: _Problems) -> dt.date | None:
    if plan_start is not None:
        try:
            return parse_iso_week(plan_start)
        except ValueError as exc:
            problems.add("plan", None, "start_week", str(exc))
            return None
    mondays = [parse_iso_week(w) for w in capacity["week"].unique() if is_iso_week(w)]
    if not mondays:  # e.g. every week is 2025-W54: reported per row, but no start to derive
        problems.add("capacity.csv", None, "week", "no valid week: cannot tell when the plan starts")
        return None
    return min(mondays)


def _check_decision_dates(waiting: pd.DataFrame, start: dt.date, problems: _Problems) -> None:
    late = waiting["decision_date"].notna() & (waiting["decision_date"] >= pd.Timestamp(start))
    if late.any():
        problems.add_rows(
            "waiting_list.csv",
            "decision_date",
            waiting.index[late],
            f"decision date is not before the plan start {start.isoformat()} ({format_iso_week(start)})",
        )


def save_dataset(dataset: Dataset, path: str | os.PathLike) -> Path:
    """Write `dataset` as the CSV contract into folder `path`, atomically, replacing what is there.

    Files are written to a temporary folder beside `path` and moved in place only when all are
    written, so an interrupted save never leaves a half-written dataset. Floats are written in their
    shortest exact form, so that loading reads back the very same values. Every file and column is
    written, the optional ones too (a column with a default that a table lacks holds its default),
    except a column whose default is empty and which is empty in every row (the booking columns of a
    list without bookings): a dataset without bookings keeps the shape it had before them.
    """

    def write_tables(folder: Path) -> None:
        for spec in FILES.values():  # exactly the contract's files
            table = getattr(dataset, spec.table)
            defaults = {c.name: c.default for c in spec.columns if c.name not in table and c.may_be_left_out}
            out = table.assign(**defaults)[[c for c in spec.column_names if c not in _nothing_to_say(table, spec)]]
            out = out.copy()
            for column in spec.columns:
                if column.type == "bool":
                    out[column.name] = out[column.name].map({True: "true", False: "false"})
                elif column.type == "date":
                    out[column.name] = out[column.name].dt.strftime("%Y-%m-%d")
            out.to_csv(folder / spec.name, index=False, float_format=_format_float, lineterminator="\n")
        if dataset.synthetic:  # provenance travels with the data (`models.provenance`)
            write_metadata(folder, DatasetMetadata(synthetic=True))

    return replace_folder(path, write_tables)


def _nothing_to_say(table: pd.DataFrame, spec: FileSpec) -> set[str]:
    """Columns of `spec` that may be left out, default to empty, and are empty (or absent) in `table`."""
    empty = set()
    for column in spec.columns:
        if column.default != "":
            continue
        values = table[column.name] if column.name in table else pd.Series([], dtype=object)
        if (values.isna() | (values.astype(object).fillna("").astype(str) == "")).all():
            empty.add(column.name)
    return empty


def _format_float(value: float) -> str:
    """The shortest text that reads back as exactly `value`: 2.0 → `2`, 1/3 → `0.3333333333333333`."""
    return repr(float(value)).removesuffix(".0")
