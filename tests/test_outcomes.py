"""Winners and losers against alone and against a compared base; the comparison's differences."""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer import collaboration_value, plan
from presentation.comparison_report import comparison_table, comparison_text
from presentation.excel import comparison_workbook_tables
from presentation.i18n import Locale
from presentation.outcomes import against_alone, against_base, fairness_settings, verdict
from tests.factory import random_dataset, scenario

SV, EN = Locale.for_lang("sv"), Locale.for_lang("en")
NBSP = "\u00a0"


def test_verdict_words_and_the_rounding_band():
    assert verdict(-3.0, EN) == "better" and verdict(3.0, EN) == "worse"
    assert verdict(0.4, EN) == "unchanged" and verdict(-0.4, EN) == "unchanged"  # noise, not a verdict
    assert verdict(-3.0, SV) == "bättre" and verdict(3.0, SV) == "sämre"


@pytest.fixture(scope="module")
def joint():
    result = plan(scenario(6), dataset=random_dataset(3))
    from optimizer import plan_standalone

    result.standalone = plan_standalone(result.scenario, dataset=result.instance.dataset)
    return result


def test_winners_and_losers_signs_match_collaboration_value(joint):
    value = collaboration_value(joint, joint.standalone)
    names = {"r0": "Region Ö", "r1": "Region A", "r2": "Region Ä"}  # Swedish order: A, Ä, Ö
    table = against_alone(value, names, EN).set_index("Region")
    assert list(table.index) == ["Region A", "Region Ä", "Region Ö", "Total"]
    saved = value.set_index("region_id")["breach_days_90_saved"]  # positive: better together
    assert set(saved.round(0)) != {0.0}  # the case has a region that gains or loses
    for region, days_saved in saved.items():
        row = table.loc[names.get(region, "Total")]
        assert row["Verdict"] == ("better" if days_saved > 0.5 else "worse" if days_saved < -0.5 else "unchanged")
        # the change column is together − alone, so its sign is the opposite of "saved"
        assert row["Change"] == round(-days_saved)


def test_a_hand_made_comparison_against_its_base():
    # two regions, two plans; B has 30 fewer days beyond 90 in a, 10 more in b
    table = pd.DataFrame(
        {
            "metric": ["breach_days_90"] * 3 + ["over_90_end"] * 3 + ["share_over_90_end"] * 3,
            "region_id": ["a", "b", "total"] * 3,
            "A": [100.0, 50.0, 150.0, 4.0, 2.0, 6.0, 0.30471, 0.2, 0.28],
            "B": [70.0, 60.0, 130.0, 3.0, 2.0, 5.0, 0.30123, 0.2, 0.27],
        }
    )
    outcome = against_base(table, "B", "A", {"a": "Region A", "b": "Region B"}, EN)
    assert outcome["Verdict"].to_list() == ["better", "worse", "better"]
    assert outcome["Change"].to_list() == [-30, 10, -20]
    assert outcome["Change (%)"].to_list() == ["-30.0%", "+20.0%", "-13.3%"]  # -30/100, +10/50, -20/150
    shown = comparison_table(table, {"a": "Region A"}, SV)
    assert list(shown.columns) == ["Mått", "Region", "A", "B", "B − A"]
    assert shown["B − A"].to_list()[:3] == [-30.0, 10.0, -20.0]
    text = comparison_text(table, shown, SV)
    # shares with two decimals, so that 30,47 % and 30,12 % differ
    share_a = text[table["metric"] == "share_over_90_end"].iloc[0]
    assert (share_a["A"], share_a["B"]) == (f"30,47{NBSP}%", f"30,12{NBSP}%")
    assert share_a["B − A"].endswith(f"0,35{NBSP}%") and not share_a["B − A"].startswith("+")
    assert text["B − A"].iloc[1] == "+10"  # a signed difference
    sheet = comparison_workbook_tables(table, {"a": "Region A"}, lang="en")["Comparison"]
    share_rows = sheet[sheet["Measure"] == "Share over 90 days at end (%)"].set_index("Region")
    assert share_rows.loc["Region A", "A"] == pytest.approx(30.471)  # percentage points, two decimals shown
    assert list(share_rows.index) == ["b", "Region A", "Total"]  # by name, Swedish order, total last
    winners = comparison_workbook_tables(table, {"a": "Region A"}, lang="en")["Winners and losers - B"]
    assert winners.set_index("Region")["Verdict"].to_dict() == {"b": "worse", "Region A": "better", "Total": "better"}


def test_fairness_settings_are_named_with_how_to_switch_them_on():
    plain = scenario(1)
    lines = fairness_settings(plain, EN)
    assert lines[0] == "Fairness (policy.fairness) is off in this scenario."
    assert "no_region_worse_off: true" in lines[-1]
    fair = scenario(1, policy={"fairness": [{"by": "region", "weight": 2}], "no_region_worse_off": True})
    lines = fairness_settings(fair, SV)
    assert lines[0] == "Rättvisa är påslagen: per region (andel 1,00, vikt 2,00)."
    assert lines[1] == "Ingen region sämre (policy.no_region_worse_off) är påslagen."


def test_a_change_too_small_to_show_is_plus_minus_zero_not_minus_zero():
    from presentation.i18n import Locale
    from presentation.outcomes import signed_percent

    sv = Locale.for_lang("sv")
    # −20 of 197,049 days is −0.01 %: shown to one decimal it is no change, not "−0,0 %"
    assert signed_percent(-20, 197_049, sv) == "±0,0\u00a0%"
    assert signed_percent(84, 100, sv) == "+84,0\u00a0%"
    assert signed_percent(-3, 100, sv) == "-3,0\u00a0%"
    assert signed_percent(5, 0, sv) == ""  # no base, no share
