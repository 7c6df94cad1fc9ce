"""A result table as people read it: ids replaced by names, headings translated.

One mechanism for the HTML report and the Excel workbook: region, hospital, procedure and
specialty ids become the dataset's (Swedish) names, each column gets its plain-language heading in
the reader's language (`presentation.labels.LABELS`). The CSV result files keep ids and snake_case.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from models.dataset import Dataset
from optimizer import PlanResult
from presentation.i18n import N_, Locale
from presentation.labels import (
    LEVEL_NAMES,
    column_label,
    dataset_region_names,
    hospital_names,
    procedure_names,
    specialty_name,
)

#: The capacity kinds of the shadow-price table.
RESOURCES = {"theatre_days": N_("theatre days"), "bed_days": N_("bed-days")}
REGION_COLUMNS = ("region_id", "payer_region", "provider_region")
HOSPITAL_COLUMNS = ("hospital_id", "listed_hospital_id")


def name_maps(result: PlanResult | Dataset, loc: Locale) -> dict[str, Mapping[str, str]]:
    """Display name per id, for every id column a result table (or a dataset summary) may have."""
    dataset = result if isinstance(result, Dataset) else result.instance.dataset
    regions = dataset_region_names(dataset) | {"total": loc._("Total")}
    hospitals = hospital_names(dataset)
    maps: dict[str, Mapping[str, str]] = {c: regions for c in REGION_COLUMNS}
    maps |= {c: hospitals for c in HOSPITAL_COLUMNS}
    maps["procedure_id"] = procedure_names(dataset, loc)
    maps["level"] = {level: loc._(name) for level, name in LEVEL_NAMES.items()}
    return maps


def for_people(
    table: pd.DataFrame, loc: Locale, names: Mapping[str, Mapping[str, str]], columns: list[str] | None = None
) -> pd.DataFrame:
    """`table` (or its `columns`) with names for ids and translated headings; numbers untouched."""
    shown = table[columns].copy() if columns is not None else table.copy()
    for column, mapping in names.items():
        if column in shown:
            shown[column] = shown[column].map(lambda v, m=mapping: m.get(v, v))
    if "specialty" in shown:
        shown["specialty"] = shown["specialty"].map(lambda s: specialty_name(s, loc) if s else s)
    if "resource" in shown:
        shown["resource"] = shown["resource"].map(lambda r: loc._(RESOURCES[r]) if r in RESOURCES else r)
    return shown.rename(columns={c: column_label(c, loc) for c in shown.columns})


def whole_numbers(table: pd.DataFrame) -> pd.DataFrame:
    """Every float column as whole numbers (rounded half up): patients and days as people count them."""
    shown = table.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = np.floor(shown[column].astype(float) + 0.5).astype("int64")
    return shown
