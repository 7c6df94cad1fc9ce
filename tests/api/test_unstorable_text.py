"""No 500 from input (issue 22, item 2), on SQLite and on PostgreSQL.

Text that a database cannot store, a NUL character (PostgreSQL refuses it in any text) or a lone
surrogate (a JSON or YAML escape such as "\\ud800", which has no UTF-8 form), is refused with 422 and
the documented error body wherever a request carries it: every path and query parameter, JSON
bodies, scenario bodies in JSON and YAML, and JSON datasets. An error nobody expected, a database
error included, is answered with 500 and the same body; its log entry names a request id and the
exception's type, never the request's values (nor the SQL parameters).
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api import crud
from api.db import make_engine
from api.schemas import unstorable_problems
from tests.api.helpers import READ, WRITE, YAML, scenario_yaml

NUL = "a\x00b"
SURROGATE = "a\ud800b"
JSON = {**WRITE, "content-type": "application/json"}
ERROR_BODY = {"detail", "problems", "conflicts"}


def _refused(response, column: str, what: str = "NUL") -> None:
    assert response.status_code == 422, (response.status_code, response.text[:300])
    body = response.json()
    assert set(body) == ERROR_BODY, body
    columns = [(p["column"], p["message"]) for p in body["problems"]]
    assert any(c == column and what in m for c, m in columns), columns


def _string_parameters(openapi: dict) -> list[tuple[str, str, str, str, bool]]:
    """(method, path, location, name, has a pattern) of every string path or query parameter."""
    found = []
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                variants = schema.get("anyOf", [schema])
                strings = [v for v in variants if v.get("type") == "string" and "enum" not in v]
                if parameter["in"] in ("path", "query") and strings and "$ref" not in schema:
                    found.append((method, path, parameter["in"], parameter["name"], "pattern" in strings[0]))
    return found


def test_a_nul_in_any_path_or_query_parameter_is_422(client):
    """Every string parameter of the OpenAPI document (new routes included), one at a time."""
    openapi = client.app.openapi()
    parameters = _string_parameters(openapi)
    assert len(parameters) >= 15, parameters
    for method, path, location, name, has_pattern in parameters:
        operation = openapi["paths"][path][method]
        required_query = {
            p["name"]: "x" for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")
        }
        url = re.sub(r"\{[^}]+\}", "x", path.replace(f"{{{name}}}", quote(NUL)))
        query = {**required_query, name: NUL} if location == "query" else required_query
        response = client.request(method.upper(), url, params=query, headers=WRITE)
        # a parameter with a pattern refuses the NUL with its pattern's message, the others name the NUL
        _refused(response, f"{location}.{name}", what="pattern" if has_pattern else "NUL")
    assert client.get("/api/v1/datasets", headers=READ).json()["count"] == 0


def test_the_issues_examples_are_422(client):
    _refused(client.get("/api/v1/runs/a%00b", headers=READ), "path.run_id")
    _refused(client.post("/api/v1/runs", json={"scenario": NUL}, headers=WRITE), "body.scenario")
    _refused(client.get("/api/v1/runs", params={"scenario": NUL}, headers=READ), "query.scenario")


SCENARIO = {"name": "s1", "dataset": "rd1", "start_week": "2025-W14", "horizon_weeks": 4}
FLOW = {"region_id": "r0", "procedure_id": "hip", "class": "local", "hospital_id": "h", "week": "2025-W14"}
JSON_BODIES = {
    "run": ("/api/v1/runs", {"scenario": "{}"}, "body.scenario"),
    "compare runs": ("/api/v1/compare", {"runs": ["{}"]}, "body.runs.0"),
    "compare labels": ("/api/v1/compare", {"runs": ["r"], "labels": ["{}"]}, "body.labels.0"),
    "evaluate scenario": ("/api/v1/evaluate", {"scenario": "{}", "allocations": []}, "body.scenario"),
    "evaluate optimum run": (
        "/api/v1/evaluate",
        {"scenario": "s", "allocations": [], "optimum_run": "{}"},
        "body.optimum_run",
    ),
    "evaluate flow": (
        "/api/v1/evaluate",
        {"scenario": "s", "allocations": [{**FLOW, "hospital_id": "{}", "patients": 1}]},
        "body.allocations.0.hospital_id",
    ),
    "scenario description": ("/api/v1/scenarios", {**SCENARIO, "description": "{}"}, "description"),
    "scenario name": ("/api/v1/scenarios", {**SCENARIO, "name": "{}"}, "name"),
    "scenario change": (
        "/api/v1/scenarios",
        {**SCENARIO, "changes": [{"close_hospital": {"hospital_id": "{}"}}]},
        "changes.0.close_hospital.hospital_id",
    ),
    "dataset (JSON)": ("/api/v1/datasets", {"hospitals": [{"hospital_id": "h", "name": "{}"}]}, "hospitals.0.name"),
}


@pytest.mark.parametrize("value", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize("case", list(JSON_BODIES))
def test_unstorable_text_in_a_json_body_is_422(client, case, value):
    url, body, column = JSON_BODIES[case]
    # json.dumps writes both as escapes (\u0000, \ud800): the JSON text itself is valid
    content = json.dumps(body).replace('"{}"', json.dumps(value)).encode()
    response = client.post(url, content=content, headers=JSON)
    # FastAPI's JSON parser refuses a lone surrogate as it reads the body: its own message
    _refused(response, column, what="NUL" if value == NUL else "")
    if value == SURROGATE and not column.startswith("body."):
        assert "lone surrogate" in response.text
    assert client.get("/api/v1/scenarios", headers=READ).json()["count"] == 0
    assert client.get("/api/v1/datasets", headers=READ).json()["count"] == 0


@pytest.mark.parametrize(("escape", "what"), [("\\0", "NUL"), ("\\ud800", "lone surrogate")])
def test_unstorable_text_in_a_yaml_scenario_is_422(client, escape, what):
    body = scenario_yaml("s1", "rd1", extra=f'description: "a{escape}b"\n')
    _refused(client.post("/api/v1/scenarios", content=body, headers=YAML), "description", what)
    form = {"file": ("s1.yaml", body.encode(), "application/yaml")}
    _refused(client.post("/api/v1/scenarios", files=form, headers=WRITE), "description", what)
    assert client.get("/api/v1/scenarios", headers=READ).json()["count"] == 0


@pytest.mark.sqlite_only("no database involved: once is enough")
def test_problems_name_every_unstorable_string_by_its_path():
    data = {"a": [1, "ok", NUL], "b": {"c": SURROGATE, NUL: "key"}, "d": NUL}
    problems = unstorable_problems(data, "f")
    assert [(p.file, p.column) for p in problems] == [("f", "a.2"), ("f", "b"), ("f", "b.c"), ("f", "d")]
    assert "key" in problems[1].message and "surrogate" in problems[2].message
    assert len(unstorable_problems([NUL] * 100, "f")) == 20
    laughs = ["lol"]
    for _ in range(40):  # 2**40 paths to walk, 41 lists to look at (a YAML alias bomb)
        laughs = [laughs, laughs]
    assert unstorable_problems({"description": laughs}, "f") == []


# --- unexpected errors --------------------------------------------------------------------------

SECRET = "P1234567-secret-name"


def _failing_query(session, *, run_id):
    """A database error whose statement carries the request's value as a parameter."""
    session.execute(text("SELECT id FROM no_such_table WHERE id = :id"), {"id": run_id})


