"""The planning group's production plan ("väntande, salsdagar och vårddygn"): per procedure and per
specialty × hospital × week, computed from a flow vector like every other table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.rules import THRESHOLDS
from optimizer.model.instance import Instance


def wait_at_treatment(inst: Instance, S: np.ndarray) -> pd.DataFrame:
    """Patients treated per cohort and week with the days they had waited by that week's end.

    Within a queue patients are treated oldest first, so week t's treatments (S_q(t) − S_q(t−1)) cover
    the cohorts between those cumulative counts. Columns: queue, days, patients.
    """
    cohorts = inst.cohorts.sort_values(["queue", "offset_days"], kind="stable")
    queue = cohorts["queue"].to_numpy()
    count = cohorts["count"].to_numpy(dtype=float)
    cum = np.cumsum(count)
    first = np.searchsorted(queue, queue)  # first cohort of each cohort's queue
    upto = cum - (cum[first] - count[first])  # cumulative count within the queue, this cohort included
    since = upto - count
    before = np.concatenate([np.zeros((S.shape[0], 1)), S[:, :-1]], axis=1)
    take = np.clip(np.minimum(upto[:, None], S[queue]) - np.maximum(since[:, None], before[queue]), 0.0, None)
    rows, weeks = np.nonzero(take > 1e-9)
    days = 7 * (weeks + 1) - cohorts["offset_days"].to_numpy()[rows]
    return pd.DataFrame({"queue": queue[rows], "days": days, "patients": take[rows, weeks]})


def weighted_median(frame: pd.DataFrame, by: str, value: str, weight: str) -> pd.Series:
    """The weighted median of `value` per `by`: the smallest value with half the weight at or below it."""
    frame = frame.sort_values([by, value], kind="stable")
    cum = frame.groupby(by)[weight].cumsum()
    half = frame.groupby(by)[weight].transform("sum") / 2
    return frame[cum >= half - 1e-12].groupby(by)[value].first()


def procedure_totals(inst: Instance, y: np.ndarray, S: np.ndarray) -> pd.DataFrame:
    """procedure_totals.csv: per procedure, its patients (arrived by the end), treated, weighted
    breach-days (tier weights), breach-days per patient, over 90 days and waiting at the end, and
    the median days waited at treatment."""
    queues = inst.queues
    w = inst.scenario.weights
    weight_of = {90: w.over_90, 180: w.over_180, 365: w.over_365}
    per_queue = pd.DataFrame(
        {
            "procedure_id": queues["procedure_id"].to_numpy(),
            "specialty": queues["specialty"].to_numpy(),
            "patients": inst.arrived[:, -1],
            "weighted_breach_days": sum(
                weight_of[theta] * 7.0 * np.maximum(inst.over[theta] - S, 0.0).sum(axis=1) for theta in THRESHOLDS
            ),
            "over_90_end": np.maximum(inst.over_days[90] - S, 0.0)[:, -1],
            "waiting_end": (inst.arrived - S)[:, -1],
        }
    )
    table = per_queue.groupby(["procedure_id", "specialty"], as_index=False).sum()
    treated = pd.Series(y).groupby(inst.flows["procedure_id"].to_numpy()).sum()
    table.insert(3, "treated", table["procedure_id"].map(treated).fillna(0.0).to_numpy())
    table["breach_days_per_patient"] = np.divide(
        table["weighted_breach_days"], table["patients"], out=np.zeros(len(table)), where=table["patients"] > 0
    )
    waits = wait_at_treatment(inst, S)
    waits["procedure_id"] = queues["procedure_id"].to_numpy()[waits["queue"].to_numpy()]
    median = weighted_median(waits, "procedure_id", "days", "patients")
    table["median_wait_at_treatment_days"] = table["procedure_id"].map(median).astype(float)
    columns = [
        "procedure_id",
        "specialty",
        "patients",
        "treated",
        "weighted_breach_days",
        "breach_days_per_patient",
        "over_90_end",
        "waiting_end",
        "median_wait_at_treatment_days",
    ]
    return table[columns].sort_values(["specialty", "procedure_id"]).reset_index(drop=True)


def specialty_plan(inst: Instance, y: np.ndarray, S: np.ndarray, theatre: pd.DataFrame) -> pd.DataFrame:
    """specialty_plan.csv: per specialty × hospital × week, patients waiting at the week's end (listed
    there), theatre days available (planned share + extra days bought) and used, bed-days used."""
    keys = ["specialty", "hospital_id", "t"]
    queues = inst.queues
    waiting = pd.DataFrame(inst.arrived - S, columns=range(1, inst.horizon + 1))
    waiting = waiting.assign(
        specialty=queues["specialty"].to_numpy(), hospital_id=queues["listed_hospital_id"].to_numpy()
    )
    waiting = waiting.groupby(["specialty", "hospital_id"]).sum().stack().rename("patients_waiting").reset_index()
    waiting = waiting.rename(columns={"level_2": "t"})
    cells = theatre.assign(available_theatre_days=theatre["theatre_days"] + theatre["extra_days_used"])
    cells = cells.rename(columns={"used_days": "used_theatre_days"})[
        keys + ["available_theatre_days", "used_theatre_days"]
    ]
    flows = inst.flows
    beds = (
        flows[keys]
        .assign(used_bed_days=y * flows["bed_days_per_case"].to_numpy())
        .groupby(keys, as_index=False)["used_bed_days"]
        .sum()
    )
    table = cells.merge(waiting, on=keys, how="outer").merge(beds, on=keys, how="left")
    table = table.fillna(
        {"available_theatre_days": 0.0, "used_theatre_days": 0.0, "patients_waiting": 0.0, "used_bed_days": 0.0}
    )
    table["t"] = table["t"].astype(int)
    table["week"] = np.asarray(inst.weeks, dtype=object)[table["t"].to_numpy() - 1]
    columns = [
        "specialty",
        "hospital_id",
        "week",
        "patients_waiting",
        "available_theatre_days",
        "used_theatre_days",
        "used_bed_days",
    ]
    return table.sort_values(keys)[columns].reset_index(drop=True)
