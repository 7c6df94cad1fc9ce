"""Re-planning from a previous plan: frozen weeks, the change penalty, stable proposals, what changed.

Hand-solved cases use `agreement_dataset`: region a (hospital ha) and region b (hospital hb, 100 km
by road from ha); 3 mobile knee patients of a (P000000..P000002) who waited 10 days (no breach in
one week); 10 theatre days at each hospital; hb charges 50,000 SEK a knee.
"""

from __future__ import annotations

import pandas as pd
import pytest

from models.dataset import Dataset
from optimizer import changes, evaluate_flows, plan, replan
from optimizer.replanning import PREVIOUS_COLUMNS, book_frozen, previous_flows, previous_proposals
from presentation.result_files import write_results
from tests.factory import (
    RICH_POLICY,
    agreement_dataset,
    patients,
    random_dataset,
    scenario,
    single_hospital,
    weekly,
)

pytestmark = pytest.mark.usefixtures("strategy")

#: cost 0.1 per kSEK and 0.01 per km: a knee at hb costs 50 × 0.1 + 100 × 0.01 = 6; a patient left
#: waiting costs 7 × 1 a week, so everybody is treated (at ha for nothing, at hb for 6).
COSTS = {"over_90": 1, "over_180": 0, "over_365": 0, "waiting": 1, "cost_per_ksek": 0.1, "travel_per_km": 0.01}


def at_hb(patient_id: str = "P000000", week: str = "2025-W14") -> pd.DataFrame:
    """A previous proposal of one of a's knee patients at hb."""
    row = dict(zip(PREVIOUS_COLUMNS, [patient_id, "knee", "a", "ha", "mobile", "hb", week], strict=True))
    return pd.DataFrame([row])


@pytest.mark.parametrize(("weight", "objective", "kept"), [(2.0, 2.0, False), (10.0, 6.0, True)])
def test_the_change_penalty_keeps_a_proposal_only_when_moving_costs_more(weight, objective, kept):
    # Fresh, all three are treated at ha for 0. Keeping P000000 at hb costs 6 (price and travel);
    # moving it costs the change weight. Weight 2: move, objective 2. Weight 10: keep, objective 6.
    sc = scenario(1, weights={**COSTS, "change": weight}, policy={"frozen_weeks": 0})
    result = replan(sc, at_hb(), dataset=agreement_dataset())
    assert result.objective == pytest.approx(objective)
    assert result.lp.terms["changed_proposals"] == pytest.approx(0.0 if kept else 1.0)
    proposal = result.proposals.set_index("patient_id").loc["P000000"]
    assert proposal["hospital_id"] == ("hb" if kept else "ha")  # the same patient keeps hb, not another
    table = changes(result).set_index("patient_id")["change"]  # the other two had no previous proposal
    assert table.to_dict() == {
        **({} if kept else {"P000000": "moved hospital"}),
        "P000001": "newly proposed",
        "P000002": "newly proposed",
    }
    assert result.extra_summary["changes"]["changed"] == (0 if kept else 1)


def test_the_evaluator_computes_the_same_change_penalty():
    sc = scenario(1, weights={**COSTS, "change": 10.0}, policy={"frozen_weeks": 0})
    result = replan(sc, at_hb(week="2025-W14"), dataset=agreement_dataset())
    for tables in (result.lp, result.integer):
        evaluation = evaluate_flows(result.instance.dataset, sc, tables.allocations, previous=result.instance.previous)
        assert evaluation.changed_proposals == pytest.approx(tables.terms["changed_proposals"])
        assert evaluation.objective == pytest.approx(tables.objective)
    assert result.objective == pytest.approx(result.lp.objective)


def test_a_proposal_that_is_no_longer_feasible_counts_as_changed_whatever_the_weight():
    # The previous proposal is at hb in week 2 of a one-week plan: outside the plan, not compared.
    sc = scenario(1, weights={**COSTS, "change": 10.0}, policy={"frozen_weeks": 0})
    assert replan(sc, at_hb(week="2025-W15"), dataset=agreement_dataset()).objective == pytest.approx(0.0)
    # Two weeks, hb has no theatre day in week 2: the proposal cannot be kept. Everybody is treated at
    # ha in week 1 for nothing, and the proposal counts as changed: 10 × 1.
    ds = agreement_dataset()
    capacity = pd.concat([ds.capacity, ds.capacity.assign(week="2025-W15")], ignore_index=True)
    capacity.loc[(capacity["hospital_id"] == "hb") & (capacity["week"] == "2025-W15"), "theatre_days"] = 0.0
    sc2 = scenario(2, weights={**COSTS, "change": 10.0}, policy={"frozen_weeks": 0})
    result = replan(sc2, at_hb(week="2025-W15"), dataset=ds.with_tables(capacity=capacity))
    assert result.objective == pytest.approx(10.0)
    assert changes(result).set_index("patient_id").loc["P000000", "change"] == "moved hospital"


