"""The evaluator's fairness term: each procedure's (or region's) target of patients treated, re-derived.

Part of the independent evaluator (`optimizer.evaluation`): it uses only `models`. DESIGN.md v2,
"Fairness": need of a queue = its patients arrived by the horizon's end / the procedure's default
rate, for queues with at least one eligible arc; ρ_s = min(1, theatre days of specialty s in the
horizon (before scenario changes and utilisation) / need of s), ρ the same over all specialties;
target = share · ρ_s · patients of a procedure (`by: procedure`) or share · ρ · patients of a home
region (`by: region`); the penalty is Σ weight · max(0, target − treated).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.scenario import Scenario
from optimizer.evaluation.flows import GROUP_KEYS, with_arcs


def fairness_shortfalls(
    dataset: Dataset,
    base: Dataset,
    scenario: Scenario,
    queue_patients: pd.DataFrame,
    flows: pd.DataFrame,
    labels: list[str],
) -> pd.DataFrame:
    """Per fairness entry and member: target, treated, shortfall, weight.

    `queue_patients`: GROUP_KEYS, priority, patients (arrived by the end of the horizon).
    `flows`: the evaluated flows (region_id, procedure_id, patients).
    """
    columns = ["entry", "by", "member", "target", "treated", "shortfall", "weight"]
    if not scenario.policy.fairness:
        return pd.DataFrame(columns=columns)
    groups = queue_patients[GROUP_KEYS].drop_duplicates()
    candidates = groups.merge(dataset.capabilities[["hospital_id", "procedure_id"]], on="procedure_id")
    candidates = candidates.assign(t=len(labels), patients=1.0)  # the last week: past any lead time
    eligible = with_arcs(dataset, scenario, candidates)
    eligible = eligible.loc[eligible["ineligible"] == "", GROUP_KEYS].drop_duplicates()
    counted = queue_patients.merge(eligible, on=GROUP_KEYS)
    procedures = dataset.procedures.set_index("procedure_id")
    counted = counted.assign(
        specialty=counted["procedure_id"].map(procedures["specialty"]),
        need=counted["patients"] / counted["procedure_id"].map(procedures["cases_per_theatre_day"]),
    )
    capacity = base.capacity[base.capacity["week"].isin(set(labels))]
    days = capacity.groupby("specialty")["theatre_days"].sum()
    need = counted.groupby("specialty")["need"].sum()
    coverage = {s: (min(1.0, float(days.get(s, 0.0)) / n) if n > 0 else 1.0) for s, n in need.items()}
    total = float(need.sum())
    overall = min(1.0, float(days.sum()) / total) if total > 0 else 1.0
    rows = []
    for k, rule in enumerate(scenario.policy.fairness):
        column = "procedure_id" if rule.by == "procedure" else "region_id"
        per = counted.groupby(column).agg(patients=("patients", "sum"), specialty=("specialty", "first"))
        rho = per["specialty"].map(coverage) if rule.by == "procedure" else pd.Series(overall, index=per.index)
        treated = flows.groupby(column)["patients"].sum().reindex(per.index).fillna(0.0)
        target = rule.share * rho * per["patients"]
        rows.append(
            pd.DataFrame(
                {
                    "entry": k,
                    "by": rule.by,
                    "member": per.index,
                    "target": target.to_numpy(dtype=float),
                    "treated": treated.to_numpy(dtype=float),
                    "shortfall": np.maximum(target.to_numpy(dtype=float) - treated.to_numpy(dtype=float), 0.0),
                    "weight": rule.weight,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)[columns]
