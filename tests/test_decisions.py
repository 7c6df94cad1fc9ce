"""Decisions in breach-days and SEK: shadow prices, purchase options and the target question.

Conventions of tests/test_lp_hand_solved.py: plan start D0 = 2025-03-31 (2025-W14), week t ends at
D0 + 7t, breach-days = 7 × patients over 90 days at the end of each week.
"""

from __future__ import annotations

import pandas as pd
import pytest

from models.errors import DatasetError
from optimizer import plan
from optimizer.decisions.options import PurchaseOption, read_options
from optimizer.decisions.purchases import rank_purchases
from optimizer.decisions.shadow_prices import summarise_prices, weekly_breach_day_prices
from optimizer.decisions.target import fewest_extra_days
from tests.factory import ONLY_90, make_dataset, patients, scenario, single_hospital, weekly


def _three_over_90_one_day_a_week():
    # 3 patients who waited 100 days (over 90 from the start), 1 theatre day a week at 1 case a day.
    return single_hospital(capacity=weekly("h", 1, 2), patients=patients("a", 3, 100))


def test_one_more_theatre_day_avoids_the_breach_days_worked_out_by_hand():
    # Base plan: 1 treated a week. End of week 1: 2 over 90; end of week 2: 1 → 7 × (2 + 1) = 21 breach-days.
    # One more day in week 1: 2 treated in week 1 (1 left), the last in week 2 → 7 × (1 + 0) = 7: avoids 14.
    # One more day in week 2: 1 treated in week 1 (2 left), 2 in week 2 → 7 × (2 + 0) = 14: avoids 7.
    # The scenario's own weights (cost, waiting, tiers) do not matter: the prices are breach-days over 90.
    ds = _three_over_90_one_day_a_week()
    weekly_prices = weekly_breach_day_prices(scenario(2), dataset=ds)
    theatre = weekly_prices[weekly_prices["resource"] == "theatre_days"].set_index("week")["breach_days_avoided"]
    assert theatre["2025-W14"] == pytest.approx(14.0)
    assert theatre["2025-W15"] == pytest.approx(7.0)
    summary = summarise_prices(weekly_prices).iloc[0]
    assert summary["breach_days_per_extra_day_each_week"] == pytest.approx(21.0)
    assert summary["best_week"] == "2025-W14" and summary["weeks_binding"] == 2

    # The same by re-solving with one more day in each week in turn.
    base = plan(scenario(2, weights=ONLY_90), dataset=ds).lp.terms["breach_days_90"]
    assert base == pytest.approx(21.0)
    for week, avoided in (("2025-W14", 14.0), ("2025-W15", 7.0)):
        more = {"capacity": {"hospital_id": "h", "weeks": week, "theatre_days": 2}}
        again = plan(scenario(2, weights=ONLY_90, changes=[more]), dataset=ds).lp.terms["breach_days_90"]
        assert base - again == pytest.approx(avoided)
        assert theatre[week] == pytest.approx(base - again)


def test_purchase_options_are_ranked_by_sek_per_breach_day_avoided():
    # Either option adds 1 day a week for the 2 weeks: 2 + 1 treated (see the test above), 1 over 90 at
    # the end of week 1 → 7 breach-days instead of 21: 14 avoided. Cost: 2 days × price.
    # Cheap: 2 × 10,000 / 14 = 1,428.57 SEK per breach-day; dear: 2 × 30,000 / 14 = 4,285.71.
    ds = _three_over_90_one_day_a_week()
    options = [PurchaseOption("h", "orthopaedics", 1, 30_000), PurchaseOption("h", "orthopaedics", 1, 10_000)]
    table = rank_purchases(scenario(2), options, dataset=ds)
    assert table["price_per_day_sek"].tolist() == [10_000, 30_000]
    assert table["rank"].tolist() == [1, 2]
    assert table["breach_days_avoided"].tolist() == pytest.approx([14.0, 14.0])
    assert table["cost_sek"].tolist() == pytest.approx([20_000, 60_000])
    assert table["sek_per_breach_day"].tolist() == pytest.approx([20_000 / 14, 60_000 / 14])
    assert table["warm_started"].all()  # every option re-solved from the baseline's model


def test_an_option_that_avoids_nothing_comes_last_without_a_price_per_breach_day():
    ds = _three_over_90_one_day_a_week()
    late = PurchaseOption("h", "orthopaedics", 1, 10_000, weeks="2025-W15..2025-W15")
    early = PurchaseOption("h", "orthopaedics", 1, 1, weeks="2025-W14..2025-W14")
    table = rank_purchases(scenario(2, weights=ONLY_90), [late, early], dataset=ds)
    # Week 2 only: 1 treated in week 1, 2 in week 2 → 7 × 2 = 14: avoids 7 at 10,000 SEK.
    # Week 1 only: 2 treated in week 1, 1 in week 2 → 7 × 1 = 7: avoids 14 at 1 SEK: ranked first.
    assert table["breach_days_avoided"].tolist() == pytest.approx([14.0, 7.0])
    after_the_plan = [PurchaseOption("h", "orthopaedics", 1, 5, weeks="2025-W20")]  # no week of it in the plan
    empty = rank_purchases(scenario(2, weights=ONLY_90), after_the_plan, dataset=ds)
    assert empty["breach_days_avoided"].iloc[0] == pytest.approx(0.0)
    assert pd.isna(empty["sek_per_breach_day"].iloc[0])


