"""The evaluator's view of a set of flows: labels checked, each flow's arc described, eligibility.

Part of the independent evaluator (`optimizer.evaluation`): it uses only `models`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.rules import road_km
from models.scenario import Scenario

#: A flow group: the patients of a home region listed at one hospital for one procedure, local or mobile.
GROUP_KEYS = ["region_id", "listed_hospital_id", "procedure_id", "class"]
FLOW_COLUMNS = [*GROUP_KEYS, "hospital_id", "week", "patients"]
#: Columns a proposal must have: without `listed_hospital_id` a row is for the one listed hospital
#: its region, procedure and class have (`fill_listed_hospitals`).
REQUIRED_FLOW_COLUMNS = [c for c in FLOW_COLUMNS if c != "listed_hospital_id"]
VIOLATION_COLUMNS = ["family", "key", "amount", "message"]


def violation_frame(family: str, keys: pd.Series, amounts: pd.Series, messages: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family": family,
            "key": keys.to_numpy(dtype=object),
            "amount": amounts.to_numpy(dtype=float),
            "message": messages.to_numpy(dtype=object),
        }
    )


def arc_key(frame: pd.DataFrame) -> pd.Series:
    """region/listed hospital/procedure/class->hospital: how a violation names an arc."""
    group = frame["region_id"] + "/" + frame["listed_hospital_id"] + "/" + frame["procedure_id"] + "/" + frame["class"]
    return group + "->" + frame["hospital_id"]


def checked_flows(
    dataset: Dataset, allocations: pd.DataFrame, labels: list[str], tolerance: float, out: list[pd.DataFrame]
) -> pd.DataFrame:
    """Typed, checked flow rows with week index `t`; rows that cannot be placed are reported and dropped.

    A `priority` column, if any, is summed away: a group's flows are shared by its priorities.
    """
    flows = allocations.reindex(columns=FLOW_COLUMNS).reset_index(drop=True)
    flows = flows.assign(
        **{
            column: flows[column].astype(object).where(flows[column].notna(), "").astype(str)
            for column in FLOW_COLUMNS[:-1]
        }
    )
    flows["patients"] = pd.to_numeric(flows["patients"], errors="coerce").astype(float)

    def row_key(rows: pd.DataFrame) -> pd.Series:
        return arc_key(rows) + "/" + rows["week"]

    patients = flows["patients"].to_numpy()
    bad_number = ~np.isfinite(patients)
    negative = ~bad_number & (patients < -tolerance)
    if bad_number.any():
        rows = flows[bad_number]
        out.append(
            violation_frame(
                "negative_flow",
                row_key(rows),
                pd.Series(0.0, index=rows.index),
                pd.Series("patients is not a finite number", index=rows.index),
            )
        )
    if negative.any():
        rows = flows[negative]
        out.append(
            violation_frame(
                "negative_flow",
                row_key(rows),
                -rows["patients"],
                rows["patients"].map(lambda v: f"negative flow of {v:g} patients (counted as 0)"),
            )
        )
    flows = flows[~bad_number & (patients > 0)]

    unknown = np.zeros(len(flows), dtype=bool)
    unknown_columns = []
    for column, known in (
        ("region_id", dataset.regions["region_id"]),
        ("procedure_id", dataset.procedures["procedure_id"]),
        ("hospital_id", dataset.hospitals["hospital_id"]),
        ("listed_hospital_id", pd.concat([dataset.hospitals["hospital_id"], pd.Series([""])])),
        ("class", pd.Series(["local", "mobile"])),
    ):
        bad = ~flows[column].isin(set(known)).to_numpy()
        unknown_columns.append((column, bad))
        unknown |= bad
    if unknown.any():
        rows = flows[unknown]
        messages = [
            "; ".join(f"unknown {column}" for column, bad in unknown_columns if bad[i]) + " (flow ignored)"
            for i in np.flatnonzero(unknown)
        ]
        out.append(violation_frame("eligibility", row_key(rows), rows["patients"], pd.Series(messages)))
    week_of = {label: t for t, label in enumerate(labels, start=1)}
    t = flows["week"].map(week_of).to_numpy(dtype=float)
    outside = ~unknown & np.isnan(t)
    if outside.any():
        rows = flows[outside]
        out.append(
            violation_frame(
                "week",
                row_key(rows),
                rows["patients"],
                rows["week"].map(lambda w: f"week {w!r} is not in the plan {labels[0]}..{labels[-1]} (flow ignored)"),
            )
        )
    keep = ~unknown & ~outside
    flows = flows[keep].assign(t=t[keep].astype(np.int64))
    return flows.groupby(FLOW_COLUMNS[:-1] + ["t"], as_index=False, sort=False)["patients"].sum()


def with_arcs(dataset: Dataset, scenario: Scenario, flows: pd.DataFrame) -> pd.DataFrame:
    """Add to each flow its arc's facts: rate, beds per case, specialty, distance, charge, price, eligibility.

    Eligible (DESIGN.md v2): the hospital can do the procedure; a local patient is treated at the
    listed hospital or at a hospital of the home region within `local_max_km` of it; a mobile one
    also anywhere within `max_travel_km` of the listed hospital; no offer away from the listed
    hospital in the first `transfer_lead_weeks` weeks; a charged arc needs a price.
    """
    hospitals = dataset.hospitals[["hospital_id", "region_id", "level", "lat", "lon"]].rename(
        columns={"region_id": "hospital_region"}
    )
    listed = dataset.hospitals[["hospital_id", "lat", "lon"]].rename(
        columns={"hospital_id": "listed_hospital_id", "lat": "listed_lat", "lon": "listed_lon"}
    )
    procedures = dataset.procedures[["procedure_id", "specialty", "cases_per_theatre_day", "bed_days_per_case"]]
    caps = dataset.capabilities.rename(columns={"cases_per_theatre_day": "capability_rate"}).assign(capable=True)
    flows = (
        flows.merge(hospitals, on="hospital_id", how="left")
        .merge(procedures, on="procedure_id", how="left")
        .merge(caps, on=["hospital_id", "procedure_id"], how="left")
        .merge(listed, on="listed_hospital_id", how="left")
        .merge(dataset.prices, on=["procedure_id", "hospital_id"], how="left")
    )
    flows["capable"] = flows["capable"].eq(True)
    flows["rate"] = flows["capability_rate"].fillna(flows["cases_per_theatre_day"])
    flows["out_of_region"] = flows["hospital_region"] != flows["region_id"]
    flows["at_listed"] = flows["hospital_id"] == flows["listed_hospital_id"]
    flows["distance_km"] = road_km(flows["listed_lat"], flows["listed_lon"], flows["lat"], flows["lon"])
    flows["charged"] = flows["out_of_region"] | (flows["level"] == "private")
    policy = scenario.policy
    slack = 1 + 1e-12
    local = (flows["class"] == "local").to_numpy()
    at_listed = flows["at_listed"].to_numpy()
    distance = flows["distance_km"].to_numpy()
    in_local_set = at_listed | (~flows["out_of_region"].to_numpy() & (distance <= policy.local_max_km * slack))
    within_travel = np.ones(len(flows), dtype=bool)
    if policy.max_travel_km is not None:
        within_travel = distance <= policy.max_travel_km * slack
    early = ~at_listed & (flows["t"].to_numpy() <= policy.transfer_lead_weeks)
    checks = [
        (~flows["capable"].to_numpy(), "hospital has no capability for the procedure"),
        (
            local & ~in_local_set,
            f"local patients are treated at their listed hospital or within local_max_km {policy.local_max_km:g} "
            "of it in their home region",
        ),
        (~local & ~in_local_set & ~within_travel, f"beyond max_travel_km {policy.max_travel_km} of the listed one"),
        (early, f"an offer away from the listed hospital within transfer_lead_weeks {policy.transfer_lead_weeks}"),
        ((flows["charged"] & flows["price_sek"].isna()).to_numpy(), "charged arc without a price-list row"),
    ]
    failed = np.logical_or.reduce([mask for mask, _ in checks])
    reasons = np.full(len(flows), "", dtype=object)
    reasons[failed] = ["; ".join(text for mask, text in checks if mask[i]) for i in np.flatnonzero(failed)]
    flows["ineligible"] = reasons
    return flows.drop(columns=["capability_rate", "cases_per_theatre_day", "listed_lat", "listed_lon", "lat", "lon"])


def eligibility_violations(flows: pd.DataFrame, out: list[pd.DataFrame]) -> None:
    bad = flows[flows["ineligible"] != ""]
    if bad.empty:
        return
    arcs = bad.groupby([*GROUP_KEYS, "hospital_id", "ineligible"], as_index=False).agg(
        patients=("patients", "sum"), weeks=("t", "size")
    )
    messages = arcs["ineligible"] + " (" + arcs["weeks"].astype(str) + " week(s))"
    out.append(violation_frame("eligibility", arc_key(arcs), arcs["patients"], messages))


# --- patients, queues and the FIFO simulation ------------------------------------------------------


def fill_listed_hospitals(flows: pd.DataFrame, groups: pd.DataFrame, out: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows without a listed hospital take the one listed hospital of their region, procedure and class
    among `groups`; where there are several (or none), the row is an `eligibility` violation, dropped."""
    blank = (flows["listed_hospital_id"] == "").to_numpy()
    if not blank.any():
        return flows
    keys = ["region_id", "procedure_id", "class"]
    unique = groups.groupby(keys)["listed_hospital_id"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else "")
    filled = unique.reindex(pd.MultiIndex.from_frame(flows.loc[blank, keys])).fillna("").to_numpy()
    flows = flows.copy()
    flows.loc[blank, "listed_hospital_id"] = filled
    unresolved = flows["listed_hospital_id"] == ""
    if unresolved.any():
        rows = flows[unresolved]
        message = (
            "no listed_hospital_id, and the region, procedure and class have several listed hospitals (flow ignored)"
        )
        out.append(
            violation_frame(
                "eligibility",
                arc_key(rows) + "/" + rows["week"],
                rows["patients"],
                pd.Series(message, index=rows.index),
            )
        )
    return flows[~unresolved].groupby(FLOW_COLUMNS[:-1] + ["t"], as_index=False, sort=False)["patients"].sum()
