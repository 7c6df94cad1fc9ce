"""The production plan as people read it: months from weeks, sums that add up, before and after."""

from __future__ import annotations

import datetime as dt

import pytest

from optimizer import plan
from presentation.i18n import Locale
from presentation.production_plan import (
    month_of_week,
    monthly_specialty_plan,
    procedure_before_after,
    procedure_start,
    production_plan_table,
)
from tests.factory import random_dataset, scenario


@pytest.fixture(scope="module")
def result():
    return plan(scenario(9), dataset=random_dataset(2, weeks=9))


def test_a_week_belongs_to_the_month_of_its_thursday():
    # 2025-W14: Monday 31 March, Thursday 3 April -> April
    assert month_of_week("2025-W14") == dt.date(2025, 4, 1)
    # 2025-W18: Monday 28 April, Thursday 1 May -> May
    assert month_of_week("2025-W18") == dt.date(2025, 5, 1)
    # 2025-W27: Monday 30 June, Thursday 3 July -> July
    assert month_of_week("2025-W27") == dt.date(2025, 7, 1)
    # 2026-W01: Monday 29 December 2025, Thursday 1 January 2026 -> January 2026
    assert month_of_week("2026-W01") == dt.date(2026, 1, 1)


def test_monthly_sums_equal_the_weekly_specialty_plan(result):
    weekly = result.integer.specialty_plan
    monthly = monthly_specialty_plan(weekly)
    weeks = sorted(weekly["week"].unique())
    assert len({month_of_week(w) for w in weeks}) == monthly["month"].nunique() >= 2  # 9 weeks span 3 months
    for column in ("available_theatre_days", "used_theatre_days", "used_bed_days"):
        assert monthly[column].sum() == pytest.approx(weekly[column].sum())
    for row in monthly.itertuples():
        cell = weekly[(weekly["specialty"] == row.specialty) & (weekly["hospital_id"] == row.hospital_id)]
        in_month = cell[cell["week"].map(month_of_week) == row.month]
        assert row.used_theatre_days == pytest.approx(in_month["used_theatre_days"].sum())
        assert row.available_theatre_days == pytest.approx(in_month["available_theatre_days"].sum())
        assert row.used_bed_days == pytest.approx(in_month["used_bed_days"].sum())
        # waiting is a stock: the count at the end of the month's last week, not a sum
        last = in_month.sort_values("week").iloc[-1]
        assert row.patients_waiting == pytest.approx(last["patients_waiting"])


def test_the_production_plan_table_is_translated_and_counts_whole_patients(result):
    sv, en = production_plan_table(result, Locale.for_lang("sv")), production_plan_table(result, Locale.for_lang("en"))
    assert list(sv.columns)[:4] == ["Specialitet", "Sjukhus", "Månad", "Väntande vid månadens slut"]
    assert list(en.columns)[:4] == ["Specialty", "Hospital", "Month", "Waiting at month end"]
    assert sv["Väntande vid månadens slut"].dtype.kind == "i"  # whole patients
    assert "april 2025" in set(sv["Månad"]) and "April 2025" in set(en["Month"])
    weekly = result.integer.specialty_plan
    assert sv["Tillgängliga salsdagar"].sum() == pytest.approx(
        weekly["available_theatre_days"].sum(), abs=0.05 * len(sv)
    )


def test_before_and_after_per_procedure_add_up(result):
    table = procedure_before_after(result, Locale.for_lang("en"))
    totals = result.integer.procedure_totals
    # waiting at end = waiting at start + new decisions − treated, each rounded to whole patients
    balance = table["Waiting at start"] + table["New decisions"] - table["Treated"] - table["Waiting at end"]
    assert balance.abs().max() <= 2
    assert table["Treated"].sum() == pytest.approx(totals["treated"].sum(), abs=len(table))
    # the start is the backlog the waiting-time bands count at the plan start
    start = procedure_start(result)
    backlog = result.instance.cohorts[result.instance.cohorts["offset_days"] < 0]["count"].sum()
    assert start["waiting_start"].sum() == pytest.approx(backlog)
    assert (start["over_90_start"] <= start["waiting_start"]).all()
