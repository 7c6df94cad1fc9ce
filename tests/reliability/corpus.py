"""A generated corpus of malformed datasets, derived from valid ones (issue 8, item 2).

Every breakage is one small function registered with `@breakage(base)`: it receives the base
dataset's files (contract file name → bytes) and returns a `Broken` upload: the files to zip (or a
raw body with its content type) and what the API must answer: the status and, where it applies, the
problem's file, row (line in the file, header = 1) and column.

Bases (see `bases()`):
* `default`: a subset of the bundled default dataset `scenarios/mellansverige` (every region,
  hospital, procedure, capability and price; capacity, beds and demand of the first four weeks; the
  first 1,500 patients), so the corpus breaks real data yet stays fast;
* `default-full`: the whole default dataset, for a few breakages deep inside its large files;
* `small`: the small random dataset of the API tests (`tests/factory.random_dataset(1)`).

`tests/reliability/test_malformed_datasets.py` uploads each broken dataset through the API.
"""

from __future__ import annotations

import csv
import io
import stat
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from models import save_dataset
from models.contract import FILES
from models.scenario import SCENARIOS_DIR
from tests.factory import random_dataset

Files = dict[str, bytes]
DEFAULT_DATASET = SCENARIOS_DIR / "mellansverige"
SUBSET_WEEKS = ("2025-W14", "2025-W15", "2025-W16", "2025-W17")
SUBSET_PATIENTS = 1500
ZIP_TYPE = "application/zip"
#: Something shaped like a Swedish personal identity number (a made-up one); never to be echoed.
PIN = "19800229-1234"
ANY = object()  # "any value" in an expected problem


@dataclass
class Broken:
    """A malformed upload and the answer expected for it."""

    files: Files | None = None  # zipped into one top folder by `body()`
    raw: bytes | None = None  # sent as is
    content_type: str = ZIP_TYPE
    status: int = 422
    file: object = ANY  # expected problem: file, row, column (ANY: not checked), message part
    row: object = ANY
    column: object = ANY
    message: str = ""
    secret: str | None = None  # text the response must never contain

    def body(self, top: str) -> bytes:
        if self.raw is not None:
            return self.raw
        return zip_files(self.files or {}, top)


@dataclass
class Breakage:
    name: str
    base: str
    build: Callable[[Files], Broken] = field(repr=False)


CORPUS: list[Breakage] = []


def breakage(base: str = "default") -> Callable:
    def register(build: Callable[[Files], Broken]) -> Callable[[Files], Broken]:
        CORPUS.append(Breakage(build.__name__, base, build))
        return build

    return register


# --- bases -----------------------------------------------------------------------------------------


def bases(folder: Path) -> dict[str, Files]:
    """The valid datasets the corpus is derived from, as contract file name → bytes."""
    full = {name: (DEFAULT_DATASET / name).read_bytes() for name in FILES}
    subset = dict(full)
    for name in ("capacity.csv", "beds.csv", "demand.csv"):
        subset[name] = _filter_rows(full[name], lambda row: row["week"] in SUBSET_WEEKS)
    subset["waiting_list.csv"] = b"".join(full["waiting_list.csv"].splitlines(keepends=True)[: SUBSET_PATIENTS + 1])
    small = save_dataset(random_dataset(1), folder / "small")
    return {
        "default": subset,
        "default-full": full,
        "small": {name: (small / name).read_bytes() for name in FILES},
    }


def _filter_rows(data: bytes, keep: Callable[[dict], bool]) -> bytes:
    lines = data.decode("utf-8").splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    kept = [line for line in lines[1:] if keep(dict(zip(header, next(csv.reader([line])), strict=True)))]
    return "".join([lines[0], *kept]).encode("utf-8")


def zip_files(files: Files, top: str | None, extra: list[tuple[zipfile.ZipInfo | str, bytes]] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"{top}/{name}" if top else name, data)
        for info, data in extra:
            archive.writestr(info, data)
    return buffer.getvalue()


# --- editing helpers -----------------------------------------------------------------------------


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def with_file(files: Files, name: str, data: bytes) -> Files:
    return {**files, name: data}


def set_field(files: Files, name: str, line: int, column: str, value: str) -> Files:
    """`column` of the record on `line` (header = line 1) set to `value`."""
    rows = _rows(files[name])
    rows[line - 1][rows[0].index(column)] = value
    return with_file(files, name, _csv(rows))


