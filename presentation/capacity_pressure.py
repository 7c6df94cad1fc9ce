"""What binds: per hospital and week, theatre days left idle or short, and bed-days left unused.

A heat map of utilisation is 100 % wherever patients wait, so it says nothing. These tables say
where capacity is left over (slack: available − used, where "available" is the planned share of
the theatre days plus extra days bought) and where it is short: in a theatre cell that is full,
the theatre days it would take to treat the patients listed there who are over their limit at the
week's end (patients ÷ the procedure's cases per theatre day). Computed on the whole-patient plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer import PlanResult, cumulative_treated

#: A theatre cell is full when its slack is under this share of its days or under MIN_SLACK_DAYS: a
#: whole-patient plan leaves crumbs of a day that no patient fits into.
FULL_SHARE, MIN_SLACK_DAYS = 0.05, 0.25


def theatre_pressure(result: PlanResult) -> pd.DataFrame:
    """Per hospital × week: theatre days available, slack_days (idle) and short_days (theatre days
    needed for the patients over their limit listed at a full cell of the hospital), with `pressure`
    and `relative` (`with_pressure`)."""
    inst = result.instance
    use = result.integer.theatre_use
    available = use["theatre_days"] + use["extra_days_used"]
    cells = use.assign(available=available, slack_days=(available - use["used_days"]).clip(lower=0.0))
    cells = cells[["hospital_id", "specialty", "t", "available", "slack_days"]]
    S = cumulative_treated(inst, result.integer_y)
    over_limit = np.maximum(inst.over[90] - S, 0.0)  # tier 0: over the priority's own limit
    queues = inst.queues
    rate = inst.dataset.procedures.set_index("procedure_id")["cases_per_theatre_day"]
    per_day = queues["procedure_id"].map(rate).to_numpy(dtype=float)
    needed = pd.DataFrame(over_limit / per_day[:, None], columns=range(1, inst.horizon + 1))
    needed = needed.assign(
        hospital_id=queues["listed_hospital_id"].to_numpy(), specialty=queues["specialty"].to_numpy()
    )
    needed = needed.groupby(["hospital_id", "specialty"]).sum().stack().rename("needed_days").reset_index()
    needed = needed.rename(columns={"level_2": "t"})
    cells = cells.merge(needed, on=["hospital_id", "specialty", "t"], how="left").fillna({"needed_days": 0.0})
    full = cells["slack_days"] < np.maximum(FULL_SHARE * cells["available"], MIN_SLACK_DAYS)
    cells["short_days"] = np.where(full, cells["needed_days"], 0.0)
    cells["slack_days"] = np.where(full, 0.0, cells["slack_days"])
    table = cells.groupby(["hospital_id", "t"], as_index=False)[["available", "slack_days", "short_days"]].sum()
    return with_pressure(table, inst.weeks)


def bed_pressure(result: PlanResult) -> pd.DataFrame:
    """Per hospital × week: elective bed-days available and left unused (slack_days), with
    `pressure` and `relative` (`with_pressure`); nothing is counted short."""
    beds = result.integer.bed_use
    table = beds.assign(
        available=beds["bed_days"],
        slack_days=(beds["bed_days"] - beds["used_bed_days"]).clip(lower=0.0),
        short_days=0.0,
    )
    return with_pressure(table[["hospital_id", "t", "available", "slack_days", "short_days"]], result.instance.weeks)


def with_pressure(table: pd.DataFrame, weeks) -> pd.DataFrame:
    """Add `pressure`: slack_days where nothing is short, else −short_days; `relative`: the same in
    the hospital's own scale, idle days as a share of the days available that week and short days as
    weeks of that capacity (a small hospital short of 5 of its 10 days shows as much as a large one
    short of 50 of its 100), NaN where nothing is available; and the week label."""
    table = table.copy()
    table["pressure"] = np.where(table["short_days"] > 0, -table["short_days"], table["slack_days"])
    has_days = table["available"] > 0
    table["relative"] = np.where(has_days, table["pressure"] / table["available"].where(has_days, 1.0), np.nan)
    table["week"] = [weeks[t - 1] for t in table["t"]]
    return table
