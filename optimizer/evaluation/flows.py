"""The evaluator's view of a set of flows: labels checked, each flow's arc described, eligibility.

Part of the independent evaluator (`optimizer.evaluation`): it uses only `models`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.rules import main_hospitals, road_km
from models.scenario import Scenario

QUEUE_KEYS = ["region_id", "procedure_id", "class"]
FLOW_COLUMNS = ["region_id", "procedure_id", "class", "hospital_id", "week", "patients"]
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
    return frame["region_id"] + "/" + frame["procedure_id"] + "/" + frame["class"] + "->" + frame["hospital_id"]


def checked_flows(
    dataset: Dataset, allocations: pd.DataFrame, labels: list[str], tolerance: float, out: list[pd.DataFrame]
) -> pd.DataFrame:
    """Typed, checked flow rows with week index `t`; rows that cannot be placed are reported and dropped."""
    flows = allocations[FLOW_COLUMNS].reset_index(drop=True)
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


def main_hospital_locations(dataset: Dataset) -> pd.DataFrame:
    """region_id → main hospital's lat/lon (`models.rules.main_hospitals`)."""
    mains = main_hospitals(dataset.hospitals)
    return mains[["region_id", "lat", "lon"]].rename(columns={"lat": "main_lat", "lon": "main_lon"})


def with_arcs(dataset: Dataset, scenario: Scenario, flows: pd.DataFrame) -> pd.DataFrame:
    """Add to each flow its arc's facts: rate, beds per case, specialty, distance, charge, price, eligibility."""
    hospitals = dataset.hospitals[["hospital_id", "region_id", "level", "lat", "lon"]].rename(
        columns={"region_id": "hospital_region"}
    )
    procedures = dataset.procedures[["procedure_id", "specialty", "cases_per_theatre_day", "bed_days_per_case"]]
    caps = dataset.capabilities.rename(columns={"cases_per_theatre_day": "capability_rate"}).assign(capable=True)
    flows = (
        flows.merge(hospitals, on="hospital_id", how="left")
        .merge(procedures, on="procedure_id", how="left")
        .merge(caps, on=["hospital_id", "procedure_id"], how="left")
        .merge(main_hospital_locations(dataset), on="region_id", how="left")
        .merge(dataset.prices, on=["procedure_id", "hospital_id"], how="left")
    )
    flows["capable"] = flows["capable"].eq(True)
    flows["rate"] = flows["capability_rate"].fillna(flows["cases_per_theatre_day"])
    flows["out_of_region"] = flows["hospital_region"] != flows["region_id"]
    flows["distance_km"] = road_km(flows["main_lat"], flows["main_lon"], flows["lat"], flows["lon"])
    flows["charged"] = flows["out_of_region"] | (flows["level"] == "private")
    limit = scenario.policy.max_travel_km
    local = (flows["class"] == "local").to_numpy()
    away = flows["out_of_region"].to_numpy()
    distance = flows["distance_km"].to_numpy()
    checks = [
        (~flows["capable"].to_numpy(), "hospital has no capability for the procedure"),
        (away & local, "local patients are treated in their home region only"),
        (away & ~local & np.isnan(distance), "no distance: home region has no hospital"),
        ((flows["charged"] & flows["price_sek"].isna()).to_numpy(), "charged arc without a price-list row"),
    ]
    if limit is not None:
        checks.insert(3, (away & ~local & (distance > limit * (1 + 1e-12)), f"beyond max_travel_km {limit:g}"))
    failed = np.logical_or.reduce([mask for mask, _ in checks])
    reasons = np.full(len(flows), "", dtype=object)
    reasons[failed] = ["; ".join(text for mask, text in checks if mask[i]) for i in np.flatnonzero(failed)]
    flows["ineligible"] = reasons
    return flows.drop(columns=["capability_rate", "cases_per_theatre_day", "main_lat", "main_lon", "lat", "lon"])


def eligibility_violations(flows: pd.DataFrame, out: list[pd.DataFrame]) -> None:
    bad = flows[flows["ineligible"] != ""]
    if bad.empty:
        return
    arcs = bad.groupby(["region_id", "procedure_id", "class", "hospital_id", "ineligible"], as_index=False).agg(
        patients=("patients", "sum"), weeks=("t", "size")
    )
    messages = arcs["ineligible"] + " (" + arcs["weeks"].astype(str) + " week(s))"
    out.append(violation_frame("eligibility", arc_key(arcs), arcs["patients"], messages))


# --- patients, queues and the FIFO simulation ------------------------------------------------------
