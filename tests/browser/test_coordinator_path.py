"""The coordinator's path through the web page in a real browser (Debian's Chromium via Playwright):
sign in with the keyboard, upload a dataset (a broken one first: the validator's file, row and field
show), edit a scenario in the form and in the YAML, run it with live progress, read the results,
compare two runs and download the Excel workbook, CSV files and the report. No request leaves the
machine: every page works offline. Screenshots go to tests/browser/screenshots/.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import openpyxl
import pytest

from models import save_dataset
from models.contract import FILES
from models.provenance import METADATA_FILE, DatasetMetadata, write_metadata
from tests.browser.conftest import API_KEY, offline_context
from tests.factory import random_dataset

NBSP = "\u00a0"


def _zip(folder, target):
    with zipfile.ZipFile(target, "w") as archive:
        for name in [*FILES, METADATA_FILE]:
            if (folder / name).exists():
                archive.write(folder / name, name)
    return target


@pytest.fixture(scope="module")
def dataset_zips(tmp_path_factory):
    """A small random dataset (tests/factory.py) as the coordinator would zip it, and a broken copy."""
    base = tmp_path_factory.mktemp("upload")
    folder = save_dataset(random_dataset(7), base / "smaland")
    write_metadata(folder, DatasetMetadata(synthetic=True))  # generated data: the results page says so
    good = _zip(folder, base / "smaland.zip")
    hospitals = folder / "hospitals.csv"
    lines = hospitals.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    fields = lines[2].split(",")
    fields[header.index("lat")] = "north"  # line 3 of the file: the second hospital
    lines[2] = ",".join(fields)
    hospitals.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return good, _zip(folder, base / "broken.zip")


@pytest.fixture(scope="module")
def page(browser, service_url):
    context = offline_context(browser, service_url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    assert context.errors == [], f"JavaScript errors: {context.errors}"
    assert context.blocked == [], f"the page tried to reach the internet: {context.blocked}"
    context.close()


def _focus_by_tab(page, element_id: str, most: int = 15) -> int:
    """Press Tab until `element_id` has the focus; the number of presses."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return presses
    raise AssertionError(f"#{element_id} was not reached with {most} presses of Tab")


UNLABELLED = """[...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden' && !e.labels.length && !e.getAttribute('aria-label'))
    .map(e => e.id || e.name || e.outerHTML)"""


def assert_labelled(page) -> None:
    """Every form control on the page has a label (screen readers say what it is for)."""
    assert page.evaluate(UNLABELLED) == [], f"controls without a label on {page.url}"


def press(page, selector: str) -> None:
    """Activate a button or link from the keyboard (focus, Enter), as someone without a mouse would.

    (Also steadier than a mouse click right after a full-page screenshot in headless Chromium.)
    """
    page.focus(selector)
    page.keyboard.press("Enter")


def _write_scenario(page, service_url, name: str, dataset: str):
    page.goto(f"{service_url}/ui/scenario?dataset={dataset}")
    page.wait_for_selector("#scenario-form[data-ready]")
    page.fill("#sc-name", name)
    page.fill("#sc-horizon", "6")
    page.fill("#sc-start", "2025-W14")


def _run_to_the_end(page, shot: str, screenshots) -> str:
    press(page, "#save-run")
    page.wait_for_url(re.compile(r"/ui/runs/[0-9a-f]+$"))
    run_id = page.url.rsplit("/", 1)[1]
    page.wait_for_selector("#result-status p")  # the first poll: queued or a stage
    page.screenshot(path=screenshots / f"{shot}-progress.png")
    page.wait_for_selector("#key-figures .figure", timeout=90_000)
    return run_id