def set_column(files: Files, name: str, column: str, value: str) -> Files:
    rows = _rows(files[name])
    index = rows[0].index(column)
    for row in rows[1:]:
        row[index] = value
    return with_file(files, name, _csv(rows))


def drop_column(files: Files, name: str, column: str) -> Files:
    rows = _rows(files[name])
    index = rows[0].index(column)
    return with_file(files, name, _csv([row[:index] + row[index + 1 :] for row in rows]))


def copy_line(files: Files, name: str, line: int) -> tuple[Files, int]:
    """Append a copy of `line`; returns the files and the copy's line."""
    rows = _rows(files[name])
    rows.append(list(rows[line - 1]))
    return with_file(files, name, _csv(rows)), len(rows)


def invalid(files: Files, name: str, line: int, column: str, value: str, message: str) -> Broken:
    """One field set to `value`: a problem at exactly (name, line, column)."""
    return Broken(set_field(files, name, line, column, value), file=name, row=line, column=column, message=message)


# --- files and columns ---------------------------------------------------------------------------


@breakage()
def missing_waiting_list(files):
    return Broken(
        {k: v for k, v in files.items() if k != "waiting_list.csv"},
        file="waiting_list.csv",
        row=None,
        message="file is missing",
    )


@breakage("small")
def missing_capacity(files):
    return Broken({k: v for k, v in files.items() if k != "capacity.csv"}, file="capacity.csv", message="missing")


@breakage()
def empty_regions(files):
    return Broken(with_file(files, "regions.csv", b""), file="regions.csv", row=1, message="empty")


@breakage("small")
def whitespace_only_beds(files):
    return Broken(with_file(files, "beds.csv", b"\n \n\t\n"), file="beds.csv", row=1, message="empty")


@breakage()
def missing_column_accepts_travel(files):
    return Broken(
        drop_column(files, "waiting_list.csv", "accepts_travel"),
        file="waiting_list.csv",
        row=1,
        column="accepts_travel",
        message="required column is missing",
    )


@breakage("small")
def missing_column_theatre_days(files):
    return Broken(
        drop_column(files, "capacity.csv", "theatre_days"),
        file="capacity.csv",
        row=1,
        column="theatre_days",
        message="missing",
    )


@breakage()
def unexpected_column(files):
    rows = _rows(files["hospitals.csv"])
    rows = [rows[0] + ["beds_total"]] + [row + ["12"] for row in rows[1:]]
    return Broken(
        with_file(files, "hospitals.csv", _csv(rows)),
        file="hospitals.csv",
        row=1,
        column="beds_total",
        message="unexpected column",
    )


@breakage()
def column_twice_in_header(files):
    data = files["regions.csv"].replace(b"region_id,name,population", b"region_id,name,population,name", 1)
    data = b"\n".join(line + b",x" if i else line for i, line in enumerate(data.splitlines()))
    return Broken(
        with_file(files, "regions.csv", data), file="regions.csv", row=1, column="name", message="more than once"
    )


@breakage()
def column_name_capitalised(files):
    data = files["waiting_list.csv"].replace(b"patient_id", b"Patient_ID", 1)
    return Broken(
        with_file(files, "waiting_list.csv", data),
        file="waiting_list.csv",
        row=1,
        column="patient_id",
        message="required column is missing",
    )


@breakage()
def row_with_an_extra_field(files):
    lines = files["capacity.csv"].splitlines(keepends=True)
    lines[6] = lines[6].rstrip(b"\n") + b",9\n"
    return Broken(
        with_file(files, "capacity.csv", b"".join(lines)), file="capacity.csv", row=7, column=None, message="fields"
    )


@breakage()
def row_with_a_missing_field(files):
    lines = files["prices.csv"].splitlines(keepends=True)
    lines[3] = lines[3].rsplit(b",", 1)[0] + b"\n"
    return Broken(with_file(files, "prices.csv", b"".join(lines)), file="prices.csv", row=4, message="fields")


@breakage("small")
def unterminated_quote(files):
    lines = files["hospitals.csv"].splitlines(keepends=True)
    lines[2] = lines[2].replace(b",", b',"', 1)
    return Broken(with_file(files, "hospitals.csv", b"".join(lines)), file="hospitals.csv")


# --- encodings and separators --------------------------------------------------------------------


@breakage()
def latin1_hospital_names(files):
    data = files["hospitals.csv"].decode("utf-8")
    first = next(i for i, line in enumerate(data.splitlines(), 1) if not line.isascii())
    return Broken(
        with_file(files, "hospitals.csv", data.encode("latin-1")),
        file="hospitals.csv",
        row=first,
        message="not valid UTF-8",
    )


