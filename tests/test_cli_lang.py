"""The command line speaks Swedish by default and English with --lang en or CAPPLAN_LANG=en; the
report and workbook follow it, and a synthetic dataset gets its banner everywhere."""

from __future__ import annotations

import pytest
import yaml
from openpyxl import load_workbook
from typer.testing import CliRunner

from capplan.cli import app
from models.loader import save_dataset
from models.provenance import DatasetMetadata, write_metadata
from presentation.provenance import is_synthetic
from tests.factory import random_dataset

SWEDISH, ENGLISH = {"CAPPLAN_LANG": ""}, {"CAPPLAN_LANG": "en"}


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    """A 6-week scenario on a small dataset marked synthetic, and one on the same data unmarked."""
    tmp = tmp_path_factory.mktemp("cli_lang")
    paths = {}
    for name, synthetic in (("synthetic", True), ("real", False)):
        save_dataset(random_dataset(4), tmp / name)
        if synthetic:
            write_metadata(tmp / name, DatasetMetadata(synthetic=True))
        definition = {"name": name, "dataset": str(tmp / name), "start_week": "2025-W14", "horizon_weeks": 6}
        paths[name] = tmp / f"{name}.yaml"
        paths[name].write_text(yaml.safe_dump(definition), encoding="utf-8")
    return tmp, paths


def test_the_synthetic_marker_is_read_from_dataset_yaml(scenario_file):
    tmp, _ = scenario_file
    assert is_synthetic(tmp / "synthetic") and not is_synthetic(tmp / "real") and not is_synthetic(None)


def test_report_is_swedish_by_default_with_the_banner(scenario_file):
    tmp, paths = scenario_file
    out = tmp / "sv"
    outcome = CliRunner().invoke(app, ["report", str(paths["synthetic"]), "--out", str(out)], env=SWEDISH)
    assert outcome.exit_code == 0, outcome.output
    assert "Syntetiska data: siffrorna är uppskattningar, inte officiell statistik." in outcome.output
    assert "Per behandlingsgrupp (plan i hela patienter)" in outcome.output
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "<html lang='sv'>" in text and "class='banner'" in text
    # the value of one more day in days over the guarantee (not objective units), in the report's body
    assert "<h2>Värdet av en dag till</h2>" in text
    sheets = load_workbook(out / "tables.xlsx", read_only=True).sheetnames
    assert sheets[:3] == ["Läs först", "Produktionsplan", "Behandlingsgrupper"]


def test_report_in_english_with_lang_and_without_banner_for_real_data(scenario_file):
    tmp, paths = scenario_file
    out = tmp / "en"
    outcome = CliRunner().invoke(app, ["report", str(paths["real"]), "--out", str(out), "--lang", "en"], env=SWEDISH)
    assert outcome.exit_code == 0, outcome.output
    assert "Per procedure group (whole-patient plan)" in outcome.output and "Synthetic" not in outcome.output
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "<html lang='en'>" in text and "class='banner'" not in text
    assert load_workbook(out / "tables.xlsx", read_only=True).sheetnames[0] == "Production plan"


def test_run_and_compare_follow_capplan_lang(scenario_file):
    tmp, paths = scenario_file
    runner = CliRunner()
    folders = []
    for name in ("synthetic", "real"):
        folders.append(tmp / f"run-{name}")
        outcome = runner.invoke(app, ["run", str(paths[name]), "--out", str(folders[-1])], env=ENGLISH)
        assert outcome.exit_code == 0, outcome.output
        assert "Result files written to" in outcome.output
    out = tmp / "cmp"
    outcome = runner.invoke(app, ["compare", *map(str, folders), "--out", str(out)], env=ENGLISH)
    assert outcome.exit_code == 0, outcome.output
    assert "Comparison written to" in outcome.output and "real − synthetic" in outcome.output
    text = (out / "comparison.html").read_text(encoding="utf-8")
    assert "<html lang='en'>" in text and "class='banner'" in text  # one of the plans is on synthetic data
    sheets = load_workbook(out / "comparison.xlsx", read_only=True).sheetnames
    assert sheets == ["Read first", "Comparison", "Winners and losers - real"]


def test_an_unknown_language_is_a_usage_error(scenario_file):
    _, paths = scenario_file
    outcome = CliRunner().invoke(app, ["run", str(paths["real"]), "--lang", "de"])
    assert outcome.exit_code == 2 and "not supported" in outcome.output


def test_info_speaks_the_language_and_names_regions(scenario_file):
    tmp, _ = scenario_file
    runner = CliRunner()
    swedish = runner.invoke(app, ["info", str(tmp / "synthetic")], env=SWEDISH)
    assert swedish.exit_code == 0, swedish.output
    assert "Syntetiska data" in swedish.output and "Regioner" in swedish.output and "på väntelistan" in swedish.output
    english = runner.invoke(app, ["info", str(tmp / "real"), "--lang", "en"], env=SWEDISH)
    assert english.exit_code == 0, english.output
    assert "Regions" in english.output and "listed" in english.output and "Synthetic" not in english.output
