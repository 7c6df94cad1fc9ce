"""The independent patient-level evaluator (`optimizer.evaluation`), on hand-worked cases.

Conventions (as in test_lp_hand_solved.py): D0 = 2025-03-31 (Monday of 2025-W14), week t ends at
E_t = D0 + 7t. A backlog patient who had waited w days at D0 is dated D0 − w; they are over θ at the
end of week t when D0 − w < E_t − θ, i.e. w + 7t > θ. Breach-days = 7 × patients over θ per week end.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from models.rules import fallback_hospitals
from models.weeks import week_labels
from optimizer.evaluation import evaluate_flows
from tests.factory import ONLY_90, START_WEEK, make_dataset, patients, random_dataset, scenario, weekly

W = week_labels(START_WEEK, 30)  # W[0] = 2025-W14 = week 1


def flow(region: str, hospital: str, week: int, n: float, procedure: str = "knee", cls: str = "mobile") -> dict:
    """One allocation row; `week` is the plan's 1-based week t."""
    label = W[week - 1] if isinstance(week, int) else week
    return {
        "region_id": region,
        "procedure_id": procedure,
        "class": cls,
        "hospital_id": hospital,
        "week": label,
        "patients": n,
    }


def flows(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["region_id", "procedure_id", "class", "hospital_id", "week", "patients"])


def one_hospital(**extra) -> dict:
    """Region a with hospital h (knee capable, 1 case per theatre day); override any field."""
    base = {
        "regions": ["a"],
        "hospitals": [{"hospital_id": "h", "region_id": "a"}],
        "procedures": [{"procedure_id": "knee"}],
        "capabilities": [{"hospital_id": "h", "procedure_id": "knee"}],
    }
    return {**base, **extra}


def families(evaluation) -> list[str]:
    return sorted(evaluation.violations["family"])


def only(evaluation, family: str) -> pd.Series:
    rows = evaluation.violations[evaluation.violations["family"] == family]
    assert len(rows) == 1, evaluation.violations
    return rows.iloc[0]


# --- breaches, waiting and the objective ----------------------------------------------------------


def test_treating_the_single_over_90_patient_removes_seven_breach_days_per_remaining_week():
    # One patient waited 100 days (over 90 at every week end), one waited 10 (at most 10 + 28 = 38).
    # Untreated over 4 weeks: over_90 = 1, 1, 1, 1 → 7 × 4 = 28 breach-days.
    # Treating one patient in week 2 takes the oldest (FIFO): over_90 = 1, 0, 0, 0 → 7 × 1 = 7,
    # i.e. 21 = 7 × 3 fewer, 7 per remaining week (weeks 2, 3, 4).
    ds = make_dataset(**one_hospital(capacity=weekly("h", 1, 4), patients=patients("a", 1, 100) + patients("a", 1, 10)))
    untreated = evaluate_flows(ds, scenario(4, weights=ONLY_90), flows())
    treated = evaluate_flows(ds, scenario(4, weights=ONLY_90), flows(flow("a", "h", 2, 1)))
    assert untreated.breach_days[90] == pytest.approx(28.0)
    assert treated.breach_days[90] == pytest.approx(7.0)
    assert treated.objective == pytest.approx(7.0)
    assert list(treated.kpis["over_90"]) == pytest.approx([1, 0, 0, 0])
    assert list(treated.kpis["waiting"]) == pytest.approx([2, 1, 1, 1])  # 2 until week 2 treats 1: 2 − 1
    assert treated.treated == pytest.approx(1.0)  # the one flow of 1 patient
    assert treated.feasible
    assert treated.assignments["patient_id"].tolist() == ["P000000"]  # the 100-day patient
    assert treated.assignments["week"].tolist() == [W[1]]
    assert treated.assignments["days_waited_at_week_end"].tolist() == [114]  # 100 + 7 × 2


