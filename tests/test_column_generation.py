"""Column generation (`optimizer.solvers.column_generation`) is exact: the full LP's optimum, whatever the start.

Hand cases (conventions as in test_lp_hand_solved.py: D0 = 2025-W14, 7 × patients over 90 per
week end, other weights 0) show the mechanics: a hospital left out at first and priced in, a
theatre-day row that only a priced-in column needs, and a restricted master that is infeasible.
Random datasets with agreements, budgets, extra capacity and a private provider check the optimum
against the full LP solved through Pyomo.
"""

from __future__ import annotations

import highspy
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from optimizer import plan, prepare
from optimizer.model.formulation import formulate
from optimizer.model.matrix import LpMatrix
from optimizer.solvers.column_generation import FLIP_BOUND_MARGIN
from optimizer.solvers.highs import highs_bound, highs_lp_from_arrays, new_highs
from optimizer.solvers.master import new_master
from tests.factory import (
    EXTRA,
    ONLY_90,
    RICH_POLICY,
    allocated,
    make_dataset,
    patients,
    random_dataset,
    scenario,
    weekly,
)

CG = {"strategy": "column_generation"}
FULL = {"strategy": "full_lp"}


def two_hospitals(b_patients: list[dict], a_patients: int = 3):
    """Region a: hospital ha, 1 knee per week, `a_patients` knees waited 100 days. Region b:
    hospital hb, 2 theatre days (1 case each)."""
    return make_dataset(
        regions=["a", "b"],
        hospitals=[{"hospital_id": "ha", "region_id": "a"}, {"hospital_id": "hb", "region_id": "b"}],
        procedures=[{"procedure_id": "knee"}, {"procedure_id": "hip"}],
        capabilities=[
            {"hospital_id": "ha", "procedure_id": "knee"},
            {"hospital_id": "hb", "procedure_id": "knee"},
            {"hospital_id": "hb", "procedure_id": "hip"},
        ],
        capacity=weekly("ha", 1, 1) + weekly("hb", 2, 1),
        patients=patients("a", a_patients, 100) + b_patients,
        prices=[
            {"procedure_id": p, "hospital_id": h, "price_sek": 50_000} for p in ("knee", "hip") for h in ("ha", "hb")
        ],
    )


def test_the_only_profitable_hospital_is_left_out_at_first_and_priced_in():
    # a's 3 knees waited 100 days (over 90 at E_1). Home hospital ha treats 1; the restricted master
    # has only home flows, so its optimum is 7 × 2 = 14. b's hip patients (waited 10 days, never over
    # 90 in the week) make hb's orthopaedics row part of the master from the start. Pricing finds
    # a → hb at reduced cost 0 − 1 · 7 < 0, adds it, and the optimum becomes 7 × 0 = 0: 1 knee at
    # ha, 3 − 1 = 2 at hb (hb's 2 theatre days; b's hips never breach, so weigh nothing).
    ds = two_hospitals(patients("b", 2, 10, procedure="hip"))
    result = plan(scenario(1, weights=ONLY_90, solve=CG), dataset=ds)
    log = result.column_generation
    assert result.strategy == "column_generation"
    assert log["rounds"][0]["objective"] == pytest.approx(14.0)
    assert log["rounds"][0]["columns_added"] >= 1 and log["rows_added"] == 0
    assert result.objective == pytest.approx(0.0, abs=1e-9)
    assert allocated(result, region_id="a", hospital_id="hb") == pytest.approx(2.0)
    assert allocated(result, region_id="a", hospital_id="ha") == pytest.approx(1.0)


def test_pricing_adds_a_theatre_day_row_that_no_starting_column_touched():
    # As above, but region b has no patients: no home flow uses hb, so hb's theatre-day row is left
    # out of the first master (zero satisfies it). The column a → hb needs it: pricing adds both.
    # First master: 7 × (3 − 1 at ha) = 14; then 2 at hb, using 2 patients / 1 per day = 2 days: 0.
    ds = two_hospitals([])
    result = plan(scenario(1, weights=ONLY_90, solve=CG), dataset=ds)
    log = result.column_generation
    full_rows = result.size["constraints"]
    assert log["rounds"][0]["rows"] < full_rows
    assert log["rounds"][0]["objective"] == pytest.approx(14.0)
    assert log["rows_added"] >= 1
    assert log["rounds"][-1]["rows"] == log["rounds"][0]["rows"] + log["rows_added"]
    assert result.objective == pytest.approx(0.0, abs=1e-9)
    assert allocated(result, region_id="a", hospital_id="hb") == pytest.approx(2.0)
    theatre = result.lp.theatre_use.set_index("hospital_id")
    assert theatre.loc["hb", "used_days"] == pytest.approx(2.0)


