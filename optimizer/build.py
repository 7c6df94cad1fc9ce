"""Building the allocation LP in Pyomo: reads top to bottom as the model of DESIGN.md.

Every family is one `add_<family>` function with its formula in the docstring and its component
named after it (`m.theatre_days`, `m.bed_days`, ...). Constraint families are indexed 0..n-1 and
`BuiltModel.rows[family]` is the frame describing row i, so duals read back by the same name.
Rows are assembled from precomputed sparse (row, column, coefficient) triplets with one general
mechanism, `_add_linear_rows`, never by looping over dense index products.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from optimizer.instance import THRESHOLDS, Instance

log = logging.getLogger(__name__)

#: A hook that adds constraints to a built model without editing the library (PyPSA style).
ExtraFunctionality = Callable[["BuiltModel"], None]


@dataclass
class BuiltModel:
    """A Pyomo model plus the frames that say what each variable and row index means."""

    model: pyo.ConcreteModel
    instance: Instance
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)
    breach_index: dict[int, pd.DataFrame] = field(default_factory=dict)  # θ → (queue, t) of N^θ
    objective_constant: float = 0.0

    def y(self) -> list:
        return self._y

    def set_columns(self) -> None:
        self._y = list(self.model.y.values())
        self._S = list(self.model.S.values())


def build_model(
    inst: Instance,
    extra_functionality: ExtraFunctionality | None = None,
    elastic_agreements: bool = False,
    region_limits: dict[str, float] | None = None,
) -> BuiltModel:
    """Build the LP of `inst`.

    `elastic_agreements` adds slack to agreement minimums (feasibility study); `region_limits` caps
    each region's weighted breach-days (policy `no_region_worse_off`, limits from the standalone plan).
    """
    if not elastic_agreements:
        _refuse_unreachable_agreements(inst)
    m = pyo.ConcreteModel(name=inst.name)
    built = BuiltModel(model=m, instance=inst)
    add_flow_variables(built)
    add_queue_balance(built)
    add_breach(built)
    add_extra_capacity(built)
    add_theatre_days(built)
    add_bed_days(built)
    add_agreements(built, elastic=elastic_agreements)
    add_budgets(built)
    if region_limits:
        add_no_region_worse_off(built, region_limits)
    if extra_functionality is not None:
        extra_functionality(built)
    add_objective(built, feasibility_only=elastic_agreements)
    return built


def _refuse_unreachable_agreements(inst: Instance) -> None:
    """An agreement minimum with no flow that could serve it is infeasible before any solve.

    (Its row would have no variables: 0 ≥ min_cases. Pyomo cannot hold such a row, so it is caught here.)
    """
    if any(a.min_cases > 0 and not agreement_flow_mask(inst, a).any() for a in inst.scenario.policy.agreements):
        from optimizer.infeasibility import explain_infeasibility

        raise explain_infeasibility(inst)


def add_flow_variables(built: BuiltModel) -> None:
    """y[f] ≥ 0: patients of arc f's queue treated at its hospital in week f.t; S[q, t] cumulative treated.

    S_q(t) ≤ A_q(t) is a bound: only patients who have arrived can be treated.
    """
    m, inst = built.model, built.instance
    m.y = pyo.Var(range(len(inst.flows)), domain=pyo.NonNegativeReals)
    n_q, horizon = inst.arrived.shape
    arrived = inst.arrived
    m.S = pyo.Var(range(n_q * horizon), domain=pyo.NonNegativeReals, bounds=lambda _, i: (0, arrived.flat[i]))
    built.set_columns()


def _s_index(inst: Instance, queue: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Position of S[q, t] (t 1-based) in the flat S variable."""
    return queue * inst.horizon + (t - 1)


def add_queue_balance(built: BuiltModel) -> None:
    """queue_balance[q, t]:  S_q(t) − S_q(t−1) − Σ_h y[q, h, t] = 0   (S_q(0) = 0)."""
    inst = built.instance
    n_q, horizon = inst.arrived.shape
    rows = np.arange(n_q * horizon)
    q, t = np.divmod(rows, horizon)
    t = t + 1
    flows = inst.flows
    flow_rows = _s_index(inst, flows["queue"].to_numpy(), flows["t"].to_numpy())
    has_previous = t > 1
    triplets = [
        (rows, _var_refs(built._S, rows), np.ones(len(rows))),
        (rows[has_previous], _var_refs(built._S, rows[has_previous] - 1), -np.ones(has_previous.sum())),
        (flow_rows, _var_refs(built._y, np.arange(len(flows))), -np.ones(len(flows))),
    ]
    built.rows["queue_balance"] = pd.DataFrame({"queue": q, "t": t})
    _add_linear_rows(built, "queue_balance", len(rows), triplets, lower=0.0, upper=0.0)