def test_the_coordinators_path(page, service_url, dataset_zips, screenshots, tmp_path):
    good, broken = dataset_zips

    # --- sign in, with the keyboard only ------------------------------------------------------------
    page.goto(service_url + "/")
    assert page.get_attribute("html", "lang") == "sv"  # Swedish by default
    presses = _focus_by_tab(page, "api-key")
    assert presses <= 10
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused control has no visible focus"
    page.keyboard.type(API_KEY)
    page.keyboard.press("Enter")
    page.wait_for_selector("#signin-status .ok")
    assert "Inloggad" in page.inner_text("#signin-status")
    assert page.is_visible("text=Ladda upp eller välj en datamängd")
    page.screenshot(path=screenshots / "01-signed-in.png")

    # --- datasets: the validator's messages, then a good upload ---------------------------------------
    press(page, "nav a[href$='/ui/datasets']")
    page.set_input_files("#upload-file", str(broken))
    page.fill("#upload-name", "trasig")
    press(page, "#upload-form button[type=submit]")
    problem = page.wait_for_selector(".problems li")
    assert "hospitals.csv" in problem.inner_text() and "rad 3" in problem.inner_text()
    assert "lat" in problem.inner_text()
    page.screenshot(path=screenshots / "02-upload-problems.png", full_page=True)
    page.set_input_files("#upload-file", str(good))
    page.fill("#upload-name", "smaland")
    press(page, "#upload-form button[type=submit]")
    page.wait_for_selector("#upload-status .ok")
    row = page.wait_for_selector("#datasets-table tbody tr:has-text('smaland')")
    assert "trasig" not in page.inner_text("#datasets-table")  # loading never half-succeeds
    assert re.search(r"\d+ \(\d+,\d %\)", row.inner_text().replace(NBSP, " "))
    assert_labelled(page)
    page.screenshot(path=screenshots / "03-datasets.png", full_page=True)

    # --- scenario 1: as the data are -------------------------------------------------------------------
    _write_scenario(page, service_url, "grund", "smaland")
    press(page, "#check-scenario")
    page.wait_for_selector("#scenario-status .ok")
    base_run = _run_to_the_end(page, "04-base", screenshots)

    # --- scenario 2: the form and the YAML kept in sync ----------------------------------------------
    _write_scenario(page, service_url, "stangt-sjukhus", "smaland")
    page.select_option("#add-change-type", "close_hospital")
    press(page, "#add-change")
    page.select_option("#changes .change select[name=hospital_id]", "r0_county")
    page.check("#fair-procedure")
    page.fill("#pol-max-travel", "300")
    yaml_text = page.input_value("#scenario-yaml")
    assert "close_hospital:" in yaml_text and "hospital_id: r0_county" in yaml_text
    assert "fairness:" in yaml_text and "by: procedure" in yaml_text and "max_travel_km: 300" in yaml_text
    # an edit in the YAML comes back into the form once checked (through POST /scenarios?dry_run=true)
    page.fill("#scenario-yaml", yaml_text.replace("local_max_km: 0", "local_max_km: 40"))
    press(page, "#check-yaml")
    page.wait_for_selector("#scenario-status .ok")
    assert page.input_value("#pol-local") == "40"
    assert page.input_value("#changes .change select[name=hospital_id]") == "r0_county"
    # a bad value is named by its field
    page.fill("#pol-util", "1.5")
    press(page, "#check-scenario")
    assert "planned_utilisation" in page.wait_for_selector(".problems li").inner_text()
    page.fill("#pol-util", "0.9")
    assert_labelled(page)
    page.screenshot(path=screenshots / "05-scenario-editor.png", full_page=True)
    closed_run = _run_to_the_end(page, "06-closed", screenshots)

    # --- results: people's units -----------------------------------------------------------------------
    figures = page.query_selector_all("#key-figures .figure")
    assert len(figures) == 6
    waiting = figures[0].query_selector(".value").inner_text()
    assert re.fullmatch(r"[\d\u00a0 ]+", waiting), f"patients are whole: {waiting!r}"
    assert "MSEK" in figures[5].inner_text()
    assert page.is_visible("#synthetic-banner") and "Syntetiska data" in page.inner_text("#synthetic-banner")
    plan_rows = page.query_selector_all("#plan-table tbody tr")
    assert plan_rows and "Ortopedi" in page.inner_text("#plan-table")  # Swedish specialty names
    assert page.query_selector("#waiting-figure .main-svg") and page.query_selector("#flows-map .main-svg")
    periods = page.eval_on_selector_all("#plan-period option", "options => options.map(o => o.textContent)")
    assert periods[0] == "Hela planen: v. 14 2025 – v. 19 2025" and periods[1].startswith("April 2025: v. 14 2025")
    page.select_option("#plan-period", "2")  # May 2025: the table follows
    assert page.query_selector_all("#plan-table tbody tr") and page.input_value("#plan-period") == "2"
    page.select_option("#plan-period", "0")
    assert_labelled(page)
    page.screenshot(path=screenshots / "07-results.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366, "no sideways scrolling at 1366 px"

    # --- downloads: Excel, CSV, report --------------------------------------------------------------------
    with page.expect_download() as download:
        press(page, "[data-download=workbook]")
    assert download.value.suggested_filename.endswith("-plan.xlsx")
    download.value.save_as(tmp_path / download.value.suggested_filename)
    workbook = openpyxl.load_workbook(tmp_path / download.value.suggested_filename, read_only=True)
    assert {"integer_plan", "specialty_plan", "region_totals"} <= set(workbook.sheetnames)
    with page.expect_download() as download:
        press(page, "[data-download=csv]")
    header = next(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert header[:3] == ["specialty", "hospital_id", "week"]
    with page.expect_download() as download:
        press(page, "[data-download=report]")
    assert download.value.path().read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")

    # --- runs with their status; comparison of the two ----------------------------------------------------
    press(page, "nav a[href$='/ui/runs']")
    page.wait_for_selector(f"#runs-table a[href$='{closed_run}']")
    assert page.inner_text("#runs-table").count("klar") == 2
    assert_labelled(page)
    page.screenshot(path=screenshots / "08-runs.png", full_page=True)
    press(page, "nav a[href$='/ui/compare']")
    page.check(f"#cmp-{base_run}")
    page.check(f"#cmp-{closed_run}")
    press(page, "#compare-form button[type=submit]")
    page.wait_for_selector("#compare-table tbody tr")
    text = page.inner_text("#compare-table")
    assert "Skillnad: stangt-sjukhus" in text and "Patienter över 90 dagar vid slutet" in text
    headers = page.eval_on_selector_all("#compare-table thead th", "cells => cells.map(c => c.textContent)")
    assert headers == ["Mått", "grund", "stangt-sjukhus", "Skillnad: stangt-sjukhus"], "the plans, then differences"
    assert page.input_value("#compare-region") == "total"
    assert page.query_selector("#compare-table td.better, #compare-table td.worse"), "differences are coloured"
    assert_labelled(page)
    page.screenshot(path=screenshots / "09-compare.png", full_page=True)
    with page.expect_download() as download:
        press(page, "#compare-csv")
    assert download.value.path().read_text(encoding="utf-8").startswith("metric,region_id,")
    _winners_and_losers(page, screenshots)
    _simulation_run(page, screenshots)

    # --- a plan that cannot be: the run says why (agreements only in the YAML, kept by the form) -----------
    _write_scenario(page, service_url, "omojligt-avtal", "smaland")
    agreement = "policy:\n  agreements:\n    - {payer_region: r1, provider_hospital: r0_county, min_cases: 100000}\n"
    page.fill("#scenario-yaml", page.input_value("#scenario-yaml").replace("policy:\n", agreement))
    press(page, "#check-yaml")
    page.wait_for_selector("#scenario-status .ok")
    page.fill("#pol-max-travel", "250")  # a form edit keeps what only the YAML holds
    assert "min_cases: 100000" in page.input_value("#scenario-yaml")
    press(page, "#save-run")
    page.wait_for_url(re.compile(r"/ui/runs/[0-9a-f]+$"))
    failure = page.wait_for_selector("#result-status .error", timeout=90_000)
    assert "misslyckades" in page.inner_text("#result-status") and "villkor krockar" in failure.inner_text()
    assert failure.query_selector_all(".problems li"), "the constraints in conflict are listed"
    assert page.is_hidden("#result-body")
    page.screenshot(path=screenshots / "11-infeasible.png", full_page=True)


def test_english_from_the_browser_and_the_switch(browser, service_url, screenshots):
    context = offline_context(browser, service_url, locale="en-GB")
    page = context.new_page()
    page.goto(service_url + "/")
    assert page.get_attribute("html", "lang") == "en"
    assert page.is_visible("label:has-text('API key')")
    press(page, "a.lang")  # the switch wins over the browser and is remembered
    page.wait_for_function("document.documentElement.lang === 'sv'")
    page.goto(service_url + "/ui/datasets")
    assert page.get_attribute("html", "lang") == "sv"
    assert page.is_visible("text=Logga först in med din API-nyckel.")  # no key in this tab: nothing shown
    assert context.blocked == []
    context.close()


def test_api_docs_work_offline(browser, service_url, screenshots):
    context = offline_context(browser, service_url)
    page = context.new_page()
    page.goto(service_url + "/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "capplan" in page.inner_text(".swagger-ui .info .title")
    page.screenshot(path=screenshots / "10-api-docs.png")
    assert context.blocked == [], f"/docs tried to reach the internet: {context.blocked}"
    context.close()


def _winners_and_losers(page, screenshots) -> None:
    """The comparison's winners and losers per region (sign and word, not colour alone), the fairness
    settings of both runs, and the link that opens the scenario editor with fairness for a new run."""
    page.wait_for_selector("#outcomes:not([hidden]) table.outcome tbody tr")
    table = page.inner_text("#outcomes table.outcome")
    assert "stangt-sjukhus jämfört med grund" in page.inner_text("#outcome-tables")
    rows = page.query_selector_all("#outcomes table.outcome tbody tr")
    assert len(rows) == 3 + 1, "the three regions of the small dataset and the total"
    assert rows[-1].query_selector("th").inner_text() == "Totalt"
    for row in rows:  # each row: a verdict in words, and the colour of the days' change agrees with it
        cells = row.query_selector_all("td")
        word = cells[-1].inner_text()
        assert word in ("bättre", "sämre", "oförändrat")
        kind = {"bättre": "better", "sämre": "worse", "oförändrat": "unchanged"}[word]
        assert kind in cells[2].get_attribute("class")
        change = cells[2].inner_text()
        assert change[0] in "+\u2212±", f"a change carries its sign: {change!r}"
        assert (change[0] == "+") == (kind == "worse") and (change[0] == "\u2212") == (kind == "better")
    assert "bättre" in table or "sämre" in table or "oförändrat" in table
    fairness = page.inner_text("#fairness-runs")
    assert "Rättvisa är på" in fairness  # stangt-sjukhus: fairness by procedure was ticked in the form
    assert "Rättvisa (policy.fairness) är av" in fairness  # grund: off
    page.screenshot(path=screenshots / "13-compare-winners-losers.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366, "no sideways scrolling at 1366 px"
    # one click: the base's scenario in the editor, fairness between regions ticked, ready to run
    press(page, "#fairness-runs > li:first-child a[href*='fairness=region']")
    page.wait_for_selector("#scenario-form[data-ready]")
    page.wait_for_function("document.getElementById('sc-name').value === 'grund-fair'")
    assert page.is_checked("#fair-region") and not page.is_checked("#fair-procedure")
    assert "by: region" in page.input_value("#scenario-yaml")
    assert "En kopia av grund" in page.inner_text("#scenario-status .hint")
    press(page, "#check-scenario")
    assert "Scenariot är giltigt" in page.wait_for_selector("#scenario-status .ok").inner_text()
    assert_labelled(page)
    page.screenshot(path=screenshots / "14-fairness-in-the-editor.png", full_page=True)


def _simulation_run(page, screenshots) -> None:
    """A simulation of 3 draws from the runs form: draws done while it simulates, then the P10–P90 bands
    for all regions and each region, with how to read them."""
    press(page, "nav a[href$='/ui/runs']")
    page.wait_for_selector("#run-scenario option", state="attached")
    page.select_option("#run-scenario", label="grund (smaland)")
    page.check("#sim-on")
    page.fill("#sim-draws", "3")
    page.fill("#sim-seed", "11")
    assert_labelled(page)
    press(page, "#start-run button[type=submit]")
    page.wait_for_url(re.compile(r"/ui/runs/[0-9a-f]+$"))
    progress = page.wait_for_selector("#result-status:has-text('dragningar klara')", timeout=90_000)
    assert re.search(r"simulerar .*: [0-3] av 3 dragningar klara", progress.inner_text())
    page.screenshot(path=screenshots / "15-simulation-progress.png")
    page.wait_for_selector("#sim-figure .main-svg", timeout=90_000)
    assert "3 dragningar" in page.inner_text("#sim-settings") and "frö 11" in page.inner_text("#sim-settings")
    assert "P10" in page.inner_text("#sim-read") and "medianen" in page.inner_text("#sim-read")
    choices = page.eval_on_selector_all("#sim-region option", "options => options.map(o => o.value)")
    assert choices[0] == "total" and sorted(choices[1:]) == ["r0", "r1", "r2"]
    legend = page.text_content("#sim-figure .legend")
    assert "P10–P90" in legend and "Median" in legend
    page.select_option("#sim-region", "r1")  # the figure follows the region chosen
    page.wait_for_function("document.querySelector('#sim-figure .gtitle').textContent.startsWith('r1')")
    page.select_option("#sim-region", "total")
    _target_question(page)
    assert page.is_visible("[data-download=bands]")
    with page.expect_download() as download:
        press(page, "[data-download=bands]")
    assert download.value.path().read_text(encoding="utf-8").startswith("level,key,week,metric,p10,p50,p90")
    assert_labelled(page)
    page.screenshot(path=screenshots / "16-simulation-bands.png", full_page=True)


def _target_question(page) -> None:
    """The target question on the results page: 5 % over 90 days by the end of the first week."""
    page.fill("#target-share", "5")
    page.select_option("#target-week", "2025-W14")
    assert page.eval_on_selector("#target-week option:checked", "o => o.textContent") == "v. 14 2025"
    press(page, "#target-form button[type=submit]")
    answer = page.wait_for_selector("#target-answer p:not(.busy)", timeout=60_000).inner_text()
    text = page.inner_text("#target-answer")
    if "Inget köp" in answer:  # the proof that no purchase can: no table
        assert page.is_hidden("#target-table")
        return
    days = int(re.match(r"(\d+) extra salsdagar från planens start till v. 14 2025", text).group(1))
    assert "(mål 5\u00a0%)" in text and "Scenariot omplanerat med dem når" in text
    bought = page.query_selector_all("#target-table tbody tr")
    assert (len(bought) > 0) == (days > 0), "the days bought are listed per hospital and specialty"
    # one week planned to the target (v. 14 only): each row's theatre days equal its days a week
    for row in bought:
        cells = [c.inner_text() for c in row.query_selector_all("th, td")]
        assert cells[2] == cells[3]
    assert sum(int(r.query_selector_all("td")[2].inner_text()) for r in bought) == days