@breakage()
def utf16_with_bom(files):
    data = files["regions.csv"].decode("utf-8").encode("utf-16")
    return Broken(with_file(files, "regions.csv", data), file="regions.csv", row=1)


@breakage()
def utf16_without_bom(files):
    data = files["procedures.csv"].decode("utf-8").encode("utf-16-le")
    return Broken(with_file(files, "procedures.csv", data), file="procedures.csv", row=1)


@breakage()
def utf8_bom(files):
    return Broken(
        with_file(files, "demand.csv", b"\xef\xbb\xbf" + files["demand.csv"]),
        file="demand.csv",
        row=1,
        message="byte-order mark",
    )


@breakage()
def semicolon_separated(files):
    data = files["beds.csv"].replace(b",", b";")
    return Broken(with_file(files, "beds.csv", data), file="beds.csv", row=1, message="semicolon")


@breakage()
def tab_separated(files):
    data = files["regions.csv"].replace(b",", b"\t")
    return Broken(with_file(files, "regions.csv", data), file="regions.csv", row=1, column="region_id")


@breakage("small")
def nul_bytes_in_a_name(files):
    rows = _rows(files["hospitals.csv"])
    rows[3][rows[0].index("name")] = "County\x00hospital"
    return Broken(with_file(files, "hospitals.csv", _csv(rows)), file="hospitals.csv", row=4)


@breakage("small")
def binary_garbage(files):
    return Broken(with_file(files, "capabilities.csv", bytes(range(256)) * 4), file="capabilities.csv")


# --- types and values ----------------------------------------------------------------------------


@breakage()
def population_not_a_number(files):
    return invalid(files, "regions.csv", 3, "population", "many", "not a finite number")


@breakage()
def population_fractional(files):
    return invalid(files, "regions.csv", 5, "population", "1234.5", "whole number")


@breakage()
def latitude_text(files):
    return invalid(files, "hospitals.csv", 4, "lat", "north", "not a finite number")


@breakage()
def latitude_out_of_range(files):
    return invalid(files, "hospitals.csv", 6, "lat", "-123", "at least -90")


@breakage()
def theatre_days_nan(files):
    return invalid(files, "capacity.csv", 9, "theatre_days", "NaN", "not a finite number")


@breakage()
def theatre_days_infinite(files):
    return invalid(files, "capacity.csv", 10, "theatre_days", "inf", "not a finite number")


@breakage()
def theatre_days_negative(files):
    return invalid(files, "capacity.csv", 11, "theatre_days", "-3", "at least 0")


@breakage()
def theatre_days_huge(files):
    return invalid(files, "capacity.csv", 12, "theatre_days", "1e300", "implausibly large")


@breakage("small")
def bed_days_missing(files):
    return invalid(files, "beds.csv", 5, "bed_days", "", "required")


@breakage()
def bed_days_with_a_thousands_separator(files):
    return invalid(files, "beds.csv", 8, "bed_days", "1 200", "not a finite number")


@breakage()
def cases_per_theatre_day_zero(files):
    return invalid(files, "procedures.csv", 2, "cases_per_theatre_day", "0", "greater than 0")


@breakage()
def price_with_currency(files):
    return invalid(files, "prices.csv", 7, "price_sek", "12000 kr", "not a finite number")


@breakage()
def expected_decisions_negative(files):
    return invalid(files, "demand.csv", 13, "expected_decisions", "-0.5", "at least 0")


@breakage()
def decision_date_impossible(files):
    return invalid(files, "waiting_list.csv", 14, "decision_date", "2025-02-30", "not a date")


@breakage()
def decision_date_swedish_order(files):
    return invalid(files, "waiting_list.csv", 15, "decision_date", "31/03/2025", "not a date")


@breakage()
def decision_date_in_the_future(files):
    return invalid(files, "waiting_list.csv", 16, "decision_date", "2030-01-01", "not before the plan start")


@breakage()
def decision_date_on_the_plan_start(files):
    return invalid(files, "waiting_list.csv", 17, "decision_date", "2025-03-31", "not before the plan start")


@breakage()
def accepts_travel_maybe(files):
    return invalid(files, "waiting_list.csv", 18, "accepts_travel", "maybe", "true or false")


@breakage()
def status_wrong_case(files):
    return invalid(files, "waiting_list.csv", 19, "status", "Waiting", "must be one of")


@breakage()
def hospital_level_unknown(files):
    return invalid(files, "hospitals.csv", 3, "level", "regional", "must be one of")