def test_an_infeasible_restricted_master_falls_back_to_the_full_lp():
    # An agreement makes a's 2 patients (no hospital in a) use both of hb's days; `no_region_worse_off`
    # caps b at its standalone 0 breach-days, so b's 2 patients must go to hc in region c. The first
    # master (home flows + the agreement's flows) lacks b → hc and is infeasible; with every column
    # the optimum is 0 with b's patients at hc: a's 2 at hb, b's 2 at hc, nobody left over 90 → 7 × 0.
    ds = make_dataset(
        regions=["a", "b", "c"],
        hospitals=[{"hospital_id": "hb", "region_id": "b"}, {"hospital_id": "hc", "region_id": "c"}],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": h, "procedure_id": "knee"} for h in ("hb", "hc")],
        capacity=weekly("hb", 2, 1) + weekly("hc", 2, 1),
        patients=patients("a", 2, 100) + patients("b", 2, 100),
        prices=[{"procedure_id": "knee", "hospital_id": h, "price_sek": 50_000} for h in ("hb", "hc")],
    )
    policy = {
        "no_region_worse_off": True,
        "agreements": [{"payer_region": "a", "provider_hospital": "hb", "min_cases": 2}],
    }
    result = plan(scenario(1, weights=ONLY_90, policy=policy, solve=CG), dataset=ds)
    assert result.column_generation["fell_back_to_full_lp"]
    assert result.objective == pytest.approx(0.0, abs=1e-6)
    assert allocated(result, region_id="b", hospital_id="hc") == pytest.approx(2.0)
    full = plan(scenario(1, weights=ONLY_90, policy=policy, solve=FULL), dataset=ds)
    assert full.objective == pytest.approx(result.objective, abs=1e-6)


def _cases():
    yield "plain", {"policy": {"max_travel_km": 250}}
    yield "rich", {"policy": RICH_POLICY, "changes": EXTRA}
    yield "travel-for-all", {"policy": {"share_accepting_travel": 1.0}}
    yield "fair", {"policy": {"no_region_worse_off": True, "share_accepting_travel": 0.6}}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("case", list(_cases()), ids=lambda c: c[0])
def test_column_generation_finds_the_full_lp_optimum_on_random_datasets(seed, case):
    # Every (seed, case) here is feasible: an InfeasibleScenarioError fails the test rather than
    # skipping it, so each of the 24 cases compares two optima.
    _, fields = case
    ds = random_dataset(seed, n_regions=4)
    full = plan(scenario(6, solve=FULL, **fields), dataset=ds)
    generated = plan(scenario(6, solve=CG, **fields), dataset=ds)
    assert generated.objective == pytest.approx(full.objective, rel=1e-6, abs=1e-6)
    # the objective recomputed from the flows (not read from HiGHS) agrees too
    assert generated.lp.objective == pytest.approx(full.lp.objective, rel=1e-6, abs=1e-6)


def test_column_generation_prices_columns_in_on_random_datasets():
    # Across seeds the home-only start is not already optimal: pricing has work to do (else the
    # tests above would not exercise it).
    added = 0
    for seed in range(6):
        ds = random_dataset(seed, n_regions=4)
        result = plan(scenario(6, solve=CG, policy={"share_accepting_travel": 1.0}), dataset=ds)
        added += result.column_generation["columns_added"]
        assert result.column_generation["flow_columns_in_master"] <= result.column_generation["flow_columns_in_full_lp"]
    assert added > 0


@pytest.mark.parametrize("seed", range(3))
def test_reduced_costs_follow_highs_sign_convention(seed):
    # d = c − Aᵀπ with π = HiGHS's row duals must equal HiGHS's own column duals for every column in
    # the master, and be ≥ −tolerance at the optimum (a minimum: no column at 0 can improve it).
    sc = scenario(6, policy=RICH_POLICY, changes=EXTRA, solve=CG)
    inst = prepare(sc, random_dataset(seed, n_regions=4))
    form = formulate(inst)
    master = new_master(form, sc.solve)
    master.solve()
    row_dual = np.zeros(master.matrix.n_rows)
    row_dual[master.rows] = master.highs.getSolution().row_dual
    ours = master.matrix.reduced_costs(master.columns, row_dual)
    theirs = np.asarray(master.highs.getSolution().col_dual)
    np.testing.assert_allclose(ours, theirs, atol=1e-7)
    omitted = master.generated[~master.col_present[master.generated]]
    assert (master.matrix.reduced_costs(omitted, row_dual) >= -1e-6).all()


