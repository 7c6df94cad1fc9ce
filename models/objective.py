"""The objective of DESIGN.md as one function of a plan's unweighted terms.

The LP's coefficients (`optimizer.model.formulation`), the result tables, the independent evaluator
and the report all weigh a plan's terms here, so a weight means the same thing everywhere:

    objective = w90·breach_days_90 + w180·breach_days_180 + w365·breach_days_365
                + w_wait·waiting_days + w_cost·cost_sek/1000 + w_travel·patient_km + fairness_penalty
                + w_change·(changed_proposals + week_drift)

with breach- and waiting-days counted as 7 × patients over the threshold (or waiting) at each week's
end, `cost_sek` the price-list payments plus purchased extra theatre days, and `fairness_penalty`
Σ over `policy.fairness` entries of weight × patients short of each target (already weighted), and
`changed_proposals` (a re-plan only) the previous plan's proposals not kept: Σ over (flow group,
hospital, week) of max(0, previous proposals − patients planned there), and `week_drift` the
patients on the other side of a week's end than in the previous plan: Σ over (flow group, week) of
|treated up to the week − previous proposals up to the week| (`optimizer.model.anchor`).
"""

from __future__ import annotations

from collections.abc import Mapping

from models.scenario import Weights

#: The objective's terms, in the order reports list them.
OBJECTIVE_TERMS = (
    "breach_days_90",
    "breach_days_180",
    "breach_days_365",
    "waiting_days",
    "cost_sek",
    "patient_km",
    "fairness_penalty",
    "changed_proposals",
    "week_drift",
)


def term_weights(weights: Weights) -> dict[str, float]:
    """Objective units per unit of each term (per breach-day, per waiting-day, per SEK, per km)."""
    return {
        "breach_days_90": weights.over_90,
        "breach_days_180": weights.over_180,
        "breach_days_365": weights.over_365,
        "waiting_days": weights.waiting,
        "cost_sek": weights.cost_per_ksek / 1000.0,
        "patient_km": weights.travel_per_km,
        "fairness_penalty": 1.0,  # weighted per entry already (policy.fairness)
        "changed_proposals": weights.change,
        "week_drift": weights.change,
    }


def objective_contributions(terms: Mapping[str, float], weights: Weights) -> dict[str, float]:
    """Each term's contribution to the objective: its weight × its value."""
    return {name: weight * float(terms.get(name, 0.0)) for name, weight in term_weights(weights).items()}


def objective_value(terms: Mapping[str, float], weights: Weights) -> float:
    """The weighted objective of a plan from its unweighted terms (constant part included)."""
    return sum(objective_contributions(terms, weights).values())
