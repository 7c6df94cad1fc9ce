"""Booked patients (status `booked`): validated by the loader, fixed in the plan, counted everywhere.

Hand-solved cases: plan start D0 = 2025-03-31 (2025-W14); a patient who waited w days at D0 has
waited w + 7t days at the end of week t. Weights: over_90 = 1, everything else 0 (`ONLY_90`), so
the objective is 7 × (patients over 90 at each week's end).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from models import DatasetError
from models.loader import load_dataset, save_dataset
from optimizer import evaluate_flows, plan
from tests.factory import ONLY_90, patients, scenario, single_hospital, weekly

pytestmark = pytest.mark.usefixtures("strategy")


def booked(patient_id: str, week: str, hospital: str = "h", waited: int = 100) -> dict:
    return {
        "region_id": "a",
        "procedure_id": "knee",
        "waited": waited,
        "status": "booked",
        "booked_hospital_id": hospital,
        "booked_week": week,
        "patient_id": patient_id,
    }


def two_knees_a_day(**tables):
    """`single_hospital` with knees at 2 cases per theatre day: a booking takes half a day."""
    ds = single_hospital(**tables)
    return ds.with_tables(procedures=ds.procedures.assign(cases_per_theatre_day=2.0))


def test_a_booking_uses_half_a_theatre_day_and_counts_as_treated_in_its_week():
    # One hospital, 2 theatre days a week, 2 knees a day. 5 waiting patients and 1 booked for week
    # 2, all waited 100 days (over 90 from the start). Week 1: 2 days × 2 = 4 of the 5 waiting are
    # treated; at E_1 1 waiting + the booked one (not yet treated) are over 90: 7 × 2 = 14.
    # Week 2: the booking takes 1/2 day, 1.5 days left = 3 cases ≥ the 1 left: nobody over 90 at E_2.
    # Objective 14; treated 4 + 1 + the booked 1 = 6.
    ds = two_knees_a_day(capacity=weekly("h", 2, 2), patients=patients("a", 5, 100) + [booked("B1", "2025-W15")])
    result = plan(scenario(2, weights=ONLY_90), dataset=ds)
    assert result.objective == pytest.approx(14.0)
    assert result.lp.terms["treated"] == pytest.approx(6.0)
    theatre = result.instance.theatre.set_index("t")
    assert theatre.loc[2, "theatre_days"] == pytest.approx(1.5)  # net of the booking
    assert theatre.loc[2, "booked_days"] == pytest.approx(0.5)
    kpis = result.lp.region_kpis.set_index("week")
    assert kpis.loc["2025-W14", "waiting"] == pytest.approx(2.0)  # the booked patient waits until week 2
    assert kpis.loc["2025-W14", "over_90"] == pytest.approx(2.0)
    assert kpis.loc["2025-W14", "mov_pvv"] == 0  # a booked patient is neither MoV nor PvV


def test_bookings_take_capacity_away_from_the_waiting():
    # 1 week, 2 theatre days, 2 knees a day: 4 cases. 3 bookings take 1.5 days, so 0.5 day = 1 case
    # is left for the 3 waiting patients (waited 100 days): 2 stay over 90 at E_1: 7 × 2 = 14.
    ds = two_knees_a_day(
        capacity=weekly("h", 2, 1),
        patients=patients("a", 3, 100) + [booked(f"B{i}", "2025-W14") for i in range(3)],
    )
    result = plan(scenario(1, weights=ONLY_90), dataset=ds)
    assert result.objective == pytest.approx(14.0)
    assert result.lp.terms["treated"] == pytest.approx(1.0 + 3.0)


def test_booked_patients_are_never_moved_and_are_listed_at_their_booking():
    # The booking is at h in week 2 although h has room in week 1 and the patient waited longest.
    ds = two_knees_a_day(
        capacity=weekly("h", 5, 2), patients=patients("a", 2, 30) + [booked("B1", "2025-W15", waited=300)]
    )
    result = plan(scenario(2, weights=ONLY_90), dataset=ds)
    proposals = result.proposals.set_index("patient_id")
    assert proposals.loc["B1", ["hospital_id", "week", "booked"]].tolist() == ["h", "2025-W15", True]
    assert not proposals.drop(index="B1")["booked"].any()
    # the booked patient waited 300 + 7 days at E_1 (over 90, 180 and 365 days), treated in week 2
    assert result.lp.region_kpis.set_index("week").loc["2025-W14", "over_365"] == pytest.approx(0.0)
    assert result.lp.region_kpis.set_index("week").loc["2025-W14", "over_180"] == pytest.approx(1.0)


def test_the_evaluator_agrees_with_the_lp_with_bookings():
    ds = two_knees_a_day(
        capacity=weekly("h", 2, 3),
        beds=weekly("h", 10, 3, specialty=None),
        patients=patients("a", 7, 100)
        + patients("a", 3, 20)
        + [booked("B1", "2025-W15"), booked("B2", "2025-W16", waited=10)],
    )
    sc = scenario(3)
    result = plan(sc, dataset=ds)
    for tables in (result.lp, result.integer):
        evaluation = evaluate_flows(result.instance.dataset, sc, tables.allocations)
        assert evaluation.feasible
        assert evaluation.objective == pytest.approx(tables.objective, rel=1e-9)
        for theta in (90, 180, 365):
            assert evaluation.breach_days[theta] == pytest.approx(tables.terms[f"breach_days_{theta}"])
        assert evaluation.treated == pytest.approx(tables.terms["treated"])
        lp_kpis = tables.region_kpis.set_index("week")
        eval_kpis = evaluation.kpis.set_index("week")
        for column in ("waiting", "over_90", "over_180"):
            assert eval_kpis[column].to_numpy() == pytest.approx(lp_kpis[column].to_numpy())
    assert result.objective == pytest.approx(result.lp.objective, rel=1e-9)


def test_the_evaluator_reports_an_overbooked_week():
    # 3 bookings need 1.5 days where there is 1: the evaluator names the theatre row.
    ds = two_knees_a_day(capacity=weekly("h", 1, 1), patients=[booked(f"B{i}", "2025-W14") for i in range(3)])
    evaluation = evaluate_flows(ds, scenario(1), result_allocations_empty())
    assert evaluation.violations["family"].tolist() == ["theatre_days"]


def result_allocations_empty():
    import pandas as pd

    from optimizer import ALLOCATION_COLUMNS

    return pd.DataFrame(columns=ALLOCATION_COLUMNS)


# --- the loader ---------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    ds = single_hospital(capacity=weekly("h", 2, 2), patients=patients("a", 2, 100) + [booked("B1", "2025-W15")])
    return save_dataset(ds, tmp_path / "booked")


def rewrite(folder: Path, old: str, new: str) -> None:
    path = folder / "waiting_list.csv"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def problems(folder: Path) -> list[str]:
    with pytest.raises(DatasetError) as info:
        load_dataset(folder)
    return [str(p) for p in info.value.problems]


def test_a_booked_dataset_round_trips(folder):
    loaded = load_dataset(folder)
    row = loaded.waiting_list.set_index("patient_id").loc["B1"]
    assert (row["status"], row["booked_hospital_id"], row["booked_week"]) == ("booked", "h", "2025-W15")


def test_a_booking_needs_its_week_and_hospital(folder):
    rewrite(folder, "booked,true,,routine,h,2025-W15", "booked,true,,routine,,")
    assert problems(folder) == [
        "waiting_list.csv:4:booked_hospital_id: value is required for status booked",
        "waiting_list.csv:4:booked_week: value is required for status booked",
    ]


def test_a_waiting_patient_has_no_booking(folder):
    rewrite(folder, "waiting,true,,routine,,", "waiting,true,,routine,,2025-W15")
    assert problems(folder) == ["waiting_list.csv:2:booked_week: must be empty unless status is booked"]


def test_the_booked_hospital_must_exist_and_do_the_procedure(folder, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    rewrite(folder, "routine,h,2025-W15", "routine,nowhere,2025-W15")
    assert any("booked_hospital_id: unknown hospital_id" in p for p in problems(folder))
    (other / "capabilities.csv").write_text("hospital_id,procedure_id,cases_per_theatre_day\n")
    assert "waiting_list.csv:4:booked_hospital_id: the booked hospital cannot do the procedure (capabilities.csv)" in (
        problems(other)
    )


def test_a_booking_after_the_plan_is_refused_with_its_row(folder):
    rewrite(folder, "routine,h,2025-W15", "routine,h,2025-W30")
    with pytest.raises(DatasetError) as info:
        plan(scenario(2), dataset=load_dataset(folder))
    assert [str(p) for p in info.value.problems] == [
        "waiting_list.csv:4:booked_week: booked after the plan's last week 2025-W15"
    ]


def test_a_dataset_without_the_booking_columns_loads(folder):
    text = (folder / "waiting_list.csv").read_text().splitlines()
    kept = [",".join(line.split(",")[:-2]) for line in text if "booked" not in line.split(",")[4]]
    (folder / "waiting_list.csv").write_text("\n".join(kept) + "\n")
    assert "booked_week" in load_dataset(folder).waiting_list  # holds its default: empty
