"""Decisions routes: breach-day shadow prices, ranked purchase options and the target question; the money
tables of a run (net balances, agreement proposals) served like every result table."""

from __future__ import annotations

import pytest

from tests.api.helpers import READ

OPTIONS = [
    {"hospital_id": "r1_county", "specialty": "orthopaedics", "days_per_week": 1, "price_per_day_sek": 30_000},
    {"hospital_id": "r0_county", "specialty": "ophthalmology", "days_per_week": 2, "price_per_day_sek": 20_000},
]


def test_purchase_options_are_ranked_with_breach_day_prices(service):
    body = {"scenario": "base", "options": OPTIONS}
    response = service.client.post("/api/v1/decisions/purchases", json=body, headers=READ)
    assert response.status_code == 200, response.text
    result = response.json()
    prices = result["breach_day_prices"]
    assert "breach_days_per_extra_day_each_week" in prices["columns"] and prices["rows"]
    ranked = result["purchase_options"]["rows"]
    assert [r["rank"] for r in ranked] == [1, 2]
    costs = [r["sek_per_breach_day"] for r in ranked if r["sek_per_breach_day"] is not None]
    assert costs == sorted(costs)
    # 6 weeks × days a week × price: what the option costs whether every day is used or not
    assert sorted(r["cost_sek"] for r in ranked) == pytest.approx([6 * 30_000, 6 * 2 * 20_000])


def test_without_options_only_the_prices_are_returned(service):
    response = service.client.post("/api/v1/decisions/purchases", json={"scenario": "base"}, headers=READ)
    assert response.status_code == 200, response.text
    assert response.json()["purchase_options"] is None


def test_the_target_question_answers_with_days_and_the_replanned_share(service):
    body = {"scenario": "base", "share": 1.0, "by": "2025-W16", "options": OPTIONS}
    response = service.client.post("/api/v1/decisions/target", json=body, headers=READ)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["reachable"] and answer["target_met"] and answer["days"] == 0  # any share is ≤ 100 %
    assert answer["achieved_share"] <= 1.0


def test_decisions_name_what_is_wrong(service):
    missing = service.client.post(
        "/api/v1/decisions/target", json={"scenario": "nope", "share": 0.2, "by": "2025-W16"}, headers=READ
    )
    assert missing.status_code == 404
    late = service.client.post(
        "/api/v1/decisions/target", json={"scenario": "base", "share": 0.2, "by": "2026-W16"}, headers=READ
    )
    assert late.status_code == 422 and "2026-W16" in late.text
    unknown = [{**OPTIONS[0], "hospital_id": "nowhere"}]
    bad = service.client.post(
        "/api/v1/decisions/purchases", json={"scenario": "base", "options": unknown}, headers=READ
    )
    assert bad.status_code == 422 and "nowhere" in bad.text


def test_net_balances_of_a_run_sum_to_zero_and_agreements_are_served(service):
    run_id = service.runs["base"]["id"]
    balances = service.client.get(f"/api/v1/runs/{run_id}/net-balances", headers=READ)
    assert balances.status_code == 200, balances.text
    rows = balances.json()["rows"]
    assert rows and sum(r["net_internal_sek"] for r in rows) == pytest.approx(0.0, abs=1e-6)
    proposals = service.client.get(f"/api/v1/runs/{run_id}/agreement-proposals", headers=READ)
    assert proposals.status_code == 200
    assert {r["status"] for r in proposals.json()["rows"]} <= {"agreement", "too_small"}
