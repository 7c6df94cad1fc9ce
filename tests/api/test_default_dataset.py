"""End to end on the bundled Mellansverige dataset (when it is present): upload it as a zip, plan a
short scenario on it with the HTML report, fetch allocations as CSV, evaluate the integer plan."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from models.scenario import SCENARIOS_DIR
from tests.api.helpers import READ, WRITE, YAML, ZIP, wait_for_run

DEFAULT_DATASET = SCENARIOS_DIR / "mellansverige"
pytestmark = pytest.mark.skipif(
    not (DEFAULT_DATASET / "waiting_list.csv").exists(), reason="the default dataset is not generated"
)


def _zip_default() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(DEFAULT_DATASET.iterdir()):  # the CSV files and the README (skipped)
            archive.write(path, f"mellansverige/{path.name}")
    return buffer.getvalue()


@pytest.fixture
def settings(tmp_path):
    from tests.api.helpers import make_settings

    return make_settings(tmp_path, run_reports=True)


def test_default_dataset_end_to_end(client):
    uploaded = client.post("/api/v1/datasets", content=_zip_default(), headers=ZIP)
    assert uploaded.status_code == 201, uploaded.text[:2000]
    body = uploaded.json()
    assert body["name"] == "mellansverige" and body["rows"]["regions.csv"] == 7
    assert body["summary"]["synthetic"] is True  # its dataset.yaml came with the zip
    text = (SCENARIOS_DIR / "default.yaml").read_text(encoding="utf-8")
    text = text.replace("name: default", "name: default-4-weeks").replace("horizon_weeks: 26", "horizon_weeks: 4")
    assert client.post("/api/v1/scenarios", content=text, headers=YAML).status_code == 201

    run_id = client.post("/api/v1/runs", json={"scenario": "default-4-weeks"}, headers=WRITE).json()["id"]
    run = wait_for_run(client, run_id, timeout=240)
    assert run["status"] == "done", run["error"]
    allocations = pd.read_csv(
        io.StringIO(client.get(f"/api/v1/runs/{run_id}/allocations?format=csv", headers=READ).text)
    )
    assert set(allocations["region_id"]) <= {r["region_id"] for r in body["summary"]["regions"]}
    assert allocations["patients"].sum() > 0
    report = client.get(f"/api/v1/runs/{run_id}/report", headers=READ)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "default-4-weeks" in report.text
    assert "Syntetiska data" in report.text  # the stored dataset kept its flag: the report's banner
    assert "default-src 'none'" in report.headers["content-security-policy"]

    plan = client.get(f"/api/v1/runs/{run_id}/integer-plan?limit=100000", headers=READ).json()["rows"]
    evaluation = client.post(
        "/api/v1/evaluate",
        json={"scenario": "default-4-weeks", "allocations": plan, "optimum_run": run_id},
        headers=READ,
    )
    assert evaluation.status_code == 200, evaluation.text[:2000]
    assert evaluation.json()["feasible"], evaluation.json()["violations"][:5]
