"""The allocation LP as data: variable blocks and row families, read top to bottom as DESIGN.md's model.

`formulate(inst)` is a list of calls, one `add_<family>` per variable or constraint family, each
with its formula in the docstring. A family is stored as sparse (row, column, coefficient) triplets
over named variable blocks, computed with vectorised pandas/numpy over the sets that exist (never a
dense product). This is the one representation of the LP: `optimizer.model.matrix` numbers it into
the sparse arrays that highspy takes (column generation, the warm full LP, the infeasibility study),
and `optimizer.solvers.pyomo_adapter` turns it into a Pyomo model for `full_lp` and hooks.

The breach costs are written in segment form: S_q(t) is the sum of four bounded segments between
the breakpoints B³⁶⁵ ≤ B¹⁸⁰ ≤ B⁹⁰ ≤ A, each costing its slope, so no breach rows are needed (a
third of the rows of the design's literal N^θ ≥ B^θ − S; HiGHS IPM 6.7 s instead of 16 s on the
default scenario, same objective). The literal hinge form is kept as a reference in the tests
(tests/reference_hinge.py), which solve both and compare optima.

Blocks: y (flows, `inst.flows`); segments S365/S180/S90/Srest (their flat (q, t) positions,
q·T + t − 1, in `segment_index`); x (extra theatre days, `extra_offers`); kept (a re-plan's previous
proposals kept, per cell of `inst.anchor`); ahead/behind (a re-plan's week drift per flow group and week);
agreement_shortfall (only in the elastic feasibility study).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.objective import term_weights
from models.rules import THRESHOLDS
from optimizer.model.bookings import booking_counts
from optimizer.model.fixing import FixedColumns
from optimizer.model.instance import Instance


@dataclass
class Block:
    """A family of variables with bounds and objective coefficients."""

    name: str
    lower: np.ndarray
    upper: np.ndarray
    cost: np.ndarray

    @property
    def size(self) -> int:
        return len(self.lower)


@dataclass
class Term:
    """Coefficients of one block in a row family: entry k is coef[k] · block[col[k]] in row row[k]."""

    block: str
    row: np.ndarray
    col: np.ndarray
    coef: np.ndarray


@dataclass
class Family:
    """A family of rows lower ≤ Σ terms ≤ upper; `frame` describes row i (used for duals)."""

    name: str
    frame: pd.DataFrame
    lower: np.ndarray
    upper: np.ndarray
    terms: list[Term]

    @property
    def size(self) -> int:
        return len(self.lower)


@dataclass
class Formulation:
    """Every block and family of one LP, plus the objective's constant."""

    instance: Instance
    blocks: dict[str, Block] = field(default_factory=dict)
    families: dict[str, Family] = field(default_factory=dict)
    extra_offers: pd.DataFrame = field(default_factory=pd.DataFrame)
    objective_constant: float = 0.0
    segment_index: dict[str, np.ndarray] = field(default_factory=dict)  # segment block → flat (q, t)

    def add_block(
        self, name: str, size: int, upper: np.ndarray | float = np.inf, cost: np.ndarray | float = 0.0
    ) -> None:
        self.blocks[name] = Block(
            name,
            np.zeros(size),
            np.broadcast_to(np.asarray(upper, float), (size,)).copy(),
            np.broadcast_to(np.asarray(cost, float), (size,)).copy(),
        )

    def add_family(self, name: str, frame: pd.DataFrame, terms: list[Term], lower=-np.inf, upper=np.inf) -> None:
        n = len(frame)
        self.families[name] = Family(
            name,
            frame.reset_index(drop=True),
            np.broadcast_to(np.asarray(lower, float), (n,)).copy(),
            np.broadcast_to(np.asarray(upper, float), (n,)).copy(),
            terms,
        )

    @property
    def nonzeros(self) -> int:
        return sum(len(t.coef) for f in self.families.values() for t in f.terms)

    @property
    def rows(self) -> dict[str, pd.DataFrame]:
        """What each row (and each extra-capacity column) means, per family: used to label duals."""
        rows = {name: family.frame for name, family in self.families.items()}
        rows["extra_capacity"] = self.extra_offers
        return rows

    def size(self) -> dict[str, int]:
        """Variables, constraints (rows with at least one entry) and nonzeros of the full LP."""
        constraints = sum(
            len(np.unique(np.concatenate([t.row for t in f.terms]))) if f.terms else 0 for f in self.families.values()
        )
        return {
            "variables": sum(block.size for block in self.blocks.values()),
            "constraints": constraints,
            "nonzeros": self.nonzeros,
        }


