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

#: A theatre cell with less slack than this (theatre days) is full: what waits there is short of days.
FULL = 0.05


def theatre_pressure(result: PlanResult) -> pd.DataFrame:
    """Per hospital × week: slack_days (idle theatre days) and short_days (theatre days needed for
    the patients over their limit listed at a full cell of the hospital), and `pressure`: slack_days
    where nothing is short, else −short_days (the value a diverging colour scale shows)."""
    inst = result.instance
    use = result.integer.theatre_use
    cells = use.assign(slack_days=(use["theatre_days"] + use["extra_days_used"] - use["used_days"]).clip(lower=0.0))[
        ["hospital_id", "specialty", "t", "slack_days"]
    ]
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
    cells["short_days"] = np.where(cells["slack_days"] < FULL, cells["needed_days"], 0.0)
    table = cells.groupby(["hospital_id", "t"], as_index=False)[["slack_days", "short_days"]].sum()
    table["pressure"] = np.where(table["short_days"] > 0, -table["short_days"], table["slack_days"])
    table["week"] = [inst.weeks[t - 1] for t in table["t"]]
    return table


def bed_pressure(result: PlanResult) -> pd.DataFrame:
    """Per hospital × week: unused elective bed-days (bed-days available − used) as `pressure`."""
    beds = result.integer.bed_use
    table = beds.assign(slack_days=(beds["bed_days"] - beds["used_bed_days"]).clip(lower=0.0), short_days=0.0)
    table["pressure"] = table["slack_days"]
    return table[["hospital_id", "t", "week", "slack_days", "short_days", "pressure"]]