def test_over_threshold_is_strict_at_the_end_of_the_week():
    # Waited 83 days: at E_1 the decision date D0 − 83 equals E_1 − 90 = D0 + 7 − 90 → not over
    # (strict <). At E_2: D0 − 83 < D0 + 14 − 90 = D0 − 76 → over. Likewise 173 → 180, 358 → 365.
    ds = make_dataset(**one_hospital(patients=patients("a", 1, 83) + patients("a", 1, 173) + patients("a", 1, 358)))
    # Days waited at E_1: 90, 180, 365; at E_2: 97, 187, 372.
    evaluation = evaluate_flows(ds, scenario(2), flows())
    assert list(evaluation.kpis["over_90"]) == pytest.approx([2, 3])  # E_1: 180, 365 > 90; E_2: all 3
    assert list(evaluation.kpis["over_180"]) == pytest.approx([1, 2])  # E_1: 365; E_2: 187, 372
    assert list(evaluation.kpis["over_365"]) == pytest.approx([0, 1])  # E_1: none; E_2: 372
    assert evaluation.kpis["share_over_90"].iloc[0] == pytest.approx(2 / 3)  # 2 of 3 waiting at E_1


def test_forecast_decisions_are_dated_mid_week_and_cross_90_days_in_week_14():
    # Decisions of week s are dated D0 + 7(s − 1) + 3. Over 90 at E_t when
    # D0 + 7(s − 1) + 3 < D0 + 7t − 90  ⇔  7t > 7s + 86  ⇔  t ≥ s + 13.
    # Week 1's cohort: at E_13, 7·13 = 91 is not > 93 → not over; at E_14, 98 > 93 → over.
    # Week 2's cohort crosses at t = 15. Each cohort is 2 patients, all mobile (share 1).
    ds = make_dataset(
        **one_hospital(
            capacity=weekly("h", 2, 1),
            demand=[
                {"region_id": "a", "procedure_id": "knee", "week": W[0], "expected_decisions": 2.0},
                {"region_id": "a", "procedure_id": "knee", "week": W[1], "expected_decisions": 2.0},
            ],
        )
    )
    sc = scenario(15, weights=ONLY_90, policy={"share_accepting_travel": 1.0})
    evaluation = evaluate_flows(ds, sc, flows())
    over = list(evaluation.kpis["over_90"])
    assert over[:13] == pytest.approx([0.0] * 13)
    assert over[13] == pytest.approx(2.0)  # end of week 14
    assert over[14] == pytest.approx(4.0)  # end of week 15
    assert list(evaluation.kpis["waiting"][:3]) == pytest.approx([2, 4, 4])  # cohorts arrive in their week: 2, 2 + 2
    assert evaluation.breach_days[90] == pytest.approx(7 * (2 + 4))  # 2 over at E_14, 4 at E_15
    # A cohort can be treated in its own week, and treating it in week 1 removes its breach.
    treated = evaluate_flows(ds, sc, flows(flow("a", "h", 1, 2.0)))
    assert treated.violations.empty  # 2 patients on 2 theatre days at 1 a day
    assert treated.breach_days[90] == pytest.approx(7 * 2)  # only week 2's cohort, over at E_15: 7 × 2
    assert treated.assignments.empty  # forecast patients have no ids


def test_objective_includes_the_constant_waiting_part_and_all_weights():
    # One patient waited 400 days (over 90, 180 and 365), one week, default weights:
    # 7 × (1·1 + 1·1 + 2·1 + 0.05·1) = 28.35 untreated.
    # Treated at private hospital p of the same region at 50,000 SEK: breaches and waiting 0,
    # cost 0.1 × 50,000 / 1000 = 5 → objective 5; a private hospital at home means no travel km.
    ds = make_dataset(
        **one_hospital(
            hospitals=[
                {"hospital_id": "h", "region_id": "a"},
                {"hospital_id": "p", "region_id": "a", "level": "private"},
            ],
            capabilities=[{"hospital_id": "h", "procedure_id": "knee"}, {"hospital_id": "p", "procedure_id": "knee"}],
            capacity=weekly("p", 1, 1),
            prices=[{"procedure_id": "knee", "hospital_id": "p", "price_sek": 50_000}],
            patients=patients("a", 1, 400, accepts_travel=False),
        )
    )
    assert evaluate_flows(ds, scenario(1), flows()).objective == pytest.approx(28.35)
    evaluation = evaluate_flows(ds, scenario(1), flows(flow("a", "p", 1, 1, cls="local")))
    assert evaluation.feasible
    assert evaluation.objective == pytest.approx(5.0)  # 0.1 × 50 kSEK
    assert evaluation.cost_sek == pytest.approx(50_000)  # 1 patient × 50,000 SEK
    assert evaluation.patient_km == 0.0
    assert evaluation.objective_terms()["treated"] == pytest.approx(1.0)


