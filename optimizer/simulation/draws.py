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
    bought (need beyond the scheduled days), less the days lost. Where the need exceeds that, every
    flow of the cell keeps the same share of its patients, rounded down to whole patients: the others
    are cancelled and stay on the list (the planned-utilisation buffer absorbs losses first).
    """
    need = flows.assign(need=flows["patients"] / flows["rate"]).groupby(CELL_KEYS, as_index=False)["need"].sum()
    cells = need.merge(theatre_days, on=CELL_KEYS, how="left").fillna({"theatre_days": 0.0})
    cells = cells.sort_values(CELL_KEYS, ignore_index=True)  # a fixed order of draws
    rates = cells["specialty"].map(settings.rate_of).to_numpy(dtype=float)
    scheduled = cells["theatre_days"].to_numpy(dtype=float)
    lost = rng.binomial(np.round(scheduled).astype(np.int64), rates) if rates.any() else np.zeros(len(cells))
    bought = np.maximum(cells["need"].to_numpy() - scheduled, 0.0)
    available = np.maximum(scheduled + bought - lost, 0.0)
    need_days = cells["need"].to_numpy()
    cells["kept_share"] = np.where(need_days > available, available / np.maximum(need_days, 1e-12), 1.0)
    kept = flows.merge(cells[[*CELL_KEYS, "kept_share"]], on=CELL_KEYS, how="left")["kept_share"].to_numpy()
    patients = flows["patients"].to_numpy(dtype=float)
    # a tiny slack so that a share of exactly 1 never rounds a whole patient away
    return flows.assign(patients=np.where(kept < 1.0, np.floor(patients * kept + 1e-9), patients))


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
