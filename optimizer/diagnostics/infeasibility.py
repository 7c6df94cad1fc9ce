"""Explaining an infeasible scenario by the constraints in conflict, never a bare solver status.

Without agreements the LP is always feasible (treating nobody satisfies every row), so infeasibility
comes from agreement minimums. The explanation solves an elastic copy of the LP on the same arrays
every back end shares (`optimizer.model.matrix`, in highspy, no Pyomo): each agreement minimum gets
a shortfall variable, and the study minimises total shortfall. Agreements left short are the ones
that cannot be honoured; the capacity, bed, budget and agreement-maximum rows with a non-zero dual
in that study are the constraints that stop them. `optimizer.planning` calls it once, whichever back
end found the LP infeasible.
"""

from __future__ import annotations

import highspy
import numpy as np

from models.scenario import Agreement
from optimizer.errors import InfeasibleScenarioError
from optimizer.model.formulation import Formulation, agreement_flow_mask, formulate
from optimizer.model.instance import Instance
from optimizer.model.matrix import LpMatrix
from optimizer.solvers.highs import highs_lp, new_highs

#: At most this many limiting rows are named per family.
MAX_LIMITING_ROWS = 8
#: A shortfall or dual smaller than this is zero.
_TOLERANCE = 1e-6


def describe_agreement(k: int, agreement: Agreement) -> str:
    """How an agreement is named in an explanation: its number, payer, provider, procedure and volumes."""
    provider = agreement.provider_hospital or f"region {agreement.provider_region}"
    what = f" for {agreement.procedure_id}" if agreement.procedure_id else ""
    bounds = f"min {agreement.min_cases:g}" + (
        f", max {agreement.max_cases:g}" if agreement.max_cases is not None else ""
    )
    return f"agreement {k + 1} ({agreement.payer_region} → {provider}{what}, {bounds} cases)"


def unreachable_agreements(inst: Instance) -> list[int]:
    """Agreements with a minimum that no flow of the instance could serve (infeasible before any solve)."""
    return [
        k
        for k, agreement in enumerate(inst.scenario.policy.agreements)
        if agreement.min_cases > 0 and not agreement_flow_mask(inst, agreement).any()
    ]


def explain_infeasibility(inst: Instance) -> InfeasibleScenarioError:
    """An `InfeasibleScenarioError` naming the conflicting constraints of `inst` (returned, to be raised)."""
    agreements = inst.scenario.policy.agreements
    unreachable = unreachable_agreements(inst)
    if unreachable:
        conflicts = [
            f"{describe_agreement(k, agreements[k])}: no patient of {agreements[k].payer_region} can be treated "
            "there (no capability, price-list row, capacity, or patients accepting travel within the travel limit)"
            for k in unreachable
        ]
        return InfeasibleScenarioError("The scenario is infeasible: agreements that cannot be served at all", conflicts)
    if not agreements:
        return InfeasibleScenarioError("The scenario is infeasible, and no agreement explains it", [])
    study = formulate(inst, elastic_agreements=True)
    solved = _solve_study(study)
    if solved is None:
        return InfeasibleScenarioError("The scenario is infeasible; the feasibility study failed too", [])
    shortfall, duals = solved
    conflicts = []
    for k, agreement in enumerate(agreements):
        if shortfall[k] > _TOLERANCE:
            reached = agreement.min_cases - shortfall[k]
            conflicts.append(
                f"{describe_agreement(k, agreement)}: at most {reached:.1f} cases can be delivered, "
                f"{shortfall[k]:.1f} short of the minimum"
            )
    conflicts.extend(_limiting_rows(study, duals))
    return InfeasibleScenarioError("The scenario is infeasible: these constraints are in conflict", conflicts)


def _solve_study(study: Formulation) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """Agreement shortfalls and row duals per family of the elastic study, or None if HiGHS finds no optimum."""
    matrix = LpMatrix.from_formulation(study)
    highs = new_highs(study.instance.scenario.solve)
    if (
        highs.passModel(highs_lp(matrix, np.arange(matrix.n_cols), np.arange(matrix.n_rows)))
        == highspy.HighsStatus.kError
    ):
        return None
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = highs.getSolution()
    values, row_dual = np.asarray(solution.col_value), np.asarray(solution.row_dual)
    start = matrix.col_offset["agreement_shortfall"]
    shortfall = values[start : start + study.blocks["agreement_shortfall"].size]
    duals = {
        name: row_dual[matrix.row_offset[name] : matrix.row_offset[name] + family.size]
        for name, family in study.families.items()
    }
    return shortfall, duals


def _limiting_rows(study: Formulation, duals: dict[str, np.ndarray]) -> list[str]:
    """Rows whose dual is non-zero in the shortfall study: the resources that run out."""
    named = []
    rows, weeks = study.rows, study.instance.weeks
    theatre = rows["theatre_days"].assign(dual=duals["theatre_days"])
    for r in theatre[theatre["dual"].abs() > 1e-9].head(MAX_LIMITING_ROWS).itertuples():
        named.append(
            f"theatre days at {r.hospital_id}/{r.specialty} in week {weeks[r.t - 1]} ({r.theatre_days:g} available)"
        )
    beds = rows["bed_days"].assign(dual=duals["bed_days"])
    for r in beds[beds["dual"].abs() > 1e-9].head(MAX_LIMITING_ROWS).itertuples():
        named.append(f"bed-days at {r.hospital_id} in week {weeks[r.t - 1]} ({r.bed_days:g} available)")
    budgets = rows["budgets"].assign(dual=duals["budgets"])
    for r in budgets[budgets["dual"].abs() > 1e-9].itertuples():
        named.append(f"budget of {r.region_id} ({r.budget_sek:,.0f} SEK)")
    for k, agreement in enumerate(study.instance.scenario.policy.agreements):
        # HiGHS's dual is ∂objective/∂rhs: a binding maximum (≤) has a negative one, a binding minimum
        # (≥, which the shortfall lines above already name) a positive one
        if duals["agreements"][k] < -1e-9 and agreement.max_cases is not None:
            named.append(f"maximum of {describe_agreement(k, agreement)}")
    if not named:
        named.append(
            "the patients available: the payer region has fewer waiting patients who accept travel "
            "(within the travel limit) than the agreements require"
        )
    return named
