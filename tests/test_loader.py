"""The dataset contract: `load_dataset` rejects every class of bad input with file, line and column;
`save_dataset` writes the contract back exactly; `capplan validate` prints the problems.

Most tests save a tiny dataset (tests/factory.py) into a tmp folder, corrupt one thing and check the
problem reported. Rows are 1-based line numbers in the file, the header being line 1.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from capplan.cli import app
from models.contract import FILES, MAX_NUMBER
from models.dataset import DEFAULT_PRIORITY, Dataset, default_priorities
from models.errors import DatasetError, Problem
from models.loader import MAX_PROBLEMS_PER_COLUMN, load_dataset, save_dataset
from models.scenario import SCENARIOS_DIR
from tests.factory import D0, make_dataset, weekly

MELLANSVERIGE = SCENARIOS_DIR / "mellansverige"


def tiny() -> Dataset:
    return make_dataset(
        regions=["r1", "r2"],
        hospitals=[
            {"hospital_id": "h1", "name": "Sjukhuset i Skövde", "region_id": "r1"},
            {"hospital_id": "h2", "region_id": "r2", "level": "private", "lat": 59.37, "lon": 13.5},
        ],
        procedures=[
            {
                "procedure_id": "hip",
                "name": "Hip replacement",
                "name_sv": "Höftledsplastik",
                "cases_per_theatre_day": 3.0,
                "bed_days_per_case": 2.5,
                "kva_codes": "NFB29;NFB39",
            },
            {"procedure_id": "cataract", "specialty": "ophthalmology", "cases_per_theatre_day": 12.0},
        ],
        capabilities=[
            {"hospital_id": "h1", "procedure_id": "hip"},
            {"hospital_id": "h2", "procedure_id": "cataract", "cases_per_theatre_day": 10.0},
        ],
        capacity=weekly("h1", 2.0, 3) + weekly("h2", 1.5, 3, specialty="ophthalmology"),
        beds=weekly("h1", 10.0, 3, specialty=None),
        patients=[
            {
                "patient_id": "P0012345",
                "region_id": "r1",
                "procedure_id": "hip",
                "waited": 100,
                "listed_hospital_id": "h1",
            },
            {
                "patient_id": "X-2023-000123",
                "region_id": "r2",
                "procedure_id": "cataract",
                "waited": 10,
                "status": "MoV",
                "accepts_travel": False,
            },
            {"patient_id": "P0012346", "region_id": "r2", "procedure_id": "hip", "waited": 400, "status": "PvV"},
            {"patient_id": "P0012347", "region_id": "r1", "procedure_id": "cataract", "waited": 1},
        ],
        demand=[
            {"region_id": "r1", "procedure_id": "hip", "week": "2025-W14", "expected_decisions": 1.25},
            {"region_id": "r2", "procedure_id": "cataract", "week": "2025-W15", "expected_decisions": 0.5},
        ],
        prices=[
            {"procedure_id": "hip", "hospital_id": "h2", "price_sek": 70_000.0},
            {"procedure_id": "cataract", "hospital_id": "h2", "price_sek": 9_500.0},
        ],
    )


@pytest.fixture(scope="module")
def saved_tiny(tmp_path_factory) -> Path:
    return save_dataset(tiny(), tmp_path_factory.mktemp("template") / "tiny")


@pytest.fixture
def folder(saved_tiny: Path, tmp_path: Path) -> Path:
    """A valid tiny dataset saved in the contract (a fresh copy per test); tests corrupt it."""
    return Path(shutil.copytree(saved_tiny, tmp_path / "tiny"))


def edit(folder: Path, file: str, old: str, new: str) -> int:
    """Replace the first `old` by `new` in `file`; return the 1-based line where `old` started."""
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8", newline="")
    return line


def problems_of(folder: Path, **kwargs) -> list[Problem]:
    with pytest.raises(DatasetError) as info:
        load_dataset(folder, **kwargs)
    problems = info.value.problems
    assert problems, "a DatasetError must list its problems"
    return problems


def expect(problems: list[Problem], file: str, row: int | None, column: str | None, *words: str) -> Problem:
    """The one problem at (file, row, column); its message must contain every word (case-insensitive)."""
    found = [p for p in problems if (p.file, p.row, p.column) == (file, row, column)]
    assert len(found) == 1, f"expected one problem at {file}:{row}:{column}, got:\n" + "\n".join(map(str, problems))
    for word in words:
        assert word.lower() in found[0].message.lower(), f"{word!r} not in {found[0]}"
    return found[0]


def test_valid_tiny_dataset_loads(folder):
    ds = load_dataset(folder)
    assert ds.name == "tiny"
    assert ds.plan_start == D0
    assert list(ds.regions["region_id"]) == ["r1", "r2"]
    assert ds.waiting_list["accepts_travel"].tolist() == [True, False, True, True]
    assert pd.isna(ds.capabilities.loc[0, "cases_per_theatre_day"])  # empty = the procedure's default rate
    assert ds.procedures.loc[0, "kva_codes"] == "NFB29;NFB39"
    for name, table in ds.tables().items():
        assert list(table.columns) == FILES[f"{name}.csv"].column_names
        assert isinstance(table.index, pd.RangeIndex)
        expected = getattr(tiny(), name)
        pdt.assert_frame_equal(table, expected, check_dtype=False)


# --- whole files -------------------------------------------------------------------------------


def test_missing_folder(tmp_path):
    problems = problems_of(tmp_path / "nowhere")
    assert "does not exist" in problems[0].message


@pytest.mark.parametrize("file", [name for name, spec in FILES.items() if not spec.optional])
def test_missing_file(folder, file):
    (folder / file).unlink()
    problems = problems_of(folder)
    assert problems == [Problem(file, None, None, "file is missing")]


@pytest.mark.parametrize("content", [b"", b"  \r\n\n"])
def test_empty_file(folder, content):
    (folder / "beds.csv").write_bytes(content)
    expect(problems_of(folder), "beds.csv", 1, None, "empty", "hospital_id,week,bed_days")


def test_header_only_file_is_an_empty_table(folder):
    (folder / "prices.csv").write_text("procedure_id,hospital_id,price_sek\n")
    ds = load_dataset(folder)
    assert ds.prices.empty and list(ds.prices.columns) == ["procedure_id", "hospital_id", "price_sek"]


def test_missing_column(folder):
    text = (folder / "beds.csv").read_text()
    (folder / "beds.csv").write_text("\n".join(line.rsplit(",", 1)[0] for line in text.splitlines()) + "\n")
    expect(problems_of(folder), "beds.csv", 1, "bed_days", "missing")


def test_extra_column(folder):
    text = (folder / "hospitals.csv").read_text()
    lines = [line + (",comment" if i == 0 else ",x") for i, line in enumerate(text.splitlines())]
    (folder / "hospitals.csv").write_text("\n".join(lines) + "\n")
    expect(problems_of(folder), "hospitals.csv", 1, "comment", "unexpected column", "hospital_id, name, region_id")


def test_renamed_column_reports_both_names(folder):
    edit(folder, "capacity.csv", "theatre_days", "theatre_dayz")
    problems = problems_of(folder)
    expect(problems, "capacity.csv", 1, "theatre_dayz", "unexpected")
    expect(problems, "capacity.csv", 1, "theatre_days", "missing")


def test_duplicate_column(folder):
    edit(folder, "capacity.csv", "theatre_days", "week")
    problems = problems_of(folder)
    expect(problems, "capacity.csv", 1, "week", "more than once")
    expect(problems, "capacity.csv", 1, "theatre_days", "missing")


def test_byte_order_mark(folder):
    path = folder / "regions.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    expect(problems_of(folder), "regions.csv", 1, None, "byte-order mark")


def test_non_utf8_bytes(folder):
    path = folder / "hospitals.csv"
    data = path.read_bytes()
    assert "Skövde".encode() in data
    line = data[: data.index("Skövde".encode())].count(b"\n") + 1
    path.write_bytes(data.replace("Skövde".encode(), "Skövde".encode("latin-1")))
    expect(problems_of(folder), "hospitals.csv", line, None, "UTF-8")


def test_semicolon_separator(folder):
    path = folder / "procedures.csv"
    path.write_text(path.read_text().replace(",", ";"))
    expect(problems_of(folder), "procedures.csv", 1, None, "semicolon")


def test_windows_line_endings_load(folder):
    before = load_dataset(folder)
    for path in folder.iterdir():
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert_same_dataset(load_dataset(folder), before)


@pytest.mark.parametrize(("new", "fields"), [("h1,orthopaedics,2025-W15,2,7", 5), ("h1,orthopaedics,2025-W15", 3)])
def test_row_with_wrong_number_of_fields(folder, new, fields):
    line = edit(folder, "capacity.csv", "h1,orthopaedics,2025-W15,2", new)
    assert line == 3
    expect(problems_of(folder), "capacity.csv", line, None, f"{fields} fields", "header has 4")


def test_blank_lines_do_not_shift_line_numbers(folder):
    path = folder / "capacity.csv"
    lines = path.read_text().splitlines()
    lines.insert(2, "")  # a blank line 3; the W15 row moves to line 4
    lines[3] = lines[3].replace(",2", ",-2")
    path.write_text("\n".join(lines) + "\n\n")
    expect(problems_of(folder), "capacity.csv", 4, "theatre_days", "at least 0")


def test_blank_lines_are_skipped_and_the_index_is_contiguous(folder):
    path = folder / "beds.csv"
    path.write_text(path.read_text().replace("\n", "\n\n", 1) + "\n")
    beds = load_dataset(folder).beds
    assert len(beds) == 3 and isinstance(beds.index, pd.RangeIndex)


def test_quoted_newline_does_not_shift_line_numbers(folder):
    edit(folder, "hospitals.csv", "Sjukhuset i Skövde", '"Sjukhuset\ni Skövde"')  # record on lines 2-3
    line = edit(folder, "hospitals.csv", "r2,private", "r9,private")
    assert line == 4
    expect(problems_of(folder), "hospitals.csv", 4, "region_id", "unknown region_id")


# --- values ------------------------------------------------------------------------------------

WRONG_VALUES = [
    # file, text to replace, replacement, column, words of the message
    ("beds.csv", "2025-W14,10", "2025-W14,ten", "bed_days", ["not a finite number"]),
    ("regions.csv", "r1,r1,100000", "r1,r1,1.5", "population", ["whole number"]),
    ("waiting_list.csv", "true", "ja", "accepts_travel", ["true or false"]),
    ("waiting_list.csv", "2024-12-21", "2024-02-30", "decision_date", ["YYYY-MM-DD"]),
    ("waiting_list.csv", "true", "", "accepts_travel", ["required"]),
    ("waiting_list.csv", "2024-12-21", "21/12/2024", "decision_date", ["YYYY-MM-DD"]),
    ("capacity.csv", "2025-W15", "2025-W54", "week", ["ISO week", "2025-W14"]),
    ("capacity.csv", "2025-W15", "2025-14", "week", ["ISO week"]),
    ("demand.csv", "2025-W14", "14", "week", ["ISO week"]),
    ("hospitals.csv", "county", "County", "level", ["university, county, district, private"]),
    ("waiting_list.csv", "MoV", "mov", "status", ["waiting, MoV, PvV"]),
    ("hospitals.csv", "h1,Sjukhuset", "h 1,Sjukhuset", "hospital_id", ["letters, digits"]),
]


@pytest.mark.parametrize(("file", "old", "new", "column", "words"), WRONG_VALUES)
def test_wrong_value(folder, file, old, new, column, words):
    line = edit(folder, file, old, new)
    expect(problems_of(folder), file, line, column, *words)


UNKNOWN_IDS = [
    ("capacity.csv", "h2,ophthalmology", "h9,ophthalmology", "hospital_id", "unknown hospital_id"),
    ("capacity.csv", "h2,ophthalmology", "h2,ophtalmology", "specialty", "unknown specialty"),
    ("hospitals.csv", "r2,private", "r9,private", "region_id", "unknown region_id"),
    ("capabilities.csv", "h1,hip", "h1,knee", "procedure_id", "unknown procedure_id"),
    ("waiting_list.csv", "waiting,true,h1", "waiting,true,h9", "listed_hospital_id", "unknown hospital_id"),
    ("waiting_list.csv", "P0012345,r1,hip", "P0012345,r1,knee", "procedure_id", "unknown procedure_id"),
    ("prices.csv", "hip,h2", "hip,h3", "hospital_id", "unknown hospital_id"),
]


@pytest.mark.parametrize(("file", "old", "new", "column", "words"), UNKNOWN_IDS)
def test_unknown_id(folder, file, old, new, column, words):
    line = edit(folder, file, old, new)
    expect(problems_of(folder), file, line, column, words)


DUPLICATE_KEYS = [
    ("regions.csv", "r2,r2", "r1,r2", "region_id"),
    ("capacity.csv", "h1,orthopaedics,2025-W15", "h1,orthopaedics,2025-W14", "hospital_id,specialty,week"),
    ("capabilities.csv", "h2,cataract", "h1,hip", "hospital_id,procedure_id"),
    ("waiting_list.csv", "P0012346,r2,hip", "P0012345,r2,hip", "patient_id,procedure_id"),
]


@pytest.mark.parametrize(("file", "old", "new", "column"), DUPLICATE_KEYS)
def test_duplicate_key(folder, file, old, new, column):
    line = edit(folder, file, old, new)  # the later of the two rows is reported
    expect(problems_of(folder), file, line, column, "duplicate key")


def test_same_patient_may_wait_for_two_procedures(folder):
    edit(folder, "waiting_list.csv", "P0012347,r1,cataract", "P0012345,r1,cataract")
    assert len(load_dataset(folder).waiting_list) == 4


NEGATIVE = [
    ("capacity.csv", "2025-W14,2", "2025-W14,-1", "theatre_days"),
    ("beds.csv", "2025-W14,10", "2025-W14,-10", "bed_days"),
    ("prices.csv", "70000", "-70000", "price_sek"),
]


@pytest.mark.parametrize(("file", "old", "new", "column"), NEGATIVE)
def test_negative_number(folder, file, old, new, column):
    line = edit(folder, file, old, new)
    expect(problems_of(folder), file, line, column, "at least 0")


@pytest.mark.parametrize(
    ("file", "old", "column", "value"),
    [
        ("prices.csv", "hip,h2,70000", "price_sek", "NaN"),
        ("beds.csv", "2025-W14,10", "bed_days", "-Infinity"),
        ("regions.csv", "r1,r1,100000", "population", "inf"),  # an int column: inf used to crash the cast
    ],
)
def test_non_finite_number(folder, file, old, column, value):
    line = edit(folder, file, old, old.rsplit(",", 1)[0] + "," + value)
    expect(problems_of(folder), file, line, column, "not a finite number")


@pytest.mark.parametrize(
    ("file", "old", "column", "value"),
    [
        ("capacity.csv", "2025-W14,2", "theatre_days", "1e300"),
        ("regions.csv", "r1,r1,100000", "population", f"{MAX_NUMBER * 10:.0f}"),
        ("prices.csv", "hip,h2,70000", "price_sek", "99999999999999999999999"),
    ],
)
def test_huge_number(folder, file, old, column, value):
    line = edit(folder, file, old, old.rsplit(",", 1)[0] + "," + value)
    expect(problems_of(folder), file, line, column, "implausibly large")


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("procedures.csv", "orthopaedics,3,2.5", "orthopaedics,0,2.5"),
        ("capabilities.csv", "h2,cataract,10", "h2,cataract,0"),
    ],
)
def test_zero_cases_per_theatre_day(folder, file, old, new):
    line = edit(folder, file, old, new)
    expect(problems_of(folder), file, line, "cases_per_theatre_day", "greater than 0")


def test_a_procedure_needs_a_rate_but_a_capability_may_leave_it_empty(folder):
    edit(folder, "capabilities.csv", "h2,cataract,10", "h2,cataract,")
    assert pd.isna(load_dataset(folder).capabilities.loc[1, "cases_per_theatre_day"])
    line = edit(folder, "procedures.csv", "orthopaedics,3,", "orthopaedics,,")
    expect(problems_of(folder), "procedures.csv", line, "cases_per_theatre_day", "required")


# --- bounds, lengths and patterns of the contract (the JSON form's models derive from them) --------

OUT_OF_RANGE = [
    ("hospitals.csv", "59.8,17.6", "500,17.6", "lat", "at most 90"),
    ("hospitals.csv", "59.8,17.6", "90.5,17.6", "lat", "at most 90"),
    ("hospitals.csv", "59.8,17.6", "-90.5,17.6", "lat", "at least -90"),
    ("hospitals.csv", "59.8,17.6", "59.8,180.01", "lon", "at most 180"),
    ("hospitals.csv", "59.8,17.6", "59.8,-181", "lon", "at least -180"),
    ("hospitals.csv", "59.8,17.6", "1e300,17.6", "lat", "at most 90"),  # one problem, not also "large"
]


@pytest.mark.parametrize(("file", "old", "new", "column", "words"), OUT_OF_RANGE)
def test_coordinates_out_of_range(folder, file, old, new, column, words):
    line = edit(folder, file, old, new)
    expect(problems_of(folder), file, line, column, words)


def test_coordinates_on_the_bounds_load(folder):
    edit(folder, "hospitals.csv", "59.8,17.6", "90,-180")
    edit(folder, "hospitals.csv", "59.37,13.5", "-90,180")
    assert load_dataset(folder).hospitals[["lat", "lon"]].values.tolist() == [[90, -180], [-90, 180]]


LONG_IDS = [
    ("regions.csv", "r2,r2,100000", "{id},r2,100000", "region_id"),
    ("hospitals.csv", "h1,Sjukhuset", "{id},Sjukhuset", "hospital_id"),
    ("procedures.csv", "cataract,cataract", "{id},cataract", "procedure_id"),
    ("procedures.csv", "ophthalmology", "{id}", "specialty"),
    ("waiting_list.csv", "P0012346", "{id}", "patient_id"),
]


@pytest.mark.parametrize(("file", "old", "new", "column"), LONG_IDS)
def test_over_long_id_is_refused_without_echo(folder, file, old, new, column):
    too_long = "X" * 65
    line = edit(folder, file, old, new.format(id=too_long))
    problems = problems_of(folder)
    expect(problems, file, line, column, "longer than 64 characters")
    assert too_long not in str(DatasetError(problems))


def test_id_of_64_characters_loads(folder):
    edit(folder, "waiting_list.csv", "P0012346", "P" * 64)
    assert "P" * 64 in set(load_dataset(folder).waiting_list["patient_id"])


def test_over_long_id_holding_a_personal_number_is_refused_without_echo(folder):
    number = "19121212-1212"
    line = edit(folder, "waiting_list.csv", "P0012346", "X" * 60 + number)
    problems = problems_of(folder)
    reported = [p for p in problems if (p.file, p.row, p.column) == ("waiting_list.csv", line, "patient_id")]
    messages = " | ".join(p.message for p in reported)
    assert "longer than 64" in messages and "personal identity number" in messages
    assert "19121212" not in str(DatasetError(problems))


@pytest.mark.parametrize("date", ["2024-12-1", "2024-2-25 ", "20241221", "2024-12-21T00:00"])
def test_decision_date_must_be_written_yyyy_mm_dd(folder, date):
    line = edit(folder, "waiting_list.csv", "2024-12-21", date)
    expect(problems_of(folder), "waiting_list.csv", line, "decision_date", "YYYY-MM-DD")


# --- dates and the plan ------------------------------------------------------------------------


@pytest.mark.parametrize("date", ["2025-03-31", "2025-06-01"])
def test_decision_date_on_or_after_plan_start(folder, date):
    line = edit(folder, "waiting_list.csv", "2024-12-21", date)  # the plan starts Monday 2025-03-31
    expect(problems_of(folder), "waiting_list.csv", line, "decision_date", "plan start 2025-03-31", "2025-W14")


def test_decision_date_the_day_before_plan_start_is_fine(folder):
    edit(folder, "waiting_list.csv", "2024-12-21", "2025-03-30")
    assert load_dataset(folder).waiting_list["decision_date"].max() == pd.Timestamp("2025-03-30")


def test_plan_start_given_explicitly(folder):
    problems = problems_of(folder, plan_start="2025-W13")  # P0012347 was decided 2025-03-30
    assert [(p.file, p.row, p.column) for p in problems] == [("waiting_list.csv", 5, "decision_date")]
    assert load_dataset(folder, plan_start="2025-W16").plan_start == pd.Timestamp("2025-04-14").date()
    expect(problems_of(folder, plan_start="2025-W60"), "plan", None, "start_week", "week 60")


def test_no_valid_week_in_capacity_is_a_problem_not_a_crash(folder):
    path = folder / "capacity.csv"
    path.write_text(path.read_text().replace("2025-W1", "2025-W5"))  # weeks 54, 55, 56 do not exist
    problems = problems_of(folder)
    expect(problems, "capacity.csv", 2, "week", "ISO week")
    expect(problems, "capacity.csv", None, "week", "cannot tell when the plan starts")


# --- personal identity numbers -----------------------------------------------------------------

PERSONAL_NUMBERS = ["19121212-1212", "121212-1212", "191212121212", "1212121212", "19121272-1212", "P19121212-1212"]


@pytest.mark.parametrize("number", PERSONAL_NUMBERS)
def test_personal_identity_number_is_rejected_without_echoing_it(folder, number):
    line = edit(folder, "waiting_list.csv", "P0012346", number)
    with pytest.raises(DatasetError) as info:
        load_dataset(folder)
    expect(info.value.problems, "waiting_list.csv", line, "patient_id", "personal identity number", "pseudonymous")
    digits = "".join(ch for ch in number if ch.isdigit())
    for text in (str(info.value), repr(info.value), *map(str, info.value.problems)):
        assert number not in text and digits not in text and digits[-10:] not in text


def test_personal_number_with_plus_separator_is_rejected_without_echo(folder):
    edit(folder, "waiting_list.csv", "P0012346", "121212+1212")  # + also breaks the id alphabet
    with pytest.raises(DatasetError) as info:
        load_dataset(folder)
    assert any("personal identity number" in p.message for p in info.value.problems)
    assert "1212" not in str(info.value).replace("waiting_list.csv:4", "")


def test_many_personal_numbers_are_each_reported_and_capped(folder):
    path = folder / "waiting_list.csv"
    header, *rows = path.read_text().splitlines()
    row = rows[0].split(",", 1)[1]
    extra = [f"{19500101 + i:08d}-{1000 + i}," + row.replace("hip", "cataract") for i in range(25)]
    path.write_text("\n".join([header, *rows, *extra]) + "\n")
    problems = [p for p in problems_of(folder) if p.column == "patient_id"]
    assert [p.row for p in problems[:MAX_PROBLEMS_PER_COLUMN]] == list(range(6, 6 + MAX_PROBLEMS_PER_COLUMN))
    assert problems[-1].row is None and "5 more rows" in problems[-1].message
    assert not any(ch.isdigit() for p in problems for ch in p.message.replace("5 more", ""))


# --- several problems, nothing partially loaded ------------------------------------------------


def test_problems_in_different_files_are_reported_together(folder):
    capacity = edit(folder, "capacity.csv", "2025-W14,2", "2025-W14,-1")
    hospitals = edit(folder, "hospitals.csv", "r2,private", "r9,private")
    waiting = edit(folder, "waiting_list.csv", "2024-12-21", "2024-13-01")
    pin = edit(folder, "waiting_list.csv", "P0012347", "19121212-1212")
    demand = edit(folder, "demand.csv", "2025-W15", "2025-W99")
    problems = problems_of(folder)
    expect(problems, "capacity.csv", capacity, "theatre_days", "at least 0")
    expect(problems, "hospitals.csv", hospitals, "region_id", "unknown")
    expect(problems, "waiting_list.csv", waiting, "decision_date", "YYYY-MM-DD")
    expect(problems, "waiting_list.csv", pin, "patient_id", "personal identity number")
    expect(problems, "demand.csv", demand, "week", "ISO week")
    assert len(problems) == 5


def test_file_level_problems_in_several_files_are_reported_together(folder):
    (folder / "beds.csv").unlink()
    path = folder / "prices.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    edit(folder, "regions.csv", "population", "pop")
    # the files that could be read are still checked value by value and for duplicate keys
    negative = edit(folder, "capacity.csv", "2025-W14,2", "2025-W14,-1")
    duplicate = edit(folder, "waiting_list.csv", "P0012346,r2,hip", "P0012345,r2,hip")
    problems = problems_of(folder)
    assert {(p.file, p.row, p.column) for p in problems} == {
        ("beds.csv", None, None),
        ("prices.csv", 1, None),
        ("regions.csv", 1, "pop"),
        ("regions.csv", 1, "population"),
        ("capacity.csv", negative, "theatre_days"),
        ("waiting_list.csv", duplicate, "patient_id,procedure_id"),
    }


def test_nothing_is_partially_loaded(folder):
    edit(folder, "beds.csv", "2025-W16,10", "2025-W16,-1")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = None
    with pytest.raises(DatasetError):
        result = load_dataset(folder)
    assert result is None
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # loading never writes
    edit(folder, "beds.csv", "2025-W16,-1", "2025-W16,10")
    assert len(load_dataset(folder).beds) == 3  # fixed: loads in full, nothing cached from before


def test_error_message_lists_problems_as_file_row_column(folder):
    edit(folder, "beds.csv", "2025-W16,10", "2025-W16,-1")
    with pytest.raises(DatasetError) as info:
        load_dataset(folder)
    assert "beds.csv:4:bed_days: must be at least 0" in str(info.value)


# --- save_dataset ------------------------------------------------------------------------------


def assert_same_dataset(a: Dataset, b: Dataset) -> None:
    assert a.plan_start == b.plan_start
    for name in Dataset.table_names():
        pdt.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)


def test_round_trip(folder, tmp_path):
    first = load_dataset(folder)
    again = load_dataset(save_dataset(first, tmp_path / "copy"))
    assert_same_dataset(first, again)


def test_saving_twice_gives_identical_bytes(folder, tmp_path):
    ds = load_dataset(folder)
    a, b = save_dataset(ds, tmp_path / "a"), save_dataset(ds, tmp_path / "b")
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(FILES)
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert all((a / f).read_bytes() == (folder / f).read_bytes() for f in files)  # tiny() → load → save


def test_floats_round_trip_exactly(tmp_path):
    ds = tiny()
    odd = [1 / 3, 0.1 + 0.2, 2 / 3 * 1e8, 1e-7, 123456.78901234567, 7.0]
    ds = ds.with_tables(capacity=ds.capacity.assign(theatre_days=odd))
    loaded = load_dataset(save_dataset(ds, tmp_path / "odd"))
    assert loaded.capacity["theatre_days"].tolist() == odd
    assert "h1,orthopaedics,2025-W15,0.30000000000000004\n" in (tmp_path / "odd" / "capacity.csv").read_text()
    assert "h2,ophthalmology,2025-W16,7\n" in (tmp_path / "odd" / "capacity.csv").read_text()


def test_round_trip_of_text_that_needs_quoting(folder, tmp_path):
    edit(folder, "hospitals.csv", "Sjukhuset i Skövde", '"Sjukhuset i Skövde, ""SkaS"""')
    first = load_dataset(folder)
    assert first.hospitals.loc[0, "name"] == 'Sjukhuset i Skövde, "SkaS"'
    assert_same_dataset(first, load_dataset(save_dataset(first, tmp_path / "copy")))


