"""The target question: the fewest extra theatre days that bring the share waiting over 90 days below a
level by a given week, or the proof that no purchase at the candidate hospitals can.

The LP is the scenario's own (every queue, flow, capacity, bed-day, agreement and budget row) plus:

- d[c] ≥ 0, theatre days a week bought at candidate c (hospital × specialty), from the start to
  week W, with no upper limit; x[c, t] ≤ d[c] links them to the extra days the flows may use;
- the share at the end of week W: with N_g ≥ f0_g + K_g − S_g(W), N_g ≥ 0 per flow group g (an upper
  bound on its patients over 90 days as the result tables count them, `over_90_bound`),
  Σ_g N_g ≤ level · Σ_q (A_q(W) − S_q(W)). N may only overstate who is over 90, so a plan that meets
  this row meets the share.

Stage 1 minimises Σ_c weeks · d[c], the days bought. Infeasible means that no amount of theatre days
at the candidates reaches the level by W (patients who do not travel, travel limits, bed-days, the
lead time or simply the calendar stand in the way): the answer says so. Otherwise the days a week
are rounded up to whole days and stage 2 plans with them, bought (cost 0: a contract is paid in full)
and the share row kept, under the scenario's own weights: the answer's plan. Its share at W is then
recomputed from its flows by the result tables (`optimizer.results.tables`), not read from the LP.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.errors import Problem, ScenarioError
from models.scenario import Scenario
from models.weeks import week_labels
from optimizer.decisions.options import PurchaseOption, check_options, scenario_options, without_offers
from optimizer.model.formulation import Formulation, Term, formulate
from optimizer.model.instance import Instance
from optimizer.model.matrix import LpMatrix
from optimizer.planning import dataset_for, plan, prepare, resolve_scenario
from optimizer.results.plan_result import PlanResult
from optimizer.results.tables import PlanTables, plan_tables
from optimizer.solvers.highs import highs_lp, new_highs

log = logging.getLogger(__name__)

#: Days a week in the scenario change of a candidate (the LP's bound is lifted to unlimited).
_PLACEHOLDER_DAYS = 1.0
#: Days a week within this of a whole number are that number (interior-point values are not exact).
_ROUNDING = 1e-4
_SOLVED = (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kModelEmpty)
_INFEASIBLE = (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible)


@dataclass
class TargetAnswer:
    """The answer to "how many theatre days do we need to bring the share over 90 below `level` by `week`"."""

    level: float
    week: str
    reachable: bool
    message: str
    candidates: pd.DataFrame  # hospital_id, specialty, price_per_day_sek
    purchases: pd.DataFrame = field(default_factory=pd.DataFrame)  # per candidate bought: days a week, days, SEK
    lp_days: float | None = None  # the LP's minimum (fractional days a week × weeks)
    days: float | None = None  # whole days a week × weeks: what to buy
    cost_sek: float | None = None
    achieved_share: float | None = None  # the scenario re-planned with the days bought, at the end of `week`
    lp_share: float | None = None  # the target LP's own plan at the end of `week` (result tables)
    replanned: PlanResult | None = None  # the scenario re-planned with the days bought
    seconds: float = 0.0

    def summary(self) -> dict:
        """The answer's figures as plain JSON values."""
        values = {
            "level": self.level,
            "week": self.week,
            "reachable": self.reachable,
            "message": self.message,
            "lp_days": self.lp_days,
            "days": self.days,
            "cost_sek": self.cost_sek,
            "achieved_share": self.achieved_share,
            "lp_share": self.lp_share,
            "target_met": self.achieved_share is not None and self.achieved_share <= self.level + 1e-9,
            "seconds": self.seconds,
        }
        return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in values.items()}


def default_candidates(dataset: Dataset) -> list[PurchaseOption]:
    """Every hospital × specialty with theatre days in the dataset, at an unknown price (NaN)."""
    cells = dataset.capacity.loc[dataset.capacity["theatre_days"] > 0, ["hospital_id", "specialty"]]
    cells = cells.drop_duplicates().sort_values(["hospital_id", "specialty"])
    return [PurchaseOption(h, s, _PLACEHOLDER_DAYS, float("nan")) for h, s in cells.itertuples(index=False)]


def _target_scenario(scenario: Scenario, candidates: list[PurchaseOption], week: str) -> Scenario:
    """The scenario without its offers, plus each candidate offered from the start to `week` (cost 0 here:
    the LP's objective is set apart)."""
    base = without_offers(scenario)
    weeks = f"{scenario.start_week}..{week}"
    changes = [replace(option, weeks=weeks).change(days_per_week=_PLACEHOLDER_DAYS, price=0.0) for option in candidates]
    return base.model_copy(update={"changes": [*base.changes, *changes], "name": f"{scenario.name}-target"})


