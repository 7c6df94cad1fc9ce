"""One draw with weekly re-planning: every simulated week plans the updated list again, and only that
week of the plan happens.

Week w (the scenario's plan weeks, in order):
1. the plan: week 1 of the scenario's plan for w = 1, else `replan_week` of the updated list
   (`optimizer.replan` from last week's proposals, with the rolling horizon from week w: as many
   weeks as the scenario's horizon, or as the dataset describes);
2. theatre days lost to cancellations take patients off that week's flows (`draws.cancel_theatre_days`);
3. the independent evaluator (`optimizer.evaluation`) replays the week's flows on the list and names
   the patients treated and where, earliest deadline first;
4. each patient offered another hospital than the listed one answers (`draws`' acceptance, one
   Bernoulli draw per patient in patient_id order): a patient who declines is not treated and either
   keeps their place (status waiting, no longer offered travel) or becomes PvV (off the statistics);
5. the week's new decisions arrive as whole patients (a Poisson count around the forecast per region
   and procedure; with `demand: forecast` the forecast rounded to whole patients): each gets a
   pseudonymous id, a listed hospital drawn as the backlog of its region and procedure is listed
   (else the fallback hospital), travel acceptance and priority drawn as the model splits the
   forecast. They arrive after the week's treatment (not treated in their first week);
6. counts at the end of the week, from the list itself (patient by patient).

`replan_week` is the one place that makes a week's plan. With `policy.transfer_lead_weeks` > 0 a
re-plan's first week offers only listed hospitals; offers elsewhere made in earlier weeks' plans are
kept by the change penalty where the re-plan allows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.rules import FORECAST_DAY_OFFSET, fallback_hospitals
from models.scenario import Scenario
from models.simulation_settings import SimulationSettings
from models.weeks import parse_iso_week, week_labels
from optimizer.evaluation import FLOW_COLUMNS, evaluate_flows
from optimizer.model.scenario_changes import apply_changes
from optimizer.replanning import PREVIOUS_COLUMNS, replan
from optimizer.simulation.counts import by_level
from optimizer.simulation.draws import cancel_theatre_days, draw_demand
from optimizer.simulation.plan_replay import PlannedScenario, planned_scenario


def replan_week(
    scenario: Scenario, dataset: Dataset, week: str, previous: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Week `week`'s whole-patient flows in a re-plan of `dataset`'s list from `week` on, and the re-plan's
    patient proposals (for next week's re-plan).

    A rolling horizon: the scenario's, cut where the dataset's capacity or demand weeks end. The re-plan
    is `optimizer.replan` from last week's proposals `previous`: the change penalty
    (`weights.change`) keeps each patient's previous offer unless moving them is clearly better. No
    week is frozen here (`policy.frozen_weeks: 0`): only the plan's first week happens before the
    next re-plan, and last week's plan of this week is what the penalty anchors to.
    """
    known = set(dataset.capacity["week"]) & (set(dataset.demand["week"]) or set(dataset.capacity["week"]))
    horizon = 0
    for label in week_labels(week, scenario.horizon_weeks):
        if label not in known:
            break
        horizon += 1
    policy = scenario.policy.model_copy(update={"frozen_weeks": 0})
    rolling = scenario.model_copy(update={"start_week": week, "horizon_weeks": max(horizon, 1), "policy": policy})
    result = replan(rolling, previous, dataset=dataset)
    flows = planned_scenario(result).flows
    return flows[flows["week"] == week].reset_index(drop=True), result.proposals[PREVIOUS_COLUMNS]


