"""Money as the planning group reads it: internal balances, new money apart, agreement proposals."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import plan
from optimizer.results.money import agreement_proposals, net_balances, quarter_of
from tests.factory import EXTRA, random_dataset, scenario


@pytest.fixture(scope="module")
def result():
    return plan(scenario(6, policy={"max_travel_km": 400}, changes=EXTRA), dataset=random_dataset(4))


def test_net_balances_sum_to_zero_and_match_the_payments_table(result):
    inst, y = result.instance, result.integer_y
    table = net_balances(inst, y, result.integer.theatre_use).set_index("region_id")
    assert list(table.index) == list(inst.dataset.regions["region_id"])
    assert table["net_internal_sek"].sum() == pytest.approx(0.0, abs=1e-6)
    assert table["paid_internal_sek"].sum() == pytest.approx(table["received_internal_sek"].sum())
    # payments.csv (payer region × provider region) holds internal and private payments together
    payments = result.integer.payments
    paid = payments.groupby("payer_region")["amount_sek"].sum().reindex(table.index).fillna(0.0)
    assert np.allclose(table["paid_internal_sek"] + table["private_purchases_sek"], paid)
    private_hospitals = set(inst.dataset.hospitals.query("level == 'private'")["hospital_id"])
    assert private_hospitals and table["private_purchases_sek"].sum() > 0  # the case is exercised
    internal = payments[payments["payer_region"] != payments["provider_region"]]
    received = internal.groupby("provider_region")["amount_sek"].sum()
    # a private clinic is in a region but what it receives is new money, not the region's income
    assert table["received_internal_sek"].sum() <= received.sum() + 1e-6
    # new money: private purchases and the extra theatre days bought, apart from the internal balance
    assert table["extra_days_sek"].sum() == pytest.approx(result.integer.terms["extra_capacity_sek"])
    assert np.allclose(table["new_money_sek"], table["private_purchases_sek"] + table["extra_days_sek"])


def test_agreement_proposals_are_whole_patients_and_small_flows_are_listed_apart(result):
    inst, y = result.instance, result.integer_y
    proposals = agreement_proposals(inst, y, min_cases=5)
    assert len(proposals) and set(proposals["status"]) <= {"agreement", "too_small"}
    assert np.allclose(proposals["patients"], np.round(proposals["patients"]))
    # no region pays itself: a payer's own region only ever appears as the home of a private provider
    own = proposals[proposals["payer_region"] == proposals["provider_region"]]
    assert own["private"].all()
    # every charged patient of the whole-patient plan is in exactly one row
    charged = inst.flows["charged"].to_numpy()
    assert proposals["patients"].sum() == pytest.approx(y[charged].sum())
    arcs = proposals.groupby(["payer_region", "provider_hospital", "procedure_id"])
    for _, rows in arcs:
        total = rows["patients"].sum()
        assert (rows["patients_over_horizon"] == total).all()
        assert (rows["status"] == ("too_small" if total < 5 else "agreement")).all()
    assert (agreement_proposals(inst, y, min_cases=0)["status"] == "agreement").all()


def test_quarters_follow_the_monday_of_each_week():
    assert quarter_of("2025-W14") == "2025-Q1"  # Monday 31 March 2025
    assert quarter_of("2025-W15") == "2025-Q2"  # Monday 7 April
    assert quarter_of("2025-W27") == "2025-Q2"  # Monday 30 June
    assert quarter_of("2025-W28") == "2025-Q3"


def test_min_agreement_cases_is_a_policy_setting():
    assert scenario(1).policy.min_agreement_cases == 10
    assert scenario(1, policy={"min_agreement_cases": 3}).policy.min_agreement_cases == 3
    with pytest.raises(Exception, match="min_agreement_cases"):
        scenario(1, policy={"min_agreement_cases": -1})
