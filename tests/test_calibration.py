"""Calibration of the default dataset `scenarios/mellansverige` against DOMAIN.md's figures.

Every figure is computed from the CSV files (never from the generator's constants) at the plan start
D0 = 2025-03-31: days waited = (D0 − decision_date).days, "over 90" = more than 90 days. Shares and
the regional orderings count status `waiting` only; counts per procedure include MoV/PvV (as the
seeds do). Tolerances are ±5 % relative.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from models.contract import FILES
from models.loader import load_dataset

DATASET_DIR = Path(__file__).resolve().parents[1] / "scenarios" / "mellansverige"
TOLERANCE = 0.05

#: DOMAIN.md: waiting over 90 days per procedure group, incl. MoV/PvV.
OVER_90_BY_PROCEDURE = {
    "cataract": 2000,
    "knee": 1100,
    "other_eye": 1029,
    "other_surgery": 928,
    "other_ortho": 908,
    "hearing_aid": 840,
    "other_ent": 765,
    "hip": 600,
    "other_urology": 553,
    "other_plastic": 497,
    "varicose_veins": 421,
    "inguinal_hernia": 420,
    "carpal_tunnel": 402,
    "hallux_valgus": 342,
    "benign_skin_tumour": 340,
    "tonsillectomy": 294,
    "other_hand": 272,
    "other_gyn": 253,
    "prostate": 248,
    "gallstones": 240,
    "thyroid": 237,
    "nasal_septum": 207,
}
#: DOMAIN.md: share over 90 (waiting), highest group first; every region of a group above every later one.
SHARE_OVER_90_ORDER = [["varmland"], ["orebro"], ["dalarna"], ["uppsala", "sormland"], ["gavleborg", "vastmanland"]]
#: DOMAIN.md: waiting over 365 days, most first.
OVER_365_ORDER = [["varmland"], ["uppsala"], ["dalarna"], ["orebro"], ["sormland", "vastmanland"], ["gavleborg"]]


@pytest.fixture(scope="module")
def dataset():
    """The default dataset as the loader reads and validates it (not the generator's constants)."""
    if not (DATASET_DIR / "waiting_list.csv").is_file():
        pytest.skip("scenarios/mellansverige not generated (capplan generate)")
    return load_dataset(DATASET_DIR)


@pytest.fixture(scope="module")
def waits(dataset) -> pd.DataFrame:
    """The waiting list with `days` waited at the plan start and a `planned` (status waiting) flag."""
    wl = dataset.waiting_list
    days = (pd.Timestamp(dataset.plan_start) - wl["decision_date"]).dt.days
    return wl.assign(days=days, planned=wl["status"].eq("waiting"))


def assert_close(measured: float, target: float, tolerance: float = TOLERANCE) -> None:
    assert abs(measured - target) <= tolerance * target, f"measured {measured}, target {target} ± {tolerance:.0%}"


def assert_ordered(values: pd.Series, groups: list[list[str]]) -> None:
    """Every region of an earlier group has a strictly higher value than every region of a later one."""
    for higher, lower in zip(groups, groups[1:], strict=False):
        assert values[higher].min() > values[lower].max(), (higher, lower, values.round(4).to_dict())


def test_plan_starts_monday_2025_w14(dataset):
    assert dataset.plan_start == dt.date(2025, 3, 31)


def test_every_decision_is_before_the_plan_start(waits):
    assert waits["days"].min() >= 1


def test_total_rows(waits):
    assert_close(len(waits), 45_500)


def test_mov_pvv_rows(waits):
    assert set(waits["status"]) == {"waiting", "MoV", "PvV"}
    assert_close(int((~waits["planned"]).sum()), 5_000)


def test_waiting_over_90_count_and_share(waits):
    waiting = waits[waits["planned"]]
    over = waiting["days"] > 90
    assert_close(int(over.sum()), 15_000)
    assert_close(float(over.mean()), 0.37)


@pytest.mark.parametrize(("procedure_id", "target"), OVER_90_BY_PROCEDURE.items())
def test_over_90_per_procedure_incl_mov_pvv(waits, procedure_id, target):
    rows = waits[waits["procedure_id"] == procedure_id]
    assert_close(int((rows["days"] > 90).sum()), target)


def test_extra_groups_carry_the_rest(dataset, waits):
    """Beyond DOMAIN's 22 groups, smaller named groups hold a few hundred over-90 patients each."""
    extra = sorted(set(dataset.procedures["procedure_id"]) - set(OVER_90_BY_PROCEDURE))
    assert 6 <= len(extra) <= 10
    over = waits[waits["days"] > 90].groupby("procedure_id").size().reindex(extra, fill_value=0)
    assert over.between(100, 1000).all(), over.to_dict()


def test_regional_ordering_of_share_over_90(waits):
    waiting = waits[waits["planned"]]
    share = (waiting["days"] > 90).groupby(waiting["region_id"]).mean()
    assert_ordered(share, SHARE_OVER_90_ORDER)


def test_regional_ordering_of_over_365(waits):
    waiting = waits[waits["planned"]]
    count = (waiting["days"] > 365).groupby(waiting["region_id"]).sum()
    assert_ordered(count, OVER_365_ORDER)


def test_waits_look_real(waits):
    """Most weight in 0-90 days, declining bands, and a long tail beyond a year (a few % of waiting)."""
    days = waits.loc[waits["planned"], "days"]
    bands = pd.cut(days, [0, 30, 60, 90, 120, 180, 365, 10_000]).value_counts(sort=False, normalize=True)
    assert (bands > 0).all()
    assert bands.iloc[:3].sum() > 0.5
    assert bands.iloc[0] > bands.iloc[1] > bands.iloc[2]
    assert 0.01 <= bands.iloc[-1] <= 0.08
    assert days.max() > 540


def test_accepts_travel_share(waits):
    assert 0.30 <= waits["accepts_travel"].mean() <= 0.50


def test_csv_headers_follow_the_contract():
    for name, spec in FILES.items():
        header = (DATASET_DIR / name).read_text(encoding="utf-8").split("\n", 1)[0]
        # every required column, in the contract's order; optional ones (bookings) only where written
        assert header == ",".join(spec.columns_in(header.split(","))), name


def test_regenerating_with_the_default_seed_is_byte_identical(tmp_path):
    from models.generate import main

    assert main(["--out", str(tmp_path)]) == 0
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DATASET_DIR / name).read_bytes(), name
