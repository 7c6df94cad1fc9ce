"""Side-by-side comparison of plans: per region and in total, one column per plan.

A plan can be an in-memory `PlanResult` or a result folder written by `capplan run` (so proposals
made elsewhere, or runs from last week, compare the same way). Both become a `ResultView`.

Every plan is measured with one set of weights, the first plan's: a plan's weighted breach-days are
recomputed from its unweighted breach-days per tier, so a scenario that weighs waits over a year
more heavily does not look worse for its own weights. Difference columns give each plan minus the
first one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from models.numbers import clean_noise
from models.scenario import Scenario, Weights
from models.shares import share
from optimizer.results.plan_result import PlanResult

#: Metrics of the comparison table, in display order, and how a region's value is totalled.
METRICS: dict[str, str] = {
    "weighted_breach_days": "sum",
    "breach_days_90": "sum",
    "breach_days_180": "sum",
    "breach_days_365": "sum",
    "over_90_end": "sum",
    "over_180_end": "sum",
    "over_365_end": "sum",
    "share_over_90_end": "ratio",
    "treated": "sum",
    "treated_elsewhere": "sum",
    "treatment_cost_sek": "sum",
    "extra_capacity_sek": "sum",
    "cost_sek": "sum",
    "received_sek": "sum",
    "patient_km": "sum",
    "theatre_utilisation": "ratio",
}


@dataclass
class ResultView:
    """The tables of one plan that a comparison needs."""

    name: str
    summary: dict
    region_totals: pd.DataFrame
    region_kpis: pd.DataFrame
    theatre_use: pd.DataFrame
    payments: pd.DataFrame
    hospitals: pd.DataFrame  # hospital_id, region_id
    weights: Weights | None = None  # the plan's own objective weights (None: a folder without scenario.yaml)

    @classmethod
    def from_plan(cls, result: PlanResult) -> ResultView:
        """The whole-patient plan's tables (the plan handed out, whose figures people read)."""
        return cls(
            name=result.scenario.name,
            summary=result.summary(),
            region_totals=result.integer.region_totals,
            region_kpis=result.integer.region_kpis,
            theatre_use=result.integer.theatre_use,
            payments=result.integer.payments,
            hospitals=result.instance.dataset.hospitals[["hospital_id", "region_id"]],
            weights=result.scenario.weights,
        )

    @classmethod
    def from_folder(cls, folder: str | Path) -> ResultView:
        """A result folder's tables (`capplan run`'s files: the whole-patient plan's; a folder written
        before they were has the LP's, and those are read)."""
        folder = Path(folder)
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        return cls(
            name=summary.get("scenario", folder.name),
            summary=summary,
            region_totals=pd.read_csv(folder / "region_totals.csv"),
            region_kpis=pd.read_csv(_first_file(folder, "integer_region_kpis.csv", "region_kpis.csv")),
            theatre_use=pd.read_csv(folder / "theatre_use.csv"),
            payments=pd.read_csv(folder / "payments.csv"),
            hospitals=pd.read_csv(folder / "hospitals.csv"),
            weights=_folder_weights(folder),
        )

    def region_metrics(self, weights: Weights | None = None) -> pd.DataFrame:
        """One row per region and a 'total' row, one column per metric.

        `weights` (default: the plan's own) weigh the breach-days per tier into `weighted_breach_days`.
        """
        table = self.region_totals.set_index("region_id").copy()
        weights = weights or self.weights
        if weights is not None:
            table["weighted_breach_days"] = weighted_breach_days(table, weights)
        if "treatment_cost_sek" not in table:  # a folder written before the costs had one name each
            table["treatment_cost_sek"] = table["cost_sek"]
            table["cost_sek"] = table["treatment_cost_sek"] + table["extra_capacity_sek"]
        last = self.region_kpis[self.region_kpis["t"] == self.region_kpis["t"].max()].set_index("region_id")
        table["waiting_end"] = last["waiting"].reindex(table.index).fillna(0.0)
        received = self.payments.groupby("provider_region")["amount_sek"].sum() if len(self.payments) else {}
        table["received_sek"] = pd.Series(received, dtype=float).reindex(table.index).fillna(0.0)
        use = self.theatre_use.merge(self.hospitals, on="hospital_id")
        use = use.assign(available=use["theatre_days"] + use["extra_days_used"])
        sums = use.groupby("region_id")[["used_days", "available"]].sum().reindex(table.index).fillna(0.0)
        table["used_days"], table["available_days"] = sums["used_days"], sums["available"]
        total = table.sum(numeric_only=True).rename("total")
        table = pd.concat([table, total.to_frame().T])
        table["share_over_90_end"] = share(table["over_90_end"], table["waiting_end"])
        table["theatre_utilisation"] = share(table["used_days"], table["available_days"])
        return table[list(METRICS)]