def add_breach(built: BuiltModel) -> None:
    """breach_θ[q, t]:  N^θ_q(t) + S_q(t) ≥ B^θ_q(t), N^θ ≥ 0, only where B^θ_q(t) > 0.

    With first-in-first-out service max(0, B − S) is exactly the number of patients over θ days.
    """
    m, inst = built.model, built.instance
    for theta in THRESHOLDS:
        q, t0 = np.nonzero(inst.over[theta] > 1e-12)
        index = pd.DataFrame({"queue": q, "t": t0 + 1, "over": inst.over[theta][q, t0]})
        built.breach_index[theta] = index
        var = pyo.Var(range(len(index)), domain=pyo.NonNegativeReals)
        m.add_component(f"N{theta}", var)
        n_vars = list(var.values())
        rows = np.arange(len(index))
        triplets = [
            (rows, _var_refs(n_vars, rows), np.ones(len(rows))),
            (rows, _var_refs(built._S, _s_index(inst, q, t0 + 1)), np.ones(len(rows))),
        ]
        built.rows[f"breach_{theta}"] = index
        _add_linear_rows(built, f"breach_{theta}", len(index), triplets, lower=index["over"].to_numpy())


def add_extra_capacity(built: BuiltModel) -> None:
    """x[r] ∈ [0, extra_days]: theatre days bought at theatre row r (scenario `extra_capacity`)."""
    m, inst = built.model, built.instance
    offers = inst.theatre[inst.theatre["extra_days"] > 0].reset_index(drop=True)
    built.rows["extra_capacity"] = offers
    bounds = offers["extra_days"].to_numpy()
    m.x = pyo.Var(range(len(offers)), domain=pyo.NonNegativeReals, bounds=lambda _, i: (0, bounds[i]))


def add_theatre_days(built: BuiltModel) -> None:
    """theatre_days[h, s, t]:  Σ_{f at h, specialty s, week t} y_f / rate_f − x[h, s, t] ≤ theatre_days[h, s, t]."""
    m, inst = built.model, built.instance
    flows = inst.flows
    theatre = inst.theatre.reset_index(names="theatre_row")
    used = flows.merge(theatre[["hospital_id", "specialty", "t", "theatre_row"]], on=["hospital_id", "specialty", "t"])
    rows_used = np.unique(used["theatre_row"].to_numpy())
    row_frame = theatre.loc[rows_used].reset_index(drop=True)
    position = pd.Series(np.arange(len(rows_used)), index=rows_used)
    triplets = [(position[used["theatre_row"]].to_numpy(), _var_refs(built._y, used.index.to_numpy()),
                 1.0 / used["rate"].to_numpy())]
    offers = built.rows["extra_capacity"]
    if len(offers):
        offer_rows = theatre.merge(offers[["hospital_id", "specialty", "t"]].reset_index(names="offer"))
        offer_rows = offer_rows[offer_rows["theatre_row"].isin(rows_used)]
        x_vars = list(m.x.values())
        triplets.append((position[offer_rows["theatre_row"]].to_numpy(),
                         _var_refs(x_vars, offer_rows["offer"].to_numpy()), -np.ones(len(offer_rows))))
    built.rows["theatre_days"] = row_frame
    _add_linear_rows(built, "theatre_days", len(row_frame), triplets, upper=row_frame["theatre_days"].to_numpy())


def add_bed_days(built: BuiltModel) -> None:
    """bed_days[h, t]:  Σ_{f at h, week t} bed_days_per_case_f · y_f ≤ bed_days[h, t]."""
    inst = built.instance
    flows = inst.flows[inst.flows["bed_days_per_case"] > 0]
    beds = inst.beds.reset_index(names="bed_row")
    used = flows.reset_index(names="flow").merge(beds, on=["hospital_id", "t"])
    rows_used = np.unique(used["bed_row"].to_numpy())
    row_frame = beds.loc[rows_used].reset_index(drop=True)
    position = pd.Series(np.arange(len(rows_used)), index=rows_used)
    triplets = [(position[used["bed_row"]].to_numpy(), _var_refs(built._y, used["flow"].to_numpy()),
                 used["bed_days_per_case"].to_numpy())]
    built.rows["bed_days"] = row_frame
    _add_linear_rows(built, "bed_days", len(row_frame), triplets, upper=row_frame["bed_days"].to_numpy())