def formulate(
    inst: Instance,
    elastic_agreements: bool = False,
    region_limits: dict[str, float] | None = None,
    fixed: FixedColumns | None = None,
) -> Formulation:
    """The LP of `inst` (DESIGN.md "The model").

    `elastic_agreements` adds a shortfall to agreement minimums and minimises only that (the
    feasibility study of `optimizer.diagnostics`); `region_limits` caps each region's weighted
    breach-days (policy `no_region_worse_off`); `fixed` flow columns get lower = upper = their value
    (a proposal kept as given, everything else optimised). It raises nothing: an agreement minimum no flow can
    serve is an empty row (0 ≥ min), which the plan level refuses before solving.
    """
    f = Formulation(instance=inst)
    add_flow_variables(f)
    if fixed is not None:
        fix_flows(f, fixed)
    add_breach_segments(f)
    add_queue_balance(f)
    add_extra_capacity(f)
    add_theatre_days(f)
    add_bed_days(f)
    add_agreements(f, elastic=elastic_agreements)
    add_budgets(f)
    add_fairness(f)
    add_change_penalty(f)
    add_week_drift(f)
    if region_limits:
        add_no_region_worse_off(f, region_limits)
    if elastic_agreements:
        set_feasibility_objective(f)
    else:
        add_objective(f)
    return f


def add_flow_variables(f: Formulation) -> None:
    """y[f] ∈ [0, A_g(t)] per flow column (flow group, hospital, week).

    The cumulative treated S_q(t) is no variable of its own but the sum of its segments
    (`add_breach_segments`), whose widths add up to A_q(t): only patients who have arrived can be
    treated. y ≤ A_g(t) is implied (y ≤ Σ_k (S_q(t) − S_q(t−1)) ≤ A_g(t)), so it changes no optimum;
    stated as a bound it lets dual simplex, re-solving after columns are added with negative
    reduced costs, flip such a column to a bound (measured on the national instance: the second
    column-generation round went from over 12 minutes to 84 s). Column generation's master uses a
    still tighter bound that no feasible point reaches either (`optimizer.solvers.column_generation.flippable_upper`).
    """
    inst = f.instance
    flows = inst.flows
    f.add_block("y", len(flows), upper=inst.group_arrived[flows["group"].to_numpy(), flows["t"].to_numpy() - 1])


def fix_flows(f: Formulation, fixed: FixedColumns) -> None:
    """y[f] = value for each fixed flow column (lower and upper bound both the value)."""
    y = f.blocks["y"]
    y.lower[fixed.columns] = fixed.values
    y.upper[fixed.columns] = fixed.values


#: Segments of S_q(t) in the segment form, steepest first: (block, lower breakpoint, upper breakpoint).
SEGMENTS = (("S365", None, 365), ("S180", 365, 180), ("S90", 180, 90), ("Srest", 90, None))


def add_breach_segments(f: Formulation) -> None:
    """S_q(t) = S365 + S180 + S90 + Srest, segments between the breakpoints B³⁶⁵ ≤ B¹⁸⁰ ≤ B⁹⁰ ≤ A.

    The breach cost Σ_θ w_θ·max(0, B^θ_q(t) − S_q(t)) is convex and piecewise linear in S, with
    slope −(w365 + w180 + w90) below B³⁶⁵, −(w180 + w90) up to B¹⁸⁰, −w90 up to B⁹⁰ and 0 above.
    Giving each segment its slope as cost, a minimising LP fills the steepest segment first, so
    the objective equals the design's hinge form's (N^θ ≥ B^θ − S) exactly, with no breach rows at
    all: about a third of the rows of the hinge form (tests/reference_hinge.py builds that form and
    the tests compare optima). Only segments of positive width get a column.
    """
    inst = f.instance
    breakpoints = {365: inst.over[365], 180: inst.over[180], 90: inst.over[90], None: inst.arrived}
    f.segment_index = {}
    for name, low, high in SEGMENTS:
        lower = np.zeros_like(inst.arrived) if low is None else breakpoints[low]
        width = np.clip((inst.arrived if high is None else breakpoints[high]) - lower, 0.0, None).ravel()
        positions = np.nonzero(width > 1e-12)[0]
        f.segment_index[name] = positions  # flat (q, t) positions, as S[q, t] would be
        f.add_block(name, len(positions), upper=width[positions])


