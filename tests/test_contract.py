"""The dataset contract is defined once: the JSON form's pydantic models are derived from the FileSpecs.

Two guards against drift between `models.contract` (the loader's rules) and `models.domain` (the
record models of the JSON upload and the OpenAPI schema):
* structural: every FileSpec column has a model field of the same name, in the same order, with the
  constraints the contract states (written out here independently of the derivation);
* behavioural: for every column, values on and beyond its rules are sent both through the JSON
  upload's path (records → contract CSV files → `load_dataset`) and through the record model, and
  both must accept or refuse each value as the contract says.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from api.uploads import write_json_payload
from models.contract import FILES, ID_MAX_LENGTH, ID_PATTERN, MAX_NUMBER, Column, FileSpec
from models.dataset import DEFAULT_PRIORITY, Dataset, default_priorities
from models.domain import RECORD_MODELS, DatasetPayload, record_model
from models.errors import DatasetError
from models.loader import load_dataset
from tests.factory import random_dataset

SPECS = list(FILES.values())
COLUMNS = [(spec, column) for spec in SPECS for column in spec.columns]
#: Each column, with the files left out of the dataset: none, and (for a column that another file
#: makes required) that file, so both sides of `required_with` are checked.
COLUMN_CASES = [(spec, column, ()) for spec, column in COLUMNS] + [
    (spec, column, (column.required_with,)) for spec, column in COLUMNS if column.required_with
]
#: JSON schema type of each column type.
JSON_TYPES = {
    "id": "string",
    "text": "string",
    "week": "string",
    "date": "string",
    "level": "string",
    "status": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
}


def _property(model, column: str) -> dict:
    """The JSON schema of one field, with an optional field's `anyOf [..., null]` unwrapped."""
    prop = model.model_json_schema()["properties"][column]
    if "anyOf" in prop:
        options = [option for option in prop["anyOf"] if option != {"type": "null"}]
        assert len(options) == 1 and len(prop["anyOf"]) == 2, prop
        prop = {**options[0], **{k: v for k, v in prop.items() if k != "anyOf"}}
    return prop


# --- structure -----------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_record_model_has_the_files_columns_in_order(spec: FileSpec):
    model = RECORD_MODELS[spec.name]
    assert model.__name__ == spec.record and spec.record
    assert list(model.model_fields) == spec.column_names
    required = set(model.model_json_schema().get("required", []))
    assert required == {c.name for c in spec.columns if not c.optional}
    assert model.model_config["extra"] == "forbid"


@pytest.mark.parametrize(("spec", "column"), COLUMNS, ids=lambda x: x.name)
def test_every_column_has_a_field_with_the_contracts_constraints(spec: FileSpec, column: Column):
    prop = _property(RECORD_MODELS[spec.name], column.name)
    assert prop["type"] == JSON_TYPES[column.type]
    if column.type == "id":
        assert (prop["pattern"], prop["maxLength"], prop["minLength"]) == (ID_PATTERN, ID_MAX_LENGTH, 1)
    else:
        assert "maxLength" not in prop
    if column.type == "week":
        assert prop["pattern"] == r"^\d{4}-W\d{2}$"
    if column.type == "date":
        assert prop["format"] == "date"
    if column.type in ("level", "status"):
        assert prop["enum"] == list(column.choices)
    else:
        assert "enum" not in prop
    if column.type in ("int", "float"):
        if column.positive:
            assert prop["exclusiveMinimum"] == 0 and "minimum" not in prop
        else:
            assert prop["minimum"] == (column.minimum if column.minimum is not None else -MAX_NUMBER)
        assert prop["maximum"] == (column.maximum if column.maximum is not None else MAX_NUMBER)
    else:
        assert not {"minimum", "maximum", "exclusiveMinimum"} & set(prop)
    if column.optional:
        assert prop["default"] is None
    if column.description:
        assert prop["description"] == column.description


def test_the_bounds_the_api_once_stated_by_hand_are_in_the_contract():
    hospitals = FILES["hospitals.csv"]
    assert (hospitals.column("lat").minimum, hospitals.column("lat").maximum) == (-90, 90)
    assert (hospitals.column("lon").minimum, hospitals.column("lon").maximum) == (-180, 180)
    assert FILES["waiting_list.csv"].column("patient_id").pseudonymous
    assert ID_MAX_LENGTH == 64


def test_payload_has_one_list_of_records_per_file():
    fields = DatasetPayload.model_fields
    assert list(fields) == [spec.table for spec in SPECS] == Dataset.table_names()
    for spec in SPECS:
        assert fields[spec.table].annotation == list[RECORD_MODELS[spec.name]]
    assert set(DatasetPayload.model_json_schema()["required"]) == {spec.table for spec in SPECS if not spec.optional}


