"""Rows that join specialties are left out when the LP is first solved in parts, whatever their family.

`decomposition.linking_rows` picks the rows whose flows span more than one specialty (bed-days, an
agreement without a procedure, a regional budget, fairness by region); without them the LP falls
apart into one part per specialty. The parts only choose column generation's start: the whole
master keeps every row, so the optimum must be the full LP's.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from optimizer import plan, prepare
from optimizer.model.formulation import formulate
from optimizer.model.matrix import LpMatrix
from optimizer.solvers.decomposition import components, linking_rows
from optimizer.solvers.master import new_master, solve_master
from tests.factory import ONLY_90, RICH_POLICY, make_dataset, patients, random_dataset, scenario, weekly

CG = {"strategy": "column_generation"}
FULL = {"strategy": "full_lp"}


def matrix_of(dense: list[list[float]]) -> LpMatrix:
    """An LpMatrix with the given coefficients; costs and bounds play no part in `linking_rows`."""
    A = sparse.csc_array(np.array(dense, dtype=float))
    n_rows, n_cols = A.shape
    zeros = np.zeros(n_cols)
    return LpMatrix({}, {}, zeros, zeros, zeros + 1, np.zeros(n_rows), np.ones(n_rows), A, 0.0)


def test_a_row_is_linking_when_its_labelled_columns_carry_two_labels():
    # columns 0, 1 label 0; column 2 label 1; column 3 unlabelled (−1).
    # row 0: columns 0, 1 → one label; row 1: columns 1, 2 → two labels (linking);
    # row 2: columns 2, 3 → one label and an unlabelled column; row 3: column 3 only → no label.
    matrix = matrix_of([[1, 1, 0, 0], [0, 2, 3, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    labels = np.array([0, 0, 1, -1], dtype=np.int32)
    assert linking_rows(matrix, labels).tolist() == [False, True, False, False]
    # without the linking row the matrix falls apart into {0, 1} × {row 0} and {2, 3} × {rows 2, 3}
    kept = np.array([0, 2, 3])
    parts = sorted((sorted(c.tolist()), sorted(kept[r].tolist())) for c, r in components(matrix, np.arange(4), kept))
    assert parts == [([0, 1], [0]), ([2, 3], [2, 3])]


def two_regions_agreement_over_all_procedures(min_cases: float):
    """Region a (hospital ha, no capacity) and region b (hospital hb: 1 theatre day of orthopaedics
    and 1 of gynaecology in week 1, one case per day, no beds needed). Patients: 1 hip and 1
    hysterectomy of b who waited 100 days, 1 hip and 1 hysterectomy of a who waited 10 days and
    accept travel (hb charges them 50,000 SEK, which these weights do not count); an agreement
    a → region b of `min_cases` cases of any procedure."""
    ds = make_dataset(
        regions=["a", "b"],
        hospitals=[
            {"hospital_id": "ha", "region_id": "a", "lat": 59.0, "lon": 15.0},
            {"hospital_id": "hb", "region_id": "b", "lat": 59.1, "lon": 15.0},
        ],
        procedures=[
            {"procedure_id": "hip", "specialty": "orthopaedics"},
            {"procedure_id": "hyst", "specialty": "gynaecology"},
        ],
        capabilities=[{"hospital_id": h, "procedure_id": p} for h in ("ha", "hb") for p in ("hip", "hyst")],
        capacity=weekly("hb", 1, 1) + weekly("hb", 1, 1, specialty="gynaecology"),
        patients=patients("b", 1, 100, "hip")
        + patients("b", 1, 100, "hyst")
        + patients("a", 1, 10, "hip", accepts_travel=True)
        + patients("a", 1, 10, "hyst", accepts_travel=True),
        prices=[{"procedure_id": p, "hospital_id": "hb", "price_sek": 50_000} for p in ("hip", "hyst")],
    )
    policy = {
        "max_travel_km": 250,
        "agreements": [{"payer_region": "a", "provider_region": "b", "min_cases": min_cases}],
    }
    return ds, policy


@pytest.mark.parametrize(("min_cases", "expected"), [(1, 7.0), (2, 14.0)])
def test_an_agreement_over_all_procedures_the_parts_break_is_repaired(min_cases, expected):
    # Alone, each specialty's part gives its one day at hb to b's patient over 90 (objective 0):
    # the parts' start treats no patient of a and breaks the agreement's minimum. With the
    # agreement, `min_cases` of hb's two days go to a's patients, so as many of b's patients stay
    # over 90 at the end of week 1: objective 7 × min_cases (only breach-days over 90 count).
    ds, policy = two_regions_agreement_over_all_procedures(min_cases)
    result = plan(scenario(1, weights=ONLY_90, policy=policy, solve=CG), dataset=ds)
    assert result.column_generation["parts"] == 2
    assert result.lp.objective == pytest.approx(expected, abs=1e-6)
    full = plan(scenario(1, weights=ONLY_90, policy=policy, solve=FULL), dataset=ds)
    assert full.lp.objective == pytest.approx(expected, abs=1e-6)


RICH_WITH_FAIRNESS = {**RICH_POLICY, "fairness": [{"by": "region", "weight": 2.0}, {"by": "procedure"}]}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("policy", [RICH_POLICY, RICH_WITH_FAIRNESS], ids=["budget-agreement", "and-fairness"])
def test_a_budget_and_an_agreement_without_procedure_split_and_keep_the_full_lp_optimum(seed, policy):
    # RICH_POLICY has a budget for r1 and an agreement r0 → r1 over every procedure: both rows join
    # the three specialties. The LP still splits (into one part per specialty at most) and column
    # generation from the parts ends at the full LP's optimum (solved through Pyomo).
    ds = random_dataset(seed, n_regions=4)
    sc = scenario(6, solve=CG, policy=policy)
    form = formulate(prepare(sc, ds))
    master = new_master(form, sc.solve)
    solution = solve_master(master, form)
    assert 2 <= master.log.parts <= 3
    agreement_row = master.matrix.row_offset["agreements"]
    budget_row = master.matrix.row_offset["budgets"]
    assert master.linking[agreement_row] and master.linking[budget_row]
    full = plan(scenario(6, solve=FULL, policy=policy), dataset=ds)
    assert solution.objective == pytest.approx(full.lp.objective, rel=1e-6, abs=1e-6)


def test_a_part_master_stays_within_its_part():
    # A part's master reads the whole matrix in place: none of its columns or rows may lie outside
    # the part, not even the agreement row whose minimum zero cannot satisfy (the whole master
    # starts with that row; the part must not).
    sc = scenario(6, solve=CG, policy=RICH_POLICY)
    form = formulate(prepare(sc, random_dataset(0, n_regions=4)))
    master = new_master(form, sc.solve)
    agreement_row = master.matrix.row_offset["agreements"]
    assert master.row_present[agreement_row]
    kept_rows = np.nonzero(~master.linking)[0]
    parts = [p for p in components(master.matrix, np.arange(master.matrix.n_cols), kept_rows) if len(p[1])]
    assert len(parts) >= 2
    for columns, rows in parts:
        part_columns, col_status, (part_rows, row_status), _ = master._solve_lp_part(columns, kept_rows[rows])
        assert np.isin(part_columns, columns).all() and np.isin(part_rows, kept_rows[rows]).all()
        assert len(col_status) == len(part_columns) and len(row_status) == len(part_rows)
        assert not master.linking[part_rows].any()
