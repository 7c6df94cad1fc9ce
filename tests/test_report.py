"""HTML reports and the Excel export of a plan and of a comparison."""

from __future__ import annotations

import json
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
# Spelled out here, not read from the module under test: a title that changes must change here too.
# Swedish by default, English on request.
PLAN_TITLES = {
    "sv": [
        "Väntande över tid per region, och vårdgarantins 90 dagar",
        "Salsdagar per sjukhus och vecka: outnyttjade (blått) eller för få (rött)",
        "Vårddygn per sjukhus och vecka: outnyttjade (blått) eller fullt (vitt)",
        "Patienter efter hemregion och behandlande region",
        "Väntetider vid planens start och vid periodens slut",
        "Väntetider per region, planens start och periodens slut",
    ],
    "en": [
        "Waiting over time per region, and the 90-day care guarantee",
        "Theatre days per hospital and week: idle (blue) or short (red)",
        "Bed-days per hospital and week: unused (blue) or full (white)",
        "Patients by home region and treating region",
        "Waiting-time bands at plan start and at end of horizon",
        "Waiting-time bands per region, plan start and end of horizon",
    ],
}
PLAN_SECTIONS = {
    "sv": [
        "Produktionsplan",
        "Per behandlingsgrupp: vid periodens start och slut",
        "Väntande, salsdagar och vårddygn inom Ortopedi",
        "Vinnare och förlorare: varje region i samverkan och på egen hand",
        "Betalningar enligt prislistan (hemregionen betalar den behandlande regionen)",
        "Bilaga: modellens siffror",
        "De 20 största skuggpriserna: minskning av målfunktionen med en salsdag eller ett vårddygn till",
    ],
    "en": [
        "Production plan",
        "Per procedure group: at the start and at the end of the horizon",
        "Waiting, theatre days and bed-days: Orthopaedics",
        "Winners and losers: each region together and alone",
        "Payments under the price list (home region pays the treating region)",
        "Appendix: the model&#x27;s figures",
        "Top 20 shadow prices: objective saved by one more theatre day or bed-day",
    ],
}
COMPARE_TITLES = {
    "sv": [
        "Väntedagar utöver 90 dagar per region och plan",
        "Patienter över 90 dagar vid periodens slut, per region och plan",
        "Kostnad per plan",
        "Andel väntande över 90 dagar över tid, alla regioner",
    ],
    "en": [
        "Days waited beyond 90 days per region and plan",
        "Patients over 90 days at the end of the horizon, per region and plan",
        "Cost per plan",
        "Share waiting over 90 days over time, all regions",
    ],
}
NBSP = "\u00a0"
#: Every number in a table cell, as Swedish and English readers write it (optional sign, thousands
#: groups, decimals, percent sign).
NUMBER_CELL = {
    "sv": re.compile(r"^[+\-\u2212]?\d{1,3}(\u00a0\d{3})*(,\d+)?(\u00a0%)?$"),
    "en": re.compile(r"^[+\-\u2212]?\d{1,3}(,\d{3})*(\.\d+)?%?$"),
}


def shows(title: str, text: str) -> bool:
    """A title is on the page: in its HTML, or inside a figure's JSON (non-ASCII escaped as \\uXXXX)."""
    return title in text or json.dumps(title)[1:-1] in text


def number_cells(text: str) -> list[str]:
    return re.findall(r"<td class='num'>([^<]*)</td>", text)


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


def test_plan_report_is_swedish_by_default_with_every_section_figure_and_region(joint, tmp_path, monkeypatch):
    monkeypatch.delenv("CAPPLAN_LANG", raising=False)
    path = html_report.plan_report_html(joint, tmp_path / "out" / "report.html")
    text = path.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert text.count("plotly.js v") == 1  # the JS once, for every figure
    assert "<html lang='sv'>" in text
    for title in PLAN_TITLES["sv"] + PLAN_SECTIONS["sv"]:
        assert shows(title, text), title
    for name in REGION_NAMES:
        assert name in text
    # people's figures in the fact box: whole patients, Swedish digits (123 treated in this plan)
    treated = joint.integer.terms["treated"]
    assert treated == pytest.approx(round(treated))  # the whole-patient plan treats whole patients
    assert f"<dt>Behandlade</dt><dd>{int(round(treated))}</dd>" in text
    cells = number_cells(text)
    assert len(cells) > 50
    assert all(NUMBER_CELL["sv"].match(c) for c in cells), [c for c in cells if not NUMBER_CELL["sv"].match(c)][:5]
    assert any("," in c for c in cells)  # decimals with a comma (theatre days)
    assert "Syntetiska data" not in text  # no banner unless the dataset says it is synthetic
    assert list(tmp_path.joinpath("out").iterdir()) == [path]  # no temporary file left behind


def test_plan_report_in_english_on_request_and_banner_for_synthetic_data(joint, tmp_path):
    text = html_report.plan_report_html(joint, tmp_path / "report.html", lang="en", synthetic=True).read_text(
        encoding="utf-8"
    )
    assert "<html lang='en'>" in text
    for title in PLAN_TITLES["en"] + PLAN_SECTIONS["en"]:
        assert shows(title, text), title
    assert "Synthetic data: these figures are estimates, not official statistics." in text
    cells = number_cells(text)
    assert all(NUMBER_CELL["en"].match(c) for c in cells), [c for c in cells if not NUMBER_CELL["en"].match(c)][:5]
    assert "Produktionsplan" not in text


