"""Dataset routes: upload as zip (raw or form) or JSON, list, summary, delete; 422 names file/row/column."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from models.contract import FILES
from tests.api.helpers import READ, WRITE, ZIP, dataset_folder, edit_csv, make_settings, zip_folder
from tests.factory import random_dataset


def _stored(client) -> int:
    return client.get("/api/v1/datasets", headers=READ).json()["count"]


def _json_payload(seed: int = 1) -> dict:
    """The dataset as JSON records, one list per contract file (dates as text, as a client sends them)."""
    dataset = random_dataset(seed)
    payload = {}
    for table, frame in dataset.tables().items():
        frame = frame.copy()
        if table == "waiting_list":
            frame["decision_date"] = frame["decision_date"].dt.strftime("%Y-%m-%d")
        payload[table] = json.loads(frame.to_json(orient="records"))
    return payload


def test_zip_upload_stores_the_dataset_and_returns_its_summary(client, small_zip):
    response = client.post("/api/v1/datasets", content=small_zip, headers=ZIP)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "rd1"  # the zip's top folder
    assert set(body["rows"]) == set(FILES)
    assert body["rows"]["regions.csv"] == 3
    assert body["plan_start"] == "2025-03-31"
    assert body["summary"]["totals"]["listed"] == body["rows"]["waiting_list.csv"]
    assert response.headers["location"].endswith(body["id"])
    assert client.get(f"/api/v1/datasets/{body['id']}", headers=READ).json() == body
    assert client.get("/api/v1/datasets/rd1", headers=READ).json()["id"] == body["id"]  # by name too
    listed = client.get("/api/v1/datasets", headers=READ).json()
    assert listed["count"] == 1 and listed["data"][0]["id"] == body["id"]


def test_a_plan_start_within_the_dataset_weeks_is_stored(client, small_zip):
    response = client.post("/api/v1/datasets?plan_start=2025-W16", content=small_zip, headers=ZIP)
    assert response.status_code == 201, response.text
    assert response.json()["plan_start"] == "2025-04-14"


@pytest.mark.parametrize("plan_start", ["2030-W01", "2025-W20"])
def test_a_plan_start_outside_the_dataset_weeks_is_422_naming_it(client, small_zip, plan_start):
    # the dataset has capacity and demand for 2025-W14..2025-W19
    response = client.post(f"/api/v1/datasets?plan_start={plan_start}", content=small_zip, headers=ZIP)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] == "the dataset is invalid: 1 problem(s)"
    [problem] = body["problems"]
    assert (problem["file"], problem["column"]) == ("upload", "plan_start")
    assert problem["message"].startswith(f"the plan's week {plan_start} goes beyond the dataset's capacity")
    assert f"no rows in capacity.csv or demand.csv for {plan_start}" in problem["message"]
    assert _stored(client) == 0


def test_form_upload_takes_the_name_from_the_form(client, small_zip):
    response = client.post(
        "/api/v1/datasets",
        files={"file": ("anything.zip", small_zip, "application/zip")},
        data={"name": "from-form"},
        headers=WRITE,
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "from-form"


def test_json_upload_stores_the_same_dataset_as_the_zip(client, small_zip):
    from_zip = client.post("/api/v1/datasets?name=zipped", content=small_zip, headers=ZIP).json()
    response = client.post("/api/v1/datasets?name=json", json=_json_payload(), headers=WRITE)
    assert response.status_code == 201, response.text
    assert response.json()["rows"] == from_zip["rows"]
    assert response.json()["summary"] == from_zip["summary"]


def test_a_taken_name_is_a_conflict(client, small_zip):
    assert client.post("/api/v1/datasets", content=small_zip, headers=ZIP).status_code == 201
    response = client.post("/api/v1/datasets", content=small_zip, headers=ZIP)
    assert response.status_code == 409
    assert _stored(client) == 1


def test_invalid_data_is_422_naming_file_row_and_column_and_nothing_is_stored(client, tmp_path, settings):
    folder = dataset_folder(tmp_path)
    edit_csv(folder, "capacity.csv", 3, "theatre_days", "-1")
    edit_csv(folder, "waiting_list.csv", 2, "patient_id", "19121212-1212")
    response = client.post("/api/v1/datasets", content=zip_folder(folder, top="broken"), headers=ZIP)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert {"file": "capacity.csv", "row": 3, "column": "theatre_days", "message": "must be at least 0"} in problems
    pin = [p for p in problems if p["file"] == "waiting_list.csv" and p["row"] == 2 and p["column"] == "patient_id"]
    assert pin and "personal identity number" in pin[0]["message"]
    assert "19121212" not in response.text  # an identity number is never echoed
    assert _stored(client) == 0
    assert not any((settings.data_dir / "staging").iterdir())  # no files left behind either


def test_json_upload_reports_the_same_problems_as_a_zip(client, tmp_path):
    folder = dataset_folder(tmp_path)
    edit_csv(folder, "capacity.csv", 3, "theatre_days", "-1")
    from_zip = client.post("/api/v1/datasets?name=z", content=zip_folder(folder), headers=ZIP).json()["problems"]
    payload = _json_payload()
    payload["capacity"][1]["theatre_days"] = -1.0  # record 1 = line 3 of capacity.csv
    from_json = client.post("/api/v1/datasets?name=j", json=payload, headers=WRITE).json()["problems"]
    assert from_json == from_zip


@pytest.mark.parametrize(
    ("table", "record", "column", "value", "message"),
    [
        ("hospitals", 1, "lat", 500, "must be at most 90"),
        ("hospitals", 0, "lon", -180.5, "must be at least -180"),
        ("waiting_list", 4, "patient_id", "P" * 65, "id is longer than 64 characters"),
        ("regions", 2, "name", "  ", "value is required"),
    ],
)
def test_json_and_zip_uploads_refuse_a_value_out_of_the_contract_alike(
    client, tmp_path, table, record, column, value, message
):
    """The contract's bounds, lengths and patterns hold for both forms, with the same file/row/column."""
    file, line = f"{table}.csv", record + 2
    folder = dataset_folder(tmp_path)
    edit_csv(folder, file, line, column, str(value))
    zipped = client.post("/api/v1/datasets?name=z", content=zip_folder(folder), headers=ZIP)
    payload = _json_payload()
    payload[table][record][column] = value
    posted = client.post("/api/v1/datasets?name=j", json=payload, headers=WRITE)
    assert (zipped.status_code, posted.status_code) == (422, 422)
    problem = {"file": file, "row": line, "column": column, "message": message}
    assert problem in posted.json()["problems"]
    assert posted.json()["problems"] == zipped.json()["problems"]
    if column == "patient_id":
        assert value not in posted.text and value not in zipped.text  # an id is never echoed
    assert _stored(client) == 0