@pytest.mark.parametrize("seed", range(3))
def test_flattened_matrix_agrees_with_a_dense_copy(seed):
    # The dense copy is built entry by entry from the formulation's own triplets, not from LpMatrix
    form = formulate(prepare(scenario(6), random_dataset(seed)))
    matrix = LpMatrix.from_formulation(form)
    dense = np.zeros((matrix.n_rows, matrix.n_cols))
    for name, family in form.families.items():
        for term in family.terms:
            for row, col, coef in zip(term.row, term.col, term.coef, strict=True):
                dense[matrix.row_offset[name] + row, matrix.col_offset[term.block] + col] += coef
    np.testing.assert_array_equal(matrix.A.toarray(), dense)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(matrix.n_rows, size=20, replace=False))
    np.testing.assert_array_equal(matrix.row_block(rows).toarray(), dense[rows])
    columns = np.sort(rng.choice(matrix.n_cols, size=20, replace=False))
    np.testing.assert_array_equal(matrix.column_block(columns).toarray(), dense[:, columns])
    pi = rng.normal(size=matrix.n_rows)
    columns = np.arange(matrix.n_cols)
    np.testing.assert_allclose(matrix.reduced_costs(columns, pi), matrix.cost - dense.T @ pi, atol=1e-9)


def test_extra_capacity_where_no_home_flow_goes_is_priced_with_its_row():
    # As the theatre-row case, with 5 patients in a and 2 extra days on offer at hb (10,000 SEK a
    # day; cost weight 0.1 per kSEK, so 1.0 a day). The extra-capacity column is always in the
    # master, so hb's row is too (with no flow in it at first): its dual prices a → hb.
    # Optimum: 1 at ha, 4 at hb (2 + 2 bought), none over 90: 4 × 50 kSEK × 0.1 = 20 for the
    # treatments + 2 × 1.0 for the days = 22 (not buying: 2 over 90 cost 2 × 7 = 14 > 2 × 6 = 12).
    ds = two_hospitals([], a_patients=5)
    weights = {**ONLY_90, "cost_per_ksek": 0.1}
    extra = [
        {
            "extra_capacity": {
                "hospital_id": "hb",
                "specialty": "orthopaedics",
                "theatre_days_per_week": 2,
                "cost_per_day_sek": 10_000,
            }
        }
    ]
    result = plan(scenario(1, weights=weights, changes=extra, solve=CG), dataset=ds)
    log = result.column_generation
    assert log["rows_added"] == 0 and log["rounds"][0]["rows"] == result.size["constraints"]
    assert log["rounds"][0]["objective"] == pytest.approx(28.0)  # home flows only: 5 − 1 at ha = 4 over 90, 7 × 4
    assert result.objective == pytest.approx(22.0)
    assert allocated(result, region_id="a", hospital_id="hb") == pytest.approx(4.0)  # 2 own + 2 bought days
    assert result.lp.region_totals["extra_capacity_sek"].sum() == pytest.approx(20_000)  # 2 days × 10,000
    full = plan(scenario(1, weights=weights, changes=extra, solve=FULL), dataset=ds)
    assert full.objective == pytest.approx(result.objective)


def _matrix(dense: np.ndarray, lower, upper, row_lower, row_upper) -> LpMatrix:
    """An `LpMatrix` from a dense constraint matrix (zeros left out)."""
    n_cols = dense.shape[1]
    return LpMatrix(
        col_offset={"x": 0},
        row_offset={"r": 0},
        cost=np.zeros(n_cols),
        lower=np.asarray(lower, dtype=float),
        upper=np.asarray(upper, dtype=float),
        row_lower=np.asarray(row_lower, dtype=float),
        row_upper=np.asarray(row_upper, dtype=float),
        A=sparse.csc_array(dense),
        offset=0.0,
    )


def test_implied_upper_bounds_by_hand():
    # x + y ≤ 4;  2x − z ≤ 2 with z ≤ 3 (so 2x ≤ 5);  y + w ≥ 1 (no upper side);  v − u ≤ 1 with u
    # unbounded above (no bound for v);  z is in no row with a positive entry.
    # x: min(4 / 1 from row 1, (2 + 1·3) / 2 = 2.5 from row 2) = 2.5;  y: 4 / 1 = 4 from row 1;
    # z, u: only negative entries;  w: only in a ≥ row;  v: its row holds u ≤ ∞  → all ∞.
    inf = np.inf
    dense = np.array(
        [
            [1, 1, 0, 0, 0, 0],  # x y z w v u
            [2, 0, -1, 0, 0, 0],
            [0, 1, 0, 1, 0, 0],
            [0, 0, 0, 0, 1, -1],
        ],
        dtype=float,
    )
    matrix = _matrix(dense, [0] * 6, [inf, inf, 3, inf, inf, inf], [-inf, -inf, 1, -inf], [4, 2, inf, 1])
    assert matrix.implied_upper().tolist() == [2.5, 4.0, inf, inf, inf, inf]
    # a column that may go below zero spoils every row it is in (its term may be negative): with
    # y ≥ −1 row 1 bounds neither x nor y; x keeps 2.5 from row 2, y has no other row with ≤: ∞
    matrix.lower[1] = -1.0
    assert matrix.implied_upper().tolist() == [2.5, inf, inf, inf, inf, inf]