def test_frozen_weeks_are_booked_exactly_as_the_previous_plan_proposed():
    ds = random_dataset(5, weeks=4)
    sc = scenario(4, policy={**RICH_POLICY, "frozen_weeks": 2})
    first = plan(sc, dataset=ds)
    cut = ds.with_tables(capacity=ds.capacity.assign(theatre_days=ds.capacity["theatre_days"] * 0.7))
    result = replan(sc, first, dataset=cut)
    frozen = first.proposals[first.proposals["week"].isin(result.instance.weeks[:2])]
    assert len(frozen) > 0
    now = result.proposals.set_index(["patient_id", "procedure_id"])
    mine = now.loc[pd.MultiIndex.from_frame(frozen[["patient_id", "procedure_id"]])]
    assert mine["hospital_id"].tolist() == frozen["hospital_id"].tolist()
    assert mine["week"].tolist() == frozen["week"].tolist()
    assert mine["booked"].all()
    assert result.extra_summary["changes"]["frozen_bookings"] == len(frozen)


def test_change_weight_zero_is_a_fresh_plan_of_the_same_data():
    ds = random_dataset(7, weeks=5)
    sc = scenario(5, policy={**RICH_POLICY, "frozen_weeks": 1})
    first = plan(sc, dataset=ds)
    cut = ds.with_tables(capacity=ds.capacity.assign(theatre_days=ds.capacity["theatre_days"] * 0.8))
    zero = sc.updated(weights={"change": 0.0})
    result = replan(zero, first, dataset=cut)
    booked, _ = book_frozen(cut, previous_proposals(first), zero)
    assert result.objective == pytest.approx(plan(zero, dataset=booked).objective, rel=1e-6, abs=1e-6)


def test_a_large_weight_keeps_every_previous_proposal_when_nothing_changed():
    # Same data and scenario: the LP stays on the previous LP's weekly schedule (week drift 0), the
    # same rounding hands out the same whole patients, and no patient's hospital or week changes.
    # (The LP's own cell term is not 0: its fractional flows sit below some whole-patient cells.)
    ds = random_dataset(11, weeks=4)
    sc = scenario(4, policy={"max_travel_km": 250, "frozen_weeks": 0})
    first = plan(sc, dataset=ds)
    result = replan(sc.updated(weights={"change": 1000.0}), first, dataset=ds)
    assert result.lp.terms["week_drift"] == pytest.approx(0.0, abs=1e-6)
    assert result.integer.terms["changed_proposals"] == pytest.approx(0.0, abs=1e-6)
    counts = result.extra_summary["changes"]
    assert counts["changed"] == 0 and counts["newly proposed"] == 0


def test_replan_reads_a_results_folder_like_a_result(tmp_path):
    sc = scenario(1, weights={**COSTS, "change": 10.0}, policy={"frozen_weeks": 0})
    first = replan(sc, at_hb(), dataset=agreement_dataset())
    folder = write_results(first, tmp_path / "week1")
    from_folder = replan(sc, folder, dataset=agreement_dataset())
    from_result = replan(sc, first, dataset=agreement_dataset())
    assert from_folder.objective == pytest.approx(from_result.objective)
    assert from_folder.proposals["hospital_id"].tolist() == from_result.proposals["hospital_id"].tolist()


