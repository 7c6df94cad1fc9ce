"""`capplan purchases` and `capplan target` on a small dataset folder, and the comparison's shares."""

from __future__ import annotations

import json
import re

import pandas as pd
from typer.testing import CliRunner

from capplan.cli import app
from models import save_dataset
from tests.factory import random_dataset

EXTRA = """changes:
  - extra_capacity: {hospital_id: r1_county, specialty: orthopaedics, theatre_days_per_week: 1, cost_per_day_sek: 30000}
"""


def _scenario(tmp_path, extra: str = EXTRA):
    tmp_path.mkdir(parents=True, exist_ok=True)
    folder = save_dataset(random_dataset(2), tmp_path / "rd2")
    path = tmp_path / "sc.yaml"
    path.write_text(f"name: sc\ndataset: {folder}\nstart_week: 2025-W14\nhorizon_weeks: 4\n{extra}", encoding="utf-8")
    return path


def test_purchases_writes_breach_day_prices_and_ranked_options(tmp_path):
    outcome = CliRunner().invoke(app, ["purchases", str(_scenario(tmp_path)), "--out", str(tmp_path / "d")])
    assert outcome.exit_code == 0, outcome.output
    prices = pd.read_csv(tmp_path / "d" / "breach_day_prices.csv")
    assert {"resource", "hospital_id", "breach_days_per_extra_day_each_week"} <= set(prices.columns)
    options = pd.read_csv(tmp_path / "d" / "purchase_options.csv")
    assert options["cost_sek"].tolist() == [4 * 30_000]  # 4 weeks × 1 day × 30,000 SEK


def test_an_options_file_with_a_bad_row_fails_naming_it(tmp_path):
    options = tmp_path / "options.csv"
    options.write_text("hospital_id,specialty,days_per_week,price_per_day_sek\nr1_county,orthopaedics,x,1\n")
    outcome = CliRunner().invoke(app, ["purchases", str(_scenario(tmp_path)), "--options", str(options)])
    assert outcome.exit_code == 1
    assert "options.csv:2:days_per_week" in outcome.output.replace(" ", "")


def test_target_writes_the_answer(tmp_path):
    out = tmp_path / "t"
    args = ["target", str(_scenario(tmp_path, "")), "--share", "1", "--by", "2025-W15", "--out", str(out)]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    answer = json.loads((out / "target.json").read_text(encoding="utf-8"))
    assert answer["reachable"] and answer["target_met"] and answer["days"] == 0


def test_compare_prints_shares_as_percentages_and_the_weights_note(tmp_path):
    from optimizer import plan
    from presentation.result_files import write_results

    ds = random_dataset(2)
    folders = []
    for name, weights in (("a", {}), ("b", {"over_90": 50.0})):
        scenario_path = _scenario(tmp_path / name, f"weights: {json.dumps(weights)}\n" if weights else "")
        folders.append(write_results(plan(scenario_path, dataset=ds), tmp_path / name / "run"))
    outcome = CliRunner().invoke(app, ["compare", *map(str, folders), "--out", str(tmp_path / "c"), "--lang", "en"])
    assert outcome.exit_code == 0, outcome.output
    line = next(row for row in outcome.output.splitlines() if "Share over 90 days at end" in row)
    assert re.search(r"\d+\.\d\d%", line)  # not "0.3" for every plan
    assert "Weighted breach-days of every plan use the weights of sc." in " ".join(outcome.output.split())
    swedish = CliRunner().invoke(app, ["compare", *map(str, folders), "--out", str(tmp_path / "sv")])
    line = next(row for row in swedish.output.splitlines() if "Andel över 90 dagar vid slut" in row)
    assert re.search(r"\d+,\d\d\u00a0%", line)  # Swedish: decimal comma, space before the sign
    table = pd.read_csv(tmp_path / "c" / "comparison.csv")
    assert "sc#2 − sc" in table.columns
