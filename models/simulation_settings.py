"""The `simulation:` section of a scenario: how uncertain demand, theatre days and patients' answers are.

Every number here is an assumption unless the README's "Simulation" section names a source; the
defaults are meant to be replaced by the regions' own figures. `SimulationSettings.deterministic()`
turns every source of randomness off (the simulation then equals the deterministic replay).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfferAcceptance(_Strict):
    """The probability that a patient accepts an offer at a hospital `d` road km from the listed one.

    `logistic`: p(d) = ceiling / (1 + exp((d − midpoint_km) / scale_km)), falling with distance;
    `always`: every offer is accepted (no randomness). Offers at the listed hospital are always taken.
    """

    model: Literal["logistic", "always"] = "logistic"
    ceiling: float = Field(default=0.9, ge=0, le=1)
    midpoint_km: float = Field(default=120.0, ge=0, le=5000)
    scale_km: float = Field(default=40.0, gt=0, le=5000)

    def probability(self, km: float) -> float:
        """p(km) of the chosen model (see the class docstring)."""
        if self.model == "always":
            return 1.0
        z = (km - self.midpoint_km) / self.scale_km
        return self.ceiling / (1.0 + math.exp(min(z, 700.0)))  # exp overflows past ~709


class SimulationSettings(_Strict):
    """Random draws of one simulated week-by-week replay (a scenario's `simulation:` section).

    `demand`: `poisson` draws each (region, procedure, week)'s new decisions from a Poisson
    distribution with the forecast (after the scenario's demand changes) as mean; `forecast` takes
    the forecast as it is. `cancellation_rate`: the share of scheduled theatre days lost to
    cancellations, per specialty (`default_cancellation_rate` for the others); each day of a
    hospital × specialty × week is lost independently. `acceptance`: offers away from the listed
    hospital. `declined`: a patient who declines such an offer `keep_place`s on the list at the
    listed hospital (waiting, treated when the queue reaches them again), or becomes `pvv`
    (patient-chosen wait: off the statistics, not treated within the plan).
    """

    demand: Literal["poisson", "forecast"] = "poisson"
    default_cancellation_rate: float = Field(default=0.05, ge=0, le=1)
    cancellation_rate: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    acceptance: OfferAcceptance = Field(default_factory=OfferAcceptance)
    declined: Literal["keep_place", "pvv"] = "keep_place"

    @classmethod
    def deterministic(cls) -> SimulationSettings:
        """No randomness: demand = forecast, no cancellations, every offer accepted."""
        return cls(demand="forecast", default_cancellation_rate=0.0, acceptance=OfferAcceptance(model="always"))

    def rate_of(self, specialty: str) -> float:
        """The cancellation rate of `specialty`."""
        return self.cancellation_rate.get(specialty, self.default_cancellation_rate)