# --- assignments ----------------------------------------------------------------------------------


def test_assignments_go_oldest_first_ties_by_patient_id_and_never_to_mov_or_pvv():
    # Waiting: W200 (200 days), B150 and A150 (150 days, tie → A150 first), W050. MoV/PvV waited
    # longer but are never planned or counted. 3 patients treated in week 1 → W200, A150, B150.
    ds = make_dataset(
        **one_hospital(
            capacity=weekly("h", 3, 1),
            patients=[
                {"region_id": "a", "procedure_id": "knee", "waited": 400, "status": "MoV", "patient_id": "MOV"},
                {"region_id": "a", "procedure_id": "knee", "waited": 300, "status": "PvV", "patient_id": "PVV"},
                {"region_id": "a", "procedure_id": "knee", "waited": 150, "patient_id": "B150"},
                {"region_id": "a", "procedure_id": "knee", "waited": 50, "patient_id": "W050"},
                {"region_id": "a", "procedure_id": "knee", "waited": 200, "patient_id": "W200"},
                {"region_id": "a", "procedure_id": "knee", "waited": 150, "patient_id": "A150"},
            ],
        )
    )
    evaluation = evaluate_flows(ds, scenario(1), flows(flow("a", "h", 1, 3)))
    assert evaluation.assignments["patient_id"].tolist() == ["W200", "A150", "B150"]
    assert set(evaluation.assignments["hospital_id"]) == {"h"}
    # 4 waiting (MoV/PvV excluded) − 3 treated = 1 left (W050, 57 days at E_1: not over 90).
    assert evaluation.kpis["waiting"].tolist() == pytest.approx([1.0])
    assert evaluation.kpis["over_90"].tolist() == pytest.approx([0.0])


def test_fractional_flows_assign_a_patient_once_the_cumulative_flow_covers_them():
    # 0.6 per week: cumulative 0.6, 1.2, 1.8. Patient 1 (position 1) is covered in week 2;
    # patient 2 (position 2) never is (1.8 < 2). KPIs stay fractional: waiting 1.4, 0.8, 0.2.
    ds = make_dataset(**one_hospital(capacity=weekly("h", 1, 3), patients=patients("a", 2, 30)))
    evaluation = evaluate_flows(ds, scenario(3), flows(*(flow("a", "h", t, 0.6) for t in (1, 2, 3))))
    assert evaluation.assignments["patient_id"].tolist() == ["P000000"]
    assert evaluation.assignments["week"].tolist() == [W[1]]
    assert evaluation.kpis["waiting"].tolist() == pytest.approx([1.4, 0.8, 0.2])
    # Flows a hair below a whole number (LP round-off) still count as whole.
    nearly = evaluate_flows(ds, scenario(3), flows(flow("a", "h", 1, 2 - 1e-9)))
    assert nearly.assignments["week"].tolist() == [W[0], W[0]]


def test_within_a_week_the_oldest_go_to_home_hospitals_first_then_by_distance_then_id():
    # Region a has h1 and h2; b has hb. One patient each at h1, h2, hb in week 1: the oldest (300)
    # goes to h1, then 200 to h2, then 100 to hb (out of region, charged).
    ds = make_dataset(
        regions=["a", "b"],
        hospitals=[
            {"hospital_id": "hb", "region_id": "b"},
            {"hospital_id": "h2", "region_id": "a"},
            {"hospital_id": "h1", "region_id": "a"},
        ],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": h, "procedure_id": "knee"} for h in ("h1", "h2", "hb")],
        capacity=weekly("h1", 1, 1) + weekly("h2", 1, 1) + weekly("hb", 1, 1),
        prices=[{"procedure_id": "knee", "hospital_id": "hb", "price_sek": 1000}],
        patients=[
            {"region_id": "a", "procedure_id": "knee", "waited": w, "patient_id": f"W{w}"} for w in (100, 300, 200)
        ],
    )
    evaluation = evaluate_flows(
        ds, scenario(1), flows(flow("a", "hb", 1, 1), flow("a", "h2", 1, 1), flow("a", "h1", 1, 1))
    )
    assert evaluation.feasible, evaluation.violations
    got = dict(zip(evaluation.assignments["patient_id"], evaluation.assignments["hospital_id"], strict=True))
    assert got == {"W300": "h1", "W200": "h2", "W100": "hb"}


