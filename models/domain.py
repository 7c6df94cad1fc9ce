"""Pydantic models of the domain's records, one per row of a contract file.

The engine works on DataFrames (`models.Dataset`) for speed; these models document a row, give the
JSON form of a dataset (API upload, `DatasetPayload`) and validate single records.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.identity import looks_like_personal_number
from models.weeks import parse_iso_week

Id = Field(pattern=r"^[A-Za-z0-9_.\-]+$", min_length=1, max_length=64)
HospitalLevel = Literal["university", "county", "district", "private"]
PatientStatus = Literal["waiting", "MoV", "PvV"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _WeekRecord(_Record):
    week: str

    @field_validator("week")
    @classmethod
    def _iso_week(cls, value: str) -> str:
        parse_iso_week(value)
        return value


class Region(_Record):
    """A region (county council) of the health-care region."""

    region_id: str = Id
    name: str
    population: int = Field(ge=0)


class Hospital(_Record):
    """A hospital; `level` orders what it can do (university does everything)."""

    hospital_id: str = Id
    name: str
    region_id: str = Id
    level: HospitalLevel
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Procedure(_Record):
    """A procedure group (e.g. knee arthroplasty) with its default theatre and bed use."""

    procedure_id: str = Id
    name: str
    name_sv: str
    specialty: str = Id
    cases_per_theatre_day: float = Field(gt=0)
    bed_days_per_case: float = Field(ge=0)
    kva_codes: str = ""


class Capability(_Record):
    """Hospital `hospital_id` can do `procedure_id`; an empty rate means the procedure's default."""

    hospital_id: str = Id
    procedure_id: str = Id
    cases_per_theatre_day: float | None = Field(default=None, gt=0)


class TheatreCapacity(_WeekRecord):
    """Theatre days of one specialty at one hospital in one ISO week."""

    hospital_id: str = Id
    specialty: str = Id
    theatre_days: float = Field(ge=0, le=1e9)


class BedCapacity(_WeekRecord):
    """Elective bed-days available at one hospital in one ISO week."""

    hospital_id: str = Id
    bed_days: float = Field(ge=0, le=1e9)


class WaitingPatient(_Record):
    """One waiting-list entry. `patient_id` is pseudonymous: identity numbers are rejected."""

    patient_id: str = Id
    region_id: str = Id
    procedure_id: str = Id
    decision_date: dt.date
    status: PatientStatus
    accepts_travel: bool
    listed_hospital_id: str | None = None

    @field_validator("patient_id")
    @classmethod
    def _pseudonymous(cls, value: str) -> str:
        if looks_like_personal_number(value):
            raise ValueError("looks like a personal identity number; use pseudonymous ids")
        return value


class DemandForecast(_WeekRecord):
    """Expected new decisions to treat for one region and procedure in one week."""

    region_id: str = Id
    procedure_id: str = Id
    expected_decisions: float = Field(ge=0, le=1e9)


class PriceEntry(_Record):
    """Price (SEK) charged under the regional price list for a procedure at a hospital."""

    procedure_id: str = Id
    hospital_id: str = Id
    price_sek: float = Field(ge=0, le=1e9)


class DatasetPayload(_Record):
    """A whole dataset as JSON: one list of records per contract file."""

    regions: list[Region]
    hospitals: list[Hospital]
    procedures: list[Procedure]
    capabilities: list[Capability]
    capacity: list[TheatreCapacity]
    beds: list[BedCapacity]
    waiting_list: list[WaitingPatient]
    demand: list[DemandForecast]
    prices: list[PriceEntry]
