"""Scenario files: validation errors, safe YAML, and the effect of each change type on the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.errors import ScenarioError
from models.scenario import SCENARIOS_DIR, load_scenario, parse_scenario, parse_yaml
from optimizer import prepare
from optimizer.model.formulation import formulate
from tests.factory import make_dataset, scenario, weekly


def _fields(error: ScenarioError) -> list[str]:
    return [p.column or "" for p in error.problems]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"horizon_weeks": 0}, "horizon_weeks"),
        ({"horizon_weeks": 105}, "horizon_weeks"),
        ({"start_week": "2025-W54"}, "start_week"),
        ({"start_week": "2025-14"}, "start_week"),
        ({"changes": [{"teleport": {}}]}, "changes"),
        ({"changes": [{"capacity": {"hospital_id": "h", "factor": 0.5, "theatre_days": 3}}]}, "changes"),
        ({"changes": [{"capacity": {"hospital_id": "h", "factor": -1}}]}, "changes"),
        (
            {
                "policy": {
                    "agreements": [{"payer_region": "a", "provider_hospital": "h", "min_cases": 5, "max_cases": 2}]
                }
            },
            "policy.agreements.0",
        ),
        ({"policy": {"share_accepting_travel": 1.5}}, "policy.share_accepting_travel"),
        ({"weights": {"over_90": -1}}, "weights.over_90"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_scenarios_name_the_field(data, field):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "x", **data}, "x.yaml")
    assert any(f.startswith(field) for f in _fields(caught.value)), caught.value.problems
    assert all(p.file == "x.yaml" for p in caught.value.problems)


def test_unsafe_yaml_is_rejected_not_executed():
    with pytest.raises(ScenarioError) as caught:
        parse_yaml("name: !!python/object/apply:os.system ['echo owned']\n", "evil.yaml")
    assert "invalid YAML" in str(caught.value)


def test_yaml_syntax_error_names_the_line(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: ok\nchanges: [\n  - capacity: {\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.problems[0].row is not None


@pytest.mark.parametrize("path", sorted(SCENARIOS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_scenarios_are_valid(path):
    parsed, _ = load_scenario(path)
    assert parsed.name == path.stem


def _dataset():
    return make_dataset(
        regions=["a", "b"],
        hospitals=[{"hospital_id": "h1", "region_id": "a"}, {"hospital_id": "h2", "region_id": "b"}],
        procedures=[
            {"procedure_id": "knee", "bed_days_per_case": 1.0},
            {"procedure_id": "cataract", "specialty": "ophthalmology"},
        ],
        capabilities=[
            {"hospital_id": "h1", "procedure_id": "knee"},
            {"hospital_id": "h2", "procedure_id": "knee"},
            {"hospital_id": "h1", "procedure_id": "cataract"},
        ],
        capacity=weekly("h1", 4, 4) + weekly("h2", 4, 4) + weekly("h1", 2, 4, specialty="ophthalmology"),
        beds=weekly("h1", 10, 4, specialty=None) + weekly("h2", 10, 4, specialty=None),
        patients=[{"region_id": r, "procedure_id": p, "waited": 100} for r in "ab" for p in ("knee", "cataract")],
        demand=[
            {"region_id": "a", "procedure_id": "knee", "week": w, "expected_decisions": 2.0}
            for w in ("2025-W14", "2025-W15", "2025-W16", "2025-W17")
        ],
        prices=[{"procedure_id": "knee", "hospital_id": h, "price_sek": 1000} for h in ("h1", "h2")]
        + [{"procedure_id": "cataract", "hospital_id": "h1", "price_sek": 100}],
    )


def _theatre_rhs(changes, hospital="h1", specialty="orthopaedics") -> np.ndarray:
    theatre = formulate(prepare(scenario(4, changes=changes), _dataset())).families["theatre_days"]
    mask = (theatre.frame["hospital_id"] == hospital) & (theatre.frame["specialty"] == specialty)
    return theatre.upper[mask.to_numpy()]


def test_capacity_factor_halves_that_capacity_in_the_formulation():
    assert _theatre_rhs([]).tolist() == [4, 4, 4, 4]
    halved = [
        {"capacity": {"hospital_id": "h1", "specialty": "orthopaedics", "factor": 0.5, "weeks": "2025-W15..2025-W16"}}
    ]
    assert _theatre_rhs(halved).tolist() == [4, 2, 2, 4]
    assert _theatre_rhs(halved, specialty="ophthalmology").tolist() == [2, 2, 2, 2]


def test_absolute_capacity_sets_theatre_days():
    assert _theatre_rhs([{"capacity": {"hospital_id": "h1", "theatre_days": 1}}]).tolist() == [1, 1, 1, 1]


def test_extra_capacity_adds_bounded_purchase_variables():
    changes = [
        {
            "extra_capacity": {
                "hospital_id": "h2",
                "specialty": "orthopaedics",
                "theatre_days_per_week": 1.5,
                "cost_per_day_sek": 9000,
                "weeks": "2025-W14..2025-W15",
            }
        }
    ]
    form = formulate(prepare(scenario(4, changes=changes), _dataset()))
    assert form.blocks["x"].upper.tolist() == [1.5, 1.5]


def test_bed_change_scales_bed_days():
    changes = [{"beds": {"hospital_id": "h2", "factor": 0.3}}]
    beds = formulate(prepare(scenario(4, changes=changes), _dataset())).families["bed_days"]
    h2 = (beds.frame["hospital_id"] == "h2").to_numpy()
    assert beds.upper[h2] == pytest.approx([3, 3, 3, 3])


def test_demand_factor_scales_arrivals():
    base = prepare(scenario(4), _dataset())
    more = prepare(scenario(4, changes=[{"demand": {"factor": 1.5, "region_id": "a"}}]), _dataset())
    assert more.arrived.sum() - base.arrived.sum() == pytest.approx(0.5 * (2 + 4 + 6 + 8))


def test_closing_a_hospital_removes_its_flows():
    closed = prepare(scenario(4, changes=[{"close_hospital": {"hospital_id": "h1"}}]), _dataset())
    assert "h1" not in set(closed.flows["hospital_id"])
    assert "h2" in set(closed.flows["hospital_id"])


def test_capability_changes_add_and_remove_arcs():
    removed = prepare(
        scenario(4, changes=[{"capability": {"hospital_id": "h1", "procedure_id": "cataract", "add": False}}]),
        _dataset(),
    )
    assert not (removed.arcs["procedure_id"] == "cataract").any()
    added = prepare(
        scenario(
            4, changes=[{"capability": {"hospital_id": "h2", "procedure_id": "cataract", "cases_per_theatre_day": 20}}]
        ),
        _dataset(),
    )
    arcs = added.arcs[(added.arcs["hospital_id"] == "h2") & (added.arcs["procedure_id"] == "cataract")]
    assert len(arcs) > 0 and (arcs["rate"] == 20).all()


def test_changes_naming_unknown_ids_are_errors():
    sc = scenario(
        4, changes=[{"capacity": {"hospital_id": "nowhere", "factor": 0.5}}], policy={"budgets_sek": {"atlantis": 5}}
    )
    with pytest.raises(ScenarioError) as caught:
        prepare(sc, _dataset())
    assert {"changes.0.hospital_id", "policy.budgets_sek.atlantis"} <= set(_fields(caught.value))


def test_updated_scenarios_are_validated_and_merge_nested_settings():
    base = scenario(4, weights={"over_365": 3.0}, policy={"max_travel_km": 100})
    changed = base.updated(horizon_weeks=8, weights={"cost_per_ksek": 0.0})
    assert changed.horizon_weeks == 8
    assert changed.weights.cost_per_ksek == 0.0 and changed.weights.over_365 == 3.0
    assert changed.policy.max_travel_km == 100
    with pytest.raises(ScenarioError) as caught:
        base.updated(horizon_weeks=0)
    assert "horizon_weeks" in _fields(caught.value)


def test_theatre_capacity_columns_are_numeric_without_extra_capacity():
    inst = prepare(scenario(4), _dataset())
    assert all(inst.theatre[c].dtype == float for c in ("theatre_days", "extra_days"))
    assert all(inst.extra_offers[c].dtype == float for c in ("extra_days", "extra_cost_per_day"))


def test_an_invalid_change_is_named_by_position_type_and_field():
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(
            {"name": "x", "changes": [{"demand": {"factor": 2}}, {"capacity": {"hospital_id": "h", "factor": -1}}]}
        )
    text = str(caught.value)
    assert "change 1 (capacity): factor:" in text


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


BASE_YAML = """name: base
description: the base
horizon_weeks: 13
changes:
  - demand: {factor: 1.1}
