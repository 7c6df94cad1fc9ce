"""The side-by-side comparison table, from plans in memory and from result folders."""

from __future__ import annotations

import re

import numpy as np
import pytest

from optimizer import METRICS, ResultView, compare, plan
from optimizer.evaluation import evaluate_flows
from optimizer.results.comparison import plan_columns
from presentation.result_files import write_results
from tests.factory import random_dataset, scenario

EXTRA = [
    {
        "extra_capacity": {
            "hospital_id": "r1_county",
            "specialty": "orthopaedics",
            "theatre_days_per_week": 2,
            "cost_per_day_sek": 20_000,
        }
    }
]


@pytest.fixture(scope="module")
def plans():
    ds = random_dataset(4)
    return plan(scenario(6), dataset=ds), plan(scenario(6, changes=EXTRA, weights={"over_90": 50.0}), dataset=ds)


def test_totals_add_up_and_ratios_lie_between_the_regions(plans, tmp_path):
    write_results(plans[1], tmp_path / "second")
    table = compare([ResultView.from_plan(plans[0]), ResultView.from_folder(tmp_path / "second")])
    assert list(table["metric"].unique()) == list(METRICS)
    for column in table.columns[2:-1]:  # plans and differences; the last column is the note
        assert table[column].dtype == float
        for metric, how in METRICS.items():
            rows = table[table["metric"] == metric].set_index("region_id")[column]
            regions, total = rows.drop("total"), rows["total"]
            if how == "sum":
                assert total == pytest.approx(regions.sum())
            else:
                assert regions.min() - 1e-9 <= total <= regions.max() + 1e-9, metric


def test_cost_of_extra_theatre_days_is_in_the_comparison(plans):
    _, with_extra = plans
    table = compare([ResultView.from_plan(with_extra)])
    total = table[(table["metric"] == "extra_capacity_sek") & (table["region_id"] == "total")].iloc[0, 2]
    # Independently of the result tables: the evaluator replays the whole-patient plan's flows (the plan
    # a comparison shows) and buys extra days only where a week's own theatre days fall short.
    sc, whole = with_extra.scenario, with_extra.integer
    bought = evaluate_flows(with_extra.instance.dataset, sc, whole.allocations, base=with_extra.instance.base)
    assert bought.extra_capacity_cost_sek > 0
    assert total == pytest.approx(bought.extra_capacity_cost_sek, rel=1e-6)

    def metric(name):
        return table[(table["metric"] == name) & (table["region_id"] == "total")].iloc[0, 2]

    # one meaning per name, in the comparison as in the summary's terms and the evaluator's
    terms = whole.terms
    assert metric("treatment_cost_sek") == pytest.approx(terms["treatment_cost_sek"])
    assert metric("treatment_cost_sek") == pytest.approx(bought.purchase_cost_sek)
    assert metric("extra_capacity_sek") == pytest.approx(terms["extra_capacity_sek"])
    assert metric("cost_sek") == pytest.approx(terms["cost_sek"])
    assert metric("cost_sek") == pytest.approx(metric("treatment_cost_sek") + total)
    assert bought.objective_terms()["cost_sek"] == pytest.approx(terms["cost_sek"], rel=1e-6)
    regions = whole.region_totals
    assert regions["cost_sek"].sum() == pytest.approx(terms["cost_sek"])


def test_compare_cli_writes_plain_decimals(plans, tmp_path):
    from typer.testing import CliRunner

    from capplan.cli import app
    from presentation.result_files import write_results

    folders = [write_results(p, tmp_path / f"run{i}") for i, p in enumerate(plans)]
    out = tmp_path / "cmp"
    outcome = CliRunner().invoke(app, ["compare", *map(str, folders), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    text = (out / "comparison.csv").read_text(encoding="utf-8")
    assert not re.search(r"\d[eE][+-]?\d", text)
    assert "treatment_cost_sek" in text and "extra_capacity_sek" in text


def test_every_plan_is_weighted_with_the_first_plans_weights_and_differences_are_against_it(plans):
    default, heavy = plans  # heavy weighs a breach-day over 90 fifty times
    table = compare([ResultView.from_plan(default), ResultView.from_plan(heavy)])
    assert plan_columns(table) == ["test", "test#2"]
    total = table[table["region_id"] == "total"].set_index("metric")
    w = default.scenario.weights
    breach = {theta: heavy.integer.terms[f"breach_days_{theta}"] for theta in (90, 180, 365)}  # whole patients
    expected = w.over_90 * breach[90] + w.over_180 * breach[180] + w.over_365 * breach[365]
    assert total.loc["weighted_breach_days", "test#2"] == pytest.approx(expected)
    assert heavy.scenario.weights.over_90 == 50 and expected < heavy.lp.region_totals["weighted_breach_days"].sum()
    assert "weights of test" in total.loc["weighted_breach_days", "note"]
    difference = table["test#2 − test"]
    assert np.allclose(difference, table["test#2"] - table["test"])
    # the other way round the heavy weights apply to both
    swapped = compare([ResultView.from_plan(heavy), ResultView.from_plan(default)])
    swapped_total = swapped[swapped["region_id"] == "total"].set_index("metric")
    assert swapped_total.loc["weighted_breach_days", "test"] == pytest.approx(
        50 * breach[90] + breach[180] + 2 * breach[365]
    )


def test_weights_are_read_back_from_a_result_folder(plans, tmp_path):
    write_results(plans[1], tmp_path / "heavy")
    view = ResultView.from_folder(tmp_path / "heavy")
    assert view.weights == plans[1].scenario.weights
