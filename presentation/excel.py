"""The Excel workbook: one sheet per table with the same column names as the CSV result files.

A planner can filter and pivot there what the report only summarises.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from models.atomic import replace_file
from optimizer import PlanResult, collaboration_value
from presentation.figures import band_tables
from presentation.labels import PERCENT_COLUMNS, format_number


def workbook_tables(result: PlanResult) -> dict[str, pd.DataFrame]:
    """Every table of a plan by sheet name (LP tables, integer plan, bands, collaboration if attached)."""
    before, after = band_tables(result)
    tables = {
        "allocations": result.lp.allocations,
        "integer_plan": result.integer.allocations,
        "region_kpis": result.lp.region_kpis,
        "region_totals": result.lp.region_totals,
        "procedure_totals": result.integer.procedure_totals,
        "specialty_plan": result.integer.specialty_plan,
        "theatre_use": result.lp.theatre_use,
        "bed_use": result.lp.bed_use,
        "payments": result.lp.payments,
        "shadow_prices": result.shadow_prices,
        "waiting_bands_before": before.assign(band=before["band"].astype(str)),
        "waiting_bands_after": after.assign(band=after["band"].astype(str)),
    }
    if result.standalone is not None:
        tables["collaboration"] = collaboration_value(result, result.standalone)
    return {name: table.reset_index(drop=True) for name, table in tables.items()}


EXCEL_MAX_ROWS = 1_048_575  # below the header
_INVALID_SHEET_CHARACTERS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _sheet_names(names) -> list[str]:
    """Excel-safe sheet names: no []:*?/\\, at most 31 characters, unique (case-insensitively)."""
    out: list[str] = []
    for name in names:
        base = (str(name).translate(_INVALID_SHEET_CHARACTERS).strip("'") or "sheet")[:31]
        candidate, i = base, 1
        while candidate.lower() in {o.lower() for o in out}:
            i += 1
            candidate = f"{base[: 31 - len(str(i)) - 1]}~{i}"
        out.append(candidate)
    return out


def _cell_value(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _number_format(column: str, series: pd.Series) -> str | None:
    """Excel number format of a column: percentages for shares, thousands for other numbers."""
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_float_dtype(series):
        return "0.0%" if column in PERCENT_COLUMNS else "#,##0.00"
    if pd.api.types.is_integer_dtype(series):
        return "#,##0"
    return None


def _write_sheet(sheet, table: pd.DataFrame, header_font, header_fill) -> None:
    """Header row (bold, filled, frozen, with a filter), the rows, number formats and column widths."""
    from openpyxl.utils import get_column_letter

    table = table.reset_index(drop=True)
    for column in table.columns:  # object columns holding only numbers (e.g. optional extra days)
        if pd.api.types.is_object_dtype(table[column]):
            numeric = pd.to_numeric(table[column], errors="coerce")
            if numeric.notna().sum() == table[column].notna().sum():
                table[column] = numeric
    sheet.append([str(c) for c in table.columns])
    for record in table.itertuples(index=False, name=None):
        sheet.append([_cell_value(v) for v in record])
    for i, column in enumerate(table.columns, start=1):
        letter = get_column_letter(i)
        sheet[f"{letter}1"].font, sheet[f"{letter}1"].fill = header_font, header_fill
        fmt = _number_format(str(column), table[column])
        if fmt and len(table):
            for (cell,) in sheet.iter_rows(min_row=2, max_row=len(table) + 1, min_col=i, max_col=i):
                cell.number_format = fmt
        sample = [format_number(v, 2) if fmt else str(v) for v in table[column].head(500)]
        width = max([len(str(column))] + [len(s) for s in sample]) + 2
        sheet.column_dimensions[letter].width = min(max(width, 8), 60)
    sheet.freeze_panes = "A2"
    if len(table.columns):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"


def excel_export(tables: dict[str, pd.DataFrame], path: str | os.PathLike) -> Path:
    """Write one sheet per table into an .xlsx workbook (atomically) and return its path.

    Column names as in the CSV files, header bold and frozen with a filter, widths from the content,
    numbers formatted (shares and utilisation as percentages).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F1")
    for sheet_name, table in zip(_sheet_names(tables), tables.values(), strict=True):
        if len(table) > EXCEL_MAX_ROWS:
            raise ValueError(f"table {sheet_name} has {len(table)} rows, more than an Excel sheet holds")
        _write_sheet(workbook.create_sheet(sheet_name), table, header_font=bold, header_fill=fill)
    if not workbook.sheetnames:
        workbook.create_sheet("empty")
    return replace_file(path, workbook.save)
