"""A reference LP for the tests: DESIGN.md's breach costs written literally, N^θ ≥ B^θ − S.

The engine (`optimizer.model.formulation`) writes S_q(t) as four bounded segments between the
breakpoints B³⁶⁵ ≤ B¹⁸⁰ ≤ B⁹⁰ ≤ A and needs no breach rows. Here the same LP is built the way the
design states it, through the same `Formulation` API, so a test can solve both and compare optima:

- S[q, t] ∈ [0, A_q(t)], cumulative treated (block S, flat q·T + t − 1);
- queue_balance[q, t]:  S_q(t) − S_q(t−1) − Σ_h y[q, h, t] = 0   (S_q(0) = 0);
- breach_θ[q, t]:  N^θ_q(t) + S_q(t) ≥ B^θ_q(t), N^θ ≥ 0, where B^θ_q(t) > 0;
- no_region_worse_off[r]:  7·Σ_{q of r, t} Σ_θ w_θ·N^θ_q(t) ≤ limit_r;
- objective: 7·Σ_θ w_θ·N^θ + 7·w_wait·(ΣA − ΣS) + the engine's flow and extra-day costs.

Rows that do not involve the breach (theatre and bed days, agreements, budgets, extra capacity)
are the engine's own `add_<family>` functions: the comparison is about the breach form only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.objective import term_weights
from models.rules import THRESHOLDS
from optimizer.model import formulation as engine
from optimizer.model.formulation import Formulation, Term
from optimizer.model.instance import Instance
from optimizer.model.matrix import LpMatrix
from optimizer.solvers.highs import highs_lp, new_highs


def formulate_hinge(inst: Instance, region_limits: dict[str, float] | None = None) -> Formulation:
    """The LP of `inst` with the hinge form of the breach costs (same optimum as `engine.formulate`)."""
    f = Formulation(instance=inst)
    n_q, horizon = inst.arrived.shape
    flows = inst.flows
    f.add_block("y", len(flows), upper=inst.arrived[_flow_queue(inst), flows["t"].to_numpy() - 1])
    f.add_block("S", n_q * horizon, upper=inst.arrived.ravel())
    _queue_balance(f)
    breach_rows = _breach(f)
    engine.add_extra_capacity(f)
    engine.add_theatre_days(f)
    engine.add_bed_days(f)
    engine.add_agreements(f)
    engine.add_budgets(f)
    if region_limits:
        _no_region_worse_off(f, breach_rows, region_limits)
    _objective(f)
    return f


def _flow_queue(inst: Instance) -> np.ndarray:
    """Each flow's queue: this reference handles datasets with one priority, where a flow group is one queue."""
    group = inst.queues["group"].to_numpy()
    assert len(np.unique(group)) == len(group), "the hinge reference needs one queue per flow group"
    queue_of_group = np.empty(len(inst.groups), dtype=np.int64)
    queue_of_group[group] = np.arange(len(group))
    return queue_of_group[inst.flows["group"].to_numpy()]


def _position(horizon: int, queue: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Flat position of S[q, t] (t 1-based), written here rather than taken from the engine."""
    return queue * horizon + (t - 1)


def _queue_balance(f: Formulation) -> None:
    inst = f.instance
    n_q, horizon = inst.arrived.shape
    q, t0 = np.divmod(np.arange(n_q * horizon), horizon)
    flows = inst.flows
    this_week = np.arange(n_q * horizon)
    has_next = t0 < horizon - 1
    terms = [
        Term("S", this_week, this_week, np.ones(n_q * horizon)),  # + S_q(t) in row (q, t)
        Term("S", this_week[has_next] + 1, this_week[has_next], -np.ones(int(has_next.sum()))),  # − S_q(t) in (q, t+1)
        Term(
            "y",
            _position(horizon, _flow_queue(inst), flows["t"].to_numpy()),
            np.arange(len(flows)),
            -np.ones(len(flows)),
        ),
    ]
    f.add_family("queue_balance", pd.DataFrame({"queue": q, "t": t0 + 1}), terms, lower=0.0, upper=0.0)


def _breach(f: Formulation) -> dict[int, pd.DataFrame]:
    """N^θ + S ≥ B^θ per (q, t) with B^θ > 0; returns each θ's rows (queue, t, over)."""
    inst = f.instance
    horizon = inst.arrived.shape[1]
    index = {}
    for theta in THRESHOLDS:
        q, t0 = np.nonzero(inst.over[theta] > 1e-12)
        rows = pd.DataFrame({"queue": q, "t": t0 + 1, "over": inst.over[theta][q, t0]})
        index[theta] = rows
        f.add_block(f"N{theta}", len(rows))
        k = np.arange(len(rows))
        terms = [
            Term(f"N{theta}", k, k, np.ones(len(rows))),
            Term("S", k, _position(horizon, q, t0 + 1), np.ones(len(rows))),
        ]
        f.add_family(f"breach_{theta}", rows, terms, lower=rows["over"].to_numpy())
    return index


def _breach_weights(inst: Instance) -> dict[int, float]:
    w = term_weights(inst.scenario.weights)
    return {theta: w[f"breach_days_{theta}"] for theta in THRESHOLDS}


def _no_region_worse_off(f: Formulation, breach_rows: dict[int, pd.DataFrame], limits: dict[str, float]) -> None:
    inst = f.instance
    regions = list(limits)
    position = {r: k for k, r in enumerate(regions)}
    queue_region = inst.queues["region_id"].to_numpy()
    terms = []
    for theta, weight in _breach_weights(inst).items():
        region_of_row = queue_region[breach_rows[theta]["queue"].to_numpy()]
        keep = np.nonzero(np.isin(region_of_row, regions))[0]
        rows = np.array([position[r] for r in region_of_row[keep]], dtype=int)
        terms.append(Term(f"N{theta}", rows, keep, np.full(len(rows), 7.0 * weight)))
    frame = pd.DataFrame({"region_id": regions, "limit": [limits[r] for r in regions]})
    f.add_family("no_region_worse_off", frame, terms, upper=frame["limit"].to_numpy(dtype=float))


def _objective(f: Formulation) -> None:
    inst = f.instance
    w = term_weights(inst.scenario.weights)
    f.blocks["y"].cost[:] = engine.flow_objective_coefficients(inst)
    f.blocks["x"].cost[:] = w["cost_sek"] * f.extra_offers["extra_cost_per_day"].to_numpy()
    f.blocks["S"].cost[:] = -7.0 * w["waiting_days"]
    for theta, weight in _breach_weights(inst).items():
        f.blocks[f"N{theta}"].cost[:] = 7.0 * weight
    f.objective_constant = 7.0 * w["waiting_days"] * float(inst.arrived.sum())


def solve(form: Formulation) -> tuple[str, float]:
    """Solve `form` whole with highspy (every column and row of its `LpMatrix`): status and optimum."""
    matrix = LpMatrix.from_formulation(form)
    h = new_highs()
    h.passModel(highs_lp(matrix, np.arange(matrix.n_cols), np.arange(matrix.n_rows)))
    h.run()
    return h.modelStatusToString(h.getModelStatus()), float(h.getInfo().objective_function_value)