def s_position(inst: Instance, queue: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Position of S[q, t] (t 1-based) in block S (also: of group g's week t in group × week arrays)."""
    return queue * inst.horizon + (t - 1)


def shared_groups(inst: Instance) -> np.ndarray:
    """Mask of the flow groups with more than one queue (several priorities share the group's flows)."""
    return np.bincount(inst.queues["group"].to_numpy(), minlength=len(inst.groups)) > 1


def add_queue_balance(f: Formulation) -> None:
    """queue_balance[q, t]:  S_q(t) − S_q(t−1) − Σ_h y[g(q), h, t] = 0   (S_q(0) = 0) for a queue that is
    its flow group's only one; for the queues of a group with several priorities
    S_q(t) − S_q(t−1) ≥ 0, and group_balance[g, t]:  Σ_k (S_(g,k)(t) − S_(g,k)(t−1)) − Σ_h y[g, h, t] = 0.

    The group's flows are shared by its priorities in any split (DESIGN.md v2, "Flows are shared by
    priorities"); the ≥ 0 rows keep each priority's treated count non-decreasing (without them the
    LP could move a treatment from one priority to another after the fact). A group with one queue
    gives the first contract's LP exactly. S_q(t) is the sum of its segment variables (`segment_index`,
    so `add_breach_segments` comes first): each enters its own week's row with +1 and the next week's
    with −1.
    """
    inst = f.instance
    n_q, horizon = inst.arrived.shape
    rows = np.arange(n_q * horizon)
    q, t0 = np.divmod(rows, horizon)
    flows = inst.flows
    shared = shared_groups(inst)
    group_of_queue = inst.queues["group"].to_numpy()
    only_queue = np.full(len(inst.groups), -1)
    single = ~shared[group_of_queue]
    only_queue[group_of_queue[single]] = np.nonzero(single)[0]
    direct = ~shared[flows["group"].to_numpy()]
    flow_rows = s_position(inst, only_queue[flows["group"].to_numpy()[direct]], flows["t"].to_numpy()[direct])
    terms = [Term("y", flow_rows, np.nonzero(direct)[0], -np.ones(int(direct.sum())))]
    parts = f.segment_index  # S_q(t) is the sum of its segments (`add_breach_segments` comes first)
    for block, positions in parts.items():
        terms.extend(_difference_terms(block, positions, positions, horizon))
    upper = np.where(shared[group_of_queue[q]], np.inf, 0.0)
    f.add_family("queue_balance", pd.DataFrame({"queue": q, "t": t0 + 1}), terms, lower=0.0, upper=upper)
    if shared.any():
        _add_group_balance(f, shared, group_of_queue, parts)


def _difference_terms(block: str, positions: np.ndarray, row_of: np.ndarray, horizon: int) -> list[Term]:
    """S(t) − S(t−1) as terms: column k of `block` (flat position q·T + t − 1) enters row `row_of[k]` with
    +1 and, unless t is the last week, the next week's row (`row_of[k] + 1`) with −1."""
    cols = np.arange(len(positions))
    has_next = positions % horizon < horizon - 1
    return [
        Term(block, row_of, cols, np.ones(len(positions))),
        Term(block, row_of[has_next] + 1, cols[has_next], -np.ones(int(has_next.sum()))),
    ]


def _add_group_balance(f: Formulation, shared: np.ndarray, group_of_queue: np.ndarray, parts: dict) -> None:
    """group_balance[g, t] of every flow group with several priorities (see `add_queue_balance`)."""
    inst = f.instance
    horizon = inst.horizon
    groups = np.nonzero(shared)[0]
    position = np.full(len(inst.groups), -1)
    position[groups] = np.arange(len(groups))
    terms = []
    for block, positions in parts.items():
        queue = positions // horizon
        on_shared = np.nonzero(shared[group_of_queue[queue]])[0]
        row_of = position[group_of_queue[queue[on_shared]]] * horizon + positions[on_shared] % horizon
        for term in _difference_terms(block, positions[on_shared], row_of, horizon):
            terms.append(Term(block, term.row, on_shared[term.col], term.coef))
    flows = inst.flows
    on_shared = np.nonzero(shared[flows["group"].to_numpy()])[0]
    flow_rows = position[flows["group"].to_numpy()[on_shared]] * horizon + flows["t"].to_numpy()[on_shared] - 1
    terms.append(Term("y", flow_rows, on_shared, -np.ones(len(on_shared))))
    g, t = np.divmod(np.arange(len(groups) * horizon), horizon)
    frame = pd.DataFrame({"group": groups[g], "t": t + 1})
    f.add_family("group_balance", frame, terms, lower=0.0, upper=0.0)


def add_extra_capacity(f: Formulation) -> None:
    """x[o] ∈ [0, extra_days_o]: theatre days bought from offer o (`extra_capacity`, one per offer and week).

    Two offers at the same hospital, specialty and week are two columns with their own prices: the
    LP buys the cheaper first.
    """
    inst = f.instance
    offers = inst.extra_offers[inst.extra_offers["extra_days"] > 0].reset_index(drop=True)
    f.extra_offers = offers
    f.add_block("x", len(offers), upper=offers["extra_days"].to_numpy())


def add_theatre_days(f: Formulation) -> None:
    """theatre_days[h, s, t]:  Σ_{flows at h, specialty s, week t} y / rate − x[h, s, t] ≤ theatre_days[h, s, t]."""
    inst = f.instance
    theatre = inst.theatre.reset_index(names="theatre_row")
    keys = ["hospital_id", "specialty", "t"]
    used = inst.flows[keys + ["rate"]].reset_index(names="flow").merge(theatre[keys + ["theatre_row"]], on=keys)
    rows_used = np.unique(used["theatre_row"].to_numpy())
    position = pd.Series(np.arange(len(rows_used)), index=rows_used)
    terms = [
        Term("y", position[used["theatre_row"]].to_numpy(), used["flow"].to_numpy(), 1.0 / used["rate"].to_numpy())
    ]
    offers = theatre.merge(f.extra_offers[keys].reset_index(names="offer"), on=keys)
    offers = offers[offers["theatre_row"].isin(rows_used)]
    terms.append(
        Term("x", position[offers["theatre_row"]].to_numpy(), offers["offer"].to_numpy(), -np.ones(len(offers)))
    )
    frame = theatre.loc[rows_used].drop(columns="theatre_row")
    f.add_family("theatre_days", frame, terms, upper=frame["theatre_days"].to_numpy())


def add_bed_days(f: Formulation) -> None:
    """bed_days[h, t]:  Σ_{flows at h, week t} bed_days_per_case · y ≤ bed_days[h, t]."""
    inst = f.instance
    beds = inst.beds.reset_index(names="bed_row")
    inpatient = inst.flows[inst.flows["bed_days_per_case"] > 0]
    used = (
        inpatient[["hospital_id", "t", "bed_days_per_case"]]
        .reset_index(names="flow")
        .merge(beds, on=["hospital_id", "t"])
    )
    rows_used = np.unique(used["bed_row"].to_numpy())
    position = pd.Series(np.arange(len(rows_used)), index=rows_used)
    terms = [
        Term("y", position[used["bed_row"]].to_numpy(), used["flow"].to_numpy(), used["bed_days_per_case"].to_numpy())
    ]
    frame = beds.loc[rows_used].drop(columns="bed_row")
    f.add_family("bed_days", frame, terms, upper=frame["bed_days"].to_numpy())


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


def add_agreements(f: Formulation, elastic: bool = False) -> None:
    """agreements[k]:  min_cases_k ≤ Σ_{flows matching k} y ≤ max_cases_k over the horizon.

    With `elastic`, a shortfall u_k ≥ 0 joins the row so that minimums can always be met.
    """
    inst = f.instance
    agreements = inst.scenario.policy.agreements
    rows, cols = [], []
    for k, agreement in enumerate(agreements):
        flows = np.nonzero(agreement_flow_mask(inst, agreement))[0]
        rows.append(np.full(len(flows), k))
        cols.append(flows)
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=int)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=int)
    terms = [Term("y", row, col, np.ones(len(row)))]
    if elastic:
        f.add_block("agreement_shortfall", len(agreements))
        terms.append(
            Term(
                "agreement_shortfall", np.arange(len(agreements)), np.arange(len(agreements)), np.ones(len(agreements))
            )
        )
    frame = pd.DataFrame(
        [a.model_dump() for a in agreements],
        columns=["payer_region", "provider_hospital", "provider_region", "procedure_id", "min_cases", "max_cases"],
    )
    upper = [np.inf if a.max_cases is None else a.max_cases for a in agreements]
    f.add_family(
        "agreements",
        frame,
        terms,
        lower=np.array([a.min_cases for a in agreements], dtype=float),
        upper=np.array(upper, dtype=float),
    )


