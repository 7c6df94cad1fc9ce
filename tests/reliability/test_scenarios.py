"""Hostile and absurd scenarios (issue 8, item 3): a clear 422 naming the field, or a run that fails
with an explanation (infeasible: the constraints in conflict; solver: what stopped it), never a 500
and never an "internal" run error.

Unsafe YAML (python tags) is refused without being executed; alias bombs ("billion laughs") are
answered at once; horizons and start weeks outside the calendar or the dataset's weeks, unknown ids
and contradictory agreements are refused at creation or explained by the run.
"""

from __future__ import annotations

import time

import pytest

from tests.api.helpers import READ, WRITE, YAML, ZIP, scenario_yaml, wait_for
from tests.reliability.figures import record
from tests.reliability.support import running_app

LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip([None, "a", "b", "c", "d", "e", "f", "g"], "abcdefgh", strict=True)
)


def _python_tag(marker) -> str:
    return f"!!python/object/apply:os.system ['touch {marker}']\n"


#: name → (YAML text, the field the 422 names; None: the whole document)
REFUSED = {
    "python-object-apply": (None, None),  # filled in by the test: needs the marker file's path
    "python-name-in-a-field": (scenario_yaml("py", "rd1") + "description: !!python/name:os.system\n", None),
    "python-object-new": ("name: !!python/object/new:builtins.str [x]\ndataset: rd1\n", None),
    "yaml-alias-bomb-as-changes": (f"{LAUGHS}name: lol\ndataset: rd1\nchanges: *h\n", "changes"),
    "yaml-alias-bomb-as-description": (f"{LAUGHS}name: lol\ndataset: rd1\ndescription: *h\n", "description"),
    "yaml-syntax-error": ("name: [unclosed\n", None),
    "yaml-a-list": ("- name: x\n- dataset: rd1\n", None),
    "horizon-zero": (scenario_yaml("h0", "rd1", horizon=0), "horizon_weeks"),
    "horizon-negative": (scenario_yaml("hn", "rd1", horizon=-5), "horizon_weeks"),
    "horizon-a-billion": (scenario_yaml("hb", "rd1", horizon=10**9), "horizon_weeks"),
    "horizon-as-text": (
        scenario_yaml("ht", "rd1").replace("horizon_weeks: 6", "horizon_weeks: forever"),
        "horizon_weeks",
    ),
    "horizon-fractional": (
        scenario_yaml("hf", "rd1").replace("horizon_weeks: 6", "horizon_weeks: 2.5"),
        "horizon_weeks",
    ),
    "horizon-past-year-9999": (scenario_yaml("h9", "rd1").replace("2025-W14", "9999-W50"), "horizon_weeks"),
    "start-week-years-after-the-data": (scenario_yaml("s30", "rd1").replace("2025-W14", "2030-W01"), "start_week"),
    "start-week-before-the-waiting-list": (
        scenario_yaml("s24", "rd1").replace("2025-W14", "2024-W01"),
        "decision_date",
    ),
    "start-week-53-of-2025": (scenario_yaml("s53", "rd1").replace("2025-W14", "2025-W53"), "start_week"),
    "start-week-not-a-week": (scenario_yaml("sx", "rd1").replace("2025-W14", "next monday"), "start_week"),
    "unknown-dataset": (scenario_yaml("ud", "mellansverige-2"), "dataset"),
    "unknown-hospital-closed": (
        scenario_yaml("uh", "rd1", extra="changes:\n  - close_hospital: {hospital_id: karolinska}\n"),
        "changes.0.hospital_id",
    ),
    "unknown-hospital-in-an-agreement": (
        scenario_yaml(
            "ua", "rd1", extra="policy:\n  agreements: [{payer_region: r0, provider_hospital: ersta, min_cases: 1}]\n"
        ),
        "policy.agreements.0.provider_hospital",
    ),
    "unknown-region-budget": (
        scenario_yaml("ub", "rd1", extra="policy:\n  budgets_sek: {skane: 1000000}\n"),
        "policy.budgets_sek.skane",
    ),
    "unknown-specialty": (
        scenario_yaml(
            "us",
            "rd1",
            extra="changes:\n  - extra_capacity: {hospital_id: r0_county, specialty: neuro, "
            "theatre_days_per_week: 1, cost_per_day_sek: 1}\n",
        ),
        "changes.0.specialty",
    ),
    "agreement-max-below-min": (
        scenario_yaml(
            "am",
            "rd1",
            extra="policy:\n  agreements: [{payer_region: r0, provider_hospital: r1_county, "
            "min_cases: 9, max_cases: 2}]\n",
        ),
        "policy.agreements.0",
    ),
    "agreement-two-providers": (
        scenario_yaml(
            "ap",
            "rd1",
            extra="policy:\n  agreements: [{payer_region: r0, provider_hospital: r1_county, provider_region: r1}]\n",
        ),
        "policy.agreements.0",
    ),
    "capacity-factor-nan": (
        scenario_yaml("fn", "rd1", extra="changes:\n  - capacity: {hospital_id: r0_county, factor: .nan}\n"),
        "changes",
    ),
    "weight-infinite": (scenario_yaml("wi", "rd1", extra="weights: {over_90: .inf}\n"), "weights.over_90"),
    "week-range-backwards": (
        scenario_yaml(
            "wb", "rd1", extra="changes:\n  - close_hospital: {hospital_id: r0_county, weeks: 2025-W20..2025-W15}\n"
        ),
        "changes",
    ),
}