def _nul_reaching_the_database(session, *, run_id):
    """As if a route forgot to validate: the value goes to PostgreSQL with a NUL in it."""
    return crud.get_dataset(session, ref=run_id + "\x00")


def _python_error(session, *, run_id):
    raise RuntimeError(f"no run {run_id}")


def records_text(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


def _check_500(response, caplog) -> None:
    assert response.status_code == 500, response.text[:300]
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == ERROR_BODY and body["problems"] == [] and body["conflicts"] == []
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id) and request_id in body["detail"]
    assert SECRET not in response.text
    records = [r for r in caplog.records if r.name == "api.middleware"]
    assert len(records) == 1 and request_id in records[0].getMessage()
    # what the service logged (the test client's own log, httpx2's, shows the URL it requested)
    logged = "\n".join(logging.Formatter().format(r) for r in caplog.records if not r.name.startswith("httpx"))
    assert SECRET not in logged, "a request's value reached the log"
    assert "[parameters:" not in logged and "[SQL:" not in logged  # SQLAlchemy's error text


@pytest.mark.parametrize(
    ("failure", "error_type"),
    [(_failing_query, r"(OperationalError|ProgrammingError)"), (_python_error, "RuntimeError")],
    ids=["database-error", "python-error"],
)
def test_an_unexpected_error_is_a_500_with_the_error_body_and_a_clean_log(
    client, monkeypatch, caplog, failure, error_type
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(crud, "get_run", failure)
    response = client.get(f"/api/v1/runs/{SECRET}", headers=READ)
    _check_500(response, caplog)
    assert re.search(rf"{error_type} \(message withheld\)", records_text(caplog)), caplog.text[-500:]


@pytest.mark.postgres_only("SQLite stores a NUL; PostgreSQL refuses it with a DataError")
def test_a_nul_that_reaches_postgresql_is_a_500_with_a_clean_log(client, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(crud, "get_run", _nul_reaching_the_database)
    _check_500(client.get(f"/api/v1/runs/{SECRET}", headers=READ), caplog)
    assert "DataError (message withheld)" in records_text(caplog)


def test_database_errors_never_show_the_statements_parameters(settings, client):
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError) as raised:
            connection.execute(text("SELECT id FROM no_such_table WHERE id = :id"), {"id": SECRET})
    finally:
        engine.dispose()
    assert SECRET not in str(raised.value)
    assert "hide_parameters=True" in str(raised.value)
