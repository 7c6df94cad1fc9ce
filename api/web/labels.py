"""Names people read on the web page: specialties, comparison measures and dataset names in one language.

Every label is a literal inside `loc._()` so that Babel's extractor (and `tests/test_i18n.py`) sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from models import Dataset
from presentation.i18n import Locale
from presentation.labels import KNOWN_REGION_NAMES


def specialty_labels(loc: Locale) -> dict[str, str]:
    """Specialty id (as in procedures.csv) → its name; unknown ids are shown as they are."""
    return {
        "ent": loc._("Ear, nose and throat"),
        "general_surgery": loc._("General surgery"),
        "gynaecology": loc._("Gynaecology"),
        "hand_surgery": loc._("Hand surgery"),
        "ophthalmology": loc._("Ophthalmology"),
        "orthopaedics": loc._("Orthopaedics"),
        "plastic_surgery": loc._("Plastic surgery"),
        "urology": loc._("Urology"),
    }


def measure_labels(loc: Locale) -> dict[str, str]:
    """Comparison measure (`optimizer.METRICS`) → a heading in people's words."""
    return {
        "weighted_breach_days": loc._("Weighted breach-days (model)"),
        "breach_days_90": loc._("Days waited beyond 90 days"),
        "breach_days_180": loc._("Days waited beyond 180 days"),
        "breach_days_365": loc._("Days waited beyond 365 days"),
        "over_90_end": loc._("Patients over 90 days at the end"),
        "over_180_end": loc._("Patients over 180 days at the end"),
        "over_365_end": loc._("Patients over 365 days at the end"),
        "share_over_90_end": loc._("Share over 90 days at the end"),
        "treated": loc._("Patients treated"),
        "treated_elsewhere": loc._("Treated in another region"),
        "treatment_cost_sek": loc._("Paid to other regions and private providers (price list)"),
        "extra_capacity_sek": loc._("Extra theatre days bought"),
        "cost_sek": loc._("Price list and extra days"),
        "received_sek": loc._("Received from other regions (price list)"),
        "patient_km": loc._("Patient travel (km)"),
        "theatre_utilisation": loc._("Theatre days used"),
    }


#: Measures given in SEK (shown in MSEK), shares (shown in %), and the rest (whole numbers).
MONEY_MEASURES = ("treatment_cost_sek", "extra_capacity_sek", "cost_sek", "received_sek")
SHARE_MEASURES = ("share_over_90_end", "theatre_utilisation")
#: Measures where less is better (the comparison colours a difference by it).
LOWER_IS_BETTER = (
    "weighted_breach_days",
    "breach_days_90",
    "breach_days_180",
    "breach_days_365",
    "over_90_end",
    "over_180_end",
    "over_365_end",
    "share_over_90_end",
    "extra_capacity_sek",
    "patient_km",
)


@dataclass(frozen=True)
class DatasetNames:
    """A dataset's names in the page's language: Swedish procedure names in Swedish, hospitals as named."""

    regions: dict[str, str]
    hospitals: dict[str, str]
    procedures: dict[str, str]
    specialties: dict[str, str]

    @classmethod
    def of(cls, dataset: Dataset, loc: Locale) -> DatasetNames:
        procedures = dataset.procedures
        column = "name_sv" if loc.lang == "sv" and "name_sv" in procedures else "name"
        known = specialty_labels(loc)
        return cls(
            regions={r: KNOWN_REGION_NAMES.get(r, n) for r, n in _pairs(dataset.regions, "region_id", "name")},
            hospitals=dict(_pairs(dataset.hospitals, "hospital_id", "name")),
            procedures=dict(_pairs(procedures, "procedure_id", column)),
            specialties={s: known.get(s, s) for s in dataset.specialties},
        )


def _pairs(table: pd.DataFrame, key: str, name: str) -> list[tuple[str, str]]:
    names = table[name].fillna(table[key]).astype(str)
    return list(zip(table[key].astype(str), names, strict=True))
