"""A Python client generated from the app's OpenAPI document by openapi-python-client imports unpatched
and drives a live uvicorn server: JSON upload → scenario → run → wait → results (JSON and CSV) →
compare → evaluate (JSON and CSV) → delete. Only `text/csv` request bodies need a generator setting
(`content_type_overrides`); zip and YAML uploads are not generated (JSON covers both)."""

from __future__ import annotations

import importlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api.main import create_app
from tests.api.helpers import READ_KEY, WRITE_KEY, make_settings, wait_for
from tests.api.test_uvicorn import uvicorn_server
from tests.factory import random_dataset

GENERATOR = shutil.which("openapi-python-client") or str(Path(sys.executable).with_name("openapi-python-client"))


def _payload(base: Path) -> dict:
    """The small random dataset as the JSON upload: one list of records per contract file."""
    from models import save_dataset

    folder = save_dataset(random_dataset(1), base / "rd1")
    import pandas as pd

    return {
        path.stem: json.loads(pd.read_csv(path, dtype=str, keep_default_na=False).to_json(orient="records"))
        for path in sorted(folder.glob("*.csv"))
    }


@pytest.fixture
def generated(tmp_path, monkeypatch):
    if not Path(GENERATOR).exists():
        pytest.skip("openapi-python-client is not installed")
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(create_app(make_settings(tmp_path / "spec")).openapi()))
    config = tmp_path / "config.yaml"
    config.write_text("content_type_overrides:\n  text/csv: application/octet-stream\n")
    out = tmp_path / "client" / "capplan_client"
    done = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--output-path",
            str(out),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    monkeypatch.syspath_prepend(str(out.parent))
    for name in [m for m in sys.modules if m.startswith("capplan_client")]:
        del sys.modules[name]
    return importlib.import_module("capplan_client")


def test_a_generated_client_drives_the_service(generated, tmp_path):
    from capplan_client.api.compare import compare_runs, compare_runs_csv
    from capplan_client.api.datasets import create_dataset, delete_dataset, list_datasets
    from capplan_client.api.evaluate import evaluate_proposal, evaluate_proposal_csv
    from capplan_client.api.runs import (
        create_run,
        get_run,
        get_run_allocations,
        get_run_allocations_csv,
        get_run_kpis,
        get_run_summary,
        list_runs,
    )
    from capplan_client.api.scenarios import create_scenario
    from capplan_client.models import (
        CapacityChange,
        CapacityChangeItem,
        CompareCreate,
        DatasetPayload,
        EvaluateCreate,
        FlowRecord,
        RunCreate,
        ScenarioDefinition,
    )

    payload = DatasetPayload.from_dict(_payload(tmp_path))
    with uvicorn_server(tmp_path, tmp_path / "uvicorn.log") as (_, raw):
        base_url = str(raw.base_url)
        writer = generated.AuthenticatedClient(base_url, token=WRITE_KEY, auth_header_name="X-API-Key", prefix="")
        reader = generated.AuthenticatedClient(base_url, token=READ_KEY, auth_header_name="X-API-Key", prefix="")

        dataset = create_dataset.sync(client=writer, body=payload, name="rd1")
        assert dataset.name == "rd1", dataset
        assert list_datasets.sync(client=reader).count == 1
        runs = []
        for name, changes in (
            ("base", []),
            ("less", [CapacityChangeItem(capacity=CapacityChange(hospital_id="r0_county", factor=0.5))]),
        ):
            definition = ScenarioDefinition(name=name, dataset="rd1", start_week="2025-W14", horizon_weeks=6)
            definition.changes = changes
            scenario = create_scenario.sync(client=writer, body=definition)
            assert scenario.definition.name == name, scenario
            runs.append(create_run.sync(client=writer, body=RunCreate(scenario=name)).id)

        def ended():
            statuses = [str(get_run.sync(r, client=reader).status) for r in runs]
            return all(s in ("done", "failed", "cancelled") for s in statuses) and statuses

        assert wait_for(ended, 120, interval=0.2, what="runs") == ["done", "done"]
        assert list_runs.sync(client=reader, status="done").count == 2
        summary = get_run_summary.sync(runs[0], client=reader)
        assert summary.objective > 0 and summary.headline.lp_bound == summary.objective
        kpis = get_run_kpis.sync(runs[0], client=reader, limit=5)
        assert kpis.total > 5 and kpis.rows[0].region_id and isinstance(kpis.rows[0].t, int)
        flows = get_run_allocations.sync(runs[0], client=reader, limit=100_000)
        csv = _text(get_run_allocations_csv.sync(runs[0], client=reader))  # the generator gives text/csv as bytes
        assert csv.splitlines()[0].startswith("region_id,") and len(csv.splitlines()) == flows.total + 1

        compared = compare_runs.sync(client=reader, body=CompareCreate(runs=runs))
        assert set(compared.runs.to_dict().values()) == set(runs)
        assert _text(compare_runs_csv.sync(client=reader, body=CompareCreate(runs=runs))).startswith("metric,")

        records = [FlowRecord.from_dict(row.to_dict()) for row in flows.rows]
        evaluation = evaluate_proposal.sync(
            client=reader, body=EvaluateCreate(scenario="base", allocations=records, optimum_run=runs[0])
        )
        assert evaluation.feasible and abs(evaluation.gap_to_optimum) < 1e-6 * max(1.0, abs(evaluation.objective))
        proposal = importlib.import_module("capplan_client.types").File(payload=io.BytesIO(csv.encode()))
        by_csv = evaluate_proposal_csv.sync(client=reader, body=proposal, scenario="base", optimum_run=runs[0])
        assert by_csv.objective == pytest.approx(evaluation.objective, rel=1e-9)

        assert delete_dataset.sync_detailed("rd1", client=writer).status_code == 204
        assert list_datasets.sync(client=reader).count == 0


def _text(body: bytes | str) -> str:
    """A CSV body as the generated client returns it (bytes for text/csv), as text."""
    return body.decode("utf-8") if isinstance(body, bytes) else body
