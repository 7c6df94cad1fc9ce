"""The OpenAPI document is typed (scenario, summary, result rows), its operation ids are stable names,
CSV comes by `Accept: text/csv` as well as `?format=csv`, enums are validated, and /docs and /redoc
load every script and style from the app itself (no CDN)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from api.results import RESULT_TABLES, SIMULATION_TABLES, TABLE_COLUMNS
from tests.api.helpers import READ

EXPECTED_IDS = {
    "rank_purchases",
    "target_question",
    "create_dataset",
    "list_datasets",
    "get_dataset",
    "delete_dataset",
    "create_scenario",
    "list_scenarios",
    "get_scenario",
    "delete_scenario",
    "create_run",
    "list_runs",
    "get_run",
    "cancel_run",
    "delete_run",
    "get_run_summary",
    "get_run_summary_csv",
    "get_run_report",
    "compare_runs",
    "compare_runs_csv",
    "evaluate_proposal",
    "evaluate_proposal_csv",
    "get_health",
    "get_version",
} | {f"get_run_{t.replace('-', '_')}{csv}" for t in {**RESULT_TABLES, **SIMULATION_TABLES} for csv in ("", "_csv")}


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_operation_ids_are_names_and_unique(client):
    schema = client.get("/openapi.json").json()
    ids = [op["operationId"] for _, _, op in _operations(schema)]
    assert len(ids) == len(set(ids))
    assert set(ids) == EXPECTED_IDS


def test_scenario_summary_and_rows_are_schemas(client):
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    scenario = components["ScenarioDefinition"]
    assert {"name", "dataset", "start_week", "horizon_weeks", "changes", "policy", "weights"} <= set(
        scenario["properties"]
    )
    kinds = {
        next(iter(components[ref["$ref"].rsplit("/", 1)[1]]["properties"]))
        for ref in scenario["properties"]["changes"]["items"]["oneOf"]
    }
    assert kinds == {"capacity", "extra_capacity", "beds", "demand", "close_hospital", "capability"}
    body = schema["paths"]["/api/v1/scenarios"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/ScenarioDefinition"}
    assert components["ScenarioPublic"]["properties"]["definition"]["$ref"].endswith("/ScenarioDefinition")
    summary = schema["paths"]["/api/v1/runs/{run_id}/summary"]["get"]["responses"]["200"]["content"]
    assert summary["application/json"]["schema"] == {"$ref": "#/components/schemas/RunSummary"}
    assert {"objective", "objective_terms", "headline", "seconds"} <= set(components["RunSummary"]["properties"])
    for table, columns in TABLE_COLUMNS.items():
        name = "".join(p.capitalize() for p in table.split("-"))
        assert set(components[f"{name}Row"]["properties"]) == set(columns), table
        response = schema["paths"][f"/api/v1/runs/{{run_id}}/{table}"]["get"]["responses"]["200"]["content"]
        assert response["application/json"]["schema"] == {"$ref": f"#/components/schemas/{name}Page"}
        assert "text/csv" in response
        csv = schema["paths"][f"/api/v1/runs/{{run_id}}/{table}.csv"]["get"]["responses"]["200"]["content"]
        assert list(csv) == ["text/csv"]


def test_a_run_status_or_format_outside_its_enum_is_422(client):
    for url in ("/api/v1/runs?status=bogus", "/api/v1/scenarios/x?format=xml", "/api/v1/runs/x/kpis?format=xls"):
        response = client.get(url, headers=READ)
        assert response.status_code == 422, url
        body = response.json()
        assert set(body) == {"detail", "problems", "conflicts"} and body["problems"][0]["file"] == "request"
    assert client.get("/api/v1/runs?status=done", headers=READ).status_code == 200


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_load_their_assets_from_the_app(client, page):
    response = client.get(page)
    assert response.status_code == 200
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", response.text)
    urls += re.findall(r"""(?:url|spec-url)\s*:\s*['"]([^'"]+)['"]""", response.text)
    assets = [u for u in urls if u.endswith((".js", ".css", ".png", ".json"))]
    assert any(u.endswith(".js") for u in assets), response.text
    for url in assets:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} loads {url} from elsewhere"
        assert client.get(url).status_code == 200, url
    assert "cdn" not in response.text.lower()


def test_csv_by_accept_header_on_results_and_compare(service):
    client = service.client
    run = service.runs["base"]["id"]
    as_csv = {**READ, "Accept": "text/csv"}
    for table in RESULT_TABLES:
        by_query = client.get(f"/api/v1/runs/{run}/{table}?format=csv", headers=READ)
        if by_query.status_code == 404:  # a table this run has not (e.g. no proposals)
            continue
        by_accept = client.get(f"/api/v1/runs/{run}/{table}", headers=as_csv)
        by_path = client.get(f"/api/v1/runs/{run}/{table}.csv", headers=READ)
        for response in (by_accept, by_path):
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
            assert response.content == by_query.content, table
        # the explicit ?format= wins over Accept; a browser-like Accept stays JSON
        assert client.get(f"/api/v1/runs/{run}/{table}?format=json", headers=as_csv).json()["table"] == table
        browser = {**READ, "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
        assert client.get(f"/api/v1/runs/{run}/{table}", headers=browser).json()["table"] == table
    summary = client.get(f"/api/v1/runs/{run}/summary", headers=as_csv)
    assert (
        summary.text.startswith("key,value")
        and summary.text == client.get(f"/api/v1/runs/{run}/summary.csv", headers=READ).text
    )
    body = {"runs": [run, service.runs["closed"]["id"]]}
    compared = client.post("/api/v1/compare", json=body, headers=as_csv)
    assert compared.headers["content-type"].startswith("text/csv")
    assert compared.text == client.post("/api/v1/compare.csv", json=body, headers=READ).text
    assert compared.text == client.post("/api/v1/compare?format=csv", json=body, headers=READ).text


def test_every_table_column_has_its_declared_type(service):
    """TABLE_COLUMNS lists exactly the engine's columns, and the JSON pages carry the declared types."""
    client = service.client
    run = service.runs["base"]["id"]
    kinds = {"text": str, "number": (int, float), "integer": int, "boolean": bool}
    for table, columns in TABLE_COLUMNS.items():
        response = client.get(f"/api/v1/runs/{run}/{table}", headers=READ)
        if response.status_code == 404:
            continue
        page = response.json()
        assert page["columns"] == list(columns), table
        for row in page["rows"]:
            for column, value in row.items():
                assert value is None or isinstance(value, kinds[columns[column]]), (table, column, value)