def test_the_optional_parts_of_the_contract():
    """Version 2 (DESIGN "Priorities"): priorities.csv may be left out, and waiting_list's priority with it."""
    assert [spec.name for spec in SPECS if spec.optional] == ["priorities.csv"]
    priorities = FILES["priorities.csv"]
    assert priorities.column_names == ["priority_id", "name_sv", "max_wait_days", "demand_share"]
    assert priorities.key == ("priority_id",)
    assert priorities.column("max_wait_days").positive and priorities.column("demand_share").total == 1
    assert (priorities.column("demand_share").minimum, priorities.column("demand_share").maximum) == (0, 1)
    priority = FILES["waiting_list.csv"].column("priority")
    assert (priority.default, priority.required_with, priority.optional) == ("routine", "priorities.csv", True)
    left_out = [c.name for spec in SPECS for c in spec.columns if c.may_be_left_out]
    assert left_out == ["priority", "booked_hospital_id", "booked_week"]
    assert FILES["waiting_list.csv"].column_names[-3] == "priority"  # earlier columns keep their places


def test_a_column_changed_in_the_contract_changes_the_model():
    spec = FILES["hospitals.csv"]
    changed = replace(
        spec,
        columns=(
            *(replace(c, maximum=45) if c.name == "lat" else c for c in spec.columns),
            Column("beds", "int", minimum=1, maximum=500),
        ),
    )
    schema = record_model(changed).model_json_schema()
    assert schema["properties"]["lat"]["maximum"] == 45
    assert (schema["properties"]["beds"]["minimum"], schema["properties"]["beds"]["maximum"]) == (1, 500)
    assert "beds" in schema["required"]


# --- behaviour: the model accepts and refuses what the loader does ----------------------------------


def _cases(column: Column) -> list[tuple[object, bool]]:
    """JSON values for `column` and whether the contract allows them."""
    cases: list[tuple[object, bool]] = [(None, column.optional)]
    if column.type == "id":
        cases += [
            ("ok_1.A-b", True),
            ("x" * ID_MAX_LENGTH, True),
            ("x" * (ID_MAX_LENGTH + 1), False),
            ("has space", False),
            ("Skövde", False),
            ("a/b", False),
            ("19121212-1212", not column.pseudonymous),
        ]
    elif column.type == "text":
        cases += [("Sjukhuset i Skövde, 1:a", True), ("   ", column.optional)]
    elif column.type in ("int", "float"):
        low = column.minimum if column.minimum is not None else -MAX_NUMBER
        high = column.maximum if column.maximum is not None else MAX_NUMBER
        cases += [(high, True), (high + 1, False), (low - 1, False), ("abc", False), ("500", low <= 500 <= high)]
        cases += [(1e-6, column.type == "float"), (0, False), (-0.0, False)] if column.positive else [(low, True)]
        if column.type == "int":
            cases += [(2.0, True), (1.5, False)]
    elif column.type == "week":
        cases += [("2025-W14", True), ("2026-W53", True), ("2025-W53", False), ("2025-14", False), ("14", False)]
    elif column.type == "date":  # before every plan start: decision dates after it are another rule
        cases += [("2024-12-21", True), ("2024-12-1", False), ("2024-02-30", False), ("21/12/2024", False)]
    elif column.type == "bool":
        cases += [(True, True), (False, True), ("yes", True), ("no", True), ("ja", False), ("", column.optional)]
    else:
        cases += [(choice, True) for choice in column.choices]
        cases += [(column.choices[0].upper(), False), ("other", False)]
    return cases


def _base_records(dataset: Dataset | None = None) -> dict[str, list[dict]]:
    """A valid dataset as JSON records, as a client sends it (dates as text)."""
    payload = {}
    for table, frame in (dataset or random_dataset(3)).tables().items():
        frame = frame.copy()
        if table == "waiting_list":
            frame["decision_date"] = frame["decision_date"].dt.strftime("%Y-%m-%d")
        payload[table] = json.loads(frame.to_json(orient="records"))
    return payload


#: Problems of rules other than the value's own (references, keys, the plan's start, the booking
#: columns' rules across columns: `models.bookings`).
_OTHER_RULES = (
    "unknown ",
    "duplicate key",
    "decision date is not before",
    "must be empty unless status is booked",
    "value is required for status booked",
    "the booked hospital cannot",
)


def _case_id(value) -> str:
    return ("without-" + "+".join(value)) if isinstance(value, tuple) else value.name