# --- violations -----------------------------------------------------------------------------------


def test_theatre_days_over_capacity_is_a_violation_with_the_excess_in_days():
    # 2 cases per theatre day, 1 theatre day in week 1, 5 patients → 2.5 days needed, 1.5 over.
    ds = make_dataset(
        **one_hospital(
            capabilities=[{"hospital_id": "h", "procedure_id": "knee", "cases_per_theatre_day": 2.0}],
            capacity=weekly("h", 1, 1),
            patients=patients("a", 5, 100),
        )
    )
    evaluation = evaluate_flows(ds, scenario(1), flows(flow("a", "h", 1, 5)))
    row = only(evaluation, "theatre_days")
    assert row["key"] == f"h/orthopaedics/{W[0]}"
    assert row["amount"] == pytest.approx(1.5)
    assert evaluation.treated == pytest.approx(5.0)  # the KPIs still count what the plan does


def test_extra_capacity_is_bought_cheapest_first_and_only_when_needed():
    # Need 2.5 days, 1 base: 1.5 extra needed. Offers: 1 day at 40,000 and 2 days at 60,000 →
    # 1 × 40,000 + 0.5 × 60,000 = 70,000 SEK. Week 2 needs nothing extra and costs nothing.
    ds = make_dataset(
        **one_hospital(
            capabilities=[{"hospital_id": "h", "procedure_id": "knee", "cases_per_theatre_day": 2.0}],
            capacity=weekly("h", 1, 2),
            patients=patients("a", 6, 100),
        )
    )
    changes = [
        {
            "extra_capacity": {
                "hospital_id": "h",
                "specialty": "orthopaedics",
                "theatre_days_per_week": 2,
                "cost_per_day_sek": 60_000,
            }
        },
        {
            "extra_capacity": {
                "hospital_id": "h",
                "specialty": "orthopaedics",
                "theatre_days_per_week": 1,
                "cost_per_day_sek": 40_000,
            }
        },
    ]
    sc = scenario(2, changes=changes, weights={**ONLY_90, "cost_per_ksek": 1})
    evaluation = evaluate_flows(ds, sc, flows(flow("a", "h", 1, 5), flow("a", "h", 2, 1)))
    assert evaluation.feasible, evaluation.violations
    assert evaluation.extra_capacity_cost_sek == pytest.approx(70_000)
    assert evaluation.theatre["extra_used"].tolist() == pytest.approx(
        [1.5, 0.0]
    )  # week 1: 5 / 2 − 1; week 2: 1 / 2 ≤ 1
    # breach: 6 − 5 = 1 over 90 at E_1, 0 at E_2 → 7; cost 70 kSEK × 1 → objective 77.
    assert evaluation.objective == pytest.approx(77.0)
    # Beyond base + all offers (1 + 3 days = 8 patients) is still a violation: 9 patients need
    # 9 / 2 = 4.5 days, 4.5 − 4 = 0.5 days over.
    too_many = evaluate_flows(ds, sc, flows(flow("a", "h", 1, 9)))
    assert only(too_many, "theatre_days")["amount"] == pytest.approx(0.5)


def test_bed_days_over_capacity_per_hospital_and_week():
    # 2.5 bed-days per case, 5 bed-days in week 1, 3 patients → 7.5 needed, 2.5 over.
    ds = make_dataset(
        **one_hospital(
            procedures=[{"procedure_id": "knee", "bed_days_per_case": 2.5}],
            capacity=weekly("h", 10, 1),
            beds=weekly("h", 5, 1, specialty=None),
            patients=patients("a", 3, 100),
        )
    )
    evaluation = evaluate_flows(ds, scenario(1), flows(flow("a", "h", 1, 3)))
    row = only(evaluation, "bed_days")
    assert (row["key"], row["amount"]) == (f"h/{W[0]}", pytest.approx(2.5))


