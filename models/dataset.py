"""`Dataset`: a validated dataset held as pandas DataFrames, one per contract file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace

import pandas as pd


@dataclass(frozen=True)
class Dataset:
    """All tables of one dataset, typed as the contract says (see `models.contract`).

    Columns: ids and text are strings, `week` columns ISO labels (`2025-W14`), `decision_date` is a
    datetime64 column, `accepts_travel` bool, numbers float (population int). `plan_start` is the
    Monday of the plan's first week: decision dates are all before it.
    """

    name: str
    plan_start: dt.date
    regions: pd.DataFrame
    hospitals: pd.DataFrame
    procedures: pd.DataFrame
    capabilities: pd.DataFrame
    capacity: pd.DataFrame
    beds: pd.DataFrame
    waiting_list: pd.DataFrame
    demand: pd.DataFrame
    prices: pd.DataFrame
    #: priorities.csv (optional in a dataset): priority_id, name_sv, max_wait_days, demand_share.
    #: Without the file there is one priority, `routine`: limit 90 days, all new decisions.
    priorities: pd.DataFrame = field(default_factory=lambda: default_priorities())
    #: True for a generated dataset (`dataset.yaml`, `models.provenance`): people's pages say so.
    synthetic: bool = False

    @staticmethod
    def table_names() -> list[str]:
        """Names of the table attributes, in contract order (file `<name>.csv`)."""
        return [f.name for f in fields(Dataset) if f.name not in ("name", "plan_start", "synthetic")]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name."""
        return {name: getattr(self, name) for name in self.table_names()}

    def with_tables(self, **tables: pd.DataFrame) -> Dataset:
        """A copy with some tables replaced (scenario changes build datasets this way)."""
        return replace(self, **tables)

    @property
    def specialties(self) -> list[str]:
        return sorted(self.procedures["specialty"].unique())


#: The one priority of a dataset without priorities.csv (DESIGN.md "The model", version 2).
DEFAULT_PRIORITY = "routine"


def default_priorities() -> pd.DataFrame:
    """priorities.csv of a dataset that has none: `routine`, limit 90 days, demand share 1."""
    return pd.DataFrame(
        {
            "priority_id": pd.Series([DEFAULT_PRIORITY], dtype=object),  # ids are object columns, as loaded
            "name_sv": ["Rutin"],
            "max_wait_days": [90.0],
            "demand_share": [1.0],
        }
    )