def weekly_draw(planned: PlannedScenario, seed: np.random.SeedSequence) -> pd.DataFrame:
    """The outcome table (`counts.OUTCOME_COLUMNS`) of one draw with weekly re-planning (module docstring)."""
    scenario = planned.scenario
    settings = scenario.simulation
    rng = np.random.default_rng(seed)
    dataset = planned.base
    proposals = planned.proposals
    outcomes = []
    for w, week in enumerate(planned.weeks):
        monday = parse_iso_week(week)
        dataset = dataclasses.replace(dataset, plan_start=monday)
        if w == 0:  # the list is the scenario's own: its plan is the one already made
            flows = planned.flows[planned.flows["week"] == week].reset_index(drop=True)
        else:
            flows, proposals = replan_week(scenario, dataset, week, proposals)
        one_week = scenario.model_copy(update={"start_week": week, "horizon_weeks": 1})
        changed = apply_changes(dataset, one_week)
        capacity = changed.capacity[changed.capacity["week"] == week]
        theatre_days = capacity.groupby(["hospital_id", "specialty", "week"], as_index=False)["theatre_days"].sum()
        flows = cancel_theatre_days(flows, theatre_days, settings, rng)
        no_forecast = changed.with_tables(demand=changed.demand.iloc[0:0])  # new patients come as drawn below
        evaluation = evaluate_flows(no_forecast, one_week, flows[FLOW_COLUMNS], base=dataset)
        waiting_list, treated = _answer_and_treat(dataset.waiting_list, evaluation.assignments, flows, settings, rng)
        arrivals = _new_patients(changed, dataset, scenario, week, w, rng)
        waiting_list = pd.concat([waiting_list, arrivals], ignore_index=True)
        dataset = dataset.with_tables(waiting_list=waiting_list)
        outcomes.append(_week_counts(waiting_list, treated, dataset, week, monday + dt.timedelta(days=7)))
    return by_level(pd.concat(outcomes, ignore_index=True))


