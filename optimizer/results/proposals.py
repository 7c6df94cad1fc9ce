"""Patient-level proposals: which waiting patient to offer which hospital in which week.

Proposals come from the whole-patient plan replayed by the independent evaluator: within each queue
the oldest waiting patients are offered the plan's hospitals and weeks first. Only status `waiting`
is ever proposed (never MoV/PvV), and a patient is offered a hospital outside the home region only
if the patient accepts travel (class `mobile`): local queues have no arcs out of their region.
Booked patients are listed too (`booked` true), at their booked hospital and week: they are fixed.

In a re-plan the plan fixes, per flow group and week, how many patients each hospital treats, and
first in, first out fixes which patients are treated that week; which of them goes to which
hospital is free. So the patients whose previous proposal was one of this week's hospitals get it
first (those whose previous week was this week before the others), and the rest fill the
remaining places in the evaluator's order (`keep_previous_hospitals`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.weeks import parse_iso_week
from optimizer.evaluation import evaluate_flows
from optimizer.model.instance import GROUP_KEYS, Instance

#: A patient-level proposal's identity: a patient may wait for several procedures.
PATIENT_KEYS = ["patient_id", "procedure_id"]


def patient_proposals(inst: Instance, allocations: pd.DataFrame) -> pd.DataFrame:
    """Which waiting patient (pseudonymous id) to offer which hospital in which week, oldest first.

    `allocations` are whole-patient flows of `inst` (allocations.csv format). Columns:
    patient_id, region_id, listed_hospital_id, procedure_id, class, priority, decision_date,
    hospital_id, provider_region, week, days_waited_at_week_end, outside_home_region, booked.
    """
    evaluation = evaluate_flows(inst.dataset, inst.scenario, allocations, base=inst.base)
    table = keep_previous_hospitals(evaluation.assignments.copy(), inst.previous).assign(booked=False)
    table = pd.concat([table, _booked_rows(inst)], ignore_index=True) if _has_bookings(inst) else table
    provider = inst.dataset.hospitals.set_index("hospital_id")["region_id"]
    table["provider_region"] = table["hospital_id"].map(provider)
    table["outside_home_region"] = table["provider_region"] != table["region_id"]
    table["decision_date"] = pd.to_datetime(table["decision_date"]).dt.strftime("%Y-%m-%d")
    table = table[[c for c in table.columns if c != "booked"] + ["booked"]]
    return table.sort_values(["week", "region_id", "procedure_id", "decision_date"]).reset_index(drop=True)


def keep_previous_hospitals(assignments: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """`assignments` with each (flow group, week)'s hospitals handed out previous hospital first.

    The places per (group, week, hospital) stay as they are; a patient keeps their previous
    hospital where that hospital has a place left in the patient's week (previous week = this week
    first, then oldest first); the others take the places left, in their order.
    """
    if previous is None or previous.empty or assignments.empty:
        return assignments
    slot_keys = [*GROUP_KEYS, "week"]
    table = assignments.reset_index(drop=True).assign(order=lambda frame: np.arange(len(frame)))
    before = previous.drop_duplicates(PATIENT_KEYS).set_index(PATIENT_KEYS)
    index = pd.MultiIndex.from_frame(table[PATIENT_KEYS])
    table["previous_hospital"] = before["hospital_id"].reindex(index).to_numpy()
    table["same_week"] = before["week"].reindex(index).to_numpy() == table["week"].to_numpy()
    places = table.groupby([*slot_keys, "hospital_id"]).size().rename("places")
    # candidates for their previous hospital, previous week first, then in order
    wants = table[table["previous_hospital"].notna()].sort_values(["same_week", "order"], ascending=[False, True])
    rank = wants.groupby([*slot_keys, "previous_hospital"]).cumcount()
    offered = places.reindex(pd.MultiIndex.from_frame(wants[[*slot_keys, "previous_hospital"]])).fillna(0).to_numpy()
    kept = wants.index[rank.to_numpy() < offered]
    table["new_hospital"] = None
    table.loc[kept, "new_hospital"] = table.loc[kept, "previous_hospital"]
    used = table.loc[kept].groupby([*slot_keys, "new_hospital"]).size()
    used.index = used.index.set_names([*slot_keys, "hospital_id"])
    left = (places - used.reindex(places.index).fillna(0)).astype(int)
    # the places left, each hospital in the order it first appears in its (group, week)
    first_seen = table.groupby([*slot_keys, "hospital_id"])["order"].min().reindex(left.index)
    spare = left[left > 0].reset_index(name="count").assign(first=first_seen[left > 0].to_numpy())
    spare = spare.loc[spare.index.repeat(spare["count"])].sort_values([*slot_keys, "first"])
    spare["position"] = spare.groupby(slot_keys).cumcount()
    rest = table[table["new_hospital"].isna()].sort_values("order")
    rest = rest.assign(position=rest.groupby(slot_keys).cumcount().to_numpy())
    filled = (
        rest[[*slot_keys, "position"]]
        .reset_index()
        .merge(spare[[*slot_keys, "position", "hospital_id"]], on=[*slot_keys, "position"], how="left")
    )
    table.loc[filled["index"].to_numpy(), "new_hospital"] = filled["hospital_id"].to_numpy()
    table["hospital_id"] = table["new_hospital"]
    return table[assignments.columns]


def _has_bookings(inst: Instance) -> bool:
    return inst.bookings is not None and bool((inst.bookings["t"] > 0).any())


def _booked_rows(inst: Instance) -> pd.DataFrame:
    """The booked patients within the plan, as proposals at their booked hospital and week."""
    bookings = inst.bookings[inst.bookings["t"] > 0]
    d0 = pd.Timestamp(parse_iso_week(inst.weeks[0]))
    return pd.DataFrame(
        {
            "patient_id": bookings["patient_id"].to_numpy(dtype=object),
            "region_id": bookings["region_id"].to_numpy(dtype=object),
            "listed_hospital_id": bookings["listed_hospital_id"].to_numpy(dtype=object),
            "procedure_id": bookings["procedure_id"].to_numpy(dtype=object),
            "class": bookings["class"].to_numpy(dtype=object),
            "priority": bookings["priority"].to_numpy(dtype=object),
            "decision_date": d0 + pd.to_timedelta(bookings["offset_days"].to_numpy(), unit="D"),
            "hospital_id": bookings["hospital_id"].to_numpy(dtype=object),
            "week": bookings["week"].to_numpy(dtype=object),
            "days_waited_at_week_end": 7 * bookings["t"].to_numpy() - bookings["offset_days"].to_numpy(),
            "booked": True,
        }
    )
