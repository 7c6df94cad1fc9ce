"""The decision sections of the report: Swedish by default, people's units, the tables' own figures."""

from __future__ import annotations

import re

import pytest

from optimizer import PurchaseOption, fewest_extra_days, money_tables, plan, rank_purchases
from optimizer.decisions.shadow_prices import breach_day_prices
from presentation.decision_sections import (
    money_section,
    purchases_section,
    report_sections,
    shadow_price_section,
    target_section,
)
from presentation.i18n import Locale
from tests.factory import EXTRA, make_dataset, patients, random_dataset, scenario, single_hospital, weekly

SV, EN = Locale.for_lang("sv"), Locale.for_lang("en")


@pytest.fixture(scope="module")
def result():
    return plan(scenario(6, policy={"max_travel_km": 400}, changes=EXTRA), dataset=random_dataset(4))


def test_money_section_is_swedish_with_whole_patients_and_msek(result):
    html = report_sections(result)[0]  # the default language is Swedish
    assert "Pengar mellan regionerna" in html and "Nettobalans per region" in html and "Nya pengar" in html
    assert "MSEK" in html and "Money between" not in html
    tables = money_tables(result)
    sent = tables["net_balances"]["patients_sent"]
    for value in sent:  # whole patients, Swedish thousands separator
        assert SV.patients(value) in html
    assert not re.search(r"\d\.\d+ MSEK", html)  # Swedish decimal comma
    english = money_section(tables["net_balances"], tables["agreement_proposals"], EN)
    assert "Money between the regions" in english and "Net (paid − received)" in english


def test_purchases_prices_and_target_sections_show_the_tables_figures():
    ds = single_hospital(capacity=weekly("h", 1, 2), patients=patients("a", 3, 100))
    prices = breach_day_prices(scenario(2), dataset=ds)
    html = shadow_price_section(prices, SV)
    assert "Värdet av en dag till" in html and "21" in html  # 14 + 7 breach-days (tests/test_decisions.py)
    ranked = rank_purchases(scenario(2), [PurchaseOption("h", "orthopaedics", 1, 10_000)], dataset=ds)
    html = purchases_section(ranked, SV)
    assert "Köpalternativ" in html and SV.number(20_000 / 14) in html  # 1 429 kronor per undviken dag
    # share 0 at the end of week 1: all 3 treated in week 1, 1 day there already → 2 more days (1 week × 2 a week)
    answer = fewest_extra_days(scenario(2), 0.0, "2025-W14", dataset=ds)
    assert answer.reachable and answer.days == pytest.approx(2.0)
    text = target_section(answer, SV)
    assert "2 extra salsdagar ger andelen över 90 dagar 0,0\u00a0% till v. 14 2025" in text
    hips = make_dataset(
        regions=["a"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[{"procedure_id": "knee"}, {"procedure_id": "hip"}],
        capabilities=[{"hospital_id": "h", "procedure_id": "knee"}],
        capacity=weekly("h", 1, 2),
        patients=patients("a", 2, 100, "hip"),
    )
    unreachable = fewest_extra_days(scenario(2), 0.1, "2025-W14", dataset=hips)
    assert "Inget köp kan få andelen över 90 dagar under 10,0\u00a0% till v. 14 2025" in target_section(unreachable, SV)