def add_budgets(f: Formulation) -> None:
    """budgets[r]:  Σ_{charged flows of payer region r} price · y ≤ budget_r (SEK over the horizon)."""
    inst = f.instance
    budgets = inst.scenario.policy.budgets_sek
    flows = inst.flows
    rows, cols, coefs = [], [], []
    for k, region in enumerate(budgets):
        paid = np.nonzero((flows["region_id"].to_numpy() == region) & flows["charged"].to_numpy())[0]
        rows.append(np.full(len(paid), k))
        cols.append(paid)
        coefs.append(flows["price_sek"].to_numpy()[paid])
    terms = [Term("y", np.concatenate(rows), np.concatenate(cols), np.concatenate(coefs))] if budgets else []
    frame = pd.DataFrame({"region_id": list(budgets), "budget_sek": list(budgets.values())})
    f.add_family("budgets", frame, terms, upper=frame["budget_sek"].to_numpy(dtype=float))


def fairness_members(inst: Instance, by: str) -> np.ndarray:
    """Per flow column, the procedure or (home) region a fairness entry `by` counts it for."""
    return inst.flows["procedure_id" if by == "procedure" else "region_id"].to_numpy()


def add_fairness(f: Formulation) -> None:
    """fairness[e, m]:  shortfall[e, m] + Σ_{flows of m} y ≥ target[e, m], shortfall ≥ 0, for each
    `policy.fairness` entry e and procedure (or region) m; the objective pays weight_e per patient
    short (`add_objective`). Targets are constants (`optimizer.model.instance.fairness_targets`)."""
    targets = f.instance.fairness
    if targets.empty:
        return
    f.add_block("fairness_shortfall", len(targets))
    rows, cols = [], []
    for k, target in enumerate(targets.itertuples()):
        flows = np.nonzero(fairness_members(f.instance, target.by) == target.member)[0]
        rows.append(np.full(len(flows), k))
        cols.append(flows)
    row, col = np.concatenate(rows), np.concatenate(cols)
    index = np.arange(len(targets))
    terms = [Term("y", row, col, np.ones(len(row))), Term("fairness_shortfall", index, index, np.ones(len(index)))]
    f.add_family("fairness", targets.reset_index(drop=True), terms, lower=targets["target"].to_numpy(dtype=float))