@pytest.mark.parametrize(("spec", "column", "left_out"), COLUMN_CASES, ids=_case_id)
def test_model_and_json_upload_accept_and_refuse_the_same_values(
    spec: FileSpec, column: Column, left_out: tuple[str, ...], tmp_path: Path
):
    payload = _base_records()
    for file in left_out:
        del payload[FILES[file].table]
    table = payload[spec.table]
    base, first = table[0], len(table)
    cases = _cases(column)
    table += [{**base, column.name: value} for value, _ in cases]  # copies may repeat keys: another rule
    folder = tmp_path / "dataset"
    folder.mkdir()
    assert write_json_payload(payload, folder) == []
    try:
        load_dataset(folder)
        problems = []
    except DatasetError as exc:
        problems = exc.problems
    refused_rows = {
        p.row
        for p in problems
        if p.file == spec.name and p.column == column.name and not p.message.startswith(_OTHER_RULES)
    }
    model = RECORD_MODELS[spec.name]
    for i, (value, allowed) in enumerate(cases):
        record = {**base, column.name: value}
        try:
            model.model_validate(record)
            model_ok = True
        except ValidationError as exc:
            assert {error["loc"] for error in exc.errors()} == {(column.name,)}, exc
            model_ok = False
        loader_ok = first + i + 2 not in refused_rows
        if value is None and column.required_with and column.required_with not in left_out:
            # a rule across files, which a record's model cannot see: the file makes the value required
            assert (loader_ok, model_ok) == (False, True), f"{spec.name}:{column.name} = {value!r}"
            continue
        assert (loader_ok, model_ok) == (allowed, allowed), f"{spec.name}:{column.name} = {value!r}"


def test_model_errors_never_echo_a_personal_number():
    with pytest.raises(ValidationError) as info:
        RECORD_MODELS["waiting_list.csv"].model_validate(
            {
                "patient_id": "19121212-1212",
                "region_id": "r1",
                "procedure_id": "p1",
                "decision_date": dt.date(2024, 12, 21),
                "status": "waiting",
                "accepts_travel": True,
            }
        )
    assert "19121212" not in str(info.value)


# --- the optional file and column in the JSON upload ----------------------------------------------

PRIORITIES = [
    {"priority_id": "urgent", "name_sv": "Förtur", "max_wait_days": 30, "demand_share": 0.1},
    {"priority_id": "routine", "name_sv": "Rutin", "max_wait_days": 90, "demand_share": 0.9},
]


def _upload(payload: dict, tmp_path: Path) -> Dataset:
    """The JSON upload's path: validated by the model, written as the contract's CSV files, loaded."""
    DatasetPayload.model_validate(payload)
    folder = tmp_path / "upload"
    folder.mkdir()
    assert write_json_payload(payload, folder) == []
    return load_dataset(folder)


def test_json_upload_of_the_first_contract_has_one_routine_priority(tmp_path: Path):
    payload = _base_records()
    del payload["priorities"]
    for record in payload["waiting_list"]:
        del record["priority"]
    assert "priorities" not in DatasetPayload.model_validate(payload).model_fields_set
    loaded = _upload(payload, tmp_path)
    pd.testing.assert_frame_equal(loaded.priorities, default_priorities())
    assert set(loaded.waiting_list["priority"]) == {DEFAULT_PRIORITY}


def test_json_upload_with_priorities(tmp_path: Path):
    dataset = random_dataset(3)
    levels = ["urgent", "routine"] * len(dataset.waiting_list)
    waiting = dataset.waiting_list.assign(priority=levels[: len(dataset.waiting_list)])
    payload = _base_records(dataset.with_tables(waiting_list=waiting))
    payload["priorities"] = PRIORITIES
    loaded = _upload(payload, tmp_path)
    assert loaded.priorities.to_dict(orient="records") == [
        {**p, "max_wait_days": float(p["max_wait_days"])} for p in PRIORITIES
    ]
    assert loaded.waiting_list["priority"].tolist() == waiting["priority"].tolist()


def test_json_upload_with_priorities_needs_every_patients_priority(tmp_path: Path):
    payload = _base_records()
    payload["priorities"] = PRIORITIES
    del payload["waiting_list"][1]["priority"]
    DatasetPayload.model_validate(payload)  # one record cannot know that priorities.csv is given
    folder = tmp_path / "upload"
    folder.mkdir()
    write_json_payload(payload, folder)
    with pytest.raises(DatasetError) as info:
        load_dataset(folder)
    assert [(p.file, p.row, p.column) for p in info.value.problems] == [("waiting_list.csv", 3, "priority")]
    assert "required when priorities.csv is given" in info.value.problems[0].message


def test_json_payload_model_refuses_a_bad_priority():
    payload = _base_records()
    payload["priorities"] = [{**PRIORITIES[0], "max_wait_days": -5}]
    with pytest.raises(ValidationError) as info:
        DatasetPayload.model_validate(payload)
    assert [error["loc"] for error in info.value.errors()] == [("priorities", 0, "max_wait_days")]