def _answer_and_treat(
    waiting_list: pd.DataFrame,
    assignments: pd.DataFrame,
    flows: pd.DataFrame,
    settings: SimulationSettings,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The list after the week's treatments and answers, and the treated patients (region, procedure)."""
    offers = assignments.merge(
        flows[
            ["region_id", "listed_hospital_id", "procedure_id", "class", "hospital_id", "km", "at_listed"]
        ].drop_duplicates(["region_id", "listed_hospital_id", "procedure_id", "class", "hospital_id"]),
        on=["region_id", "listed_hospital_id", "procedure_id", "class", "hospital_id"],
        how="left",
    ).sort_values("patient_id", ignore_index=True)  # one draw per patient, in a fixed order
    away = ~offers["at_listed"].fillna(True).to_numpy(dtype=bool)
    accepts = np.ones(len(offers), dtype=bool)
    if settings.acceptance.model != "always" and away.any():
        p = np.array([settings.acceptance.probability(km) for km in offers.loc[away, "km"].to_numpy(dtype=float)])
        accepts[away] = rng.random(int(away.sum())) < p
    treated_ids = set(offers.loc[accepts, "patient_id"])
    declined_ids = set(offers.loc[~accepts, "patient_id"])
    listed = waiting_list[~waiting_list["patient_id"].isin(treated_ids)].copy()
    declined = listed["patient_id"].isin(declined_ids).to_numpy()
    if settings.declined == "pvv":
        listed.loc[declined, "status"] = "PvV"
    else:
        listed.loc[declined, "accepts_travel"] = False  # keeps their place at the listed hospital
    return listed.reset_index(drop=True), offers.loc[accepts, ["region_id", "procedure_id"]]


def _new_patients(
    changed: Dataset, dataset: Dataset, scenario: Scenario, week: str, w: int, rng: np.random.Generator
) -> pd.DataFrame:
    """The week's new decisions as whole patients (module docstring, step 5)."""
    forecast = changed.demand[changed.demand["week"] == week].sort_values(["region_id", "procedure_id"])
    forecast = forecast.groupby(["region_id", "procedure_id"], as_index=False)["expected_decisions"].sum()
    counts = np.round(draw_demand(forecast, scenario.simulation, rng)["expected_decisions"].to_numpy()).astype(np.int64)
    rows = forecast.loc[np.repeat(np.arange(len(forecast)), counts), ["region_id", "procedure_id"]]
    rows = rows.reset_index(drop=True)
    columns = list(dataset.waiting_list.columns)
    if rows.empty:
        return pd.DataFrame(columns=columns)
    waiting = dataset.waiting_list[dataset.waiting_list["status"] == "waiting"]
    listed = waiting.dropna(subset=["listed_hospital_id"])
    listed = listed[listed["listed_hospital_id"] != ""]
    shares = listed.groupby(["region_id", "procedure_id", "listed_hospital_id"]).size()
    fallback = fallback_hospitals(changed, dataset, [week]).set_index(["region_id", "procedure_id"])["hospital_id"]
    hospitals = []
    for (region, procedure), size in rows.groupby(["region_id", "procedure_id"], sort=True).size().items():
        if (region, procedure) in shares.index:
            options = shares.loc[(region, procedure)]
            hospitals.append(rng.choice(options.index.to_numpy(), size=size, p=(options / options.sum()).to_numpy()))
        else:
            hospitals.append(np.full(size, fallback.get((region, procedure), ""), dtype=object))
    rows = rows.sort_values(["region_id", "procedure_id"], kind="stable", ignore_index=True)
    rows["listed_hospital_id"] = np.concatenate(hospitals)
    rows["accepts_travel"] = rng.random(len(rows)) < _travel_share(waiting, scenario, rows)
    priorities = changed.priorities
    rows["priority"] = rng.choice(
        priorities["priority_id"].to_numpy(), size=len(rows), p=priorities["demand_share"].to_numpy(dtype=float)
    )
    rows["status"] = "waiting"
    rows["decision_date"] = pd.Timestamp(parse_iso_week(week) + dt.timedelta(days=FORECAST_DAY_OFFSET))
    rows["patient_id"] = [f"S{w:03d}{n:06d}" for n in range(len(rows))]  # pseudonymous, never a personal number
    return rows.reindex(columns=columns)  # columns new patients have no value for (e.g. a booking) stay empty


def _travel_share(waiting: pd.DataFrame, scenario: Scenario, rows: pd.DataFrame) -> np.ndarray:
    """The share accepting travel per new patient, as the model splits the forecast (`from_data`: the
    (region, procedure) backlog's share, else the whole backlog's, else 0.5)."""
    setting = scenario.policy.share_accepting_travel
    if setting != "from_data":
        return np.full(len(rows), float(setting))
    overall = float(waiting["accepts_travel"].mean()) if len(waiting) else 0.5
    by_pair = waiting.groupby(["region_id", "procedure_id"])["accepts_travel"].mean()
    keys = pd.MultiIndex.from_frame(rows[["region_id", "procedure_id"]])
    return by_pair.reindex(keys).fillna(overall).to_numpy(dtype=float)


def _week_counts(
    waiting_list: pd.DataFrame, treated: pd.DataFrame, dataset: Dataset, week: str, end: dt.date
) -> pd.DataFrame:
    """METRICS per region and procedure at the end of the week, counted patient by patient."""
    waiting = waiting_list[waiting_list["status"] == "waiting"]
    limits = dataset.priorities.set_index("priority_id")["max_wait_days"]
    waited = (pd.Timestamp(end) - waiting["decision_date"]).dt.days.to_numpy()
    frame = waiting[["region_id", "procedure_id"]].assign(
        waiting=1.0,
        over_90=(waited > 90).astype(float),
        breach_days=7.0 * (waited > waiting["priority"].map(limits).to_numpy(dtype=float)),
        treated=0.0,
    )
    done = treated.assign(waiting=0.0, over_90=0.0, breach_days=0.0, treated=1.0)
    table = pd.concat([frame, done], ignore_index=True)
    metrics = ["waiting", "over_90", "breach_days", "treated"]
    return table.groupby(["region_id", "procedure_id"], as_index=False)[metrics].sum().assign(week=week)
