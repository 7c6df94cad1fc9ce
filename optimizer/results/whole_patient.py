"""Rounding the LP's fractional flows to whole patients without breaking any constraint.

Method (a feasibility-preserving rounding and a local search, not a MIP):
1. Round every flow down. Every constraint row has non-negative coefficients on y, so lowering
   flows keeps theatre days, bed-days, budgets, agreement maxima and S ≤ A satisfied.
2. Per flow group, the rounded total should be round(Σ y). Give the missing whole patients back one at a
   time to the queue's flows with the largest fractional parts, earliest week first on ties, but only
   where one more patient still fits: theatre days (with the extra days the LP bought), bed-days,
   budget, agreement maximum, and S_g(t) ≤ A_g(t) in that week and every later one.
3. A group still short (its fractional flows had no room left) may use any of its flow columns that
   has room, earliest week first: the hospital or week may differ from the LP's, the total does not.
4. An agreement minimum that rounding left short gets whole patients back on its own flows where
   they fit (a queue may then exceed its rounded total by the patients the agreement needs).
5. Fill: no theatre day stays unused while a patient who could take it would gain from it. Week by
   week, cheapest flow first, a flow gets one more patient while it fits every row and the objective
   falls by more than the flow's cost (price and travel in objective units): the breach- and
   waiting-days the extra patient saves in its week and every later one (`_fill_idle_theatre_days`).
6. Exchange (`solve.whole_patient_exchange`, off by default): most theatre cells still keep a
   little idle time, less than any waiting patient's operation. Cell by cell, one patient is taken
   off and the freed time refilled with the patients worth most per theatre day (often two short
   operations for one long one) when that lowers the objective (`optimizer.results.cell_exchange`);
   then the fill runs once more, since a group a patient was taken from may fit in another cell.
   The plan is kept only if its whole objective is lower than before the exchange.
In steps 3 and 5 cheaper flows go first (the objective's cost and travel per patient, then week), so
rounding does not send a patient to a dear provider the LP avoided when a cheap one has room.
Agreement minimums are not guaranteed after rounding (they may fall short by less than one patient
per flow): `agreement_shortfalls` names what is missing; the integer plan's KPIs are computed with
the same code as the LP's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.formulation import agreement_flow_mask, flow_objective_coefficients
from optimizer.model.instance import Instance
from optimizer.results.cell_exchange import ExchangeStats, exchange_in_theatre_cells
from optimizer.results.marginal_value import MarginalValue
from optimizer.results.row_room import TOLERANCE as _TOLERANCE
from optimizer.results.row_room import RowRoom
from optimizer.results.tables import plan_objective


def integer_flows(inst: Instance, y: np.ndarray, **options) -> np.ndarray:
    """Whole-patient flows close to `y` that respect every capacity constraint (see module docstring);
    `options` as `integer_flows_with_stats`."""
    whole, _ = integer_flows_with_stats(inst, y, **options)
    return whole


def integer_flows_with_stats(
    inst: Instance,
    y: np.ndarray,
    x: np.ndarray | None = None,
    extra_rows: pd.DataFrame | None = None,
    lower: np.ndarray | None = None,
    exchange: bool | None = None,
) -> tuple[np.ndarray, ExchangeStats | None]:
    """Whole-patient flows close to `y` (see module docstring), and what the exchange did (None: skipped).

    `x` and `extra_rows`: the LP's extra theatre days bought and their rows. `lower`: the flows' lower
    bounds (a fixed proposal's flows), which the exchange never goes below. `exchange`: whether to
    run step 6 (None: the scenario's `solve.whole_patient_exchange`).
    """
    if exchange is None:
        exchange = inst.scenario.solve.whole_patient_exchange
    whole = np.floor(y + _TOLERANCE)
    flows = inst.flows
    queue = flows["group"].to_numpy()  # rounding keeps each flow group's total (its priorities share it)
    targets = np.round(np.bincount(queue, weights=y, minlength=len(inst.groups)) + _TOLERANCE)
    missing = targets - np.bincount(queue, weights=whole, minlength=len(inst.groups))
    slack = RowRoom(inst, whole, x, extra_rows)
    fraction = y - whole
    order = np.lexsort((flows["t"].to_numpy(), -fraction))  # largest fraction first, earlier week on ties
    for f in order[fraction[order] > _TOLERANCE].tolist():
        q = queue[f]
        if missing[q] <= 0:
            continue
        if slack.fits(f):
            slack.take(f)
            whole[f] += 1
            missing[q] -= 1
    cost = flow_objective_coefficients(inst)
    by_queue = np.lexsort((flows["t"].to_numpy(), cost, queue))  # within a group: cheapest first, then week
    queue_start = np.searchsorted(queue[by_queue], np.arange(len(missing) + 1))
    for q in np.nonzero(missing >= 1)[0].tolist():
        candidates = by_queue[queue_start[q] : queue_start[q + 1]]
        for f in candidates[slack.fitting(candidates)].tolist():
            while missing[q] >= 1 and slack.fits(f):
                slack.take(f)
                whole[f] += 1
                missing[q] -= 1
    _restore_agreement_minimums(inst, whole, slack)
    _fill_idle_theatre_days(inst, whole, slack, cost)
    if not exchange:
        return whole, None
    rounded = whole.copy()
    stats = exchange_in_theatre_cells(inst, whole, slack, lower)
    _fill_idle_theatre_days(inst, whole, slack, cost)  # a group a patient was taken from may fit elsewhere
    # the exchange's reckoning splits a group's patients over its priorities only roughly (see
    # `MarginalValue`); the whole objective counts them exactly: keep the better plan
    if stats.kept and plan_objective(inst, whole)[1] > plan_objective(inst, rounded)[1]:
        stats.reverted = True
        return rounded, stats
    return whole, stats


def _fill_idle_theatre_days(inst: Instance, whole: np.ndarray, slack: RowRoom, cost: np.ndarray) -> None:
    """Step 5 of the module docstring: treat waiting patients where a theatre day is idle.

    A flow gets one more patient while that patient lowers the objective (`MarginalValue.gain`:
    breach- and waiting-days in its week and every later one, less its price and travel, and
    fairness) and it fits every row; earliest weeks first, then cheapest.
    """
    t = inst.flows["t"].to_numpy()
    # a re-plan's change terms left out, as this fill always had them: the stability measured in
    # benchmarks/STABILITY.md is with this fill
    value = MarginalValue(inst, slack, whole, change_terms=False)
    candidates = np.nonzero(cost < value.most)[0]
    candidates = candidates[np.lexsort((cost[candidates], t[candidates]))]  # week by week, cheapest first
    for f in candidates[slack.fitting(candidates)].tolist():
        one = np.array([f])
        while slack.fits(f) and value.gain(one)[0] > _TOLERANCE:
            slack.take(f)
            whole[f] += 1


def agreement_shortfalls(inst: Instance, whole: np.ndarray) -> list[dict]:
    """Agreement minimums the whole-patient plan misses: agreement number, minimum, planned, short."""
    short = []
    for k, agreement in enumerate(inst.scenario.policy.agreements):
        planned = float(whole[agreement_flow_mask(inst, agreement)].sum())
        if agreement.min_cases - planned > _TOLERANCE:
            short.append(
                {
                    "agreement": k + 1,
                    "min_cases": agreement.min_cases,
                    "planned": planned,
                    "short": agreement.min_cases - planned,
                }
            )
    return short


def _restore_agreement_minimums(inst: Instance, whole: np.ndarray, slack: RowRoom) -> None:
    for agreement in inst.scenario.policy.agreements:
        mask = agreement_flow_mask(inst, agreement)
        short = agreement.min_cases - whole[mask].sum()
        for f in np.nonzero(mask)[0].tolist():
            while short > _TOLERANCE and slack.fits(f):
                slack.take(f)
                whole[f] += 1
                short -= 1
