"""Explaining an infeasible scenario by the constraints in conflict, never a bare solver status.

Without agreements the LP is always feasible (treating nobody satisfies every row), so infeasibility
comes from agreement minimums. The explanation solves an elastic copy of the model: each agreement
minimum gets a shortfall variable, and the study minimises total shortfall. Agreements left short
are the ones that cannot be honoured; the capacity, bed, budget and agreement-maximum rows with a
non-zero dual in that study are the constraints that stop them.
"""

from __future__ import annotations

import logging

from models.scenario import Agreement
from optimizer.build import build_model
from optimizer.formulation import agreement_flow_mask
from optimizer.instance import Instance

log = logging.getLogger(__name__)

#: At most this many limiting rows are named per family.
MAX_LIMITING_ROWS = 8


def describe_agreement(k: int, agreement: Agreement) -> str:
    provider = agreement.provider_hospital or f"region {agreement.provider_region}"
    what = f" for {agreement.procedure_id}" if agreement.procedure_id else ""
    bounds = f"min {agreement.min_cases:g}" + (
        f", max {agreement.max_cases:g}" if agreement.max_cases is not None else ""
    )
    return f"agreement {k + 1} ({agreement.payer_region} → {provider}{what}, {bounds} cases)"


def explain_infeasibility(inst: Instance):
    """Return an `InfeasibleScenarioError` naming the conflicting constraints of `inst`."""
    from optimizer.solution import InfeasibleScenarioError, SolveError
    from optimizer.solve import solve_model

    agreements = inst.scenario.policy.agreements
    conflicts = []
    for k, agreement in enumerate(agreements):
        if agreement.min_cases > 0 and not agreement_flow_mask(inst, agreement).any():
            conflicts.append(
                f"{describe_agreement(k, agreement)}: no patient of {agreement.payer_region} can be treated there "
                "(no capability, price-list row, capacity, or patients accepting travel within the travel limit)"
            )
    if conflicts:
        return InfeasibleScenarioError("The scenario is infeasible: agreements that cannot be served at all", conflicts)
    if not agreements:
        return InfeasibleScenarioError("The scenario is infeasible, and no agreement explains it", [])
    study = build_model(inst, elastic_agreements=True)
    try:
        solution = solve_model(study, inst.scenario.solve)
    except SolveError as exc:
        return InfeasibleScenarioError(f"The scenario is infeasible; the feasibility study failed too: {exc}", [])
    shortfall = solution.values["agreement_shortfall"]
    for k, agreement in enumerate(agreements):
        if shortfall[k] > 1e-6:
            reached = agreement.min_cases - shortfall[k]
            conflicts.append(
                f"{describe_agreement(k, agreement)}: at most {reached:.1f} cases can be delivered, "
                f"{shortfall[k]:.1f} short of the minimum"
            )
    conflicts.extend(_limiting_rows(study, solution))
    return InfeasibleScenarioError("The scenario is infeasible: these constraints are in conflict", conflicts)


def _limiting_rows(study, solution) -> list[str]:
    """Rows whose dual is non-zero in the shortfall study: the resources that run out."""
    named = []
    rows = study.rows
    theatre = rows["theatre_days"].assign(dual=solution.duals["theatre_days"])
    for r in theatre[theatre["dual"].abs() > 1e-9].head(MAX_LIMITING_ROWS).itertuples():
        named.append(
            f"theatre days at {r.hospital_id}/{r.specialty} in week {study.instance.weeks[r.t - 1]} "
            f"({r.theatre_days:g} available)"
        )
    beds = rows["bed_days"].assign(dual=solution.duals["bed_days"])
    for r in beds[beds["dual"].abs() > 1e-9].head(MAX_LIMITING_ROWS).itertuples():
        named.append(f"bed-days at {r.hospital_id} in week {study.instance.weeks[r.t - 1]} ({r.bed_days:g} available)")
    budgets = rows["budgets"].assign(dual=solution.duals["budgets"])
    for r in budgets[budgets["dual"].abs() > 1e-9].itertuples():
        named.append(f"budget of {r.region_id} ({r.budget_sek:,.0f} SEK)")
    agreement_duals = solution.duals["agreements"]
    for k, agreement in enumerate(study.instance.scenario.policy.agreements):
        if agreement_duals[k] > 1e-9 and agreement.max_cases is not None:
            named.append(f"maximum of {describe_agreement(k, agreement)}")
    if not named:
        named.append(
            "the patients available: the payer region has fewer waiting patients who accept travel "
            "(within the travel limit) than the agreements require"
        )
    return named