def test_local_patient_treated_outside_home_region_is_an_eligibility_violation():
    ds = make_dataset(
        regions=["a", "b"],
        hospitals=[{"hospital_id": "ha", "region_id": "a"}, {"hospital_id": "hb", "region_id": "b"}],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": "ha", "procedure_id": "knee"}, {"hospital_id": "hb", "procedure_id": "knee"}],
        capacity=weekly("hb", 5, 1),
        prices=[{"procedure_id": "knee", "hospital_id": "hb", "price_sek": 1000}],
        patients=patients("a", 2, 100, accepts_travel=False),
    )
    evaluation = evaluate_flows(ds, scenario(1), flows(flow("a", "hb", 1, 2, cls="local")))
    row = only(evaluation, "eligibility")
    assert row["key"] == "a/ha/knee/local->hb"  # region/listed hospital/procedure/class->hospital
    assert row["amount"] == pytest.approx(2.0)  # the whole flow of 2 patients is ineligible
    assert "home region" in row["message"]
    assert evaluation.treated == pytest.approx(2.0)  # reported, not hidden: the flow is still replayed


def test_travel_limit_capability_and_price_rows_decide_eligibility():
    # Main hospital of a at lat 59, hb at lat 60 (same lon): 6371 × π/180 = 111.19 km great circle,
    # × 1.25 = 138.99 km road. Within 200 km: eligible, patient_km = 2 × 138.99. Beyond 100: not.
    km = 1.25 * 6371 * math.pi / 180
    base = dict(
        regions=["a", "b"],
        hospitals=[
            {"hospital_id": "ha", "region_id": "a", "lat": 59.0, "lon": 17.0},
            {"hospital_id": "hb", "region_id": "b", "lat": 60.0, "lon": 17.0},
            {"hospital_id": "hc", "region_id": "b", "lat": 60.0, "lon": 17.0},
        ],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": h, "procedure_id": "knee"} for h in ("ha", "hb", "hc")],
        capacity=weekly("hb", 5, 1) + weekly("hc", 5, 1),
        prices=[{"procedure_id": "knee", "hospital_id": "hb", "price_sek": 1000}],
        patients=patients("a", 4, 100),
    )
    ds = make_dataset(**base)
    near = evaluate_flows(ds, scenario(1, policy={"max_travel_km": 200}), flows(flow("a", "hb", 1, 2)))
    assert near.feasible, near.violations
    assert near.patient_km == pytest.approx(2 * km)
    assert near.payments.to_dict("records") == [
        {"payer_region": "a", "provider_region": "b", "sek": 2000.0}
    ]  # 2 × 1000
    far = evaluate_flows(ds, scenario(1, policy={"max_travel_km": 100}), flows(flow("a", "hb", 1, 2)))
    assert "beyond max_travel_km 100" in only(far, "eligibility")["message"]
    unpriced = evaluate_flows(ds, scenario(1), flows(flow("a", "hc", 1, 1)))
    assert "without a price-list row" in only(unpriced, "eligibility")["message"]
    incapable = make_dataset(**{**base, "capabilities": [{"hospital_id": "ha", "procedure_id": "knee"}]})
    assert (
        "no capability"
        in only(evaluate_flows(incapable, scenario(1), flows(flow("a", "hb", 1, 1))), "eligibility")["message"]
    )


def test_treating_more_than_have_arrived_is_a_queue_violation_and_only_the_feasible_part_is_replayed():
    # 2 backlog patients, 3 planned in week 1 → 1 over; week 2 plans 1 more but nobody is left → 1 over.
    ds = make_dataset(**one_hospital(capacity=weekly("h", 5, 2), patients=patients("a", 2, 100)))
    evaluation = evaluate_flows(ds, scenario(2), flows(flow("a", "h", 1, 3), flow("a", "h", 2, 1)))
    queue = evaluation.violations[evaluation.violations["family"] == "queue"]
    assert queue["key"].tolist() == [f"a/h/knee/mobile/{W[0]}", f"a/h/knee/mobile/{W[1]}"]
    assert queue["amount"].tolist() == pytest.approx([1.0, 1.0])
    assert evaluation.treated == pytest.approx(2.0)  # only the 2 who exist
    assert evaluation.planned == pytest.approx(4.0)  # 3 + 1
    assert evaluation.kpis["waiting"].tolist() == pytest.approx([0.0, 0.0])
    assert len(evaluation.assignments) == 2


