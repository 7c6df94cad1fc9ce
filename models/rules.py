"""The domain's fixed rules, shared by the LP and by the independent evaluator.

These are facts of the care guarantee and of the dataset contract, not modelling choices: the
evaluator (`optimizer.evaluation`) re-derives the model from them without importing the LP's
code, and both stay in step because there is one copy (DESIGN.md, "The model").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.dataset import Dataset

#: Breach thresholds in days: the care guarantee (90) and the national statistic's further tiers.
THRESHOLDS = (90, 180, 365)
#: Tier offsets τ_j: a patient of priority k is over tier j when waiting longer than L_k + τ_j days
#: (a routine patient, L = 90: over 90, 180 and 365 days).
TIER_OFFSETS = {90: 0, 180: 90, 365: 275}
#: Road distance = this factor × great-circle distance between hospitals.
ROAD_FACTOR = 1.25
EARTH_RADIUS_KM = 6371.0
#: Forecast decisions of plan week s are dated D0 + 7(s − 1) + this many days (mid-week).
FORECAST_DAY_OFFSET = 3
#: Order in which a region's hospitals are its main hospital: university, county, district, private.
LEVEL_RANK = {"university": 0, "county": 1, "district": 2, "private": 3}


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (haversine; arrays broadcast)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def road_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Road distance in km: `ROAD_FACTOR` × great-circle distance."""
    return ROAD_FACTOR * great_circle_km(lat1, lon1, lat2, lon2)


def main_hospitals(hospitals: pd.DataFrame) -> pd.DataFrame:
    """Each region's main hospital (region_id, hospital_id, lat, lon): university, else county, else any; ties by id."""
    ranked = hospitals.assign(rank=hospitals["level"].map(LEVEL_RANK).fillna(len(LEVEL_RANK)))
    ordered = ranked.sort_values(["region_id", "rank", "hospital_id"])
    return ordered.drop_duplicates("region_id")[["region_id", "hospital_id", "lat", "lon"]].reset_index(drop=True)


def fallback_hospitals(dataset: Dataset, base: Dataset, weeks: list[str]) -> pd.DataFrame:
    """The hospital of each (region, procedure) where its unlisted patients and unmatched forecast go.

    The hospital of region r able to do p with the most theatre days of p's specialty in the plan's
    weeks (on `base`, the capacity before scenario changes; ties: smallest id); if none in r, the
    able hospital nearest to r's main hospital (ties: smallest id); if no hospital can do p, r's main
    hospital (a group without arcs: its patients wait and count). Columns: region_id, procedure_id,
    hospital_id.
    """
    hospitals = dataset.hospitals
    pairs = dataset.regions[["region_id"]].merge(dataset.procedures[["procedure_id", "specialty"]], how="cross")
    able = dataset.capabilities[["hospital_id", "procedure_id"]].merge(hospitals[["hospital_id", "region_id"]])
    capacity = base.capacity[base.capacity["week"].isin(weeks)]
    days = capacity.groupby(["hospital_id", "specialty"], as_index=False)["theatre_days"].sum()
    in_region = pairs.merge(able, on=["region_id", "procedure_id"]).merge(
        days, on=["hospital_id", "specialty"], how="left"
    )
    in_region["theatre_days"] = in_region["theatre_days"].fillna(0.0)
    in_region = in_region.sort_values(
        ["region_id", "procedure_id", "theatre_days", "hospital_id"], ascending=[True, True, False, True]
    )
    chosen = in_region.drop_duplicates(["region_id", "procedure_id"])[["region_id", "procedure_id", "hospital_id"]]
    mains = main_hospitals(hospitals).rename(columns={"hospital_id": "main_hospital", "lat": "lat0", "lon": "lon0"})
    rest = pairs.merge(chosen, on=["region_id", "procedure_id"], how="left", indicator=True)
    rest = rest[rest["_merge"] == "left_only"][["region_id", "procedure_id"]].merge(mains, on="region_id", how="left")
    nearest = rest.merge(able[["hospital_id", "procedure_id"]], on="procedure_id").merge(
        hospitals[["hospital_id", "lat", "lon"]], on="hospital_id"
    )
    nearest["km"] = road_km(nearest["lat0"], nearest["lon0"], nearest["lat"], nearest["lon"])
    nearest = nearest.sort_values(["region_id", "procedure_id", "km", "hospital_id"]).drop_duplicates(
        ["region_id", "procedure_id"]
    )[["region_id", "procedure_id", "hospital_id"]]
    nobody = rest.merge(nearest[["region_id", "procedure_id"]], how="left", indicator=True)
    nobody = nobody[nobody["_merge"] == "left_only"].rename(columns={"main_hospital": "hospital_id"})
    nobody = nobody[["region_id", "procedure_id", "hospital_id"]].dropna()
    return pd.concat([chosen, nearest, nobody], ignore_index=True)