def weighted_breach_days(table: pd.DataFrame, weights: Weights) -> pd.Series:
    """w90·breach_days_90 + w180·breach_days_180 + w365·breach_days_365 per row of `table`."""
    return (
        weights.over_90 * table["breach_days_90"]
        + weights.over_180 * table["breach_days_180"]
        + weights.over_365 * table["breach_days_365"]
    )


def _first_file(folder: Path, *names: str) -> Path:
    """The first of `names` that exists in `folder` (else the last, for the error to name)."""
    return next((folder / n for n in names if (folder / n).is_file()), folder / names[-1])


def _folder_weights(folder: Path) -> Weights | None:
    path = folder / "scenario.yaml"
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Scenario.model_validate(data).weights if isinstance(data, dict) else None


def difference_name(plan: str, first: str) -> str:
    """The name of the column `plan` − `first`."""
    return f"{plan} − {first}"


def plan_columns(table: pd.DataFrame) -> list[str]:
    """The plan columns of a `compare` table (without the difference and note columns)."""
    return list(table.attrs.get("plans", [c for c in table.columns[2:] if c != "note" and " − " not in str(c)]))


def compare(views: list[ResultView]) -> pd.DataFrame:
    """Long table: metric, region_id, one column per plan (names made unique), in METRICS order; then one
    difference column per later plan (`<plan> − <first>`) and a `note`.

    `weighted_breach_days` of every plan is computed with the first plan's weights (the note of its
    rows says which), so the plans are measured on one scale. `table.attrs["plans"]` names the plan
    columns (`plan_columns`).
    """
    names = _unique([v.name for v in views])
    weights = views[0].weights if views else None
    columns = {}
    for name, view in zip(names, views, strict=True):
        columns[name] = view.region_metrics(weights).stack()
    table = pd.DataFrame(columns)
    table.index.names = ["region_id", "metric"]
    table = table.reset_index()
    table["metric"] = pd.Categorical(table["metric"], categories=list(METRICS), ordered=True)
    regions = sorted(r for r in table["region_id"].unique() if r != "total") + ["total"]
    table["region_id"] = pd.Categorical(table["region_id"], categories=regions, ordered=True)
    table = table.sort_values(["metric", "region_id"]).reset_index(drop=True)
    table["metric"] = table["metric"].astype(str)
    table["region_id"] = table["region_id"].astype(str)
    table = table[["metric", "region_id", *names]]
    for name in names[1:]:
        table[difference_name(name, names[0])] = table[name] - table[names[0]]
    table["note"] = ""
    if weights is not None:
        note = (
            f"weighted with the weights of {names[0]}: over_90 {weights.over_90:g}, "
            f"over_180 {weights.over_180:g}, over_365 {weights.over_365:g}"
        )
        table.loc[table["metric"] == "weighted_breach_days", "note"] = note
    table = clean_noise(table)  # 7e-15 patients is 0 to a reader
    table.attrs["plans"] = names
    return table


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out
