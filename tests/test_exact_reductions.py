"""Solving the LP in parts first (`RestrictedMaster._start_from_parts`) is exact: the full LP's optimum.

Without its bed-day rows the LP falls apart into one independent LP per specialty (or group of
specialties); column generation solves those first and starts the whole master from their columns
and bases. The hand case is one where the parts' plans together break a bed-day row, so the whole
master must repair it; random datasets (with a second inpatient specialty, so bed rows join
specialties) compare the optimum with the full LP solved through Pyomo.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from optimizer import plan, prepare
from optimizer.model.formulation import formulate
from optimizer.solvers.master import new_master, solve_master
from tests.factory import EXTRA, ONLY_90, RICH_POLICY, make_dataset, patients, random_dataset, scenario, weekly

CG = {"strategy": "column_generation"}
FULL = {"strategy": "full_lp"}


def two_specialties_one_bed_pool(bed_days: float):
    """Hospital h (region a): 2 theatre days of orthopaedics and 2 of gynaecology in week 1, one
    case per day, one bed-day per case, `bed_days` bed-days; 2 hip and 2 hysterectomy patients who
    waited 100 days (all over 90)."""
    return make_dataset(
        regions=["a"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[
            {"procedure_id": "hip", "specialty": "orthopaedics", "bed_days_per_case": 1.0},
            {"procedure_id": "hyst", "specialty": "gynaecology", "bed_days_per_case": 1.0},
        ],
        capabilities=[{"hospital_id": "h", "procedure_id": "hip"}, {"hospital_id": "h", "procedure_id": "hyst"}],
        capacity=weekly("h", 2, 1) + weekly("h", 2, 1, specialty="gynaecology"),
        beds=weekly("h", bed_days, 1, specialty=None),
        patients=patients("a", 2, 100, "hip") + patients("a", 2, 100, "hyst"),
    )


def test_a_bed_row_the_parts_break_is_repaired_by_the_whole_master():
    # Each part (orthopaedics, gynaecology) alone treats its 2 patients: 4 bed-days, but h has 3.
    # The whole LP treats 3 of the 4 (theatre days allow 2 + 2, beds 3): 1 patient over 90 at the
    # end of week 1, objective 7 × 1 = 7 (untreated: 7 × 4 = 28). A bed-day is worth 7.
    ds = two_specialties_one_bed_pool(bed_days=3)
    result = plan(scenario(1, weights=ONLY_90, solve=CG), dataset=ds)
    assert result.column_generation["parts"] == 2
    assert result.objective == pytest.approx(7.0, abs=1e-6)
    full = plan(scenario(1, weights=ONLY_90, solve=FULL), dataset=ds)
    assert full.objective == pytest.approx(7.0, abs=1e-6)


def test_parts_that_fit_the_beds_are_already_the_optimum():
    # With 4 bed-days both parts' plans fit: everyone treated, objective 0.
    result = plan(scenario(1, weights=ONLY_90, solve=CG), dataset=two_specialties_one_bed_pool(bed_days=4))
    assert result.column_generation["parts"] == 2
    assert result.objective == pytest.approx(0.0, abs=1e-6)


def beds_join_specialties(seed: int):
    """`random_dataset` with hernia (general surgery) an inpatient procedure too: at each county
    hospital one bed-day row per week joins orthopaedics and general surgery."""
    ds = random_dataset(seed, n_regions=4)
    procedures = ds.procedures.copy()
    procedures.loc[procedures["procedure_id"] == "hernia", "bed_days_per_case"] = 1.0
    return dataclasses.replace(ds, procedures=procedures)


def _cases():
    yield "plain", {"policy": {"max_travel_km": 250}}
    yield "rich", {"policy": RICH_POLICY, "changes": EXTRA}
    yield "travel-for-all", {"policy": {"share_accepting_travel": 1.0}}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("case", list(_cases()), ids=lambda c: c[0])
def test_solving_in_parts_finds_the_full_lp_optimum_on_random_datasets(seed, case):
    _, fields = case
    ds = beds_join_specialties(seed)
    full = plan(scenario(6, solve=FULL, **fields), dataset=ds)
    generated = plan(scenario(6, solve=CG, **fields), dataset=ds)
    assert generated.objective == pytest.approx(full.objective, rel=1e-6, abs=1e-6)
    assert generated.lp.objective == pytest.approx(full.lp.objective, rel=1e-6, abs=1e-6)


def test_random_datasets_are_split_and_their_bed_rows_bind():
    # The test above exercises the mechanism only if the LP splits and the left-out rows matter:
    # across seeds the LP falls apart into parts and some bed-day row has a nonzero dual.
    binding = 0
    for seed in range(5):
        sc = scenario(6, solve=CG, policy={"share_accepting_travel": 1.0})
        form = formulate(prepare(sc, beds_join_specialties(seed)))
        master = new_master(form, sc.solve)
        solution = solve_master(master, form)
        assert master.log.parts >= 2
        binding += int((np.abs(solution.duals["bed_days"]) > 1e-9).sum())
    assert binding > 0
