"""The dataset contract: which CSV files a dataset holds, their columns, types, keys and references.

A dataset is a folder of CSV files (UTF-8, comma separated, header row). This module is the single
source of truth for that format: the loader validates against it, `save_dataset` writes it, the
generator of the default dataset produces it, and the pydantic record models of the JSON form (API
upload, OpenAPI schema: `models.domain`) are derived from it. Change a file's columns, bounds or
patterns here and nowhere else.

A column's type carries its rules: an `id` matches `ID_PATTERN` and has at most `ID_MAX_LENGTH`
characters, a `week` is an existing ISO week (`2025-W14`), a `date` is `YYYY-MM-DD`, a `bool` is one
of `TRUE_VALUES`/`FALSE_VALUES`, `level` and `status` are one of `CHOICES`, and every number lies
within ±`MAX_NUMBER` besides its own `minimum`/`maximum`.

Version 2 of the contract (DESIGN.md "Priorities") adds what a dataset *may* leave out, declared
here and handled by one mechanism in the loader and the JSON models: an `optional` file (a dataset
without it holds the `Dataset` field's default table), and a column with a `default` that may be
left out of the header (every row then holds the default) unless the file named by its
`required_with` is in the dataset. priorities.csv and waiting_list.csv's `priority` are the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from models.dataset import DEFAULT_PRIORITY

ColumnType = Literal["id", "text", "int", "float", "week", "date", "bool", "level", "status"]

HOSPITAL_LEVELS = ("university", "county", "district", "private")
PATIENT_STATUSES = ("waiting", "MoV", "PvV", "booked")
#: The status of a patient with a date: fixed at `booked_hospital_id` in `booked_week`, never moved.
BOOKED = "booked"
#: The allowed values of the enumerated column types.
CHOICES: dict[str, tuple[str, ...]] = {"level": HOSPITAL_LEVELS, "status": PATIENT_STATUSES}
#: What an id may hold (letters, digits, `_ . -`), and its maximum length.
ID_PATTERN = r"^[A-Za-z0-9_.\-]+$"
ID_MAX_LENGTH = 64
#: The shape of a `week` value; the week must also exist (`models.weeks.is_iso_week`).
WEEK_PATTERN = r"^\d{4}-W\d{2}$"
#: The shape of a `date` value (ISO 8601 calendar date).
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
#: Spellings of a `bool` value (compared in lower case).
TRUE_VALUES = ("true", "1", "yes")
FALSE_VALUES = ("false", "0", "no")
#: Upper bound on the magnitude of any numeric field, so that "huge" capacities (1e300, typos) are caught.
MAX_NUMBER = 1e9
#: Separator of several KVÅ codes inside the procedures.csv `kva_codes` field.
KVA_SEPARATOR = ";"
#: How far a column with a `total` may sum from it.
TOTAL_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Column:
    """One column of a contract file.

    `optional` columns must be present in the header but may be empty in a row; `minimum` and
    `maximum` are the smallest and largest allowed values of a numeric column and `positive` forbids
    zero as well. `pseudonymous` marks a column that must not hold anything shaped like a personal
    identity number (`models.identity`). `description` documents the column (OpenAPI schema).

    A column with a `default` may be left out of the header: every row then holds the default, as
    does a row whose (optional) field is empty. `required_with` names an optional file whose presence
    lifts both allowances: with that file in the dataset the column must be in the header and
    non-empty in every row. `total` is the sum the column's values must have (± `TOTAL_TOLERANCE`),
    checked over the whole file (a problem of the file and column, no row).
    """

    name: str
    type: ColumnType
    optional: bool = False
    minimum: float | None = None
    maximum: float | None = None
    positive: bool = False
    pseudonymous: bool = False
    default: str | None = None
    required_with: str | None = None
    total: float | None = None
    description: str = ""

    @property
    def may_be_left_out(self) -> bool:
        """True if the column may be missing from the header (when `required_with` is absent)."""
        return self.default is not None

    @property
    def is_number(self) -> bool:
        """True for `int` and `float` columns."""
        return self.type in ("int", "float")

    @property
    def choices(self) -> tuple[str, ...] | None:
        """The allowed values of an enumerated column (`level`, `status`), else None."""
        return CHOICES.get(self.type)

    @property
    def pattern(self) -> str | None:
        """The regular expression a value must match in full (ids, weeks, dates), else None."""
        return {"id": ID_PATTERN, "week": WEEK_PATTERN, "date": DATE_PATTERN}.get(self.type)

    @property
    def max_length(self) -> int | None:
        """The maximum length of a value (ids), else None."""
        return ID_MAX_LENGTH if self.type == "id" else None

    @property
    def lower(self) -> float | None:
        """The smallest allowed value of a numeric column (inclusive; see `positive`), else None."""
        if not self.is_number:
            return None
        return -MAX_NUMBER if self.minimum is None else max(self.minimum, -MAX_NUMBER)

    @property
    def upper(self) -> float | None:
        """The largest allowed value of a numeric column (inclusive), else None."""
        if not self.is_number:
            return None
        return MAX_NUMBER if self.maximum is None else min(self.maximum, MAX_NUMBER)


@dataclass(frozen=True)
class Reference:
    """A foreign key: `column` of this file must hold a value of `target_column` in `target_file`."""

    column: str
    target_file: str
    target_column: str


@dataclass(frozen=True)
class FileSpec:
    """The contract of one CSV file: its columns (in order), primary key and references.

    `record` names the pydantic model of one row (`models.domain`, OpenAPI schema) and
    `description` says what a row is. An `optional` file may be left out of a dataset: the dataset
    then holds the default table of its `Dataset` field (e.g. `models.dataset.default_priorities`).
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = field(default=())
    optional: bool = False
    record: str = ""
    description: str = ""

    @property
    def table(self) -> str:
        """The table's name: the file name without `.csv` (`Dataset` attribute, JSON list)."""
        return self.name.removesuffix(".csv")

    @property
    def column_names(self) -> list[str]:
        """The column names, in order."""
        return [c.name for c in self.columns]

    def columns_in(self, frame_columns) -> list[str]:
        """The contract's columns, in order, that a table with `frame_columns` writes: every column that
        must be there, and those that may be left out (a default) only where the table has them."""
        present = set(frame_columns)
        return [c.name for c in self.columns if not c.may_be_left_out or c.name in present]

    def column(self, name: str) -> Column:
        """The column called `name`."""
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
            record="Region",
            description="A region (county council) of the health-care region.",
        ),
        FileSpec(
            "hospitals.csv",
            (
                Column("hospital_id", "id"),
                Column("name", "text"),
                Column("region_id", "id"),
                Column("level", "level"),
                Column("lat", "float", minimum=-90, maximum=90, description="Latitude, degrees north."),
                Column("lon", "float", minimum=-180, maximum=180, description="Longitude, degrees east."),
            ),
            key=("hospital_id",),
            references=(_ref("region_id", "regions.csv"),),
            record="Hospital",
            description="A hospital; `level` orders what it can do (university does everything).",
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
                Column("kva_codes", "text", optional=True, description=f"KVÅ codes, separated by '{KVA_SEPARATOR}'."),
            ),
            key=("procedure_id",),
            record="Procedure",
            description="A procedure group (e.g. knee arthroplasty) with its default theatre and bed use.",
        ),
        FileSpec(
            "capabilities.csv",
            (
                Column("hospital_id", "id"),
                Column("procedure_id", "id"),
                Column(
                    "cases_per_theatre_day",
                    "float",
                    optional=True,
                    positive=True,
                    description="Empty: the procedure's default rate.",
                ),
            ),
            key=("hospital_id", "procedure_id"),
            references=(_ref("hospital_id", "hospitals.csv"), _ref("procedure_id", "procedures.csv")),
            record="Capability",
            description="Hospital `hospital_id` can do `procedure_id`; an empty rate means the procedure's default.",
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
            record="TheatreCapacity",
            description="Theatre days of one specialty at one hospital in one ISO week.",
        ),
        FileSpec(
            "beds.csv",
            (Column("hospital_id", "id"), Column("week", "week"), Column("bed_days", "float", minimum=0)),
            key=("hospital_id", "week"),
            references=(_ref("hospital_id", "hospitals.csv"),),
            record="BedCapacity",
            description="Elective bed-days available at one hospital in one ISO week.",
        ),
        FileSpec(
            "waiting_list.csv",
            (
                Column(
                    "patient_id",
                    "id",
                    pseudonymous=True,
                    description="Pseudonymous: anything shaped like a personal identity number is rejected.",
                ),
                Column("region_id", "id"),
                Column("procedure_id", "id"),
                Column("decision_date", "date", description="Date of the decision to treat (YYYY-MM-DD)."),
                Column(
                    "status",
                    "status",
                    description=(
                        "waiting; MoV (medical reasons to wait) and PvV (patient's own choice to wait, also a "
                        "patient who declined an offer elsewhere); booked (has a date: booked_hospital_id, "
                        "booked_week)."
                    ),
                ),
                Column("accepts_travel", "bool", description="The patient accepts an offer at another hospital."),
                Column("listed_hospital_id", "id", optional=True, description="Empty: the region's fallback hospital."),
                Column(
                    "priority",
                    "id",
                    optional=True,
                    default=DEFAULT_PRIORITY,
                    required_with="priorities.csv",
                    description=(
                        "The medical priority (a priority_id of priorities.csv): required when priorities.csv "
                        "is given; without it the column may be left out or empty, and every patient is "
                        f"{DEFAULT_PRIORITY}."
                    ),
                ),
                Column(
                    "booked_hospital_id",
                    "id",
                    optional=True,
                    default="",
                    description=(
                        "Where a booked patient is treated (status booked: required, a hospital able to do "
                        "the procedure; otherwise empty). The column may be left out."
                    ),
                ),
                Column(
                    "booked_week",
                    "week",
                    optional=True,
                    default="",
                    description=(
                        "The ISO week a booked patient is treated (status booked: required, within the plan "
                        "or before it; otherwise empty). The column may be left out."
                    ),
                ),
            ),
            key=("patient_id", "procedure_id"),
            references=(
                _ref("region_id", "regions.csv"),
                _ref("procedure_id", "procedures.csv"),
                _ref("listed_hospital_id", "hospitals.csv", "hospital_id"),
                _ref("priority", "priorities.csv", "priority_id"),
                _ref("booked_hospital_id", "hospitals.csv", "hospital_id"),
            ),
            record="WaitingPatient",
            description="One waiting-list entry (a patient waiting for one procedure).",
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
            record="DemandForecast",
            description="Expected new decisions to treat for one region and procedure in one week.",
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
            record="PriceEntry",
            description="Price (SEK) charged under the regional price list for a procedure at a hospital.",
        ),
        FileSpec(
            "priorities.csv",
            (
                Column("priority_id", "id"),
                Column("name_sv", "text", description="The priority's name in Swedish."),
                Column(
                    "max_wait_days",
                    "float",
                    positive=True,
                    description="Medically acceptable wait (days from the decision): breach costs count from it.",
                ),
                Column(
                    "demand_share",
                    "float",
                    minimum=0,
                    maximum=1,
                    total=1.0,
                    description="Share of new decisions to treat of this priority; the column sums to 1.",
                ),
            ),
            key=("priority_id",),
            optional=True,
            record="Priority",
            description=(
                "A medical priority with its maximum wait (optional file: without it, one priority "
                f"{DEFAULT_PRIORITY}, 90 days, every decision)."
            ),
        ),
    )
}