def agreement_flow_mask(inst: Instance, agreement) -> np.ndarray:
    """Flows that count towards an agreement: payer's patients treated at the provider."""
    flows = inst.flows
    mask = flows["region_id"].to_numpy() == agreement.payer_region
    if agreement.provider_hospital is not None:
        mask &= flows["hospital_id"].to_numpy() == agreement.provider_hospital
    else:
        mask &= flows["provider_region"].to_numpy() == agreement.provider_region
    if agreement.procedure_id is not None:
        mask &= flows["procedure_id"].to_numpy() == agreement.procedure_id
    return mask


def add_agreements(built: BuiltModel, elastic: bool = False) -> None:
    """agreements[k]:  min_cases_k ≤ Σ_{f matching k} y_f ≤ max_cases_k over the horizon.

    With `elastic`, a slack u_k ≥ 0 is added to the left side so that minimums can always be met;
    the feasibility study minimises Σ u_k to find which agreements cannot be honoured.
    """
    m, inst = built.model, built.instance
    agreements = inst.scenario.policy.agreements
    triplets, lower, upper = [], [], []
    for k, agreement in enumerate(agreements):
        flows = np.nonzero(agreement_flow_mask(inst, agreement))[0]
        triplets.append((np.full(len(flows), k), _var_refs(built._y, flows), np.ones(len(flows))))
        lower.append(agreement.min_cases)
        upper.append(agreement.max_cases if agreement.max_cases is not None else np.inf)
    if elastic and agreements:
        m.agreement_shortfall = pyo.Var(range(len(agreements)), domain=pyo.NonNegativeReals)
        slack = list(m.agreement_shortfall.values())
        rows = np.arange(len(agreements))
        triplets.append((rows, _var_refs(slack, rows), np.ones(len(agreements))))
    built.rows["agreements"] = pd.DataFrame(
        [a.model_dump() for a in agreements],
        columns=["payer_region", "provider_hospital", "provider_region", "procedure_id", "min_cases", "max_cases"],
    )
    _add_linear_rows(built, "agreements", len(agreements), triplets, lower=np.array(lower), upper=np.array(upper))


def add_budgets(built: BuiltModel) -> None:
    """budgets[r]:  Σ_{charged f of payer region r} price_f · y_f ≤ budget_r (SEK over the horizon)."""
    inst = built.instance
    budgets = inst.scenario.policy.budgets_sek
    flows = inst.flows
    triplets, upper = [], []
    for k, (region, budget) in enumerate(budgets.items()):
        paid = np.nonzero((flows["region_id"].to_numpy() == region) & flows["charged"].to_numpy())[0]
        triplets.append((np.full(len(paid), k), _var_refs(built._y, paid), flows["price_sek"].to_numpy()[paid]))
        upper.append(budget)
    built.rows["budgets"] = pd.DataFrame({"region_id": list(budgets), "budget_sek": list(budgets.values())})
    _add_linear_rows(built, "budgets", len(budgets), triplets, upper=np.array(upper, dtype=float))


def add_no_region_worse_off(built: BuiltModel, limits: dict[str, float]) -> None:
    """no_region_worse_off[r]:  7·Σ_{q of r, t}(w90·N⁹⁰ + w180·N¹⁸⁰ + w365·N³⁶⁵) ≤ standalone value of r."""
    m, inst = built.model, built.instance
    w = inst.scenario.weights
    weight_of = {90: w.over_90, 180: w.over_180, 365: w.over_365}
    regions = list(limits)
    position = {r: k for k, r in enumerate(regions)}
    queue_region = inst.queues["region_id"].to_numpy()
    triplets = []
    for theta in THRESHOLDS:
        index = built.breach_index[theta]
        region_of_row = queue_region[index["queue"].to_numpy()]
        keep = np.isin(region_of_row, regions)
        rows = np.array([position[r] for r in region_of_row[keep]], dtype=int)
        n_vars = list(getattr(m, f"N{theta}").values())
        triplets.append((rows, _var_refs(n_vars, np.nonzero(keep)[0]), np.full(len(rows), 7.0 * weight_of[theta])))
    built.rows["no_region_worse_off"] = pd.DataFrame({"region_id": regions, "limit": [limits[r] for r in regions]})
    _add_linear_rows(built, "no_region_worse_off", len(regions), triplets,
                     upper=np.array([limits[r] for r in regions], dtype=float))


