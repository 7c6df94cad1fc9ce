"""Booked patients (status `booked`): the rules of the two booking columns of waiting_list.csv.

A booked patient has a date: `booked_hospital_id` treats them in `booked_week`. Both columns are
required for that status and empty for every other one; the hospital must exist and be able to do
the procedure (capabilities.csv); the week may not lie after the plan (a week before it means the
patient was treated before the plan starts: the booking then uses nothing within it). The loader
checks the columns (`booking_problems`); the plan's weeks are known only with a scenario, so the
instance checks the last rule (`late_booking_problems`). Problems name file, row and column.
"""

from __future__ import annotations

import pandas as pd

from models.contract import BOOKED
from models.errors import Problem
from models.weeks import parse_iso_week

FILE = "waiting_list.csv"
COLUMNS = ("booked_hospital_id", "booked_week")


def booked_mask(waiting: pd.DataFrame) -> pd.Series:
    """Rows of `waiting` with status booked."""
    return waiting["status"] == BOOKED


def _filled(values: pd.Series) -> pd.Series:
    return values.notna() & (values.astype(object).fillna("").astype(str) != "")


def booking_problems(waiting: pd.DataFrame, capabilities: pd.DataFrame) -> list[Problem]:
    """Problems of the booking columns of a loaded waiting list (index: file line − 2).

    A table without the columns (a dataset built in code) has no booking and no problem.
    """
    if not set(COLUMNS) <= set(waiting.columns):
        booked = booked_mask(waiting)
        return [
            Problem(FILE, int(i) + 2, "booked_hospital_id", "value is required for status booked")
            for i in waiting.index[booked]
        ]
    problems: list[Problem] = []
    booked = booked_mask(waiting)
    for column in COLUMNS:
        filled = _filled(waiting[column])
        for i in waiting.index[booked & ~filled]:
            problems.append(Problem(FILE, int(i) + 2, column, "value is required for status booked"))
        for i in waiting.index[~booked & filled]:
            problems.append(Problem(FILE, int(i) + 2, column, "must be empty unless status is booked"))
    able = pd.MultiIndex.from_frame(capabilities[["hospital_id", "procedure_id"]])
    rows = waiting[booked & _filled(waiting["booked_hospital_id"])]
    keys = pd.MultiIndex.from_arrays([rows["booked_hospital_id"], rows["procedure_id"]])
    for i in rows.index[~keys.isin(able)]:
        problems.append(
            Problem(
                FILE, int(i) + 2, "booked_hospital_id", "the booked hospital cannot do the procedure (capabilities.csv)"
            )
        )
    return problems


def late_booking_problems(waiting: pd.DataFrame, last_week: str) -> list[Problem]:
    """Bookings after the plan's last week `last_week` (the plan cannot hold them)."""
    if "booked_week" not in waiting.columns:
        return []
    booked = waiting[booked_mask(waiting) & _filled(waiting["booked_week"])]
    end = parse_iso_week(last_week)
    late = booked["booked_week"].map(parse_iso_week) > end
    return [
        Problem(FILE, int(i) + 2, "booked_week", f"booked after the plan's last week {last_week}")
        for i in booked.index[late.to_numpy(dtype=bool)]
    ]
