"""The random parts of one simulated draw: new decisions, theatre days lost, patients' answers to offers.

Each function takes a `numpy.random.Generator` and draws in a fixed order over rows sorted by their
keys, so that a draw depends only on its seed (never on the worker that runs it). With
`SimulationSettings.deterministic()` none of them changes anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.simulation_settings import SimulationSettings

#: Columns a flow frame needs here besides the evaluator's FLOW_COLUMNS.
CELL_KEYS = ["hospital_id", "specialty", "week"]


def draw_demand(demand: pd.DataFrame, settings: SimulationSettings, rng: np.random.Generator) -> pd.DataFrame:
    """demand.csv with `expected_decisions` replaced by a Poisson draw around it (`demand: poisson`).

    The forecast is the mean: a (region, procedure, week) with 12.4 expected decisions gets 12.4 on
    average, as whole patients.
    """
    if settings.demand == "forecast":
        return demand
    drawn = rng.poisson(demand["expected_decisions"].to_numpy(dtype=float))
    return demand.assign(expected_decisions=drawn.astype(float))


def cancel_theatre_days(
    flows: pd.DataFrame, theatre_days: pd.DataFrame, settings: SimulationSettings, rng: np.random.Generator
) -> pd.DataFrame:
    """The planned flows left after theatre days lost to cancellations.

    `flows`: whole-patient flows with `specialty`, `rate` (cases per theatre day) and `week`;
    `theatre_days`: hospital_id, specialty, week, theatre_days (the scheduled days, before planned
    utilisation). Each whole scheduled day of a cell is lost with the specialty's rate (binomial).
    The plan's cell needs Σ patients / rate days; it has the scheduled days, plus any extra days it
    bought (need beyond the scheduled days), less the days lost: the planned-utilisation buffer
    absorbs losses first. Where the need exceeds what is left, whole patients are cancelled until the
    days they free cover the shortfall, flow after flow in a random order within the cell (so that
    no queue is always the one cancelled); they stay on the list.
    """
    need = flows.assign(need=flows["patients"] / flows["rate"]).groupby(CELL_KEYS, as_index=False)["need"].sum()
    cells = need.merge(theatre_days, on=CELL_KEYS, how="left").fillna({"theatre_days": 0.0})
    cells = cells.sort_values(CELL_KEYS, ignore_index=True)  # a fixed order of draws
    rates = cells["specialty"].map(settings.rate_of).to_numpy(dtype=float)
    if not rates.any():
        return flows
    scheduled = cells["theatre_days"].to_numpy(dtype=float)
    lost = rng.binomial(np.round(scheduled).astype(np.int64), rates)
    need_days = cells["need"].to_numpy()
    available = scheduled + np.maximum(need_days - scheduled, 0.0) - lost  # bought extra days count
    cells["short"] = np.maximum(need_days - available, 0.0)
    order = rng.random(len(flows))  # drawn for every flow, in the flows' order: reproducible
    table = flows.reset_index(drop=True).assign(order=order, row=np.arange(len(flows)))
    table = table.merge(cells[[*CELL_KEYS, "short"]], on=CELL_KEYS, how="left")
    table = table.sort_values([*CELL_KEYS, "order"], ignore_index=True)
    days = (table["patients"] / table["rate"]).to_numpy()
    before = (table.assign(days=days).groupby(CELL_KEYS, sort=False)["days"].cumsum().to_numpy()) - days
    still_short = np.maximum(table["short"].to_numpy() - before, 0.0)
    rate = table["rate"].to_numpy()
    # whole patients: enough of this flow's to free what is still short (a tiny slack against rounding)
    cancelled = np.minimum(table["patients"].to_numpy(), np.ceil(still_short * rate - 1e-9))
    patients = flows["patients"].to_numpy(dtype=float).copy()
    patients[table["row"].to_numpy()] -= cancelled
    return flows.assign(patients=patients)


def answer_offers(
    flows: pd.DataFrame, settings: SimulationSettings, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Patients' answers to offers away from their listed hospital: (flows of those who accept, declined).

    Each patient of a flow with `at_listed` false accepts with p(`km`) (`settings.acceptance`); the
    number who decline is binomial. Returns the flows with only the accepting patients, and the
    declined count per flow row (zero at the listed hospital).
    """
    patients = flows["patients"].to_numpy(dtype=float)
    away = ~flows["at_listed"].to_numpy(dtype=bool)
    declined = np.zeros(len(flows))
    if settings.acceptance.model == "always" or not away.any():
        return flows, declined
    p = np.array([settings.acceptance.probability(km) for km in flows["km"].to_numpy(dtype=float)[away]])
    accepted = rng.binomial(np.round(patients[away]).astype(np.int64), p)
    declined[away] = patients[away] - accepted
    return flows.assign(patients=patients - declined), declined
