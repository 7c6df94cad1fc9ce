"""The national generator's held-out variants (benchmarks/national.py): each parameter changes what it
claims and nothing else, and the datasets pass the loader's validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.instances import national_instances
from benchmarks.national import MORE_HOSPITALS, PRIVATE_HOSPITAL, PRIVATE_PROFILES, national_dataset, national_tables
from models.loader import load_dataset, save_dataset
from optimizer import check_change_ids

#: A small instance: three regions, 6,000 waiting, 8 weeks (a fraction of a second to generate).
SMALL = {"regions": ("uppsala", "gotland", "vastra_gotaland"), "waiting": 6000, "weeks": 8}


def _waiting_share(waiting: pd.DataFrame) -> float:
    return float(waiting.loc[waiting["status"] == "waiting", "accepts_travel"].mean())


def test_share_travel_hits_the_target_and_changes_nothing_else():
    base = national_tables(**SMALL)
    base_share = _waiting_share(base["waiting_list.csv"])
    for target in (0.45, 0.6):
        tables = national_tables(**SMALL, share_travel=target)
        waiting = tables["waiting_list.csv"]
        # 4,000-odd waiting rows: the bisection lands within a few patients of the target
        assert _waiting_share(waiting) == pytest.approx(target, abs=0.002)
        # the second random stream leaves every other column and table as the base draws them
        pd.testing.assert_frame_equal(
            waiting.drop(columns="accepts_travel"), base["waiting_list.csv"].drop(columns="accepts_travel")
        )
        for name in tables.keys() - {"waiting_list.csv"}:
            pd.testing.assert_frame_equal(tables[name], base[name])
    assert abs(base_share - 0.6) > 0.1  # the target is a real change, not the base's own share
    # the default's shape is kept: patients over 90 days travel more (boost 1.15 on the propensity)
    waiting = national_tables(**SMALL, share_travel=0.45)["waiting_list.csv"]
    days = (pd.Timestamp("2025-03-31") - waiting["decision_date"]).dt.days
    assert waiting.loc[days > 90, "accepts_travel"].mean() > waiting.loc[days <= 90, "accepts_travel"].mean()


def test_share_travel_out_of_reach_is_an_error():
    # propensities are clipped to [0.05, 0.9]: 0.99 of patients cannot accept travel
    with pytest.raises(ValueError, match="share_travel 0.99"):
        national_tables(**SMALL, share_travel=0.99)


def test_capacity_variation_stays_within_its_band_and_uses_it():
    base = national_tables(**SMALL)
    varied = national_tables(**SMALL, capacity_variation=0.6)
    keys = ["hospital_id", "specialty", "week"]
    merged = base["capacity.csv"].merge(varied["capacity.csv"], on=keys, suffixes=("_base", "_varied"))
    assert len(merged) == len(base["capacity.csv"]) == len(varied["capacity.csv"])
    b, v = merged["theatre_days_base"], merged["theatre_days_varied"]
    # factor in [0.4, 1.6], then rounded to one decimal: at most 0.05 beyond the band
    assert ((v >= 0.4 * b - 0.05) & (v <= 1.6 * b + 0.05)).all()
    ratio = (v / b)[b >= 2]  # cells large enough for the rounding not to matter
    assert ratio.min() < 0.5 and ratio.max() > 1.5  # the band is used, not a token variation
    assert ratio.mean() == pytest.approx(1.0, abs=0.05)  # uniform around the base
    # beds follow the varied theatre days; the waiting list and the other tables do not move
    assert not base["beds.csv"].equals(varied["beds.csv"])
    for name in base.keys() - {"capacity.csv", "beds.csv"}:
        pd.testing.assert_frame_equal(varied[name], base[name])
    with pytest.raises(ValueError, match="capacity_variation"):
        national_tables(**SMALL, capacity_variation=1.5)


def test_private_hospital_has_its_profile_capacity_and_prices():
    tables = national_tables(**SMALL, private_hospital=True)
    hospital_id = PRIVATE_HOSPITAL[0]
    hospitals = tables["hospitals.csv"].set_index("hospital_id")
    assert hospitals.at[hospital_id, "level"] == "private"
    assert hospitals.at[hospital_id, "region_id"] == "vastra_gotaland"
    done = set(tables["capabilities.csv"].query("hospital_id == @hospital_id")["procedure_id"])
    assert done == set(PRIVATE_PROFILES["hospital"])
    specialties = set(tables["procedures.csv"].set_index("procedure_id").loc[sorted(done), "specialty"])
    capacity = tables["capacity.csv"].query("hospital_id == @hospital_id")
    assert set(capacity["specialty"]) == specialties and capacity["theatre_days"].sum() > 0
    # every procedure it does has a price (an arc to a private hospital is charged)
    priced = set(tables["prices.csv"].query("hospital_id == @hospital_id")["procedure_id"])
    assert priced == done


def test_held_out_dataset_has_85_hospitals_lists_patients_where_they_can_be_treated_and_loads(tmp_path):
    variant = {"share_travel": 0.45, "capacity_variation": 0.6, "private_hospital": True, "more_hospitals": True}
    small = national_dataset(3, weeks=4, waiting=5000, **variant)
    assert len(small.hospitals) == 72 + len(MORE_HOSPITALS) + 1 == 85
    assert (small.hospitals["level"] == "private").sum() == 5  # 4 private clinics and the private hospital
    assert set(small.hospitals["region_id"]) == set(small.regions["region_id"]) and len(small.regions) == 21
    waiting = small.waiting_list
    listed = waiting.dropna(subset=["listed_hospital_id"])
    able = listed.merge(
        small.capabilities, left_on=["listed_hospital_id", "procedure_id"], right_on=["hospital_id", "procedure_id"]
    )
    assert len(able) == len(listed) > 0.9 * len(waiting)
    assert _waiting_share(waiting) == pytest.approx(0.45, abs=0.002)
    # the loader's validation accepts it, and reads back exactly what was generated
    save_dataset(small, tmp_path / "heldout")
    loaded = load_dataset(tmp_path / "heldout", plan_start="2025-W14")
    for name in small.table_names():
        pd.testing.assert_frame_equal(getattr(small, name), getattr(loaded, name))


def test_national_instances_scenarios_name_only_ids_of_their_datasets():
    specs = {s.name: s for s in national_instances()}
    assert {"national-52w", "national-52w-seed2", "national-52w-mobile45-var60", "national-85h-heldout"} <= set(specs)
    assert all(s.group == "national" for s in specs.values())
    for spec in specs.values():
        generator = {**spec.generator, "weeks": 2, "waiting": 8000}  # same hospitals, small and short
        dataset = national_dataset(**generator)
        scenario = spec.parsed_scenario()
        check_change_ids(dataset, scenario)  # raises naming any unknown hospital, region or procedure
    held_out = specs["national-85h-heldout"].parsed_scenario()
    assert held_out.policy.agreements and held_out.policy.budgets_sek and held_out.changes
    # each payer's budget covers its agreements' minimum cases at the dearest price it may pay
    dataset = national_dataset(**{**specs["national-85h-heldout"].generator, "weeks": 2, "waiting": 8000})
    prices = dataset.prices.set_index(["procedure_id", "hospital_id"])["price_sek"]
    for payer, budget in held_out.policy.budgets_sek.items():
        need = 0.0
        for a in (a for a in held_out.policy.agreements if a.payer_region == payer):
            providers = (
                [a.provider_hospital]
                if a.provider_hospital
                else list(dataset.hospitals.query("region_id == @a.provider_region")["hospital_id"])
            )
            rows = prices[prices.index.get_level_values("hospital_id").isin(providers)]
            if a.procedure_id:
                rows = rows[rows.index.get_level_values("procedure_id") == a.procedure_id]
            need += a.min_cases * float(np.max(rows))
        assert need < budget, payer