def test_unknown_ids_weeks_outside_the_plan_and_negative_flows_are_reported_and_ignored():
    ds = make_dataset(**one_hospital(capacity=weekly("h", 5, 1), patients=patients("a", 3, 100)))
    evaluation = evaluate_flows(
        ds,
        scenario(1),
        flows(
            flow("a", "nowhere", 1, 1),
            flow("zz", "h", 1, 1),
            flow("a", "h", 1, 1, cls="urgent"),
            flow("a", "h", "2025-W40", 1),
            flow("a", "h", "not-a-week", 1),
            flow("a", "h", 1, -2),
            flow("a", "h", 1, -1e-12),  # round-off: zeroed silently
        ),
    )
    # eligibility: hospital "nowhere", region "zz", class "urgent"; week: W40 (plan is W14) and
    # "not-a-week"; negative_flow: −2 (−1e-12 is round-off)
    assert families(evaluation) == ["eligibility", "eligibility", "eligibility", "negative_flow", "week", "week"]
    assert only(evaluation, "negative_flow")["amount"] == pytest.approx(2.0)
    assert evaluation.treated == 0.0


def test_budget_and_agreement_violations():
    # b's mobile patients treated at h (region a) at 100,000 SEK: 3 patients = 300,000 SEK paid by b.
    # Budget 250,000 → 50,000 over. Agreement b → h min 5: 3 sent, 2 short; max 2: 1 over.
    ds = make_dataset(
        regions=["a", "b"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}, {"hospital_id": "hb", "region_id": "b"}],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": "h", "procedure_id": "knee"}],
        capacity=weekly("h", 5, 1),
        prices=[{"procedure_id": "knee", "hospital_id": "h", "price_sek": 100_000}],
        patients=patients("b", 3, 100),
    )
    plan = flows(flow("b", "h", 1, 3))
    sc = scenario(
        1,
        policy={
            "budgets_sek": {"b": 250_000, "a": 0},
            "agreements": [
                {"payer_region": "b", "provider_hospital": "h", "min_cases": 5},
                {"payer_region": "b", "provider_region": "a", "procedure_id": "knee", "max_cases": 2},
            ],
        },
    )
    evaluation = evaluate_flows(ds, sc, plan)
    budget = only(evaluation, "budgets")
    assert (budget["key"], budget["amount"]) == ("b", pytest.approx(50_000))
    agreements = evaluation.violations[evaluation.violations["family"] == "agreements"]
    assert dict(zip(agreements["key"], agreements["amount"], strict=True)) == {"b->h": 2.0, "b->a/knee": 1.0}
    assert evaluation.cost_sek == pytest.approx(300_000)