#: Scenarios that are valid but cannot be planned: the run fails with type and explanation.
UNPLANNABLE = {
    "agreements-contradict": (
        "policy:\n  agreements:\n"
        "    - {payer_region: r0, provider_hospital: r1_county, procedure_id: hip, min_cases: 20}\n"
        "    - {payer_region: r0, provider_region: r1, procedure_id: hip, max_cases: 5}\n",
        "infeasible",
    ),
    "agreement-over-capacity": (
        "policy:\n  agreements:\n"
        "    - {payer_region: r1, provider_hospital: r0_county, procedure_id: hip, min_cases: 100000}\n",
        "infeasible",
    ),
    "agreement-with-no-budget": (
        "policy:\n  budgets_sek: {r0: 0}\n"
        "  agreements:\n    - {payer_region: r0, provider_hospital: private, min_cases: 5}\n",
        "infeasible",
    ),
    "no-time-to-solve": ("solve: {time_limit_seconds: 1.0e-9}\n", "solver"),
}


@pytest.fixture(scope="module")
def client(tmp_path_factory, small_zip, backend):
    with running_app(tmp_path_factory.mktemp("scenarios"), backend, max_concurrent_runs=2) as test_client:
        assert test_client.post("/api/v1/datasets", content=small_zip, headers=ZIP).status_code == 201
        yield test_client


def _scenario_count(client) -> int:
    return client.get("/api/v1/scenarios", headers=READ).json()["count"]


@pytest.mark.parametrize("case", list(REFUSED))
@pytest.mark.parametrize("form", ["yaml", "file"])
def test_a_hostile_or_absurd_scenario_is_a_clear_422(client, tmp_path, case, form):
    marker = tmp_path / "executed"
    text, column = REFUSED[case]
    if text is None:
        text = _python_tag(marker)
    before = _scenario_count(client)
    started = time.monotonic()
    if form == "yaml":
        response = client.post("/api/v1/scenarios", content=text.encode(), headers=YAML)
    else:
        files = {"file": ("scenario.yaml", text.encode(), "application/yaml")}
        response = client.post("/api/v1/scenarios", files=files, headers=WRITE)
    record("hostile scenarios")
    assert time.monotonic() - started < 10
    assert response.status_code == 422, response.text[:2000]
    problems = response.json()["problems"]
    assert problems and all(p["message"] for p in problems)
    if column is not None:
        assert any((p["column"] or "").startswith(column) for p in problems), problems
    else:
        assert any(p["message"].startswith(("invalid YAML", "a scenario must be a mapping")) for p in problems)
    assert not marker.exists(), "a YAML tag was executed"
    assert _scenario_count(client) == before
    assert client.get("/health").status_code == 200


def test_json_scenarios_with_hostile_values_are_422(client):
    bodies = [
        [],
        "name: x",
        {"name": "../../etc/passwd", "dataset": "rd1"},
        {"name": "n\x00ul", "dataset": "rd1"},
        {"name": "x" * 101, "dataset": "rd1"},
        {"name": "deep", "dataset": "rd1", "changes": [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]},
        {"name": "ok", "dataset": {"$ne": ""}},
        {"name": "ok", "dataset": "rd1", "horizon_weeks": 1e308},
        {"name": "ok", "dataset": "rd1", "policy": {"share_accepting_travel": 7}},
    ]
    for body in bodies:
        response = client.post("/api/v1/scenarios", json=body, headers=WRITE)
        record("hostile scenarios")
        assert response.status_code == 422, (body, response.text[:500])
        assert response.json()["problems"], body


def test_unplannable_scenarios_fail_their_run_with_an_explanation(client):
    runs = {}
    for name, (extra, _kind) in UNPLANNABLE.items():
        created = client.post(
            "/api/v1/scenarios", content=scenario_yaml(name, "rd1", horizon=3, extra=extra), headers=YAML
        )
        assert created.status_code == 201, created.text
        response = client.post("/api/v1/runs", json={"scenario": name}, headers=WRITE)
        assert response.status_code == 202
        runs[name] = response.json()["id"]
        record("hostile scenarios")

    def ended():
        bodies = {name: client.get(f"/api/v1/runs/{run_id}", headers=READ).json() for name, run_id in runs.items()}
        return bodies if all(b["status"] in ("done", "failed", "cancelled") for b in bodies.values()) else None

    bodies = wait_for(ended, 120, interval=0.2, what="the unplannable runs")
    for name, body in bodies.items():
        kind = UNPLANNABLE[name][1]
        assert body["status"] == "failed", (name, body)
        assert body["error"]["type"] == kind, (name, body["error"])
        assert body["error"]["message"]
        if kind == "infeasible":
            assert body["error"]["conflicts"], body["error"]
            assert any("agreement" in conflict for conflict in body["error"]["conflicts"])
        results = client.get(f"/api/v1/runs/{runs[name]}/allocations", headers=READ)
        assert results.status_code == 409 and body["error"]["message"] in results.json()["detail"]