def test_capplan_replan_writes_changes_and_prints_their_counts(tmp_path):
    import json

    import yaml
    from typer.testing import CliRunner

    from capplan.cli import app
    from models.loader import save_dataset

    save_dataset(agreement_dataset(), tmp_path / "data")
    body = scenario(1, weights={**COSTS, "change": 2.0}, policy={"frozen_weeks": 0}).to_yaml_dict()
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({**body, "dataset": str(tmp_path / "data")}))
    previous = tmp_path / "week1"
    previous.mkdir()
    at_hb().to_csv(previous / "proposals.csv", index=False)  # last week's plan had P000000 at hb
    outcome = CliRunner().invoke(
        app,
        [
            "replan",
            str(tmp_path / "s.yaml"),
            "--previous",
            str(previous),
            "-o",
            str(tmp_path / "week2"),
            "--lang",
            "en",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    assert "1 of 1 previous proposals" in " ".join(outcome.output.split())
    swedish = CliRunner().invoke(
        app, ["replan", str(tmp_path / "s.yaml"), "--previous", str(previous), "-o", str(tmp_path / "sv")]
    )
    assert "1 av 1 tidigare förslag" in " ".join(swedish.output.split())
    written = pd.read_csv(tmp_path / "week2" / "changes.csv")
    assert written.set_index("patient_id").loc["P000000", "change"] == "moved hospital"
    summary = json.loads((tmp_path / "week2" / "summary.json").read_text())
    assert summary["changes"]["moved hospital"] == 1
    missing = CliRunner().invoke(app, ["replan", str(tmp_path / "s.yaml"), "--previous", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "no proposals.csv" in missing.output


def test_the_report_of_a_re_plan_says_what_changed(tmp_path):
    from presentation.html_report import plan_report_html

    sc = scenario(1, weights={**COSTS, "change": 2.0}, policy={"frozen_weeks": 0})
    replanned = replan(sc, at_hb(), dataset=agreement_dataset())
    page = plan_report_html(replanned, tmp_path / "r.html", lang="en").read_text()
    assert "What changed since the previous plan" in page and "1 of the previous plan" in page
    swedish = plan_report_html(replanned, tmp_path / "sv.html").read_text()
    assert "Vad som ändrats sedan förra planen" in swedish and "Erbjuds annat sjukhus" in swedish
    fresh = plan_report_html(plan(sc, dataset=agreement_dataset()), tmp_path / "f.html", lang="en").read_text()
    assert "What changed" not in fresh


def _three_weeks(first_week_days: float) -> Dataset:
    """One hospital h, 3 local knee patients who waited 0 days (nobody breaches in 3 weeks), 1 case
    per theatre day, `first_week_days` theatre days in week 1 and 1 in weeks 2 and 3."""
    capacity = weekly("h", 1, 3)
    capacity[0]["theatre_days"] = first_week_days
    return single_hospital(capacity=capacity, patients=patients("a", 3, 0))


#: Only waiting counts: 7 per patient still waiting at a week's end.
WAITING_ONLY = {"over_90": 0, "over_180": 0, "over_365": 0, "waiting": 1, "cost_per_ksek": 0, "travel_per_km": 0}


@pytest.mark.parametrize(("weight", "objective", "moved"), [(10.0, 21.0, 0), (2.0, 13.0, 2)])
def test_the_week_drift_keeps_the_order_s_weeks_unless_moving_is_clearly_better(weight, objective, moved):
    # The previous plan treats one patient a week (1 theatre day a week): weeks 1, 2, 3, so C(t) = 1, 2, 3.
    # Now week 1 has 2 days. Keeping the schedule: waiting 7 · (2 + 1 + 0) = 21, no penalty.
    # Treating 2, 1, 0: waiting 7 · (1 + 0 + 0) = 7, but S = 2, 3, 3 is one ahead of C at the end of
    # weeks 1 and 2 (week drift 2) and week 3's proposal is not kept (1): 7 + 3 · weight.
    # (2, 0, 1): 7 · (1 + 1 + 0) + 2 · weight. Weight 10: keep (21 < 37, 34). Weight 2: 13 < 18 < 21,
    # and first in, first out moves patients 2 and 3 one week earlier. Cell counts alone (no drift)
    # would move them at weight 10 too: 7 + 10 = 17 < 21.
    sc = scenario(3, weights={**WAITING_ONLY, "change": weight}, policy={"frozen_weeks": 0})
    first = plan(sc, dataset=_three_weeks(1.0))
    assert first.integer.allocations.groupby("week")["patients"].sum().tolist() == [1.0, 1.0, 1.0]
    result = replan(sc, first, dataset=_three_weeks(2.0))
    assert result.objective == pytest.approx(objective)
    assert result.lp.terms["week_drift"] == pytest.approx(0.0 if moved == 0 else 2.0)
    counts = result.extra_summary["changes"]
    assert counts["moved week"] == moved and counts["changed"] == moved
    evaluation = evaluate_flows(
        result.instance.dataset,
        result.scenario,
        result.integer.allocations,
        previous=result.instance.previous,
        previous_flows=previous_flows(first),
    )
    assert evaluation.week_drift == pytest.approx(result.integer.terms["week_drift"])
    assert evaluation.objective == pytest.approx(result.integer.objective)


def test_without_the_previous_flows_there_is_no_week_drift():
    # Proposals alone (a table, not a result or a results folder): cell counts only, as before.
    sc = scenario(3, weights={**WAITING_ONLY, "change": 10.0}, policy={"frozen_weeks": 0})
    first = plan(sc, dataset=_three_weeks(1.0))
    result = replan(sc, previous_proposals(first), dataset=_three_weeks(2.0))
    assert result.objective == pytest.approx(17.0)  # 7 + 10 · 1 (week 3's proposal not kept)
    assert result.lp.terms["week_drift"] == 0.0


def test_the_evaluator_computes_the_same_week_drift_on_random_re_plans():
    ds = random_dataset(13, weeks=5)
    sc = scenario(5, policy={**RICH_POLICY, "frozen_weeks": 1})
    first = plan(sc, dataset=ds)
    cut = ds.with_tables(capacity=ds.capacity.assign(theatre_days=ds.capacity["theatre_days"] * 0.8))
    result = replan(sc.updated(weights={"change": 3.0}), first, dataset=cut)
    for tables in (result.lp, result.integer):
        evaluation = evaluate_flows(
            result.instance.dataset,
            result.scenario,
            tables.allocations,
            base=cut,
            previous=result.instance.previous,
            previous_flows=previous_flows(first),
        )
        assert evaluation.week_drift == pytest.approx(tables.terms["week_drift"], abs=1e-6)
        assert evaluation.changed_proposals == pytest.approx(tables.terms["changed_proposals"], abs=1e-6)
        assert evaluation.objective == pytest.approx(tables.objective, rel=1e-6)