def add_change_penalty(f: Formulation) -> None:
    """kept_proposals[c]:  kept[c] − y[flow c] ≤ 0,  0 ≤ kept[c] ≤ P_c, for each cell c of a re-plan's
    previous proposals that is a flow column (`optimizer.model.anchor`); the objective pays
    change · (Σ P − Σ kept) (`add_objective`). Nothing is added outside a re-plan.

    kept is no flow column, so column generation keeps it in every master; a flow column left out
    is priced with its kept row's dual, so columns that keep a proposal are brought in.
    """
    anchor = f.instance.anchor
    if anchor is None or anchor.empty:
        return
    cells = anchor[anchor["flow"] >= 0].reset_index(drop=True)
    f.add_block("kept", len(cells), upper=cells["previous"].to_numpy(dtype=float))
    index = np.arange(len(cells))
    terms = [
        Term("kept", index, index, np.ones(len(cells))),
        Term("y", index, cells["flow"].to_numpy(), -np.ones(len(cells))),
    ]
    f.add_family("kept_proposals", cells, terms, upper=0.0)


def add_week_drift(f: Formulation) -> None:
    """week_drift[g, t]:  Σ_{q of g} S_q(t) − ahead[g, t] + behind[g, t] = C_g(t),  ahead, behind ≥ 0, for each
    flow group g with previous proposals in a re-plan and each week t (`optimizer.model.anchor`); the
    objective pays change per patient behind, and per patient ahead while C_g(t) < P_g (`add_objective`).

    S_q(t) is the sum of its segments (`add_breach_segments` comes first), so the rows hold no flow
    column: column generation keeps them, with ahead and behind, in every master.
    """
    inst = f.instance
    schedule = inst.schedule
    if schedule is None:
        return
    inside = np.nonzero(schedule.group >= 0)[0]
    if len(inside) == 0:
        return
    horizon = inst.horizon
    anchored = np.full(len(inst.groups), -1)
    anchored[schedule.group[inside]] = np.arange(len(inside))
    group_of_queue = inst.queues["group"].to_numpy()
    terms = []
    for block, positions in f.segment_index.items():
        k = anchored[group_of_queue[positions // horizon]]
        on = np.nonzero(k >= 0)[0]
        terms.append(Term(block, k[on] * horizon + positions[on] % horizon, on, np.ones(len(on))))
    n = len(inside) * horizon
    f.add_block("ahead", n)
    f.add_block("behind", n)
    index = np.arange(n)
    terms += [Term("ahead", index, index, -np.ones(n)), Term("behind", index, index, np.ones(n))]
    k, t = np.divmod(index, horizon)
    frame = pd.DataFrame({"group": schedule.group[inside][k], "t": t + 1})
    target = schedule.cumulative[inside].ravel()
    f.add_family("week_drift", frame, terms, lower=target, upper=target)


def week_drift_constant(inst: Instance) -> float:
    """C_g(t) summed over the groups the new instance does not have: behind in every week whatever the plan."""
    if inst.schedule is None:
        return 0.0
    return float(inst.schedule.cumulative[inst.schedule.group < 0].sum())


def booking_constant(inst: Instance) -> float:
    """What the booked patients cost, a constant: 7·Σ_t (w_wait·waiting + Σ_θ w_θ·over tier θ) while they wait."""
    if inst.bookings is None or inst.bookings.empty:
        return 0.0
    w = term_weights(inst.scenario.weights)
    counts = booking_counts(inst.bookings, inst.horizon)
    total = w["waiting_days"] * counts["waiting"].sum()
    total += sum(weight * counts[f"over_{theta}"].sum() for theta, weight in breach_weights(inst).items())
    return 7.0 * float(total)


def breach_weights(inst: Instance) -> dict[int, float]:
    """Objective units per breach-day over each threshold (`models.objective`)."""
    w = term_weights(inst.scenario.weights)
    return {theta: w[f"breach_days_{theta}"] for theta in THRESHOLDS}


def add_no_region_worse_off(f: Formulation, limits: dict[str, float]) -> None:
    """no_region_worse_off[r]:  7·Σ_{q of r, t}(w90·N⁹⁰ + w180·N¹⁸⁰ + w365·N³⁶⁵) ≤ standalone value of r.

    In segment form r's weighted breach-days are its untreated constant (`breach_constant`) plus
    Σ segment slope × segment over r's queues, so the row is Σ slope × segment ≤ limit − constant.
    """
    inst = f.instance
    regions = list(limits)
    position = {r: k for k, r in enumerate(regions)}
    queue_region = inst.queues["region_id"].to_numpy()
    terms = []
    slopes = segment_breach_slopes(inst)
    for name, positions in f.segment_index.items():
        region_of = queue_region[positions // inst.horizon]
        keep = np.nonzero(np.isin(region_of, regions) & (slopes[name] != 0))[0]
        rows = np.array([position[r] for r in region_of[keep]], dtype=int)
        terms.append(Term(name, rows, keep, np.full(len(rows), slopes[name])))
    constants = [breach_constant(inst, np.nonzero(queue_region == r)[0]) for r in regions]
    frame = pd.DataFrame({"region_id": regions, "limit": [limits[r] for r in regions]})
    f.add_family("no_region_worse_off", frame, terms, upper=frame["limit"].to_numpy(dtype=float) - np.array(constants))


def segment_breach_slopes(inst: Instance) -> dict[str, float]:
    """Breach-days cost per patient treated in each segment: 7 × minus the weights still exceeded."""
    w = breach_weights(inst)
    return {
        "S365": -7.0 * (w[365] + w[180] + w[90]),
        "S180": -7.0 * (w[180] + w[90]),
        "S90": -7.0 * w[90],
        "Srest": 0.0,
    }


def breach_constant(inst: Instance, queues: np.ndarray) -> float:
    """Weighted breach-days of `queues` if nobody were treated: 7·Σ_t Σ_θ w_θ·B^θ_q(t)."""
    return 7.0 * sum(weight * float(inst.over[theta][queues].sum()) for theta, weight in breach_weights(inst).items())


def flow_objective_coefficients(inst: Instance) -> np.ndarray:
    """Objective coefficient of each flow column: price (cost weight, per kSEK) + travel (per km)."""
    w = term_weights(inst.scenario.weights)
    flows = inst.flows
    price = np.where(flows["charged"].to_numpy(), flows["price_sek"].to_numpy(), 0.0)
    return w["cost_sek"] * price + w["patient_km"] * flows["travel_km"].to_numpy()


def add_objective(f: Formulation) -> None:
    """Minimise breach-days, waiting, cost and travel (DESIGN.md objective; weights from `models.objective`).

    7·Σ_{q,t}(w90·N⁹⁰ + w180·N¹⁸⁰ + w365·N³⁶⁵ + w_wait·(A − S)) + w_cost·(price·y + extra cost)/1000
    + w_travel·Σ km·y + change·(Σ P − Σ kept). In segment form each segment costs its breach slope
    − 7·w_wait per patient treated; `objective_constant` is what nobody treated would cost,
    7·w_wait·ΣA plus the weighted breach-days of every B^θ (`breach_constant`), what the booked
    patients cost (`booking_constant`) and change · Σ P, part of the reported value.
    """
    inst = f.instance
    w = term_weights(inst.scenario.weights)
    f.blocks["y"].cost[:] = flow_objective_coefficients(inst)
    if "fairness_shortfall" in f.blocks:
        f.blocks["fairness_shortfall"].cost[:] = w["fairness_penalty"] * inst.fairness["weight"].to_numpy(dtype=float)
    f.blocks["x"].cost[:] = w["cost_sek"] * f.extra_offers["extra_cost_per_day"].to_numpy()
    slopes = segment_breach_slopes(inst)
    for name in f.segment_index:
        f.blocks[name].cost[:] = slopes[name] - 7.0 * w["waiting_days"]
    f.objective_constant = 7.0 * w["waiting_days"] * float(inst.arrived.sum())
    f.objective_constant += breach_constant(inst, inst.queues.index.to_numpy())
    f.objective_constant += booking_constant(inst)
    if inst.anchor is not None and not inst.anchor.empty:  # change · (Σ P − Σ kept)
        f.objective_constant += w["changed_proposals"] * float(inst.anchor["previous"].sum())
        if "kept" in f.blocks:
            f.blocks["kept"].cost[:] = -w["changed_proposals"]
    if inst.schedule is not None:  # change · Σ |S − C|
        f.objective_constant += w["week_drift"] * week_drift_constant(inst)
        if "ahead" in f.blocks:  # ahead counts only while previous proposals remain (C_g(t) < P_g)
            counts = inst.schedule.ahead_counts[inst.schedule.group >= 0].ravel()
            f.blocks["ahead"].cost[:] = w["week_drift"] * counts
            f.blocks["behind"].cost[:] = w["week_drift"]


def set_feasibility_objective(f: Formulation) -> None:
    """The feasibility study minimises the total agreement shortfall and nothing else."""
    for block in f.blocks.values():
        block.cost[:] = 0.0
    f.blocks["agreement_shortfall"].cost[:] = 1.0
    f.objective_constant = 0.0