def test_save_over_existing_folder_replaces_it_fully(folder, tmp_path):
    (folder / "stale.csv").write_text("old\n")
    (folder / "notes").mkdir()
    (folder / "notes" / "readme.txt").write_text("old notes\n")
    (folder / "regions.csv").write_text("garbage\n")
    smaller = tiny().with_tables(prices=tiny().prices.iloc[:1])
    save_dataset(smaller, folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no staging or backup folders left
    assert len(load_dataset(folder).prices) == 1
    save_dataset(tiny(), folder)  # and once more over the result
    assert len(load_dataset(folder).prices) == 2


def test_saved_folder_gets_ordinary_permissions(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    saved = save_dataset(tiny(), tmp_path / "nested" / "saved")
    assert saved.stat().st_mode == plain.stat().st_mode  # not tempfile's private 0700
    assert os.access(saved / "regions.csv", os.R_OK)


# --- priorities (contract version 2: priorities.csv and waiting_list's priority are optional) ------

PRIORITIES = [
    {"priority_id": "urgent", "name_sv": "Förtur", "max_wait_days": 30.0, "demand_share": 0.05},
    {"priority_id": "prioritised", "name_sv": "Prioriterad", "max_wait_days": 60.0, "demand_share": 0.15},
    {"priority_id": "routine", "name_sv": "Rutin", "max_wait_days": 90.0, "demand_share": 0.8},
]
PRIORITIES_CSV = "priority_id,name_sv,max_wait_days,demand_share\n" + "".join(
    f"{p['priority_id']},{p['name_sv']},{p['max_wait_days']:g},{p['demand_share']:g}\n" for p in PRIORITIES
)


def drop_column(folder: Path, file: str, column: str) -> None:
    """Remove `column` from a (plain, unquoted) contract file."""
    path = folder / file
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    k = rows[0].index(column)
    path.write_text("".join(",".join(r[:k] + r[k + 1 :]) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def first_contract(folder: Path) -> Path:
    """The tiny dataset as the first contract had it: no priorities.csv, no priority column."""
    (folder / "priorities.csv").unlink()
    drop_column(folder, "waiting_list.csv", "priority")
    return folder


@pytest.fixture
def prioritised(folder: Path) -> Path:
    """The tiny dataset with three priorities; its patients are urgent, routine, prioritised, routine."""
    (folder / "priorities.csv").write_text(PRIORITIES_CSV, encoding="utf-8")
    edit(
        folder,
        "waiting_list.csv",
        "P0012345,r1,hip,2024-12-21,waiting,true,h1,routine",
        "P0012345,r1,hip,2024-12-21,waiting,true,h1,urgent",
    )
    edit(
        folder,
        "waiting_list.csv",
        "P0012346,r2,hip,2024-02-25,PvV,true,,routine",
        "P0012346,r2,hip,2024-02-25,PvV,true,,prioritised",
    )
    return folder


def test_first_contract_dataset_loads_with_one_routine_priority(first_contract):
    ds = load_dataset(first_contract)
    pdt.assert_frame_equal(ds.priorities, default_priorities())
    assert ds.waiting_list["priority"].tolist() == [DEFAULT_PRIORITY] * 4
    assert list(ds.waiting_list.columns) == FILES["waiting_list.csv"].column_names
    assert_same_dataset(ds, load_dataset(save_dataset(tiny(), first_contract.parent / "v2")))


def test_first_contract_with_a_routine_or_empty_priority_column(first_contract):
    (first_contract / "waiting_list.csv").write_text(
        (first_contract / "waiting_list.csv")
        .read_text()
        .replace("\n", ",routine\n")
        .replace(",routine\n", ",priority\n", 1)
    )
    edit(first_contract, "waiting_list.csv", "true,h1,routine", "true,h1,")  # empty: the default
    assert load_dataset(first_contract).waiting_list["priority"].tolist() == [DEFAULT_PRIORITY] * 4


def test_without_priorities_csv_every_priority_is_routine(folder):
    (folder / "priorities.csv").unlink()
    line = edit(folder, "waiting_list.csv", "true,h1,routine", "true,h1,urgent")
    (problem,) = problems_of(folder)
    expect([problem], "waiting_list.csv", line, "priority", "unknown priority_id", "without priorities.csv", "routine")


def test_priorities_load(prioritised):
    ds = load_dataset(prioritised)
    assert ds.priorities.to_dict(orient="records") == PRIORITIES
    assert ds.waiting_list["priority"].tolist() == ["urgent", "routine", "prioritised", "routine"]
    assert ds.priorities["priority_id"].dtype == default_priorities()["priority_id"].dtype


def test_priority_column_is_required_with_priorities_csv(prioritised):
    drop_column(prioritised, "waiting_list.csv", "priority")
    (problem,) = problems_of(prioritised)
    expect([problem], "waiting_list.csv", 1, "priority", "required column is missing", "priorities.csv is given")


def test_priority_value_is_required_with_priorities_csv(prioritised):
    line = edit(prioritised, "waiting_list.csv", "true,h1,urgent", "true,h1,")
    (problem,) = problems_of(prioritised)
    expect([problem], "waiting_list.csv", line, "priority", "required when priorities.csv is given")


def test_unknown_priority(prioritised):
    line = edit(prioritised, "waiting_list.csv", "true,h1,urgent", "true,h1,emergency")
    (problem,) = problems_of(prioritised)
    expect([problem], "waiting_list.csv", line, "priority", "unknown priority_id", "not in priorities.csv")


@pytest.mark.parametrize(
    ("old", "new", "total"), [("0.8\n", "0.7\n", "0.9"), ("0.8\n", "0.80001\n", "1.00001"), ("0.05\n", "0\n", "0.95")]
)
def test_demand_shares_must_sum_to_one(prioritised, old, new, total):
    edit(prioritised, "priorities.csv", old, new)
    (problem,) = problems_of(prioritised)
    expect([problem], "priorities.csv", None, "demand_share", "must sum to 1", f"sums to {total}")


def test_demand_shares_sum_to_one_within_a_millionth(prioritised):
    edit(prioritised, "priorities.csv", "0.8\n", "0.8000009\n")
    assert load_dataset(prioritised).priorities["demand_share"].sum() == pytest.approx(1.0000009)


@pytest.mark.parametrize(
    ("value", "words"), [("-30", ["greater than 0"]), ("0", ["greater than 0"]), ("soon", ["number"])]
)
def test_max_wait_days_must_be_positive(prioritised, value, words):
    edit(prioritised, "priorities.csv", "urgent,Förtur,30,", f"urgent,Förtur,{value},")
    (problem,) = problems_of(prioritised)
    expect([problem], "priorities.csv", 2, "max_wait_days", *words)


def test_demand_share_is_a_share(prioritised):
    edit(prioritised, "priorities.csv", "Förtur,30,0.05", "Förtur,30,-0.05")
    edit(prioritised, "priorities.csv", "Rutin,90,0.8", "Rutin,90,1.1")
    problems = problems_of(prioritised)
    expect(problems, "priorities.csv", 2, "demand_share", "at least 0")
    expect(problems, "priorities.csv", 4, "demand_share", "at most 1")
    assert len(problems) == 2  # no sum problem on top of the values' own


def test_priorities_file_problems(prioritised):
    edit(prioritised, "priorities.csv", "prioritised,Prioriterad", "urgent,Prioriterad")
    edit(prioritised, "priorities.csv", "demand_share\n", "demand_share,colour\n")
    problems = problems_of(prioritised)
    expect(problems, "priorities.csv", 1, "colour", "unexpected column")


def test_duplicate_priority(prioritised):
    line = edit(prioritised, "priorities.csv", "prioritised,Prioriterad,60,0.15", "urgent,Prioriterad,60,0.15")
    problems = problems_of(prioritised)
    expect(problems, "priorities.csv", line, "priority_id", "duplicate key")


def test_header_only_priorities_csv_sums_to_zero(folder):
    (folder / "priorities.csv").write_text("priority_id,name_sv,max_wait_days,demand_share\n")
    problems = problems_of(folder)
    expect(problems, "priorities.csv", None, "demand_share", "must sum to 1")


def test_round_trip_keeps_priorities(tmp_path):
    ds = make_dataset(
        regions=["r1"],
        hospitals=[{"hospital_id": "h1", "region_id": "r1"}],
        procedures=[{"procedure_id": "hip"}],
        capabilities=[{"hospital_id": "h1", "procedure_id": "hip"}],
        capacity=weekly("h1", 1.0, 2),
        patients=[
            {"region_id": "r1", "procedure_id": "hip", "waited": 10, "priority": "urgent"},
            {"region_id": "r1", "procedure_id": "hip", "waited": 20, "priority": "routine"},
            {"region_id": "r1", "procedure_id": "hip", "waited": 30},
        ],
        priorities=[
            {"priority_id": "urgent", "name_sv": "Förtur", "max_wait_days": 30, "demand_share": 1 / 3},
            {"priority_id": "routine", "max_wait_days": 90, "demand_share": 2 / 3},
        ],
    )
    loaded = load_dataset(save_dataset(ds, tmp_path / "p"))
    assert_same_dataset(loaded, load_dataset(save_dataset(loaded, tmp_path / "again")))
    pdt.assert_frame_equal(loaded.priorities, ds.priorities)  # the factory types it as the loader does
    assert loaded.waiting_list["priority"].tolist() == ["urgent", "routine", "routine"]


def test_save_writes_the_default_priorities_and_column(tmp_path):
    ds = tiny()
    saved = save_dataset(ds.with_tables(waiting_list=ds.waiting_list.drop(columns="priority")), tmp_path / "d")
    assert (
        saved / "priorities.csv"
    ).read_text() == "priority_id,name_sv,max_wait_days,demand_share\nroutine,Rutin,90,1\n"
    assert (saved / "waiting_list.csv").read_text().splitlines()[0].endswith(",listed_hospital_id,priority")
    for name, table in ds.tables().items():
        pdt.assert_frame_equal(getattr(load_dataset(saved), name), table, check_dtype=False)


# --- the command line --------------------------------------------------------------------------


def run_validate(path: Path):
    return CliRunner().invoke(app, ["validate", str(path)])


def test_cli_validate_ok(folder):
    result = run_validate(folder)
    assert result.exit_code == 0, result.output
    assert "ok" in result.output and "4 waiting-list rows" in " ".join(result.output.split())


def test_cli_validate_broken_dataset(folder):
    beds = edit(folder, "beds.csv", "2025-W16,10", "2025-W16,-1")
    hospitals = edit(folder, "hospitals.csv", "r2,private", "r9,private")
    pin = edit(folder, "waiting_list.csv", "P0012346", "19121212-1212")
    late = edit(folder, "waiting_list.csv", "2024-12-21", "2025-06-01")
    result = run_validate(folder)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    assert "1212" not in result.output
    lines = result.output.splitlines()
    assert lines[0] == "4 problem(s):"
    # one problem per line, whole (long lines are not wrapped at the console width)
    assert sorted(lines[1:]) == sorted(
        [
            f"beds.csv:{beds}:bed_days: must be at least 0",
            f"hospitals.csv:{hospitals}:region_id: unknown region_id (not in regions.csv)",
            f"waiting_list.csv:{pin}:patient_id: looks like a personal identity number; use pseudonymous ids",
            f"waiting_list.csv:{late}:decision_date: decision date is not before the plan start 2025-03-31 (2025-W14)",
        ]
    )


def test_cli_validate_missing_folder(tmp_path):
    result = run_validate(tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "does not exist" in " ".join(result.output.split())


# --- the default dataset, when it has been generated ---------------------------------------------

needs_default = pytest.mark.skipif(
    not (MELLANSVERIGE / "waiting_list.csv").is_file(), reason="scenarios/mellansverige not generated yet"
)


@needs_default
def test_default_dataset_round_trips_to_the_same_bytes(tmp_path):
    copy = save_dataset(load_dataset(MELLANSVERIGE), tmp_path / "mellansverige")
    for file in FILES:  # save(load(x)) == x byte for byte, so load(save(load(x))) == load(x) too
        assert (copy / file).read_bytes() == (MELLANSVERIGE / file).read_bytes(), file


@needs_default
def test_default_dataset_with_one_bad_row(tmp_path):
    copy = Path(shutil.copytree(MELLANSVERIGE, tmp_path / "mellansverige"))
    path = copy / "waiting_list.csv"
    lines = path.read_text().splitlines()
    fields = lines[1000].split(",")
    fields[0] = "19121212-1212"
    lines[1000] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    problems = problems_of(copy)
    assert [(p.file, p.row, p.column) for p in problems] == [("waiting_list.csv", 1001, "patient_id")]


# -- the two CSV readers --------------------------------------------------------------------------

_FIELD = st.text(alphabet="ab1.-_ é\t\xa0", max_size=4)  # with padding that `str.strip` removes


@settings(max_examples=200, deadline=None)
@given(
    width=st.integers(1, 3),
    cells=st.lists(st.lists(_FIELD, min_size=3, max_size=3), min_size=1, max_size=15),
    trailing_newline=st.booleans(),
)
def test_plain_reader_reads_what_the_record_reader_reads(width, cells, trailing_newline):
    """Plain files take pandas' C reader; its frame equals the `csv` record reader's, field for field.

    Anything the plain reader does not vouch for (blank lines, ragged rows, quotes) it declines.
    """
    from models.loader import _parse_plain, _parse_records, _Problems

    lines = [",".join(f"c{k}" for k in range(width))] + [",".join(row[:width]) for row in cells]
    text = "\n".join(lines) + ("\n" if trailing_newline else "")
    plain = _parse_plain(text)
    if plain is None:
        assert any(not line.strip() for line in lines)  # only a blank line makes it decline here
        return
    header, rows, index = _parse_records(text, FILES["regions.csv"], _Problems())
    assert plain[0] == header
    assert plain[2] == index
    expected = pd.DataFrame(rows, columns=header, index=index, dtype=str)
    pdt.assert_frame_equal(plain[1].set_axis(header, axis=1), expected, check_index_type=False)


@pytest.mark.parametrize(
    "text",
    ['a,b\n"x,y",z\n', "a,b\n1,2\n\n3,4\n", "a,b\n1,2,3\n", "a,b\r\n1,2\r\n", "a,b\n  \n1,2\n"],
    ids=["quoted", "blank-line", "ragged", "crlf", "whitespace-line"],
)
def test_plain_reader_declines_files_that_need_the_record_reader(text):
    from models.loader import _parse_plain

    assert _parse_plain(text) is None


def test_bundled_dataset_is_read_by_the_plain_reader_and_equals_the_record_reader():
    from models.loader import _parse_plain, _parse_records, _Problems

    for name, spec in FILES.items():
        text = (MELLANSVERIGE / name).read_text(encoding="utf-8")
        plain = _parse_plain(text)
        assert plain is not None, name
        header, rows, index = _parse_records(text, spec, _Problems())
        expected = pd.DataFrame(rows, columns=header, index=index, dtype=str)
        pdt.assert_frame_equal(plain[1].set_axis(header, axis=1), expected, check_index_type=False)