# --- ISO weeks -----------------------------------------------------------------------------------


@breakage()
def week_53_of_a_52_week_year(files):
    return invalid(files, "capacity.csv", 4, "week", "2025-W53", "ISO week")


@breakage()
def week_zero(files):
    return invalid(files, "beds.csv", 4, "week", "2025-W00", "ISO week")


@breakage()
def week_without_dash(files):
    return invalid(files, "demand.csv", 5, "week", "2025W15", "ISO week")


@breakage()
def week_lower_case(files):
    return invalid(files, "capacity.csv", 6, "week", "2025-w15", "ISO week")


@breakage()
def week_not_padded(files):
    return invalid(files, "beds.csv", 9, "week", "2025-W1", "ISO week")


@breakage("small")
def every_capacity_week_invalid(files):
    return Broken(
        set_column(files, "capacity.csv", "week", "2025-W54"),
        file="capacity.csv",
        row=None,
        column="week",
        message="no valid week",
    )


# --- identifiers and keys ------------------------------------------------------------------------


@breakage()
def unknown_hospital_in_capacity(files):
    return invalid(files, "capacity.csv", 3, "hospital_id", "nowhere", "unknown hospital_id")


@breakage()
def unknown_region_in_waiting_list(files):
    return invalid(files, "waiting_list.csv", 21, "region_id", "skane", "unknown region_id")


@breakage()
def unknown_procedure_in_capabilities(files):
    return invalid(files, "capabilities.csv", 5, "procedure_id", "transplant", "unknown procedure_id")


@breakage()
def unknown_specialty_in_capacity(files):
    return invalid(files, "capacity.csv", 8, "specialty", "neurosurgery", "unknown specialty")


@breakage()
def unknown_listed_hospital(files):
    return invalid(files, "waiting_list.csv", 22, "listed_hospital_id", "private_clinic_x", "unknown hospital_id")


@breakage()
def id_with_a_space(files):
    return invalid(files, "regions.csv", 2, "region_id", "region uppsala", "id may hold only")


@breakage()
def id_shaped_like_a_path(files):
    return invalid(files, "hospitals.csv", 2, "hospital_id", "../../etc/passwd", "id may hold only")


@breakage()
def duplicate_region(files):
    broken, line = copy_line(files, "regions.csv", 3)
    return Broken(broken, file="regions.csv", row=line, column="region_id", message="duplicate key")


@breakage()
def duplicate_patient(files):
    broken, line = copy_line(files, "waiting_list.csv", 40)
    return Broken(broken, file="waiting_list.csv", row=line, column="patient_id,procedure_id", message="duplicate")


@breakage()
def duplicate_capacity_week(files):
    broken, line = copy_line(files, "capacity.csv", 2)
    return Broken(broken, file="capacity.csv", row=line, message="duplicate key")


# --- personal identity numbers -------------------------------------------------------------------


def _pin(files: Files, line: int, value: str) -> Broken:
    broken = invalid(files, "waiting_list.csv", line, "patient_id", value, "personal identity number")
    broken.secret = value
    return broken


@breakage()
def personal_number_12_digits(files):
    return _pin(files, 30, PIN)


@breakage()
def personal_number_10_digits(files):
    return _pin(files, 31, "8002291234")


@breakage()
def coordination_number(files):
    return _pin(files, 32, "800289-1234")  # samordningsnummer: day + 60


@breakage()
def personal_number_inside_an_id(files):
    return _pin(files, 33, "P19800229-1234")


# --- the whole default dataset -------------------------------------------------------------------


@breakage("default-full")
def full_personal_number_deep_in_the_list(files):
    return _pin(files, 41_234, "19750612-4321")


@breakage("default-full")
def full_future_decision_date_on_the_last_line(files):
    last = len(files["waiting_list.csv"].splitlines())
    return invalid(files, "waiting_list.csv", last, "decision_date", "2026-01-01", "not before the plan start")


@breakage("default-full")
def full_bom_in_demand(files):
    return Broken(
        with_file(files, "demand.csv", b"\xef\xbb\xbf" + files["demand.csv"]),
        file="demand.csv",
        row=1,
        message="byte-order mark",
    )


@breakage("default-full")
def full_negative_capacity_late_in_the_year(files):
    return invalid(files, "capacity.csv", 6_000, "theatre_days", "-1", "at least 0")


# --- archives ------------------------------------------------------------------------------------


