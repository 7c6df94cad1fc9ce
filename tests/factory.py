"""Build small datasets in code for hand-solvable tests (typed exactly like `load_dataset` output)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from models.dataset import DEFAULT_PRIORITY, Dataset, default_priorities
from models.scenario import Scenario, parse_scenario
from models.weeks import week_labels

START_WEEK = "2025-W14"
D0 = dt.date(2025, 3, 31)  # Monday of 2025-W14


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def make_dataset(
    *,
    regions: list[str],
    hospitals: list[dict],
    procedures: list[dict],
    capabilities: list[dict],
    capacity: list[dict] = (),
    beds: list[dict] = (),
    patients: list[dict] = (),
    demand: list[dict] = (),
    prices: list[dict] = (),
    priorities: list[dict] | None = None,
    name: str = "tiny",
) -> Dataset:
    """Hospitals default to lat/lon near Uppsala and level county; procedures default to day surgery.

    `patients` rows give `region_id`, `procedure_id`, `waited` (days before D0) and optionally
    `status`, `accepts_travel`, `listed_hospital_id`, `patient_id`, `priority` (default `routine`),
    `booked_hospital_id` and `booked_week` (status `booked`).
    `priorities` rows give `priority_id`, `max_wait_days`, `demand_share` and optionally `name_sv`;
    None (the default) is a dataset of the first contract: one priority `routine` (90 days).
    """
    hospitals_df = frame(
        [{"name": h["hospital_id"], "level": "county", "lat": 59.8, "lon": 17.6, **h} for h in hospitals],
        ["hospital_id", "name", "region_id", "level", "lat", "lon"],
    )
    procedures_df = frame(
        [
            {
                "name": p["procedure_id"],
                "name_sv": p["procedure_id"],
                "specialty": "orthopaedics",
                "cases_per_theatre_day": 1.0,
                "bed_days_per_case": 0.0,
                "kva_codes": "",
                **p,
            }
            for p in procedures
        ],
        ["procedure_id", "name", "name_sv", "specialty", "cases_per_theatre_day", "bed_days_per_case", "kva_codes"],
    )
    caps = frame(
        [{"cases_per_theatre_day": None, **c} for c in capabilities],
        ["hospital_id", "procedure_id", "cases_per_theatre_day"],
    )
    caps["cases_per_theatre_day"] = caps["cases_per_theatre_day"].astype(float)
    waiting_rows = []
    for i, p in enumerate(patients):
        waiting_rows.append(
            {
                "patient_id": p.get("patient_id", f"P{i:06d}"),
                "region_id": p["region_id"],
                "procedure_id": p["procedure_id"],
                "decision_date": pd.Timestamp(D0 - dt.timedelta(days=p["waited"])),
                "status": p.get("status", "waiting"),
                "accepts_travel": p.get("accepts_travel", True),
                "listed_hospital_id": p.get("listed_hospital_id"),
                "priority": p.get("priority", DEFAULT_PRIORITY),
                "booked_hospital_id": p.get("booked_hospital_id", float("nan")),  # as loaded: NaN when empty
                "booked_week": p.get("booked_week", ""),
            }
        )
    waiting = frame(
        waiting_rows,
        [
            "patient_id",
            "region_id",
            "procedure_id",
            "decision_date",
            "status",
            "accepts_travel",
            "listed_hospital_id",
            "priority",
            "booked_hospital_id",
            "booked_week",
        ],
    )
    waiting["decision_date"] = pd.to_datetime(waiting["decision_date"])
    waiting["accepts_travel"] = waiting["accepts_travel"].astype(bool)
    return Dataset(
        name=name,
        plan_start=D0,
        regions=frame(
            [{"region_id": r, "name": r, "population": 100_000} for r in regions], ["region_id", "name", "population"]
        ),
        hospitals=hospitals_df,
        procedures=procedures_df,
        capabilities=caps,
        capacity=frame(list(capacity), ["hospital_id", "specialty", "week", "theatre_days"]).astype(
            {"theatre_days": float}
        ),
        beds=frame(list(beds), ["hospital_id", "week", "bed_days"]).astype({"bed_days": float}),
        waiting_list=waiting,
        demand=frame(list(demand), ["region_id", "procedure_id", "week", "expected_decisions"]).astype(
            {"expected_decisions": float}
        ),
        prices=frame(list(prices), ["procedure_id", "hospital_id", "price_sek"]).astype({"price_sek": float}),
        priorities=default_priorities() if priorities is None else _priorities(priorities),
    )


def _priorities(rows: list[dict]) -> pd.DataFrame:
    """priorities.csv typed as the loader types it (ids object, text str, numbers float)."""
    table = frame(
        [{"name_sv": r["priority_id"], **r} for r in rows], ["priority_id", "name_sv", "max_wait_days", "demand_share"]
    )
    return table.astype({"priority_id": object, "name_sv": "str", "max_wait_days": float, "demand_share": float})


def weekly(hospital_id: str, value: float, weeks: int, specialty: str | None = "orthopaedics") -> list[dict]:
    """Capacity rows (or bed rows when specialty is None) with the same value for `weeks` weeks."""
    labels = week_labels(START_WEEK, weeks)
    if specialty is None:
        return [{"hospital_id": hospital_id, "week": w, "bed_days": value} for w in labels]
    return [{"hospital_id": hospital_id, "specialty": specialty, "week": w, "theatre_days": value} for w in labels]


#: Weights of the hand-solved cases: 1 per breach-day over 90 and nothing else, so an objective is
#: 7 × (patients over 90 summed over the week ends).
ONLY_90 = {"over_90": 1, "over_180": 0, "over_365": 0, "waiting": 0, "cost_per_ksek": 0, "travel_per_km": 0}

#: A policy for `random_dataset` with every kind of row: travel limit, a budget for r1 and an
#: agreement r0 → r1 with a minimum and a maximum.
RICH_POLICY = {
    "max_travel_km": 250,
    "budgets_sek": {"r1": 300_000},
    "agreements": [{"payer_region": "r0", "provider_region": "r1", "min_cases": 2, "max_cases": 20}],
}
#: Extra capacity for `random_dataset`: 1 orthopaedic theatre day a week at r2_county, 30,000 SEK a day.
EXTRA = [
    {
        "extra_capacity": {
            "hospital_id": "r2_county",
            "specialty": "orthopaedics",
            "theatre_days_per_week": 1,
            "cost_per_day_sek": 30_000,
        }
    }
]


def patients(region: str, n: int, waited: int, procedure: str = "knee", **extra) -> list[dict]:
    """`n` backlog patients of `region` for `procedure` who had waited `waited` days at D0."""
    return [{"region_id": region, "procedure_id": procedure, "waited": waited, **extra} for _ in range(n)]


def single_hospital(bed_days_per_case: float = 0.0, **tables) -> Dataset:
    """Region a with one hospital h doing knees (1 case per theatre day); `tables` give the rest."""
    return make_dataset(
        regions=["a"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[{"procedure_id": "knee", "bed_days_per_case": bed_days_per_case}],
        capabilities=[{"hospital_id": "h", "procedure_id": "knee"}],
        **tables,
    )


def fast_and_slow(weeks: int, fast: int, slow: int) -> Dataset:
    """One hospital h in region a with one orthopaedic theatre day a week for `weeks` weeks; procedure
    `fast` 4 cases a theatre day, `slow` 1; `fast` and `slow` patients who waited 100 days (over 90
    from the first week's end)."""
    return make_dataset(
        regions=["a"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[{"procedure_id": "fast", "cases_per_theatre_day": 4}, {"procedure_id": "slow"}],
        capabilities=[{"hospital_id": "h", "procedure_id": p} for p in ("fast", "slow")],
        capacity=weekly("h", 1, weeks),
        patients=patients("a", fast, 100, "fast") + patients("a", slow, 100, "slow"),
    )


def agreement_dataset() -> Dataset:
    """Regions a (hospital ha) and b (hospital hb, 100 km by road from ha). Region a has 3 mobile
    knee patients who waited 10 days (no breach within one week); 10 theatre days a week at each
    hospital; hb charges 50,000 SEK a knee.

    100 km by road = 100 / 1.25 = 80 km great circle = 80 / 111.195 degrees of latitude.
    """
    return make_dataset(
        regions=["a", "b"],
        hospitals=[
            {"hospital_id": "ha", "region_id": "a", "lat": 59.0, "lon": 17.0},
            {"hospital_id": "hb", "region_id": "b", "lat": 59.0 + 100 / 1.25 / 111.195, "lon": 17.0},
        ],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": "ha", "procedure_id": "knee"}, {"hospital_id": "hb", "procedure_id": "knee"}],
        capacity=weekly("ha", 10, 1) + weekly("hb", 10, 1),
        patients=patients("a", 3, 10),
        prices=[{"procedure_id": "knee", "hospital_id": "hb", "price_sek": 50_000}],
    )


def allocated(result, **where) -> float:
    """Patients the LP plan of `result` allocates where every column equals its value."""
    table = result.lp.allocations
    for column, value in where.items():
        table = table[table[column] == value]
    return float(table["patients"].sum())


#: `solve.strategy` of the scenarios `scenario()` makes when a test gives no `solve`; the `strategy`
#: fixture (tests/conftest.py) sets it, so a test using that fixture runs once per strategy.
SOLVE_STRATEGY = "auto"


def scenario(horizon_weeks: int = 1, **fields) -> Scenario:
    """A scenario on the tiny dataset; weights default to the design's unless given, and
    `solve.strategy` to `SOLVE_STRATEGY` unless `solve` names one."""
    fields["solve"] = {"strategy": SOLVE_STRATEGY, **fields.get("solve", {})}
    return parse_scenario(
        {"name": "test", "dataset": "tiny", "start_week": START_WEEK, "horizon_weeks": horizon_weeks, **fields}
    )


def random_dataset(seed: int, n_regions: int = 3, weeks: int = 6) -> Dataset:
    """A small random but well-formed dataset: regions with a county and a district hospital each,
    one private provider, two specialties, inpatient and day-surgery procedures, prices, beds,
    backlog patients of all statuses with waits from 0 to 500 days, and weekly demand."""
    import numpy as np

    rng = np.random.default_rng(seed)
    regions = [f"r{i}" for i in range(n_regions)]
    hospitals, capabilities, capacity, beds, prices = [], [], [], [], []
    procedures = [
        {"procedure_id": "hip", "specialty": "orthopaedics", "cases_per_theatre_day": 3.0, "bed_days_per_case": 2.5},
        {"procedure_id": "hernia", "specialty": "general_surgery", "cases_per_theatre_day": 5.0},
        {"procedure_id": "cataract", "specialty": "ophthalmology", "cases_per_theatre_day": 12.0},
    ]
    for i, region in enumerate(regions):
        for level, procs in (("county", ["hip", "hernia", "cataract"]), ("district", ["hernia", "cataract"])):
            hid = f"{region}_{level}"
            hospitals.append(
                {
                    "hospital_id": hid,
                    "region_id": region,
                    "level": level,
                    "lat": 59.0 + 0.6 * i + rng.uniform(0, 0.3),
                    "lon": 15.0 + rng.uniform(0, 2),
                }
            )
            for p in procs:
                rate = None if rng.random() < 0.7 else float(rng.integers(2, 14))
                capabilities.append({"hospital_id": hid, "procedure_id": p, "cases_per_theatre_day": rate})
                prices.append({"procedure_id": p, "hospital_id": hid, "price_sek": float(rng.integers(10, 130)) * 1000})
    hospitals.append({"hospital_id": "private", "region_id": regions[0], "level": "private", "lat": 59.3, "lon": 16.0})
    capabilities += [{"hospital_id": "private", "procedure_id": p} for p in ("hip", "cataract")]
    prices += [{"procedure_id": p, "hospital_id": "private", "price_sek": 60_000.0} for p in ("hip", "cataract")]
    specialty_of = {p["procedure_id"]: p["specialty"] for p in procedures}
    labels = week_labels(START_WEEK, weeks)
    for h in hospitals:
        specialties = {specialty_of[c["procedure_id"]] for c in capabilities if c["hospital_id"] == h["hospital_id"]}
        for s in sorted(specialties):
            for w in labels:
                if rng.random() < 0.9:
                    capacity.append(
                        {
                            "hospital_id": h["hospital_id"],
                            "specialty": s,
                            "week": w,
                            "theatre_days": float(rng.integers(0, 4)),
                        }
                    )
        for w in labels:
            beds.append({"hospital_id": h["hospital_id"], "week": w, "bed_days": float(rng.integers(0, 12))})
    patients = []
    for region in regions:
        for p in specialty_of:
            for _ in range(int(rng.integers(0, 25))):
                status = rng.choice(["waiting", "waiting", "waiting", "waiting", "MoV", "PvV"])
                patients.append(
                    {
                        "region_id": region,
                        "procedure_id": p,
                        "waited": int(rng.integers(1, 500)),
                        "status": str(status),
                        "accepts_travel": bool(rng.random() < 0.5),
                    }
                )
    rng.shuffle(patients)
    demand = [
        {"region_id": r, "procedure_id": p, "week": w, "expected_decisions": round(float(rng.uniform(0, 3)), 2)}
        for r in regions
        for p in specialty_of
        for w in labels
    ]
    return make_dataset(
        regions=regions,
        hospitals=hospitals,
        procedures=procedures,
        capabilities=capabilities,
        capacity=capacity,
        beds=beds,
        patients=patients,
        demand=demand,
        prices=prices,
        name=f"random{seed}",
    )
