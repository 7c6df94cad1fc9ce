"""Patient-level proposals: which waiting patient to offer which hospital in which week.

Proposals come from the whole-patient plan replayed by the independent evaluator: within each queue
the oldest waiting patients are offered the plan's hospitals and weeks first. Only status `waiting`
is ever proposed (never MoV/PvV), and a patient is offered a hospital outside the home region only
if the patient accepts travel (class `mobile`): local queues have no arcs out of their region.
"""

from __future__ import annotations

import pandas as pd

from optimizer.evaluation import evaluate_flows
from optimizer.model.instance import Instance


def patient_proposals(inst: Instance, allocations: pd.DataFrame) -> pd.DataFrame:
    """Which waiting patient (pseudonymous id) to offer which hospital in which week, oldest first.

    `allocations` are whole-patient flows of `inst` (allocations.csv format). Columns:
    patient_id, region_id, procedure_id, class, decision_date, hospital_id, provider_region, week,
    days_waited_at_week_end, outside_home_region.
    """
    evaluation = evaluate_flows(inst.dataset, inst.scenario, allocations, base=inst.base)
    table = evaluation.assignments.copy()
    provider = inst.dataset.hospitals.set_index("hospital_id")["region_id"]
    table["provider_region"] = table["hospital_id"].map(provider)
    table["outside_home_region"] = table["provider_region"] != table["region_id"]
    table["decision_date"] = pd.to_datetime(table["decision_date"]).dt.strftime("%Y-%m-%d")
    return table.sort_values(["week", "region_id", "procedure_id", "decision_date"]).reset_index(drop=True)