policy: {max_travel_km: 200, transfer_lead_weeks: 2, planned_utilisation: 0.9}
weights: {over_365: 3.0, change: 5}
"""


def test_a_scenario_extends_another_and_differs_only_in_what_it_says(tmp_path: Path):
    _write(tmp_path, "base.yaml", BASE_YAML)
    what_if = _write(
        tmp_path,
        "what-if.yaml",
        "extends: base.yaml\nname: what-if\nchanges:\n  - beds: {hospital_id: h, factor: 0.5}\n"
        "policy: {max_travel_km: 300}\nweights: {over_90: 2.0}\n",
    )
    scenario, folder = load_scenario(what_if)
    assert folder == tmp_path
    assert (scenario.name, scenario.description, scenario.horizon_weeks) == ("what-if", "", 13)
    assert [type(c).__name__ for c in scenario.changes] == ["DemandChange", "BedChange"]  # the base's first
    policy = scenario.policy
    assert (policy.max_travel_km, policy.transfer_lead_weeks, policy.planned_utilisation) == (300, 2, 0.9)
    assert (scenario.weights.over_90, scenario.weights.over_365, scenario.weights.change) == (2.0, 3.0, 5.0)


def test_extends_chains_and_refuses_a_circle(tmp_path: Path):
    _write(tmp_path, "base.yaml", BASE_YAML)
    _write(tmp_path, "middle.yaml", "extends: base.yaml\nname: middle\npolicy: {planned_utilisation: 1.0}\n")
    top = _write(tmp_path, "top.yaml", "extends: middle.yaml\nname: top\n")
    scenario, _ = load_scenario(top)
    assert (scenario.policy.planned_utilisation, scenario.policy.max_travel_km) == (1.0, 200)
    _write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    _write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\n")
    with pytest.raises(ScenarioError, match="circle"):
        load_scenario(tmp_path / "a.yaml")


def test_extends_names_a_missing_base_and_is_refused_outside_a_file(tmp_path: Path):
    missing = _write(tmp_path, "orphan.yaml", "extends: nowhere.yaml\nname: orphan\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(missing)
    problem = caught.value.problems[0]
    assert problem.column == "extends" and "nowhere.yaml" in problem.message and "orphan.yaml" in problem.file
    with pytest.raises(ScenarioError, match="only a scenario file can extend"):
        parse_scenario({"extends": "default.yaml", "name": "x"})


def test_the_bundled_what_ifs_share_the_default_policy():
    default, _ = load_scenario(SCENARIOS_DIR / "default.yaml")
    for path in sorted(SCENARIOS_DIR.glob("*.yaml")):
        scenario, _ = load_scenario(path)
        assert scenario.policy.planned_utilisation == default.policy.planned_utilisation, path.name
        assert scenario.policy.transfer_lead_weeks == default.policy.transfer_lead_weeks, path.name
        assert (scenario.start_week, scenario.horizon_weeks) == (default.start_week, default.horizon_weeks)