def test_plan_report_puts_the_model_figures_in_the_appendix_only(joint, tmp_path):
    text = html_report.plan_report_html(joint, tmp_path / "report.html", lang="en").read_text(encoding="utf-8")
    appendix = text.index("Appendix: the model")
    for model_word in ("LP bound", "Objective of the whole-patient plan", "Build / solve time", "Weighted breach-days"):
        assert text.index(model_word) > appendix, model_word
    for people_word in ("Treated", "Over 90 days: start → end", "Theatre days used", "MSEK"):
        assert text.index(people_word) < appendix, people_word


def test_plan_report_without_standalone_has_no_collaboration_section(joint, tmp_path):
    joint_alone = type(joint)(**{**joint.__dict__, "standalone": None})
    text = html_report.plan_report_html(joint_alone, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Vinnare och förlorare" not in text and "Samverkansvärde" not in text
    assert shows(PLAN_TITLES["sv"][0], text)


def test_workbook_tables_are_swedish_with_the_production_plan_first(joint, monkeypatch):
    monkeypatch.delenv("CAPPLAN_LANG", raising=False)
    tables = report_excel.workbook_tables(joint)
    assert list(tables) == [
        "Produktionsplan",
        "Behandlingsgrupper",
        "Vinnare och förlorare",
        "Fördelning (LP)",
        "Plan i hela patienter",
        "Regioner per vecka",
        "Regioner totalt",
        "Behandlingsgrupper totalt",
        "Specialitet per vecka",
        "Salsdagar",
        "Vårddygn",
        "Betalningar",
        "Skuggpriser",
        "Väntetider vid start",
        "Väntetider vid slut",
        "Samverkansvärde",
    ]
    assert list(tables["Produktionsplan"].columns) == [
        "Specialitet",
        "Sjukhus",
        "Månad",
        "Väntande vid månadens slut",
        "Tillgängliga salsdagar",
        "Använda salsdagar",
        "Använda vårddygn",
    ]
    assert not any("_" in str(c) for table in tables.values() for c in table.columns)  # no snake_case
    assert set(tables["Regioner per vecka"]["Region"]) == set(REGION_NAMES)  # names, not ids
    before, after = tables["Väntetider vid start"], tables["Väntetider vid slut"]
    assert list(before["Dagar väntat"].unique()) == ["0-30", "31-60", "61-90", "91-120", "121-180", "181-365", "366+"]
    # what is still waiting at the end equals the region KPIs of the last week
    kpis = tables["Regioner per vecka"]
    last = kpis[kpis["Veckonummer"] == kpis["Veckonummer"].max()]
    assert after["Patienter"].sum() == pytest.approx(last["Väntande"].sum())


def test_workbook_tables_in_english_on_request_with_a_synthetic_note_first(joint):
    tables = report_excel.workbook_tables(joint, lang="en", synthetic=True)
    assert list(tables)[:4] == ["Read first", "Production plan", "Procedure groups", "Winners and losers"]
    assert tables["Read first"].iloc[0, 0].startswith("Synthetic data")
    assert "Theatre days available" in tables["Production plan"].columns


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
    allocations = pd.read_excel(path, sheet_name="Fördelning (LP)", engine="openpyxl")
    assert allocations["Patienter"].sum() == pytest.approx(joint.lp.allocations["patients"].sum())
    share = list(tables["Regioner per vecka"].columns).index("Andel över 90 dagar") + 1
    assert workbook["Regioner per vecka"].cell(row=2, column=share).number_format == "0.0%"
    # winners green, losers red, as in the report (the words stay in the last column)
    verdicts = tables["Vinnare och förlorare"]["Bedömning"].to_list()
    fills = [workbook["Vinnare och förlorare"].cell(row=i + 2, column=1).fill.fgColor.rgb for i in range(len(verdicts))]
    expected = {"bättre": "00E3F4E1", "sämre": "00FBE3E1"}
    assert [f for f, v in zip(fills, verdicts, strict=True) if v in expected] == [
        expected[v] for v in verdicts if v in expected
    ]
    assert "sämre" in verdicts or "bättre" in verdicts


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


def test_comparison_report_on_two_plans_in_swedish_and_english(joint, tmp_path):
    views = [ResultView.from_plan(joint), ResultView.from_plan(joint.standalone)]
    table = compare(views)
    table = table[["metric", "region_id", *plan_columns(table)]]  # the page shows the plans; differences apart
    names = dict(zip(joint.instance.dataset.regions["region_id"], REGION_NAMES, strict=True))
    for lang in ("sv", "en"):
        path = html_report.comparison_report_html(
            table, views, tmp_path / f"compare-{lang}.html", region_names=names, lang=lang
        )
        text = path.read_text(encoding="utf-8")
        assert_self_contained(text)
        assert f"<html lang='{lang}'>" in text
        for title in COMPARE_TITLES[lang]:
            assert shows(title, text), title
        for name in REGION_NAMES + [v.name for v in views]:
            assert name in text
        assert all(NUMBER_CELL[lang].match(c) for c in number_cells(text))
    assert "test-standalone − test" in text  # the difference column against the first plan
    assert "Winners and losers: test-standalone against test" in text
    with pytest.raises(ValueError, match="plan columns"):
        html_report.comparison_report_html(table, views[:1], tmp_path / "bad.html")
