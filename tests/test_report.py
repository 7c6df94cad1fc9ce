"""HTML reports and the Excel export of a plan and of a comparison."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from optimizer import ResultView, compare, plan
from optimizer.results.comparison import plan_columns
from presentation import excel as report_excel
from presentation import html_report
from tests.factory import random_dataset, scenario

REGION_NAMES = ["Region Uppsala", "Region Örebro län", "Region Värmland"]
# Spelled out here, not read from the module under test: a title that changes must change here too
PLAN_TITLES = [
    "Waiting over time per region, and the 90-day care guarantee",
    "Theatre utilisation per hospital and week",
    "Bed-day utilisation per hospital and week",
    "Patients by home region and treating region",
    "Waiting-time bands at plan start and at end of horizon",
    "Waiting-time bands per region, plan start and end of horizon",
]
COMPARE_TITLES = [
    "Weighted breach-days per region and plan",
    "Patients over 90 days at the end of the horizon, per region and plan",
    "Cost per plan",
    "Share waiting over 90 days over time, all regions",
]


@pytest.fixture(scope="module")
def joint():
    """A joint plan with its standalone baseline attached (policy no_region_worse_off)."""
    ds = random_dataset(1)
    ds = ds.with_tables(regions=ds.regions.assign(name=REGION_NAMES))
    result = plan(scenario(6, policy={"no_region_worse_off": True}), dataset=ds)
    assert result.standalone is not None
    return result


def assert_self_contained(text: str) -> None:
    assert "plotly.js v" in text and len(text) > 1_000_000  # the library itself, inline
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, flags=re.IGNORECASE)
    assert '<script src="http' not in text and "<link" not in text


def test_plan_report_is_one_self_contained_file_with_every_figure_and_region(joint, tmp_path):
    path = html_report.plan_report_html(joint, tmp_path / "out" / "report.html")
    text = path.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert text.count("plotly.js v") == 1  # the JS once, for every figure
    for title in PLAN_TITLES:
        assert title in text
    for name in REGION_NAMES:
        assert name in text
    assert "Value of collaboration" in text  # the attached standalone baseline
    assert "Top 20 shadow prices" in text and "Payments under the price list" in text
    assert "Per procedure (whole-patient plan)" in text  # the production plan per procedure
    assert list(tmp_path.joinpath("out").iterdir()) == [path]  # no temporary file left behind


def test_plan_report_without_standalone_has_no_collaboration_section(joint, tmp_path):
    joint_alone = type(joint)(**{**joint.__dict__, "standalone": None})
    text = html_report.plan_report_html(joint_alone, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Value of collaboration" not in text
    assert PLAN_TITLES[0] in text


def test_workbook_tables_has_every_sheet_and_collaboration_when_attached(joint):
    tables = report_excel.workbook_tables(joint)
    assert list(tables) == [
        "allocations",
        "integer_plan",
        "region_kpis",
        "region_totals",
        "procedure_totals",
        "specialty_plan",
        "theatre_use",
        "bed_use",
        "payments",
        "shadow_prices",
        "waiting_bands_before",
        "waiting_bands_after",
        "collaboration",
    ]
    before, after = tables["waiting_bands_before"], tables["waiting_bands_after"]
    assert list(before["band"].unique()) == ["0-30", "31-60", "61-90", "91-120", "121-180", "181-365", "366+"]
    # what is still waiting at the end equals the region KPIs of the last week
    kpis = tables["region_kpis"]
    assert after["patients"].sum() == pytest.approx(kpis[kpis["t"] == kpis["t"].max()]["waiting"].sum())


def test_excel_export_has_one_sheet_per_table_with_header_and_rows(joint, tmp_path):
    tables = report_excel.workbook_tables(joint)
    path = report_excel.excel_export(tables, tmp_path / "plan.xlsx")
    workbook = load_workbook(path, read_only=False)
    assert workbook.sheetnames == list(tables)
    for name, table in tables.items():
        sheet = workbook[name]
        header = [cell.value for cell in sheet[1]]
        assert header == [str(c) for c in table.columns]
        assert sheet.max_row == len(table) + 1
        assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    allocations = pd.read_excel(path, sheet_name="allocations", engine="openpyxl")
    assert allocations["patients"].sum() == pytest.approx(tables["allocations"]["patients"].sum())


def test_excel_sheet_names_are_shortened_cleaned_and_unique(tmp_path):
    long = "a very long table name that Excel would refuse"
    tables = {
        long: pd.DataFrame({"x": [1, 2]}),
        long + " too": pd.DataFrame({"y": [0.5]}),
        "bad/name?": pd.DataFrame({"z": ["a"]}),
        "empty": pd.DataFrame({"w": []}),
    }
    path = report_excel.excel_export(tables, tmp_path / "t.xlsx")
    names = load_workbook(path).sheetnames
    assert len(names) == 4 and len(set(names)) == 4
    assert all(len(n) <= 31 for n in names) and "bad_name_" in names
    assert load_workbook(path)["empty"].max_row == 1


def test_comparison_report_on_two_plans(joint, tmp_path):
    views = [ResultView.from_plan(joint), ResultView.from_plan(joint.standalone)]
    table = compare(views)
    table = table[["metric", "region_id", *plan_columns(table)]]  # the page shows the plans; differences apart
    names = dict(zip(joint.instance.dataset.regions["region_id"], REGION_NAMES, strict=True))
    path = html_report.comparison_report_html(table, views, tmp_path / "compare.html", region_names=names)
    text = path.read_text(encoding="utf-8")
    assert_self_contained(text)
    for title in COMPARE_TITLES:
        assert title in text
    for name in REGION_NAMES + [v.name for v in views]:
        assert name in text
    with pytest.raises(ValueError, match="plan columns"):
        html_report.comparison_report_html(table, views[:1], tmp_path / "bad.html")
