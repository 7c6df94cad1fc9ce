"""The planning group's production plan as people read it: per specialty × hospital × month, and per
procedure group before and after the horizon.

The tables are built here from the engine's `specialty_plan` and `procedure_totals` (of the
whole-patient plan, the one handed out) and returned as DataFrames with translated headings and
display names, for the HTML report, the Excel workbook and the web page alike; rendering them is
the caller's job (`presentation.html_tables`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from optimizer import PlanResult
from presentation.i18n import Locale
from presentation.labels import column_label, hospital_names, procedure_names, specialty_name, swedish_key


def month_of_week(iso_week: str) -> dt.date:
    """The first day of the month an ISO week (`2025-W14`) belongs to: the month of its Thursday,
    the ISO rule that puts every week in exactly one month."""
    year, week = iso_week.split("-W")
    thursday = dt.date.fromisocalendar(int(year), int(week), 4)
    return thursday.replace(day=1)


def whole(values: pd.Series) -> pd.Series:
    """Whole patients, rounded half up (55 419.5 is 55 420), as integers."""
    return np.floor(values.astype(float) + 0.5).astype("int64")


def monthly_specialty_plan(weekly: pd.DataFrame) -> pd.DataFrame:
    """`specialty_plan.csv` (per week) aggregated to months, in the engine's units and column names.

    Theatre days available and used and bed-days used are summed over the month's weeks; patients
    waiting is a stock, so it is the count at the end of the month's last week. Columns: specialty,
    hospital_id, month (first day), patients_waiting, available_theatre_days, used_theatre_days,
    used_bed_days.
    """
    table = weekly.assign(month=weekly["week"].map(month_of_week))
    keys = ["specialty", "hospital_id", "month"]
    flows = table.groupby(keys, as_index=False)[["available_theatre_days", "used_theatre_days", "used_bed_days"]].sum()
    last_week = table.sort_values("week").groupby(keys, as_index=False).last()[[*keys, "patients_waiting"]]
    monthly = flows.merge(last_week, on=keys)
    columns = [*keys, "patients_waiting", "available_theatre_days", "used_theatre_days", "used_bed_days"]
    return monthly[columns].sort_values(keys).reset_index(drop=True)


def production_plan_table(result: PlanResult, loc: Locale) -> pd.DataFrame:
    """Per specialty × hospital × month of the whole-patient plan: patients waiting at the month's
    end (whole patients, listed at the hospital), theatre days available and used, bed-days used.

    Headings and names in `loc`'s language; months written out ("april 2025").
    """
    monthly = monthly_specialty_plan(result.integer.specialty_plan)
    hospitals = hospital_names(result)
    shown = pd.DataFrame(
        {
            column_label("specialty", loc): monthly["specialty"].map(lambda s: specialty_name(s, loc)),
            column_label("hospital_id", loc): monthly["hospital_id"].map(lambda h: hospitals.get(h, h)),
            loc._("Month"): monthly["month"].map(lambda d: loc.date(d, "LLLL y")),
            loc._("Waiting at month end"): whole(monthly["patients_waiting"]),
            column_label("available_theatre_days", loc): monthly["available_theatre_days"].round(1),
            column_label("used_theatre_days", loc): monthly["used_theatre_days"].round(1),
            column_label("used_bed_days", loc): monthly["used_bed_days"].round(1),
        }
    )
    # by specialty and hospital as read (Swedish order), months in time order within each
    order = shown.iloc[:, :2].apply(lambda c: c.map(swedish_key))
    return shown.loc[order.sort_values(list(order.columns), kind="stable").index].reset_index(drop=True)


def procedure_start(result: PlanResult) -> pd.DataFrame:
    """Per procedure at the plan start: patients waiting (the backlog, excl. MoV/PvV) and those of them
    over 90 days (the care guarantee), from the instance's backlog cohorts."""
    inst = result.instance
    backlog = inst.cohorts[inst.cohorts["offset_days"] < 0]
    procedure = inst.queues["procedure_id"].to_numpy()[backlog["queue"].to_numpy()]
    frame = pd.DataFrame(
        {
            "procedure_id": procedure,
            "waiting_start": backlog["count"].to_numpy(),
            "over_90_start": np.where(-backlog["offset_days"].to_numpy() > 90, backlog["count"].to_numpy(), 0.0),
        }
    )
    return frame.groupby("procedure_id", as_index=False).sum()


def procedure_before_after(result: PlanResult, loc: Locale) -> pd.DataFrame:
    """Per procedure group: waiting and over 90 days at the start and at the end of the horizon, new
    decisions, treated, and the median days waited at treatment, in whole patients (whole-patient
    plan, `procedure_totals.csv`). The model's weighted breach-days stay in the appendix and Excel."""
    totals = result.integer.procedure_totals
    start = procedure_start(result).set_index("procedure_id").reindex(totals["procedure_id"]).fillna(0.0)
    names = procedure_names(result, loc)
    waiting_start = start["waiting_start"].to_numpy()
    shown = pd.DataFrame(
        {
            column_label("specialty", loc): totals["specialty"].map(lambda s: specialty_name(s, loc)),
            loc._("Procedure group"): totals["procedure_id"].map(lambda p: names.get(p, p)),
            loc._("Waiting at start"): whole(pd.Series(waiting_start)),
            loc._("Over 90 days at start"): whole(start["over_90_start"].reset_index(drop=True)),
            loc._("New decisions"): whole(totals["patients"] - waiting_start),
            column_label("treated", loc): whole(totals["treated"]),
            column_label("waiting_end", loc): whole(totals["waiting_end"]),
            column_label("over_90_end", loc): whole(totals["over_90_end"]),
            column_label("median_wait_at_treatment_days", loc): np.floor(
                totals["median_wait_at_treatment_days"] + 0.5
            ).astype("Int64"),  # none treated: no median (empty)
        }
    )
    order = shown.iloc[:, :2].apply(lambda c: c.map(swedish_key))  # by specialty, then procedure, as read
    return shown.loc[order.sort_values(list(order.columns)).index].reset_index(drop=True)