def add_purchase_and_share(f: Formulation, level: float, t_target: int, keys: list[tuple[str, str]]) -> None:
    """The target rows (module docstring): weekly purchase d per candidate, x ≤ d, hinge N, share ≤ level."""
    inst = f.instance
    offers = f.extra_offers
    cell = {key: k for k, key in enumerate(keys)}
    f.blocks["x"].upper[:] = np.inf  # unlimited purchase at every candidate
    f.add_block("purchase_days_per_week", len(keys))
    offer_cell = np.array([cell[(h, s)] for h, s in zip(offers["hospital_id"], offers["specialty"], strict=True)])
    rows = np.arange(len(offers))
    f.add_family(
        "purchase_link",
        offers[["hospital_id", "specialty", "t"]],
        [
            Term("x", rows, rows, np.ones(len(rows))),
            Term("purchase_days_per_week", rows, offer_cell, -np.ones(len(rows))),
        ],
        upper=0.0,
    )
    horizon = inst.horizon
    need = over_90_bound(inst, t_target)  # per flow group: f0 + K (see `over_90_bound`)
    groups = np.nonzero(need > 1e-12)[0]
    f.add_block("over_90_at_target", len(groups))
    position = np.full(len(inst.groups), -1)
    position[groups] = np.arange(len(groups))
    hinge = [Term("over_90_at_target", np.arange(len(groups)), np.arange(len(groups)), np.ones(len(groups)))]
    share = [Term("over_90_at_target", np.zeros(len(groups), dtype=int), np.arange(len(groups)), np.ones(len(groups)))]
    group_of_queue = inst.queues["group"].to_numpy()
    for name, flat in f.segment_index.items():
        at_target = np.nonzero(flat % horizon == t_target - 1)[0]
        group = position[group_of_queue[flat[at_target] // horizon]]
        with_hinge = group >= 0
        hinge.append(Term(name, group[with_hinge], at_target[with_hinge], np.ones(int(with_hinge.sum()))))
        share.append(Term(name, np.zeros(len(at_target), dtype=int), at_target, np.full(len(at_target), level)))
    f.add_family("target_over_90", pd.DataFrame({"group": groups}), hinge, lower=need[groups])
    arrived = float(inst.arrived[:, t_target - 1].sum())
    f.add_family("target_share", pd.DataFrame({"t": [t_target]}), share, upper=level * arrived)


def over_90_bound(inst: Instance, t: int) -> np.ndarray:
    """Per flow group g: f0_g + K_g, so that patients of g over 90 days at the end of week t are at most
    max(0, f0_g + K_g − S_g(t)) whatever the plan, S_g(t) the group's patients treated by then.

    f0_g: patients of g over 90 days at the end of week t (`Instance.over_days`). The result tables
    treat a group's patients earliest deadline first (decision date + their priority's limit,
    `optimizer.results.tables.cumulative_treated`), so among the first S_g treated at most K_g are not
    over 90: K_g = patients of g arrived by t, not over 90 days then, whose deadline comes no later than
    the latest deadline of one who is. With one priority per group K_g = 0 (first in, first out
    serves the longest waiting first) and the bound is exact.
    """
    cohorts = inst.cohorts
    queue = cohorts["queue"].to_numpy()
    group = inst.queues["group"].to_numpy()[queue]
    offset = cohorts["offset_days"].to_numpy()
    count = cohorts["count"].to_numpy()
    over = (np.floor_divide(offset + 90, 7) + 1) <= t  # as `Instance.over_days[90]` counts them
    arrived = cohorts["arrival_t"].to_numpy() <= t
    deadline = offset + inst.queues["limit_days"].to_numpy()[queue]
    latest = np.full(len(inst.groups), -np.inf)
    np.maximum.at(latest, group[over], deadline[over])
    early = arrived & ~over & (deadline <= latest[group])
    need = np.zeros(len(inst.groups))
    np.add.at(need, group[over], count[over])
    np.add.at(need, group[early], count[early])
    return need


def _solve(h: highspy.Highs, matrix: LpMatrix) -> np.ndarray | None:
    h.passModel(highs_lp(matrix, np.arange(matrix.n_cols), np.arange(matrix.n_rows)))
    clock = time.perf_counter()
    h.run()
    log.info("target LP: %s in %.1f s", h.modelStatusToString(h.getModelStatus()), time.perf_counter() - clock)
    status = h.getModelStatus()
    if status in _INFEASIBLE:
        return None
    if status not in _SOLVED:
        raise RuntimeError(f"HiGHS stopped with status {h.modelStatusToString(status)}")
    return np.asarray(h.getSolution().col_value)


def fewest_extra_days(
    scenario: Scenario | str | None,
    level: float,
    week: str,
    candidates: list[PurchaseOption] | None = None,
    dataset: Dataset | None = None,
) -> TargetAnswer:
    """The fewest theatre days a week at the candidates that bring the share over 90 days at the end of
    `week` to at most `level` (module docstring). Candidates default to the scenario's
    `extra_capacity` offers, else every hospital × specialty with theatre days (price unknown)."""
    clock = time.perf_counter()
    scenario, base_dir = resolve_scenario(scenario)
    if not 0 <= level <= 1:
        raise ScenarioError([Problem("target", None, "share", f"share {level} must be between 0 and 1")])
    dataset = dataset if dataset is not None else dataset_for(scenario, base_dir)
    candidates = candidates or scenario_options(scenario) or default_candidates(dataset)
    check_options(candidates, dataset)
    prices: dict[tuple[str, str], float] = {}
    for option in candidates:  # one candidate per hospital × specialty, at the cheapest price given
        key = (option.hospital_id, option.specialty)
        known = prices.get(key, math.nan)
        prices[key] = option.price_per_day_sek if math.isnan(known) else min(known, option.price_per_day_sek)
    keys = list(prices)
    unique = [PurchaseOption(h, s, _PLACEHOLDER_DAYS, prices[(h, s)]) for h, s in keys]
    weeks = week_labels(scenario.start_week, scenario.horizon_weeks)
    if week not in weeks:
        problem = Problem("target", None, "by", f"week {week} is not in the plan {weeks[0]}..{weeks[-1]}")
        raise ScenarioError([problem])
    # weeks after the target week change nothing in it: the target LP stops there (17 of 26 weeks for W30)
    short = scenario.model_copy(update={"horizon_weeks": weeks.index(week) + 1})
    inst = prepare(_target_scenario(short, unique, week), dataset)
    t_target = inst.horizon
    table = pd.DataFrame([{"hospital_id": h, "specialty": s, "price_per_day_sek": p} for (h, s), p in prices.items()])

    f = formulate(inst)
    add_purchase_and_share(f, level, t_target, keys)
    for block in f.blocks.values():
        block.cost[:] = 0.0
    f.blocks["purchase_days_per_week"].cost[:] = float(t_target)  # days a week × weeks bought
    f.objective_constant = 0.0
    matrix = LpMatrix.from_formulation(f)
    h = new_highs(scenario.solve)
    # measured on the default scenario: simplex took minutes on this LP; crossover gives a vertex, so few
    # candidates get days (without it, small amounts at many candidates all round up: 18 % more whole days)
    h.setOptionValue("solver", "ipm")
    values = _solve(h, matrix)
    if values is None:
        message = (
            f"No purchase can bring the share over 90 days to {level:.1%} by {week}: the LP is infeasible even "
            "with unlimited theatre days at every candidate hospital and specialty."
        )
        return TargetAnswer(level, week, False, message, table, seconds=time.perf_counter() - clock)

    start = matrix.col_offset["purchase_days_per_week"]
    per_week = np.clip(values[start : start + len(keys)], 0.0, None)
    lp_days = float(per_week.sum() * t_target)
    whole = np.ceil(per_week - _ROUNDING)
    y = values[matrix.col_offset["y"] : matrix.col_offset["y"] + f.blocks["y"].size]
    lp_share = share_over_90(plan_tables(inst, y), t_target)
    table = table.assign(days_per_week=whole, lp_days_per_week=per_week, days=whole * t_target)
    table["cost_sek"] = table["days"] * table["price_per_day_sek"]
    bought = table[table["days"] > 0].sort_values("days", ascending=False).reset_index(drop=True)
    # the check: the scenario re-planned (its own objective, no share row) with the whole days bought
    replanned = plan(with_purchases(scenario, bought, week), dataset=dataset)
    achieved = share_over_90(replanned.lp, t_target)
    days = float(bought["days"].sum())
    cost = float(bought["cost_sek"].sum(min_count=1)) if len(bought) else 0.0  # NaN: a price is unknown
    where = ", ".join(
        f"{d:g} a week at {h} ({s})"
        for h, s, d in zip(bought["hospital_id"], bought["specialty"], bought["days_per_week"], strict=True)
    )
    message = (
        f"{days:g} extra theatre days ({where or 'none'}) from {inst.weeks[0]} to {week} bring the share over "
        f"90 days to {lp_share:.2%} at the end of {week} in the target's plan (target {level:.1%}); "
        f"the scenario re-planned with them reaches {achieved:.2%}."
    )
    return TargetAnswer(
        level,
        week,
        True,
        message,
        table,
        bought,
        lp_days,
        days,
        cost,
        achieved,
        lp_share,
        replanned,
        time.perf_counter() - clock,
    )


def share_over_90(tables: PlanTables, t: int) -> float:
    """The share of waiting patients (excl. MoV/PvV) over 90 days at the end of week t, all regions."""
    kpis = tables.region_kpis[tables.region_kpis["t"] == t]
    waiting = float(kpis["waiting"].sum())
    return float(kpis["over_90"].sum()) / waiting if waiting > 0 else 0.0


def with_purchases(scenario: Scenario, bought: pd.DataFrame, week: str) -> Scenario:
    """The scenario without its offers plus the days bought, each week from the start to `week`, at cost 0
    (bought in full: the LP uses them as it likes)."""
    base = without_offers(scenario)
    changes = [
        PurchaseOption(h, s, d, 0.0, f"{scenario.start_week}..{week}").change()
        for h, s, d in zip(bought["hospital_id"], bought["specialty"], bought["days_per_week"], strict=True)
    ]
    return base.model_copy(update={"changes": [*base.changes, *changes], "name": f"{scenario.name}-with-purchase"})