def test_forecast_split_between_classes_uses_the_share_of_waiting_patients_accepting_travel():
    # Region a knee: 1 of 3 waiting accepts travel (the MoV patient is ignored) → share 1/3:
    # 3 decisions → 1 mobile, 2 local. Region b has no waiting knee patients: falls back to the
    # share over all waiting patients, 1/3 too.
    ds = make_dataset(
        regions=["a", "b"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": "h", "procedure_id": "knee"}],
        patients=patients("a", 1, 10, accepts_travel=True)
        + patients("a", 2, 10, accepts_travel=False)
        + patients("a", 1, 10, accepts_travel=True, status="MoV"),
        demand=[{"region_id": r, "procedure_id": "knee", "week": W[0], "expected_decisions": 3.0} for r in "ab"],
    )
    queues = evaluate_flows(ds, scenario(1), flows()).queues.set_index(["region_id", "class"])["arrived"]
    assert queues[("a", "mobile")] == pytest.approx(1 + 1)  # 1 backlog + 3 × 1/3 forecast
    assert queues[("a", "local")] == pytest.approx(2 + 2)  # 2 backlog + 3 × 2/3 forecast
    assert queues[("b", "mobile")] == pytest.approx(1.0)  # 3 × 1/3
    assert queues[("b", "local")] == pytest.approx(2.0)  # 3 × 2/3


# --- an independent brute-force replay on random datasets ------------------------------------------


def brute_force(ds, sc, plan: pd.DataFrame) -> tuple[dict, dict]:
    """Patient-by-patient loop, written for clarity: per (group, week) the waiting and over counts,
    and per patient (hospital, week). Groups are (region, listed hospital, procedure, class); all
    patients here are routine, so earliest deadline first is first in, first out. Hospitals in a
    week: the listed hospital first, then road km from it, then id."""
    d0 = pd.Timestamp(ds.plan_start)
    weeks = week_labels(sc.start_week, sc.horizon_weeks)
    hospitals = ds.hospitals.set_index("hospital_id")
    waiting = ds.waiting_list[ds.waiting_list["status"] == "waiting"]
    assert set(waiting["priority"]) <= {"routine"}
    fallback = {(r.region_id, r.procedure_id): r.hospital_id for r in fallback_hospitals(ds, ds, weeks).itertuples()}
    overall = waiting["accepts_travel"].mean() if len(waiting) else 0.5
    items = defaultdict(list)  # group -> [day, kind, patient_id, remaining, arrival week]
    listed_of = {}
    for row in waiting.itertuples():
        cls = "mobile" if row.accepts_travel else "local"
        listed = row.listed_hospital_id if isinstance(row.listed_hospital_id, str) and row.listed_hospital_id else None
        listed = listed or fallback[(row.region_id, row.procedure_id)]
        listed_of[row.patient_id] = listed
        items[(row.region_id, listed, row.procedure_id, cls)].append(
            [(row.decision_date - d0).days, 0, row.patient_id, 1.0, 0]
        )
    for row in ds.demand.itertuples():
        if row.week not in weeks:
            continue
        s = weeks.index(row.week) + 1
        pair = waiting[(waiting["region_id"] == row.region_id) & (waiting["procedure_id"] == row.procedure_id)]
        share = pair["accepts_travel"].mean() if len(pair) else overall
        spread = (
            {h: n / len(pair) for h, n in pair["patient_id"].map(listed_of).value_counts().items()}
            if len(pair)
            else {fallback[(row.region_id, row.procedure_id)]: 1.0}
        )
        for listed, share_l in spread.items():
            for cls, part in (("mobile", share), ("local", 1 - share)):
                cohort = [7 * (s - 1) + 3, 1, "", row.expected_decisions * share_l * part, s]
                items[(row.region_id, listed, row.procedure_id, cls)].append(cohort)

    def km(listed: str, hospital: str) -> float:
        if hospital == listed:
            return -1.0
        lat1, lon1, lat2, lon2 = map(
            math.radians,
            (
                hospitals.loc[listed, "lat"],
                hospitals.loc[listed, "lon"],
                hospitals.loc[hospital, "lat"],
                hospitals.loc[hospital, "lon"],
            ),
        )
        a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        return 1.25 * 2 * 6371 * math.asin(math.sqrt(a))

    counts, assigned = {}, {}
    for group, group_items in items.items():
        group_items.sort(key=lambda item: (item[0], item[1], item[2]))
        for t, label in enumerate(weeks, start=1):
            rows = plan[
                (plan["region_id"] == group[0])
                & (plan["listed_hospital_id"] == group[1])
                & (plan["procedure_id"] == group[2])
                & (plan["class"] == group[3])
                & (plan["week"] == label)
            ]
            for hospital, amount in sorted(
                zip(rows["hospital_id"], rows["patients"], strict=True),
                key=lambda hy: (km(group[1], hy[0]) >= 0, km(group[1], hy[0]), hy[0]),
            ):
                for item in group_items:
                    if amount <= 0:
                        break
                    if item[4] > t or item[3] <= 0:
                        continue
                    take = min(item[3], amount)
                    item[3] -= take
                    amount -= take
                    if item[1] == 0 and item[3] <= 1e-6 and item[2] not in assigned:
                        assigned[(group[2], item[2])] = (hospital, label)
            left = [item for item in group_items if item[4] <= t]
            counts[(*group, label)] = {
                "waiting": sum(item[3] for item in left),
                **{
                    f"over_{theta}": sum(item[3] for item in left if item[0] < 7 * t - theta)
                    for theta in (90, 180, 365)
                },
            }
    return counts, assigned


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_vectorised_replay_matches_a_patient_by_patient_loop(seed):
    ds = random_dataset(seed, weeks=5)
    sc = scenario(5, policy={"max_travel_km": 150})
    rng = np.random.default_rng(seed)
    caps = ds.capabilities
    rows = []
    for _ in range(60):
        cap = caps.iloc[int(rng.integers(len(caps)))]
        amount = float(rng.integers(0, 4)) if rng.random() < 0.5 else float(rng.uniform(0, 3))
        rows.append(
            flow(
                f"r{rng.integers(3)}",
                cap["hospital_id"],
                int(rng.integers(1, 6)),
                amount,
                procedure=cap["procedure_id"],
                cls=str(rng.choice(["local", "mobile"])),
            )
        )
    plan = flows(*rows).groupby(["region_id", "procedure_id", "class", "hospital_id", "week"], as_index=False).sum()
    # each region, procedure and class of this dataset has one listed hospital: the evaluator fills it in
    fallback = fallback_hospitals(ds, ds, week_labels(sc.start_week, sc.horizon_weeks))
    plan = plan.merge(fallback.rename(columns={"hospital_id": "listed_hospital_id"}), on=["region_id", "procedure_id"])
    evaluation = evaluate_flows(ds, sc, plan)
    counts, assigned = brute_force(ds, sc, plan)
    table = evaluation.queues.set_index(["region_id", "listed_hospital_id", "procedure_id", "class", "week"])
    for key, expected in counts.items():
        for column, value in expected.items():
            assert table.loc[key, column] == pytest.approx(value, abs=1e-9), (key, column)
    got = {(r.procedure_id, r.patient_id): (r.hospital_id, r.week) for r in evaluation.assignments.itertuples()}
    assert got == assigned
    replayed_all = evaluation.treated == pytest.approx(plan["patients"].sum())
    assert replayed_all or "queue" in set(evaluation.violations["family"])


def test_default_scale_evaluates_every_region_and_week():
    # About the size of the default dataset: 40,000 waiting patients, 100,000 flow rows, 26 weeks.
    # (Its speed is not asserted here: timings on a shared machine belong in the benchmarks.)
    rng = np.random.default_rng(0)
    regions = [f"reg{i}" for i in range(7)]
    hospitals = [
        {
            "hospital_id": f"h{j:02d}",
            "region_id": regions[j % 7],
            "level": "county" if j < 7 else "district",
            "lat": 59 + rng.uniform(0, 3),
            "lon": 14 + rng.uniform(0, 5),
        }
        for j in range(25)
    ]
    procedures = [{"procedure_id": f"p{k:02d}", "cases_per_theatre_day": 4.0} for k in range(22)]
    capabilities = [
        {"hospital_id": h["hospital_id"], "procedure_id": p["procedure_id"]} for h in hospitals for p in procedures
    ]
    labels = week_labels(START_WEEK, 26)
    n = 40_000
    region, procedure, waited = rng.integers(0, 7, n), rng.integers(0, 22, n), rng.integers(1, 600, n)
    ds = make_dataset(
        regions=regions,
        hospitals=hospitals,
        procedures=procedures,
        capabilities=capabilities,
        capacity=[row for h in hospitals for row in weekly(h["hospital_id"], 50, 26)],
        patients=[
            {
                "region_id": regions[region[i]],
                "procedure_id": f"p{procedure[i]:02d}",
                "waited": int(waited[i]),
                "accepts_travel": bool(i % 3 == 0),
            }
            for i in range(n)
        ],
        demand=[
            {"region_id": r, "procedure_id": p["procedure_id"], "week": w, "expected_decisions": 5.0}
            for r in regions
            for p in procedures
            for w in labels
        ],
        prices=[
            {"procedure_id": p["procedure_id"], "hospital_id": h["hospital_id"], "price_sek": 50_000.0}
            for h in hospitals
            for p in procedures
        ],
    )
    m = 100_000
    plan = pd.DataFrame(
        {
            "region_id": np.array(regions)[rng.integers(0, 7, m)],
            "procedure_id": [f"p{k:02d}" for k in rng.integers(0, 22, m)],
            "class": np.where(rng.random(m) < 0.5, "local", "mobile"),
            "hospital_id": np.array([h["hospital_id"] for h in hospitals])[rng.integers(0, 25, m)],
            "week": np.array(labels)[rng.integers(0, 26, m)],
            "patients": rng.uniform(0, 0.2, m),
        }
    )
    evaluation = evaluate_flows(ds, scenario(26, policy={"max_travel_km": 300}), plan)
    assert len(evaluation.kpis) == 7 * 26
    assert len(evaluation.assignments) > 0
