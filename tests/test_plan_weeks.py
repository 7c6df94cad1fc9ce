"""A plan must lie within the dataset's weeks (`models.plan_weeks`): the rule, and `capplan run` refusing it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from capplan.cli import app
from models import ScenarioError, load_dataset, save_dataset
from models.plan_weeks import check_plan_weeks, plan_week_problems
from models.scenario import SCENARIOS_DIR, load_scenario
from models.weeks import week_labels
from tests.factory import START_WEEK, make_dataset, weekly

BUNDLED = SCENARIOS_DIR / "mellansverige"


def _dataset(capacity_weeks: int = 6, demand_weeks: list[str] | None = None, capacity: list[dict] | None = None):
    """Region a, hospital h doing knees; capacity and demand in the first weeks from 2025-W14."""
    demand_weeks = week_labels(START_WEEK, 6) if demand_weeks is None else demand_weeks
    return make_dataset(
        regions=["a"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": "h", "procedure_id": "knee"}],
        capacity=weekly("h", 1, capacity_weeks) if capacity is None else capacity,
        patients=[{"region_id": "a", "procedure_id": "knee", "waited": 100}],
        demand=[{"region_id": "a", "procedure_id": "knee", "week": w, "expected_decisions": 1.0} for w in demand_weeks],
    )


def _only_problem(dataset, start_week: str, horizon_weeks: int):
    with pytest.raises(ScenarioError) as raised:
        check_plan_weeks(dataset, start_week, horizon_weeks)
    [problem] = raised.value.problems
    assert problem.file == "scenario"
    return problem


def test_a_plan_within_the_weeks_passes_and_zero_capacity_counts_as_a_week():
    check_plan_weeks(_dataset(), START_WEEK, 6)
    check_plan_weeks(_dataset(), "2025-W16", 4)
    zero = [{**row, "theatre_days": 0.0} for row in weekly("h", 1, 6)]
    check_plan_weeks(_dataset(capacity=zero), START_WEEK, 6)


def test_a_dataset_without_any_demand_row_plans_its_waiting_list_alone():
    check_plan_weeks(_dataset(demand_weeks=[]), START_WEEK, 6)
    problem = _only_problem(_dataset(demand_weeks=[]), START_WEEK, 8)
    assert "the dataset's capacity weeks 2025-W14..2025-W19: no rows in capacity.csv for 2025-W20..2025-W21" in (
        problem.message
    )


def test_a_horizon_past_the_data_names_horizon_weeks_and_the_missing_weeks():
    problem = _only_problem(_dataset(), START_WEEK, 10)
    assert problem.column == "horizon_weeks"
    assert problem.message.startswith(
        "the plan's weeks 2025-W14..2025-W23 go beyond the dataset's capacity and demand weeks 2025-W14..2025-W19: "
        "no rows in capacity.csv or demand.csv for 2025-W20..2025-W23"
    )


def test_a_start_outside_the_data_names_start_week():
    assert _only_problem(_dataset(), "2030-W01", 4).column == "start_week"
    assert _only_problem(_dataset(), "2025-W10", 8).column == "start_week"  # starts before the data


def test_a_week_missing_from_one_file_is_named_with_that_file():
    labels = week_labels(START_WEEK, 6)
    holes = [row for row in weekly("h", 1, 6) if row["week"] not in (labels[2], labels[4])]
    problem = _only_problem(_dataset(capacity=holes), START_WEEK, 6)
    assert problem.column == "horizon_weeks"
    assert "the dataset's capacity weeks 2025-W14..2025-W19 (with gaps) and demand weeks 2025-W14..2025-W19" in (
        problem.message
    )
    assert "no rows in capacity.csv for 2025-W16, 2025-W18 (" in problem.message
    problem = _only_problem(_dataset(capacity_weeks=8, demand_weeks=labels[:4]), START_WEEK, 8)
    assert "no rows in demand.csv for 2025-W18..2025-W21 (" in problem.message


def test_many_gaps_are_counted_after_the_first_ranges():
    labels = week_labels(START_WEEK, 20)
    every_other = [row for row in weekly("h", 1, 20) if labels.index(row["week"]) % 2 == 0]
    problem = _only_problem(_dataset(capacity=every_other, demand_weeks=labels), START_WEEK, 20)
    assert "for 2025-W15, 2025-W17, 2025-W19, 2025-W21, and 6 more ranges (" in problem.message


def test_a_plan_past_the_calendar_names_horizon_weeks():
    [problem] = plan_week_problems(_dataset(), "9999-W50", 6)
    assert problem.column == "horizon_weeks" and "calendar" in problem.message


def test_the_upload_form_names_its_own_source_and_field():
    [problem] = plan_week_problems(_dataset(), "2030-W01", 1, source="upload", start_field="plan_start")
    assert (problem.file, problem.column) == ("upload", "plan_start")
    assert problem.message.startswith("the plan's week 2030-W01 goes beyond")


def test_every_bundled_scenario_lies_within_the_bundled_dataset():
    dataset = load_dataset(BUNDLED)
    for path in sorted(SCENARIOS_DIR.glob("*.yaml")):
        scenario, _ = load_scenario(path)
        if scenario.dataset == "mellansverige":
            check_plan_weeks(dataset, scenario.start_week, scenario.horizon_weeks)
    [problem] = plan_week_problems(dataset, START_WEEK, 104)  # the case: 52 weeks of data
    assert "no rows in capacity.csv or demand.csv for 2026-W14..2027-W12" in problem.message


def _scenario_file(tmp_path, dataset_folder, start_week: str, horizon_weeks: int):
    path = tmp_path / f"far-{start_week}-{horizon_weeks}.yaml"
    text = f"name: far\ndataset: {dataset_folder}\nstart_week: {start_week}\nhorizon_weeks: {horizon_weeks}\n"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("start", "horizon", "column", "weeks"),
    [("2025-W14", 10, "horizon_weeks", "2025-W20..2025-W23"), ("2030-W01", 4, "start_week", "2030-W01..2030-W04")],
)
def test_capplan_run_exits_1_naming_the_field_and_the_weeks(tmp_path, start, horizon, column, weeks):
    folder = save_dataset(_dataset(), tmp_path / "tiny")
    scenario = _scenario_file(tmp_path, folder, start, horizon)
    outcome = CliRunner().invoke(app, ["run", str(scenario), "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 1, outcome.output
    assert f"scenario:-:{column}: the plan's weeks {start}.." in outcome.output
    assert f"no rows in capacity.csv or demand.csv for {weeks}" in outcome.output
    assert not (tmp_path / "out").exists()


def test_capplan_run_plans_the_bundled_default_scenario(tmp_path):
    outcome = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "default")])
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "default" / "allocations.csv").is_file()
