"""The price-of-fairness benchmark's computations: entries, ratios, the breach floor, new decisions treated."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.price_of_fairness import (
    breach_floor,
    measure,
    new_decisions_treated,
    only_procedure,
    parse_entry,
    ratio_cap,
    ratio_to_specialty,
    specialty_targets,
)
from optimizer import plan
from tests import factory
from tests.factory import ONLY_90, make_dataset, patients, scenario, weekly


def fast_and_slow():
    # One hospital, one orthopaedic theatre day a week for 2 weeks: `fast` 4 cases a day, `slow` 1.
    # 8 fast and 3 slow patients waited 100 days (all over 90 from the first week's end).
    return factory.fast_and_slow(weeks=2, fast=8, slow=3)


def test_entries_parse_weight_by_and_share():
    assert parse_entry("0") is None
    assert parse_entry("20") == {"by": "procedure", "weight": 20.0, "share": 1.0}
    assert parse_entry("region:100") == {"by": "region", "weight": 100.0, "share": 1.0}
    assert parse_entry("procedure:300:0.5") == {"by": "procedure", "weight": 300.0, "share": 0.5}
    assert parse_entry("cap:4.3") == {"by": "cap", "cap": 4.3, "weight": 0.0, "share": 0.0}
    with pytest.raises(ValueError, match="hospital:5"):
        parse_entry("hospital:5")


def test_ratio_is_against_the_specialtys_patient_weighted_average():
    # orthopaedics: (30 + 10) / (10 + 10) = 2 per patient; a 3 / 2 = 1.5, b 1 / 2 = 0.5; eye alone: 1
    totals = pd.DataFrame(
        {
            "specialty": ["ortho", "ortho", "eye"],
            "patients": [10.0, 10.0, 5.0],
            "weighted_breach_days": [30.0, 10.0, 5.0],
            "breach_days_per_patient": [3.0, 1.0, 1.0],
        }
    )
    assert ratio_to_specialty(totals).tolist() == pytest.approx([1.5, 0.5, 1.0])


def test_only_the_procedure_keeps_its_capabilities():
    kept = only_procedure(fast_and_slow(), "slow")
    assert kept.capabilities["procedure_id"].tolist() == ["slow"]
    assert len(kept.waiting_list) == 11  # every patient stays on the list


def test_breach_floor_gives_each_procedure_the_whole_capacity():
    # fast alone: 4 in week 1, 4 in week 2 → 4 over 90 at the end of week 1: 7 × 4 = 28, 28 / 8 = 3.5.
    # slow alone: 1 a week → 2 then 1 over 90: 7 × 3 = 21, 21 / 3 = 7.
    floor = breach_floor(scenario(2, weights=ONLY_90), fast_and_slow())
    assert floor.to_dict() == pytest.approx({"fast": 3.5, "slow": 7.0})


def test_measure_reports_ratios_above_their_floor():
    # Without fairness both days go to fast (3 breach-days saved per day against 1 for slow): fast as
    # alone (28, 3.5 per patient); slow waits: 7 × (3 + 3) = 42, 14 per patient. Specialty average
    # (28 + 42) / 11 = 70 / 11; slow's ratio 14 / (70 / 11) = 2.2, its floor 7 / (70 / 11) = 1.1.
    base = scenario(2, weights=ONLY_90)
    dataset = fast_and_slow()
    floor = breach_floor(base, dataset)
    table = measure("0", None, base, dataset, floor).set_index("procedure_id")
    assert table.loc["slow", "ratio_to_specialty"] == pytest.approx(2.2)
    assert table.loc["slow", "floor_ratio"] == pytest.approx(1.1)
    assert table["total_weighted_breach_days"].iloc[0] == pytest.approx(70.0)
    assert (table["floor_ratio"] <= table["ratio_to_specialty"] + 1e-9).all()


def test_new_decisions_count_only_patients_beyond_the_backlog():
    # 2 backlog patients (100 days) and 2 new decisions in week 1; 3 theatre days: the backlog first
    # (oldest first), then 1 of the 2 new ones (the waiting weight makes treating them worth it): 1 / 2.
    dataset = make_dataset(
        regions=["a"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": "h", "procedure_id": "knee"}],
        capacity=weekly("h", 3, 1),
        patients=patients("a", 2, 100),
        demand=[{"region_id": "a", "procedure_id": "knee", "week": "2025-W14", "expected_decisions": 2}],
    )
    result = plan(scenario(1), dataset=dataset)
    assert new_decisions_treated(result, result.y).to_dict() == pytest.approx({"knee": 0.5})


def test_a_ratio_cap_costs_what_the_hand_solution_says():
    # d1, d2 = fast's share of the day in weeks 1 and 2 (slow gets the rest). Breach-days:
    # fast 7 (16 − 8 d1 − 4 d2), slow 7 (3 + 2 d1 + d2); total 7 (19 − 3 (2 d1 + d2)).
    # Cap 1.5 on slow: 11 W_slow / 3 ≤ 1.5 (W_fast + W_slow) ⇔ 6.5 W_slow ≤ 4.5 W_fast
    # ⇔ 49 d1 + 24.5 d2 ≤ 52.5 ⇔ 2 d1 + d2 ≤ 15 / 7: total 7 (19 − 45 / 7) = 88 (70 uncapped).
    result = plan(scenario(2, weights=ONLY_90), dataset=fast_and_slow(), extra_functionality=ratio_cap(1.5))
    assert result.objective == pytest.approx(88.0)
    totals = result.lp.procedure_totals.set_index("procedure_id")
    ratio = ratio_to_specialty(totals.reset_index()).set_axis(totals.index)
    assert ratio.to_dict() == pytest.approx({"fast": 0.8125, "slow": 1.5})  # fast 52 / 8 against 88 / 11


def test_targets_fill_the_dataset_days_and_the_plan_has_only_the_planned_share():
    # need: fast 8 / 4 = 2 days, slow 3 / 1 = 3 days; 2 days in the dataset: ρ = 0.4, targets fast 3.2
    # patients (0.8 days) and slow 1.2 (1.2 days) = 2 days; utilisation 0.5 leaves the plan 1 day.
    base = scenario(2, weights=ONLY_90, policy={"planned_utilisation": 0.5})
    table = specialty_targets(base, fast_and_slow()).set_index("specialty").loc["orthopaedics"]
    assert table.to_dict() == pytest.approx(
        {"theatre_days": 2.0, "planned_theatre_days": 1.0, "target_theatre_days": 2.0, "unreachable_days": 1.0}
    )


def test_measure_sums_the_rules_targets_and_shortfall():
    # ρ = 2 days / (8 / 4 + 3 / 1) days = 0.4: targets fast 3.2, slow 1.2. Breach-days 7 (19 − 6 d1 − 3 d2)
    # (test_a_ratio_cap...): a day moved from fast to slow costs 21 (week 2) or 42 (week 1) and puts 1
    # slow patient nearer the target, worth 1 at weight 1; so the plan stays as without fairness: 70,
    # slow 1.2 short, fast's 8 treated over its 3.2.
    base = scenario(2, weights=ONLY_90)
    dataset = fast_and_slow()
    table = measure("1", parse_entry("1"), base, dataset, breach_floor(base, dataset))
    assert table["rule_target"].iloc[0] == pytest.approx(4.4)
    assert table["rule_shortfall"].iloc[0] == pytest.approx(1.2)
    assert table["rule_members_short"].iloc[0] == 1
    assert table["total_weighted_breach_days"].iloc[0] == pytest.approx(70.0)
