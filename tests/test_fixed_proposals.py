"""Issue 22 item 7: proposals as the planning group makes them (partial, fixed, infeasible, duplicated)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from capplan.cli import app
from models.errors import ProposalError
from models.loader import save_dataset
from models.weeks import week_labels
from optimizer import evaluate_proposal, plan, read_allocations
from tests.factory import ONLY_90, START_WEEK, make_dataset, patients, scenario, weekly

W = week_labels(START_WEEK, 3)


def two_regions():
    """Region a (hospital ha, 1 knee day a week) with 6 mobile knee patients over 90; region b
    (hospital hb, 2 days a week, same place) with 1; hb charges 1,000 SEK a knee."""
    return make_dataset(
        regions=["a", "b"],
        hospitals=[{"hospital_id": "ha", "region_id": "a"}, {"hospital_id": "hb", "region_id": "b"}],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": "ha", "procedure_id": "knee"}, {"hospital_id": "hb", "procedure_id": "knee"}],
        capacity=weekly("ha", 1, 3) + weekly("hb", 2, 3),
        patients=patients("a", 6, 100, accepts_travel=True, listed_hospital_id="ha")
        + patients("b", 1, 100, listed_hospital_id="hb"),
        prices=[{"procedure_id": "knee", "hospital_id": "hb", "price_sek": 1000}],
    )


def sc():
    return scenario(3, weights=ONLY_90)


def proposal(*rows) -> pd.DataFrame:
    """Rows (region, hospital, week index, patients), class mobile for a, local for b, no listed hospital."""
    return pd.DataFrame(
        [
            {
                "region_id": r,
                "procedure_id": "knee",
                "class": "mobile" if r == "a" else "local",
                "hospital_id": h,
                "week": W[t],
                "patients": n,
            }
            for r, h, t, n in rows
        ]
    )


def test_a_partial_proposal_fixed_keeps_its_flows_and_plans_every_other_patient():
    ds = two_regions()
    partial = proposal(("a", "hb", 0, 1))  # "hb takes 1 of a's knees in the first week"
    result = evaluate_proposal(sc(), partial, dataset=ds, fix=True)
    assert result.evaluation.treated == pytest.approx(1.0)  # evaluated alone: nobody else treated
    fixed = result.fixed
    flows = fixed.lp.allocations
    kept = flows[(flows["region_id"] == "a") & (flows["hospital_id"] == "hb") & (flows["week"] == W[0])]
    assert kept["patients"].sum() == pytest.approx(1.0)
    assert fixed.lp.terms["treated"] > 5  # the rest is optimised around the fixed flow
    optimum = plan(sc(), dataset=ds).objective
    assert optimum - 1e-6 <= fixed.objective < result.evaluation.objective
    summary = result.summary()
    assert summary["fixed"]["gap_to_optimum"] == pytest.approx(fixed.objective - optimum)


def test_fixing_a_flow_the_optimum_would_not_make_costs_objective():
    ds = two_regions()
    # b's own patient sent nowhere but a's: 2 of a's patients at ha in week 3 only (ha idle in weeks 1-2
    # is forced by fixing those weeks at 0)
    fixed_zero = proposal(("a", "ha", 0, 0), ("a", "ha", 1, 0), ("a", "ha", 2, 1))
    result = evaluate_proposal(sc(), fixed_zero, dataset=ds, fix=True)
    flows = result.fixed.lp.allocations
    at_ha = flows[(flows["hospital_id"] == "ha")].groupby("week")["patients"].sum()
    assert at_ha.get(W[0], 0.0) == pytest.approx(0.0)
    assert at_ha.get(W[1], 0.0) == pytest.approx(0.0)
    assert result.fixed.objective >= result.optimum_objective - 1e-6


def test_an_infeasible_proposal_has_no_gap_but_its_total_violation_and_a_repair():
    ds = two_regions()
    too_many = proposal(("a", "ha", 0, 3))  # ha has 1 theatre day a week, 1 knee a day
    result = evaluate_proposal(sc(), too_many, dataset=ds)
    summary = result.summary()
    assert summary["feasible"] is False
    assert summary["gap_to_optimum"] is None and summary["gap_relative"] is None
    assert summary["total_violation"] == pytest.approx(2.0)  # 3 days needed, 1 available
    repair = summary["repair"]
    assert repair["feasible"] is True
    assert repair["patients_removed"] == pytest.approx(2.0)
    assert repair["gap_to_optimum"] == pytest.approx(result.repair.objective - result.optimum_objective)
    assert repair["gap_to_optimum"] > 0


def test_duplicate_rows_and_fractional_patients_are_warnings(tmp_path):
    path = tmp_path / "proposal.csv"
    proposal(("a", "hb", 0, 1), ("a", "hb", 0, 1), ("a", "hb", 1, 0.5)).to_csv(path, index=False)
    flows = read_allocations(path)
    result = evaluate_proposal(sc(), flows, dataset=two_regions())
    warnings = result.summary()["warnings"]
    assert any("repeat" in w and "lines 2, 3" in w for w in warnings), warnings
    assert any("fractional" in w and "lines 4" in w for w in warnings), warnings


def test_a_bad_proposal_is_called_a_proposal(tmp_path):
    path = tmp_path / "proposal.csv"
    path.write_text("region_id,procedure_id\na,knee\n", encoding="utf-8")
    with pytest.raises(ProposalError) as info:
        read_allocations(path)
    assert "proposal" in str(info.value) and "dataset" not in str(info.value)


@pytest.fixture
def on_disk(tmp_path):
    save_dataset(two_regions(), tmp_path / "data")
    definition = {
        "name": "two",
        "dataset": str(tmp_path / "data"),
        "start_week": START_WEEK,
        "horizon_weeks": 3,
        "weights": ONLY_90,
    }
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(definition), encoding="utf-8")
    return tmp_path, path


def test_cli_evaluate_exits_1_on_a_violation_and_fix_writes_a_folder_compare_accepts(on_disk):
    tmp, yaml_path = on_disk
    runner = CliRunner()
    bad = tmp / "bad.csv"
    proposal(("a", "ha", 0, 3)).to_csv(bad, index=False)
    outcome = runner.invoke(app, ["evaluate", str(yaml_path), str(bad), "--lang", "en"])
    assert outcome.exit_code == 1, outcome.output
    assert "infeasible" in outcome.output and "treated" in outcome.output and "repair" in outcome.output
    assert "gap 0.0 (0.0%)" not in outcome.output
    swedish = runner.invoke(app, ["evaluate", str(yaml_path), str(bad)], env={"CAPPLAN_LANG": ""})
    assert swedish.exit_code == 1 and "förslaget är ogenomförbart" in swedish.output  # Swedish by default

    good = tmp / "good.csv"
    proposal(("a", "hb", 0, 1)).to_csv(good, index=False)
    outcome = runner.invoke(
        app, ["evaluate", str(yaml_path), str(good), "--fix", "--out", str(tmp / "fixed"), "--lang", "en"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "fixed and optimised" in outcome.output
    summary = json.loads((tmp / "fixed" / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "fixed" and summary["evaluation"]["fixed"] is not None

    outcome = runner.invoke(app, ["evaluate", str(yaml_path), str(good), "--out", str(tmp / "plain")])
    assert outcome.exit_code == 0, outcome.output
    outcome = runner.invoke(app, ["run", str(yaml_path), "--out", str(tmp / "run")])
    assert outcome.exit_code == 0, outcome.output
    out = tmp / "cmp"
    outcome = runner.invoke(
        app, ["compare", str(tmp / "run"), str(tmp / "fixed"), str(tmp / "plain"), "--out", str(out)]
    )
    assert outcome.exit_code == 0, outcome.output
    table = pd.read_csv(out / "comparison.csv")
    treated = table[(table["metric"] == "treated") & (table["region_id"] == "total")].iloc[0, 2:]
    assert treated.iloc[2] == pytest.approx(1.0)  # the plain proposal treats its 1 patient
    assert treated.iloc[1] > 5  # the fixed one plans the others too


def test_cli_evaluate_names_the_swapped_arguments(on_disk):
    tmp, yaml_path = on_disk
    good = tmp / "good.csv"
    proposal(("a", "hb", 0, 1)).to_csv(good, index=False)
    outcome = CliRunner().invoke(app, ["evaluate", str(good), str(yaml_path), "--lang", "en"])
    assert outcome.exit_code == 2
    assert "scenario first" in outcome.output
