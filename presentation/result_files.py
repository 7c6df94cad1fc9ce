"""A plan's result folder: summary.json, scenario.yaml and every table as CSV, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from models.atomic import replace_folder
from models.numbers import write_csv
from optimizer import PlanResult, changes, money_tables

#: File name → how to get its table from a result. The tables people read (totals, use of theatre
#: days and beds, payments, procedure and specialty tables) are the whole-patient plan's, the plan that
#: is handed out; the LP's fractional flows and weekly KPIs are kept beside them (allocations.csv,
#: region_kpis.csv) with their whole-patient counterparts (integer_plan.csv, integer_region_kpis.csv).
RESULT_TABLES = {
    "allocations.csv": lambda r: r.lp.allocations,
    "integer_plan.csv": lambda r: r.integer.allocations,
    "region_kpis.csv": lambda r: r.lp.region_kpis,
    "integer_region_kpis.csv": lambda r: r.integer.region_kpis,
    "theatre_use.csv": lambda r: r.integer.theatre_use,
    "bed_use.csv": lambda r: r.integer.bed_use,
    "payments.csv": lambda r: r.integer.payments,
    "shadow_prices.csv": lambda r: r.shadow_prices,
    "region_totals.csv": lambda r: r.integer.region_totals,
    "procedure_totals.csv": lambda r: r.integer.procedure_totals,
    "specialty_plan.csv": lambda r: r.integer.specialty_plan,
    "fairness.csv": lambda r: r.integer.fairness,
    "hospitals.csv": lambda r: r.instance.dataset.hospitals[["hospital_id", "name", "region_id", "level"]],
    "proposals.csv": lambda r: r.proposals,
    "changes.csv": lambda r: changes(r) if r.instance.previous is not None else None,  # re-plans only
    "net_balances.csv": lambda r: money_tables(r)["net_balances"],
    "agreement_proposals.csv": lambda r: money_tables(r)["agreement_proposals"],
}


def write_results(result: PlanResult, out_dir: str | Path) -> Path:
    """Write summary.json, the scenario and every result table into `out_dir`, replacing it whole.

    The files are complete before they replace `out_dir` (`models.atomic.replace_folder`), so an
    interrupted run never leaves a mix of old and new files.
    """

    def fill(folder: Path) -> None:
        (folder / "summary.json").write_text(json.dumps(result.summary(), indent=2), encoding="utf-8")
        scenario = yaml.safe_dump(result.scenario.to_yaml_dict(), sort_keys=False)
        (folder / "scenario.yaml").write_text(scenario, encoding="utf-8")
        for name, table in RESULT_TABLES.items():
            frame = table(result)
            if frame is not None:  # a table only some plans have (changes.csv: re-plans)
                write_csv(frame, folder / name)  # plain decimals, full precision: files are read back

    return replace_folder(out_dir, fill)