def test_openapi_schema_of_the_json_upload_is_the_contract(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["DatasetPayload"]["properties"]["hospitals"]["items"] == {"$ref": "#/components/schemas/Hospital"}
    for spec in FILES.values():
        properties = schemas[spec.record]["properties"]
        assert list(properties) == spec.column_names
    lat = schemas["Hospital"]["properties"]["lat"]
    assert (lat["minimum"], lat["maximum"]) == (-90, 90)
    patient_id = schemas["WaitingPatient"]["properties"]["patient_id"]
    assert (patient_id["maxLength"], patient_id["pattern"]) == (64, r"^[A-Za-z0-9_.\-]+$")
    assert schemas["WaitingPatient"]["properties"]["status"]["enum"] == ["waiting", "MoV", "PvV", "booked"]


def test_json_upload_with_extra_or_missing_fields_names_them(client):
    payload = _json_payload()
    payload["regions"][0]["colour"] = "blue"
    del payload["prices"]
    response = client.post("/api/v1/datasets?name=j", json=payload, headers=WRITE)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert any(p["file"] == "prices.csv" for p in problems)
    assert any(p["file"] == "regions.csv" and p["column"] == "colour" for p in problems)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 422),
        (b"[1, 2]", "application/json", 422),
        (b"not a zip", "application/zip", 422),
        (b"name,value\n", "text/csv", 415),
    ],
)
def test_malformed_bodies_are_rejected(client, body, content_type, status):
    response = client.post("/api/v1/datasets?name=x", content=body, headers={**WRITE, "content-type": content_type})
    assert response.status_code == status
    assert _stored(client) == 0


def test_a_missing_file_is_named(client, tmp_path):
    folder = dataset_folder(tmp_path)
    (folder / "beds.csv").unlink()
    response = client.post("/api/v1/datasets?name=x", content=zip_folder(folder), headers=ZIP)
    assert response.status_code == 422
    assert {"file": "beds.csv", "row": None, "column": None, "message": "file is missing"} in response.json()[
        "problems"
    ]


def test_bodies_over_the_upload_limit_are_413(tmp_path, small_zip):
    settings = make_settings(tmp_path, max_upload_mb=len(small_zip) / 2 / 2**20)
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/v1/datasets", content=small_zip, headers=ZIP).status_code == 413

        def chunks():  # no Content-Length: the limit applies while reading
            yield small_zip[: len(small_zip) // 2]
            yield small_zip[len(small_zip) // 2 :]

        assert client.post("/api/v1/datasets", content=chunks(), headers=ZIP).status_code == 413
        assert _stored(client) == 0


def test_deleting_a_dataset_deletes_its_scenarios(client, small_zip):
    dataset = client.post("/api/v1/datasets", content=small_zip, headers=ZIP).json()
    text = "name: s\ndataset: rd1\nstart_week: 2025-W14\nhorizon_weeks: 2\n"
    scenario = client.post("/api/v1/scenarios", content=text, headers={**WRITE, "content-type": "application/yaml"})
    assert scenario.status_code == 201
    assert client.delete(f"/api/v1/datasets/{dataset['id']}", headers=READ).status_code == 403
    assert client.delete(f"/api/v1/datasets/{dataset['id']}", headers=WRITE).status_code == 204
    assert client.get(f"/api/v1/datasets/{dataset['id']}", headers=READ).status_code == 404
    assert client.get(f"/api/v1/scenarios/{scenario.json()['id']}", headers=READ).status_code == 404
    assert client.delete(f"/api/v1/datasets/{dataset['id']}", headers=WRITE).status_code == 404