def flow_objective_coefficients(inst: Instance) -> np.ndarray:
    """Objective coefficient of each flow column: price (cost weight) + travel (per km)."""
    w = inst.scenario.weights
    flows = inst.flows
    price = np.where(flows["charged"].to_numpy(), flows["price_sek"].to_numpy(), 0.0)
    return w.cost_per_ksek * price / 1000.0 + w.travel_per_km * flows["travel_km"].to_numpy()


def add_objective(built: BuiltModel, feasibility_only: bool = False) -> None:
    """Minimise breach-days, waiting, cost and travel (DESIGN.md objective).

    7·Σ_{q,t}(w90·N⁹⁰ + w180·N¹⁸⁰ + w365·N³⁶⁵ + w_wait·(A − S)) + w_cost·(price·y + extra cost)/1000
    + w_travel·Σ km·y. The constant 7·w_wait·ΣA is kept in `objective_constant` and in the model's
    objective so that the reported value is the whole objective.
    """
    m, inst = built.model, built.instance
    if feasibility_only:
        slack = list(m.agreement_shortfall.values()) if hasattr(m, "agreement_shortfall") else []
        m.objective = pyo.Objective(expr=LinearExpression(linear_coefs=[1.0] * len(slack), linear_vars=slack))
        return
    w = inst.scenario.weights
    weight_of = {90: w.over_90, 180: w.over_180, 365: w.over_365}
    coefs: list[np.ndarray] = [flow_objective_coefficients(inst), np.full(len(built._S), -7.0 * w.waiting)]
    variables: list[list] = [built._y, built._S]
    for theta in THRESHOLDS:
        n_vars = list(getattr(m, f"N{theta}").values())
        coefs.append(np.full(len(n_vars), 7.0 * weight_of[theta]))
        variables.append(n_vars)
    offers = built.rows["extra_capacity"]
    coefs.append(w.cost_per_ksek * offers["extra_cost_per_day"].to_numpy() / 1000.0)
    variables.append(list(m.x.values()))
    built.objective_constant = 7.0 * w.waiting * float(inst.arrived.sum())
    all_coefs = np.concatenate(coefs)
    all_vars = [v for group in variables for v in group]
    keep = np.nonzero(all_coefs)[0]
    expr = LinearExpression(
        constant=built.objective_constant,
        linear_coefs=all_coefs[keep].tolist(),
        linear_vars=[all_vars[i] for i in keep],
    )
    m.objective = pyo.Objective(expr=expr, sense=pyo.minimize)


def _var_refs(variables: list, positions: np.ndarray) -> list:
    return [variables[i] for i in positions.tolist()]


def _add_linear_rows(
    built: BuiltModel,
    name: str,
    n_rows: int,
    triplets: list[tuple[np.ndarray, list, np.ndarray]],
    lower: float | np.ndarray | None = None,
    upper: float | np.ndarray | None = None,
) -> None:
    """Add constraint family `name` with rows 0..n_rows-1 from (row, variable, coefficient) triplets.

    The one mechanism every family uses: triplets are sorted by row once and each row becomes a
    `LinearExpression` directly (no operator overloading), with bounds `lower ≤ row ≤ upper`.
    """
    m = built.model
    row_ids = np.concatenate([t[0] for t in triplets]) if triplets else np.zeros(0, dtype=int)
    variables = [v for t in triplets for v in t[1]]
    coefficients = np.concatenate([t[2] for t in triplets]) if triplets else np.zeros(0)
    order = np.argsort(row_ids, kind="stable")
    starts = np.searchsorted(row_ids[order], np.arange(n_rows + 1))
    ordered_vars = [variables[i] for i in order.tolist()]
    ordered_coefs = coefficients[order].tolist()
    lows = np.broadcast_to(np.asarray(-np.inf if lower is None else lower, dtype=float), (n_rows,))
    ups = np.broadcast_to(np.asarray(np.inf if upper is None else upper, dtype=float), (n_rows,))

    def rule(_, i):
        a, b = starts[i], starts[i + 1]
        if a == b:
            return pyo.Constraint.Skip
        expr = LinearExpression(linear_coefs=ordered_coefs[a:b], linear_vars=ordered_vars[a:b])
        low = None if np.isneginf(lows[i]) else float(lows[i])
        up = None if np.isposinf(ups[i]) else float(ups[i])
        return (low, expr, up)

    m.add_component(name, pyo.Constraint(range(n_rows), rule=rule))
