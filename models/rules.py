"""The domain's fixed rules, shared by the LP and by the independent evaluator.

These are facts of the care guarantee and of the dataset contract, not modelling choices: the
evaluator (`optimizer.evaluation`) re-derives the model from them without importing the LP's
code, and both stay in step because there is one copy (DESIGN.md, "The model").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Breach thresholds in days: the care guarantee (90) and the national statistic's further tiers.
THRESHOLDS = (90, 180, 365)
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