def test_no_feasible_point_exceeds_the_implied_upper_bound():
    """Maximise each column over random rows: the optimum never lies above `implied_upper`.

    Each random LP is built around a point x0 that satisfies it, so it is never infeasible and
    every maximisation must end optimal (unbounded would mean the implied bound is wrong). A column
    may have no implied bound (+inf, nothing to check): the examples that compared at least one
    optimum with a finite bound are counted, and most examples must have.
    """
    examples, compared = set(), set()

    @settings(max_examples=60, deadline=None, database=None)
    @given(seed=st.integers(0, 10_000), n_rows=st.integers(1, 4), n_cols=st.integers(1, 5))
    def check(seed, n_rows, n_cols):
        rng = np.random.default_rng(seed)
        dense = rng.choice([-2.0, -1.0, 0.0, 0.0, 1.0, 0.5, 3.0], size=(n_rows, n_cols))
        lower = rng.choice([0.0, 0.0, 1.0, -1.0], size=n_cols)
        upper = np.where(rng.random(n_cols) < 0.5, lower + rng.integers(1, 6, n_cols), np.inf)
        x0 = np.minimum(lower + rng.integers(0, 4, n_cols), upper)
        at_x0 = dense @ x0
        # one-sided, two-sided or equality rows, each holding at x0: only the upper side bounds
        row_upper = np.where(rng.random(n_rows) < 0.8, at_x0 + rng.integers(0, 4, n_rows), np.inf)
        kind = rng.random(n_rows)
        row_lower = np.where(kind < 0.5, -np.inf, np.where(kind < 0.75, at_x0 - rng.integers(0, 4, n_rows), at_x0))
        row_upper = np.where((kind >= 0.75) & np.isfinite(row_upper), at_x0, row_upper)
        matrix = _matrix(dense, lower, upper, row_lower, row_upper)
        implied = matrix.implied_upper()
        examples.add((seed, n_rows, n_cols))
        for column in np.nonzero(np.isfinite(implied))[0]:
            cost = np.zeros(n_cols)
            cost[column] = -1.0  # maximise the column
            lp = highs_lp_from_arrays(
                cost, matrix.lower, matrix.upper, matrix.row_lower, matrix.row_upper,
                matrix.A.indptr, matrix.A.indices, matrix.A.data,
            )  # fmt: skip
            h = new_highs()
            assert h.passModel(lp) != highspy.HighsStatus.kError
            h.run()
            status = h.getModelStatus()
            assert status == highspy.HighsModelStatus.kOptimal, h.modelStatusToString(status)
            assert h.getSolution().col_value[column] <= implied[column] + 1e-7
            compared.add((seed, n_rows, n_cols))

    check()
    # measured: 18 to 28 of the 60 examples have a column with a finite implied bound (a negative
    # lower bound or an infinite upper one in a row leaves its columns unbounded by it)
    assert len(compared) >= len(examples) // 5, (len(compared), len(examples))


@pytest.mark.parametrize("seed", range(3))
def test_the_flip_bounds_of_generated_columns_are_never_reached(seed, monkeypatch):
    # Each generated column's bound in the master lies FLIP_BOUND_MARGIN above what its rows imply,
    # so no column ends at it and the master's optimum is the model's: the same as without the bounds.
    sc = scenario(6, policy=RICH_POLICY, changes=EXTRA, solve=CG)
    form = formulate(prepare(sc, random_dataset(seed, n_regions=4)))
    master = new_master(form, sc.solve)
    solution = master.solve()
    implied = master.matrix.implied_upper()[master.generated]
    finite = np.isfinite(implied)
    assert finite.mean() > 0.9  # nearly every flow is bounded by a theatre-day or bed-day row
    own = master.matrix.upper[master.generated]  # a flow's own bound: its arrivals
    bound = master.upper[master.generated]
    flipped = bound < own
    assert flipped.any()  # the mechanism is in use: some flows get a bound tighter than their own
    # HiGHS holds the master's bounds for every column in it (first or added later) ...
    held = np.asarray(master.highs.getLp().col_upper_)
    np.testing.assert_array_equal(held, highs_bound(master.upper[master.columns]))
    # ... and no flow ends within the margin of a tightened bound, so the bound never binds
    value = solution.col_value[master.generated]
    assert (value[flipped] <= bound[flipped] - FLIP_BOUND_MARGIN + 1e-6).all()
    monkeypatch.setattr("optimizer.solvers.column_generation.FLIP_BOUND_MARGIN", np.inf)  # own bounds only
    unflipped = new_master(form, sc.solve).solve()
    assert solution.objective == pytest.approx(unflipped.objective, rel=1e-9, abs=1e-9)
