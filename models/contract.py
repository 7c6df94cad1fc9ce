"""The dataset contract: which CSV files a dataset holds, their columns, types, keys and references.

A dataset is a folder of CSV files (UTF-8, comma separated, header row). This module is the single
source of truth for that format: the loader validates against it, `save_dataset` writes it, and the
generator of the default dataset produces it. Change a file's columns here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["id", "text", "int", "float", "week", "date", "bool", "level", "status"]

HOSPITAL_LEVELS = ("university", "county", "district", "private")
PATIENT_STATUSES = ("waiting", "MoV", "PvV")
#: Separator of several KVÅ codes inside the procedures.csv `kva_codes` field.
KVA_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    """One column of a contract file.

    `optional` columns must be present in the header but may be empty in a row; `minimum` is the
    smallest allowed value of a numeric column and `positive` forbids zero as well.
    """

    name: str
    type: ColumnType
    optional: bool = False
    minimum: float | None = None
    positive: bool = False


@dataclass(frozen=True)
class Reference:
    """A foreign key: `column` of this file must hold a value of `target_column` in `target_file`."""

    column: str
    target_file: str
    target_column: str


@dataclass(frozen=True)
class FileSpec:
    """The contract of one CSV file: its columns (in order), primary key and references."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _ref(column: str, target_file: str, target_column: str | None = None) -> Reference:
    return Reference(column, target_file, target_column or column)


FILES: dict[str, FileSpec] = {
    spec.name: spec
    for spec in (
        FileSpec(
            "regions.csv",
            (Column("region_id", "id"), Column("name", "text"), Column("population", "int", minimum=0)),
            key=("region_id",),
        ),
        FileSpec(
            "hospitals.csv",
            (
                Column("hospital_id", "id"),
                Column("name", "text"),
                Column("region_id", "id"),
                Column("level", "level"),
                Column("lat", "float", minimum=-90),
                Column("lon", "float", minimum=-180),
            ),
            key=("hospital_id",),
            references=(_ref("region_id", "regions.csv"),),
        ),
        FileSpec(
            "procedures.csv",
            (
                Column("procedure_id", "id"),
                Column("name", "text"),
                Column("name_sv", "text"),
                Column("specialty", "id"),
                Column("cases_per_theatre_day", "float", positive=True),
                Column("bed_days_per_case", "float", minimum=0),
                Column("kva_codes", "text", optional=True),
            ),
            key=("procedure_id",),
        ),
        FileSpec(
            "capabilities.csv",
            (
                Column("hospital_id", "id"),
                Column("procedure_id", "id"),
                Column("cases_per_theatre_day", "float", optional=True, positive=True),
            ),
            key=("hospital_id", "procedure_id"),
            references=(_ref("hospital_id", "hospitals.csv"), _ref("procedure_id", "procedures.csv")),
        ),
        FileSpec(
            "capacity.csv",
            (
                Column("hospital_id", "id"),
                Column("specialty", "id"),
                Column("week", "week"),
                Column("theatre_days", "float", minimum=0),
            ),
            key=("hospital_id", "specialty", "week"),
            references=(
                _ref("hospital_id", "hospitals.csv"),
                _ref("specialty", "procedures.csv"),
            ),
        ),
        FileSpec(
            "beds.csv",
            (Column("hospital_id", "id"), Column("week", "week"), Column("bed_days", "float", minimum=0)),
            key=("hospital_id", "week"),
            references=(_ref("hospital_id", "hospitals.csv"),),
        ),
        FileSpec(
            "waiting_list.csv",
            (
                Column("patient_id", "id"),
                Column("region_id", "id"),
                Column("procedure_id", "id"),
                Column("decision_date", "date"),
                Column("status", "status"),
                Column("accepts_travel", "bool"),
                Column("listed_hospital_id", "id", optional=True),
            ),
            key=("patient_id", "procedure_id"),
            references=(
                _ref("region_id", "regions.csv"),
                _ref("procedure_id", "procedures.csv"),
                _ref("listed_hospital_id", "hospitals.csv", "hospital_id"),
            ),
        ),
        FileSpec(
            "demand.csv",
            (
                Column("region_id", "id"),
                Column("procedure_id", "id"),
                Column("week", "week"),
                Column("expected_decisions", "float", minimum=0),
            ),
            key=("region_id", "procedure_id", "week"),
            references=(_ref("region_id", "regions.csv"), _ref("procedure_id", "procedures.csv")),
        ),
        FileSpec(
            "prices.csv",
            (
                Column("procedure_id", "id"),
                Column("hospital_id", "id"),
                Column("price_sek", "float", minimum=0),
            ),
            key=("procedure_id", "hospital_id"),
            references=(_ref("procedure_id", "procedures.csv"), _ref("hospital_id", "hospitals.csv")),
        ),
    )
}

#: Order in which files are read: referenced files before the files that reference them.
FILE_ORDER: tuple[str, ...] = tuple(FILES)

#: Upper bound on any numeric field, so that "huge" capacities (1e300, typos) are caught.
MAX_NUMBER = 1e9