def _two_over_two_under():
    # 2 patients waited 100 days (over 90), 2 waited 10 days (24 days at the end of week 2: under 90).
    # No theatre days of its own: every day is bought.
    return single_hospital(capacity=weekly("h", 0, 2), patients=patients("a", 2, 100) + patients("a", 2, 10))


def test_target_answer_replanned_with_the_purchase_meets_the_share():
    # Share over 90 at the end of week 2 (2025-W15) with k of the over-90 patients treated: (2 − k) / (4 − k).
    # ≤ 0.2 ⇔ 2 − k ≤ 0.8 − 0.2k ⇔ k ≥ 1.5. At 1 case a day: 1.5 days in weeks 1–2, i.e. 0.75 a week
    # (the LP's minimum: 1.5 days), rounded up to 1 whole day a week = 2 days, 2 × 50,000 SEK.
    # Re-planned with 1 day a week the two over 90 are treated first: share 0 / 2 = 0.
    ds = _two_over_two_under()
    answer = fewest_extra_days(
        scenario(2), 0.2, "2025-W15", candidates=[PurchaseOption("h", "orthopaedics", 1, 50_000)], dataset=ds
    )
    assert answer.reachable
    assert answer.lp_days == pytest.approx(1.5)
    assert answer.days == pytest.approx(2.0)
    assert answer.cost_sek == pytest.approx(100_000)
    assert answer.purchases["days_per_week"].tolist() == [1.0]
    assert answer.lp_share <= 0.2 + 1e-9
    assert answer.achieved_share <= 0.2 + 1e-9
    assert answer.summary()["target_met"]
    kpis = answer.replanned.lp.region_kpis  # the re-plan's own tables, computed from its flows
    end = kpis[kpis["week"] == "2025-W15"]
    assert float(end["over_90"].sum() / end["waiting"].sum()) == pytest.approx(answer.achieved_share)


def test_a_target_no_purchase_can_reach_is_reported_as_such():
    # The hip patients over 90 days cannot be operated anywhere: whatever is bought for knees, the
    # share at the end of week 1 is at least 2 / 2 = 1 once the knees are done, never ≤ 0.1.
    ds = make_dataset(
        regions=["a"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[{"procedure_id": "knee"}, {"procedure_id": "hip"}],
        capabilities=[{"hospital_id": "h", "procedure_id": "knee"}],
        capacity=weekly("h", 1, 2),
        patients=patients("a", 2, 100, "hip") + patients("a", 3, 100),
    )
    answer = fewest_extra_days(scenario(2), 0.1, "2025-W14", dataset=ds)
    assert not answer.reachable
    assert "No purchase can" in answer.message and answer.days is None
    assert answer.candidates["hospital_id"].tolist() == ["h"]  # every cell with theatre days was a candidate


def test_a_target_week_outside_the_plan_is_an_error_naming_it():
    from models.errors import ScenarioError

    with pytest.raises(ScenarioError, match="2025-W40"):
        fewest_extra_days(scenario(2), 0.2, "2025-W40", dataset=_two_over_two_under())


def test_an_options_file_with_a_bad_value_names_file_row_and_field(tmp_path):
    path = tmp_path / "options.csv"
    path.write_text(
        "hospital_id,specialty,days_per_week,price_per_day_sek\nh,orthopaedics,1,50000\nh,orthopaedics,-2,50000\n",
        encoding="utf-8",
    )
    with pytest.raises(DatasetError) as caught:
        read_options(path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("options.csv", 3, "days_per_week")
    path.write_text("hospital_id,specialty,days_per_week,price_per_day_sek\nh,orthopaedics,2,50000\n", encoding="utf-8")
    assert read_options(path) == [PurchaseOption("h", "orthopaedics", 2.0, 50_000.0)]


def test_an_option_at_an_unknown_hospital_is_an_error_naming_the_option():
    options = [PurchaseOption("h", "orthopaedics", 1, 10), PurchaseOption("nowhere", "orthopaedics", 1, 10)]
    with pytest.raises(DatasetError) as caught:
        rank_purchases(scenario(2), options, dataset=_three_over_90_one_day_a_week())
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (2, "hospital_id") and "nowhere" in problem.message


def test_the_target_counts_patients_as_the_tables_serve_them_earliest_deadline_first():
    # One queue group, two priorities: an urgent patient (limit 30 days) who waited 50 days (not over 90,
    # deadline 20 days ago) and a routine one (limit 90) who waited 100 days (over 90, deadline 10 days
    # ago). The tables serve the earliest deadline first: the urgent patient before the routine one.
    # Share over 90 at the end of week 1 = 0 needs the routine patient treated, so both: 2 days, not 1.
    ds = single_hospital(
        capacity=weekly("h", 0, 1),
        patients=patients("a", 1, 50, priority="urgent") + patients("a", 1, 100),
        priorities=[
            {"priority_id": "urgent", "max_wait_days": 30, "demand_share": 0.5},
            {"priority_id": "routine", "max_wait_days": 90, "demand_share": 0.5},
        ],
    )
    answer = fewest_extra_days(
        scenario(1), 0.0, "2025-W14", candidates=[PurchaseOption("h", "orthopaedics", 1, 1_000)], dataset=ds
    )
    assert answer.lp_days == pytest.approx(2.0)
    assert answer.lp_share == pytest.approx(0.0) and answer.achieved_share == pytest.approx(0.0)