def _archive(files: Files, extra: list[tuple[zipfile.ZipInfo | str, bytes]], top: str | None = "data") -> bytes:
    return zip_files(files, top, extra)


@breakage("small")
def zip_bomb(files):
    bomb = b"0" * (12 << 20)  # 12 MB of zeros deflate to about 12 kB; the test app allows 8 MB
    return Broken(raw=_archive({**files, "waiting_list.csv": bomb}, []), status=413)


@breakage("small")
def zip_member_lying_about_its_size(files):
    data = bytearray(_archive({"regions.csv": b"0" * (2 << 20)}, [], top=None))
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)  # declares 100 bytes, inflates to 2 MB
    return Broken(raw=bytes(data), file="regions.csv")  # "corrupt entry": zipfile stops at the declared size


@breakage("small")
def zip_path_traversal(files):
    return Broken(
        raw=_archive(files, [("../waiting_list.csv", b"x")]), file="../waiting_list.csv", message="path traversal"
    )


@breakage("small")
def zip_deep_path_traversal(files):
    return Broken(raw=_archive(files, [("data/../../../../tmp/evil.csv", b"x")]), message="path traversal")


@breakage("small")
def zip_absolute_path(files):
    return Broken(
        raw=_archive(files, [("/etc/cron.d/regions.csv", b"x")]),
        file="/etc/cron.d/regions.csv",
        message="absolute path",
    )


@breakage("small")
def zip_symlink(files):
    link = zipfile.ZipInfo("data/prices.csv")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    rest = {k: v for k, v in files.items() if k != "prices.csv"}
    return Broken(raw=_archive(rest, [(link, b"/etc/passwd")]), file="data/prices.csv", message="symbolic link")


@breakage("small")
def zip_nested_folders(files):
    return Broken(
        raw=_archive({}, [(f"a/b/{name}", data) for name, data in files.items()], top=None), message="nested folder"
    )


@breakage("small")
def zip_with_a_script(files):
    return Broken(
        raw=_archive(files, [("data/install.sh", b"#!/bin/sh\nrm -rf /\n")]),
        file="data/install.sh",
        message="not a CSV file",
    )


@breakage("small")
def zip_inside_a_zip(files):
    return Broken(raw=_archive({}, [("data.zip", zip_files(files, None))], top=None), file="data.zip")


@breakage("small")
def zip_encrypted_entry(files):
    data = bytearray(_archive({"regions.csv": files["regions.csv"]}, [], top=None))
    # zipfile never writes encrypted entries: set the "encrypted" bit in both headers by hand
    local, central = data.find(b"PK\x03\x04"), data.rfind(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    return Broken(raw=bytes(data), file="regions.csv", message="encrypted")


@breakage("small")
def zip_too_many_entries(files):
    return Broken(raw=_archive(files, [(f"data/notes/{i}/", b"") for i in range(80)]), message="too many entries")


@breakage("small")
def zip_empty(files):
    return Broken(raw=_archive({}, [], top=None), message="missing")


@breakage("small")
def zip_truncated(files):
    archive = zip_files(files, "data")
    return Broken(raw=archive[: len(archive) // 2], file="upload", message="not a valid zip")


@breakage("small")
def not_a_zip(files):
    return Broken(raw=files["regions.csv"], file="upload", message="not a valid zip")


# --- request bodies ------------------------------------------------------------------------------


@breakage("small")
def csv_sent_as_text(files):
    return Broken(raw=files["waiting_list.csv"], content_type="text/csv", status=415)


@breakage("small")
def body_over_the_size_limit(files):
    return Broken(raw=b"PK" + bytes(5 << 20), status=413)  # the test app allows 4 MB bodies


@breakage("small")
def json_not_an_object(files):
    return Broken(raw=b"[1, 2, 3]", content_type="application/json", file="upload", message="JSON object")


@breakage("small")
def json_syntax_error(files):
    return Broken(raw=b'{"regions": [', content_type="application/json", file="upload", message="not valid JSON")


@breakage("small")
def json_wrong_type_in_a_record(files):
    import json

    tables = {
        name.removesuffix(".csv"): [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
        for name, rows in ((name, _rows(data)) for name, data in files.items())
    }
    tables["regions"][1]["population"] = {"value": 3}
    body = json.dumps(tables).encode()
    return Broken(
        raw=body,
        content_type="application/json",
        file="regions.csv",
        row=3,
        column="population",
        message="not a finite number",
    )


@breakage("small")
def json_unknown_table(files):
    return Broken(raw=b'{"patients": []}', content_type="application/json", file="patients", message="not a table")
