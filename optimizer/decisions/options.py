"""Purchase options: theatre days that may be bought at a hospital and specialty, from a scenario's
`extra_capacity` offers or from a CSV file (hospital_id, specialty, days_per_week, price_per_day_sek)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from models.dataset import Dataset
from models.errors import DatasetError, Problem
from models.scenario import ExtraCapacity, Scenario

#: Columns of an options file; `weeks` (e.g. `2025-W20..2025-W30`) may be added, empty for all weeks.
OPTION_COLUMNS = ["hospital_id", "specialty", "days_per_week", "price_per_day_sek"]


@dataclass(frozen=True)
class PurchaseOption:
    """Theatre days a week that can be bought at one hospital and specialty, at a price per day."""

    hospital_id: str
    specialty: str
    days_per_week: float
    price_per_day_sek: float
    weeks: str | None = None  # `first..last` ISO weeks; None: the whole horizon

    def change(self, days_per_week: float | None = None, price: float | None = None) -> ExtraCapacity:
        """This option as a scenario change (`extra_capacity`), optionally with other days or price."""
        return ExtraCapacity.model_validate(
            {
                "hospital_id": self.hospital_id,
                "specialty": self.specialty,
                "theatre_days_per_week": self.days_per_week if days_per_week is None else days_per_week,
                "cost_per_day_sek": self.price_per_day_sek if price is None else price,
                **({"weeks": self.weeks} if self.weeks else {}),
            }
        )


def scenario_options(scenario: Scenario) -> list[PurchaseOption]:
    """The scenario's `extra_capacity` offers as purchase options."""
    return [
        PurchaseOption(
            c.hospital_id,
            c.specialty,
            c.theatre_days_per_week,
            c.cost_per_day_sek,
            None if c.weeks is None else f"{c.weeks.first}..{c.weeks.last}",
        )
        for c in scenario.changes
        if isinstance(c, ExtraCapacity)
    ]


def without_offers(scenario: Scenario) -> Scenario:
    """The scenario without its `extra_capacity` offers: the capacity the regions have."""
    changes = [c for c in scenario.changes if not isinstance(c, ExtraCapacity)]
    return scenario.model_copy(update={"changes": changes})


def read_options(path: str | os.PathLike) -> list[PurchaseOption]:
    """Purchase options from a CSV file; raises `DatasetError` naming the file, row and field of each problem."""
    path = Path(path)
    name = path.name
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DatasetError([Problem(name, None, None, f"cannot read purchase options: {exc}")]) from None
    missing = [c for c in OPTION_COLUMNS if c not in table.columns]
    unknown = [c for c in table.columns if c not in [*OPTION_COLUMNS, "weeks"]]
    problems = [Problem(name, 1, c, "missing column") for c in missing]
    problems += [Problem(name, 1, c, "unknown column") for c in unknown]
    if problems:
        raise DatasetError(problems)
    options = []
    for i, row in enumerate(table.to_dict("records"), start=2):  # line 1 is the header
        try:
            change = ExtraCapacity.model_validate(
                {
                    "hospital_id": row["hospital_id"],
                    "specialty": row["specialty"],
                    "theatre_days_per_week": row["days_per_week"],
                    "cost_per_day_sek": row["price_per_day_sek"],
                    **({"weeks": row["weeks"]} if row.get("weeks") else {}),
                }
            )
        except ValidationError as exc:
            renamed = {"theatre_days_per_week": "days_per_week", "cost_per_day_sek": "price_per_day_sek"}
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else None
                problems.append(Problem(name, i, renamed.get(field, field), err["msg"]))
            continue
        weeks = None if change.weeks is None else f"{change.weeks.first}..{change.weeks.last}"
        options.append(
            PurchaseOption(
                change.hospital_id, change.specialty, change.theatre_days_per_week, change.cost_per_day_sek, weeks
            )
        )
    if problems:
        raise DatasetError(problems)
    if not options:
        raise DatasetError([Problem(name, None, None, "no purchase options in the file")])
    return options


def check_options(options: list[PurchaseOption], dataset: Dataset) -> None:
    """Every option must name a known hospital and specialty; raises `DatasetError` naming the option."""
    hospitals, specialties = set(dataset.hospitals["hospital_id"]), set(dataset.procedures["specialty"])
    problems = []
    for k, option in enumerate(options, start=1):
        if option.hospital_id not in hospitals:
            problems.append(Problem("purchase options", k, "hospital_id", f"unknown hospital {option.hospital_id!r}"))
        if option.specialty not in specialties:
            problems.append(Problem("purchase options", k, "specialty", f"unknown specialty {option.specialty!r}"))
    if problems:
        raise DatasetError(problems)
