"""The integer plan's room bookkeeping (`optimizer.results.row_room.RowRoom`).

`fitting` screens many flows at once so the rounding loops skip flows with no room left without
asking `fits` one by one. It must say exactly what `fits` says, and skipping must not change the
plan: taking a patient only ever lowers the room, so a flow that does not fit now never fits later.
"""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import plan
from optimizer.results.row_room import RowRoom as _Slack
from optimizer.results.whole_patient import integer_flows
from tests.factory import RICH_POLICY, random_dataset, scenario


def _planned(seed: int):
    # budgets and an agreement maximum (RICH_POLICY) make every kind of room matter
    return plan(scenario(6, policy=RICH_POLICY), dataset=random_dataset(seed, n_regions=4))


@pytest.mark.parametrize("seed", range(4))
def test_fitting_says_what_fits_says_while_the_room_runs_out(seed):
    result = _planned(seed)
    inst = result.instance
    slack = _Slack(inst, np.floor(result.y), None, None)
    flows = np.arange(len(inst.flows))
    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(6):  # take patients on random flows that fit until most rooms are spent
        expected = np.array([slack.fits(f) for f in flows.tolist()])
        np.testing.assert_array_equal(slack.fitting(flows), expected)
        checked += int(expected.sum())
        for f in rng.permutation(flows)[: len(flows) // 2].tolist():
            while slack.fits(f) and rng.random() < 0.8:
                slack.take(f)
    assert checked > 0  # some flows had room: the comparison was not only of falses


@pytest.mark.parametrize("seed", range(4))
def test_fitting_says_what_fits_says_when_the_budget_and_agreement_are_spent(seed):
    # random takes rarely reach the agreement maximum or the budget: spend them outright
    result = _planned(seed)
    slack = _Slack(result.instance, np.floor(result.y), None, None)
    flows = np.arange(len(result.instance.flows))
    before = slack.fitting(flows)
    assert slack.agreements and slack.budget_room
    for entry in slack.agreements:
        entry[1] = 0.5
    slack.budget_room = dict.fromkeys(slack.budget_room, 0.0)
    expected = np.array([slack.fits(f) for f in flows.tolist()])
    assert (before & ~expected).any()  # some flows fitted only while these had room
    np.testing.assert_array_equal(slack.fitting(flows), expected)


def test_fitting_says_what_fits_says_for_flows_needing_beds_where_no_bed_row_exists():
    # a flow with bed-days at a hospital-week without a bed-day row never fits (the datasets here
    # always have the rows, so they are taken away from half of such flows)
    result = _planned(0)
    slack = _Slack(result.instance, np.floor(result.y), None, None)
    flows = np.arange(len(result.instance.flows))
    needs_beds = np.nonzero(slack.bed > 0)[0]
    assert len(needs_beds)
    slack.bed_row = slack.bed_row.copy()
    slack.bed_row[needs_beds[::2]] = -1
    expected = np.array([slack.fits(f) for f in flows.tolist()])
    assert not expected[needs_beds[::2]].any()
    np.testing.assert_array_equal(slack.fitting(flows), expected)


@pytest.mark.parametrize("seed", range(4))
def test_skipping_flows_without_room_does_not_change_the_integer_plan(seed, monkeypatch):
    result = _planned(seed)
    # the rounding and fill loops only take, so screening may skip; the exchange step (which also
    # gives room back) trusts `fitting` alone and is checked by its own tests
    screened = integer_flows(result.instance, result.y, exchange=False)
    monkeypatch.setattr(_Slack, "fitting", lambda self, flows: np.ones(len(flows), dtype=bool))
    unscreened = integer_flows(result.instance, result.y, exchange=False)
    np.testing.assert_array_equal(screened, unscreened)
