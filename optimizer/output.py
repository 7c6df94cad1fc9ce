"""Writing a plan's result files into a folder, atomically (all files or none)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from optimizer.plan import PlanResult

#: File name → how to get its table from a result.
RESULT_TABLES = {
    "allocations.csv": lambda r: r.lp.allocations,
    "integer_plan.csv": lambda r: r.integer.allocations,
    "region_kpis.csv": lambda r: r.lp.region_kpis,
    "integer_region_kpis.csv": lambda r: r.integer.region_kpis,
    "theatre_use.csv": lambda r: r.lp.theatre_use,
    "bed_use.csv": lambda r: r.lp.bed_use,
    "payments.csv": lambda r: r.lp.payments,
    "shadow_prices.csv": lambda r: r.shadow_prices,
    "region_totals.csv": lambda r: r.lp.region_totals,
    "hospitals.csv": lambda r: r.instance.dataset.hospitals[["hospital_id", "name", "region_id", "level"]],
}


def write_results(result: PlanResult, out_dir: str | Path) -> Path:
    """Write summary.json, the scenario and every result table into `out_dir`.

    Files go to a temporary folder first and replace `out_dir` only when complete, so an
    interrupted run never leaves a mix of old and new files.
    """
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    (staging / "summary.json").write_text(json.dumps(result.summary(), indent=2), encoding="utf-8")
    import yaml

    (staging / "scenario.yaml").write_text(
        yaml.safe_dump(result.scenario.to_yaml_dict(), sort_keys=False), encoding="utf-8"
    )
    for name, table in RESULT_TABLES.items():
        table(result).to_csv(staging / name, index=False)  # full precision: files can be evaluated again
    from optimizer.proposals import patient_proposals

    patient_proposals(result).to_csv(staging / "proposals.csv", index=False)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target
