"""The Excel workbook: the production plan first, then one sheet per result table, in Swedish by
default (sheet names, headings, names for ids); the CSV result files keep ids and column names.

A planner can filter and pivot there what the report only summarises.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from models.atomic import replace_file
from optimizer import PlanResult, collaboration_value
from presentation.comparison_report import comparison_table, in_reading_order
from presentation.display import for_people, name_maps
from presentation.figures import band_tables
from presentation.i18n import N_, SUPPORTED_LANGS, Locale
from presentation.labels import KNOWN_REGION_NAMES, PERCENT_COLUMNS, column_label, format_number, region_names
from presentation.outcomes import against_alone, against_base
from presentation.production_plan import procedure_before_after, production_plan_table

#: Sheet names of a plan's workbook (English source, translated; at most 31 characters in Excel).
SHEETS = {
    "production_plan": N_("Production plan"),
    "procedures": N_("Procedure groups"),
    "winners_losers": N_("Winners and losers"),
    "allocations": N_("Allocation (LP)"),
    "integer_plan": N_("Whole-patient plan"),
    "region_kpis": N_("Regions per week"),
    "region_totals": N_("Region totals"),
    "procedure_totals": N_("Procedure totals"),
    "specialty_plan": N_("Specialty plan per week"),
    "theatre_use": N_("Theatre days"),
    "bed_use": N_("Bed-days"),
    "payments": N_("Payments"),
    "shadow_prices": N_("Shadow prices"),
    "waiting_bands_before": N_("Waiting times at start"),
    "waiting_bands_after": N_("Waiting times at end"),
    "collaboration": N_("Value of collaboration"),
    "comparison": N_("Comparison"),
    "read_first": N_("Read first"),
}


def sheet_name(key: str, loc: Locale) -> str:
    """A sheet's name in `loc`'s language."""
    return loc._(SHEETS[key])


def workbook_tables(result: PlanResult, lang: str | None = None, synthetic: bool = False) -> dict[str, pd.DataFrame]:
    """Every table of a plan by sheet name, as people read them (names for ids, translated headings).

    First the production plan (per specialty × hospital × month; per procedure group before and
    after) and, with a standalone baseline attached, winners and losers; then the result tables
    (LP tables, whole-patient plan, waiting-time bands, value of collaboration). In `lang` (default
    `CAPPLAN_LANG`, else Swedish); the CSV result files keep ids and column names. `synthetic` puts
    a first sheet saying the data are synthetic.
    """
    loc = Locale.for_lang(lang)
    maps = name_maps(result, loc)
    before, after = band_tables(result)
    synthetic = synthetic or result.instance.dataset.synthetic  # the dataset says so (`models.provenance`)
    tables = synthetic_sheet(loc) if synthetic else {}
    tables |= {
        "production_plan": production_plan_table(result, loc),
        "procedures": procedure_before_after(result, loc),
    }
    if result.standalone is not None:
        collaboration = collaboration_value(result, result.standalone)
        tables["winners_losers"] = against_alone(collaboration, region_names(result), loc)
    raw = {
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
        raw["collaboration"] = collaboration
    tables |= {key: for_people(table, loc, maps) for key, table in raw.items()}
    return {sheet_name(key, loc): table.reset_index(drop=True) for key, table in tables.items()}


def synthetic_sheet(loc: Locale) -> dict[str, pd.DataFrame]:
    """The first sheet of a workbook made from a synthetic dataset: the banner's words."""
    text = loc._("Synthetic data: these figures are estimates, not official statistics.")
    return {"read_first": pd.DataFrame({loc._("Note"): [text]})}


def comparison_workbook_tables(
    table: pd.DataFrame,
    region_names: Mapping[str, str] | None = None,
    lang: str | None = None,
    synthetic: bool = False,
) -> dict[str, pd.DataFrame]:
    """The comparison's sheets: translated measures and regions, one column per plan and a difference
    column per plan against the first (`presentation.comparison_report.comparison_table`), then
    winners and losers of each further plan against the first."""
    loc = Locale.for_lang(lang)
    ids = [r for r in table["region_id"].unique() if r != "total"]
    names = {r: KNOWN_REGION_NAMES.get(r, r) for r in ids} | dict(region_names or {})
    table = in_reading_order(table, names)
    shown = comparison_table(table, names, loc)
    # shares as percentage points with two decimals, so that plans differing by 0.1 point differ
    shares = table["metric"].isin(PERCENT_COLUMNS).to_numpy()
    numbers = shown.columns[2:]
    shown.loc[shares, numbers] = shown.loc[shares, numbers] * 100
    measure = shown.columns[0]
    shown.loc[shares, measure] = shown.loc[shares, measure] + " (%)"
    tables = {sheet_name(key, loc): t for key, t in (synthetic_sheet(loc) if synthetic else {}).items()}
    tables[sheet_name("comparison", loc)] = shown
    plans = [str(c) for c in table.columns[2:]]
    for plan in plans[1:]:  # Excel cuts the name to 31 characters (excel_export)
        tables[sheet_name("winners_losers", loc) + " - " + plan] = against_base(table, plan, plans[0], names, loc)
    return tables


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


@cache
def _percent_headings() -> frozenset[str]:
    """Headings of share columns, in every language (and as column names)."""
    return frozenset(PERCENT_COLUMNS) | {
        column_label(c, Locale(lang)) for c in PERCENT_COLUMNS for lang in SUPPORTED_LANGS
    }


def _number_format(column: str, series: pd.Series) -> str | None:
    """Excel number format of a column: percentages for shares, thousands for other numbers."""
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_float_dtype(series):
        return "0.0%" if column in _percent_headings() else "#,##0.00"
    if pd.api.types.is_integer_dtype(series):
        return "#,##0"
    return None


@cache
def _verdict_words() -> tuple[frozenset[str], dict[str, str]]:
    """The verdict column's heading and its words' fill colours, in every language."""
    locales = [Locale(lang) for lang in SUPPORTED_LANGS]
    headings = frozenset(loc._("Verdict") for loc in locales)
    fills = {loc._("better"): "E3F4E1" for loc in locales} | {loc._("worse"): "FBE3E1" for loc in locales}
    return headings, fills


def _highlight_verdicts(sheet, table: pd.DataFrame) -> None:
    """Winners' rows green and losers' red (as in the report), where a table has a verdict column."""
    from openpyxl.styles import PatternFill

    headings, fills = _verdict_words()
    column = next((c for c in table.columns if str(c) in headings), None)
    if column is None:
        return
    for row, word in enumerate(table[column], start=2):
        if word in fills:
            for cell in sheet[row]:
                cell.fill = PatternFill("solid", fgColor=fills[word])


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
    _highlight_verdicts(sheet, table)
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
