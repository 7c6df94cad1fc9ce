"""A run's result files: collecting them from the engine, and serving them as JSON or CSV pages.

The files are exactly those `presentation.result_files.write_results` writes (so a run fetched over
HTTP and a `capplan run` folder hold the same tables, `proposals.csv` among them), plus `report.html`
(`presentation.html_report`), each stored gzip-compressed in `run_results`.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pandas as pd

from api.db import compress, decompress
from api.logs import safe_traceback
from models.numbers import NOISE, plain
from optimizer import BALANCE_COLUMNS

log = logging.getLogger(__name__)

#: Public table name (URL path) → stored result file, in the order the API documents them.
RESULT_TABLES: dict[str, str] = {
    "kpis": "region_kpis.csv",
    "region-totals": "region_totals.csv",
    "allocations": "allocations.csv",
    "integer-plan": "integer_plan.csv",
    "integer-kpis": "integer_region_kpis.csv",
    "payments": "payments.csv",
    "shadow-prices": "shadow_prices.csv",
    "theatre-use": "theatre_use.csv",
    "bed-use": "bed_use.csv",
    "proposals": "proposals.csv",
    "procedure-totals": "procedure_totals.csv",
    "specialty-plan": "specialty_plan.csv",
    "fairness": "fairness.csv",
    "changes": "changes.csv",
    "net-balances": "net_balances.csv",
    "agreement-proposals": "agreement_proposals.csv",
}
#: Tables of RESULT_TABLES only a re-plan has (`POST /runs` with `previous_run_id`); other runs answer 404.
REPLAN_TABLES = frozenset({"changes"})
#: Tables only a simulation run has (`POST /runs` with `simulation`).
SIMULATION_TABLES: dict[str, str] = {"simulation-bands": "simulation_bands.csv"}
TABLE_DESCRIPTIONS: dict[str, str] = {
    "simulation-bands": "A simulation run's P10/P50/P90 (and mean) over its draws per level (region, procedure, "
    "total), member, week and metric (waiting, over_90, breach_days, treated).",
    "kpis": "Per region × week (the LP, fractional): waiting, over 90/180/365, share over 90 (excl. MoV/PvV), MoV/PvV.",
    "region-totals": "Per region (whole-patient plan): breach-days, patients over θ at the end, treated, "
    "treated elsewhere, SEK, km.",
    "allocations": "The LP's flows: region_id, procedure_id, class, hospital_id, week, patients (fractional).",
    "integer-plan": "The integer plan: the same flows in whole patients, keeping every constraint.",
    "integer-kpis": "Region KPIs of the integer plan.",
    "payments": "Payer region × provider region (whole-patient plan): patients and SEK under the price list.",
    "shadow-prices": "Objective saved by one more theatre day or bed-day per hospital and week.",
    "theatre-use": "Per hospital × specialty × week (whole-patient plan): theatre days, extra days used, used, "
    "utilisation.",
    "bed-use": "Per hospital × week (whole-patient plan): bed-days available, used, utilisation.",
    "proposals": "Patient-level proposals: which waiting patient (pseudonymous id) to offer which hospital "
    "in which week, oldest first.",
    "procedure-totals": "Per procedure (whole-patient plan): patients, treated, weighted breach-days (per "
    "patient), over 90 and waiting at the end, median wait at treatment.",
    "specialty-plan": "Per specialty × hospital × week (whole-patient plan): patients waiting, theatre days "
    "available and used, bed-days used.",
    "fairness": "Per fairness entry and procedure or region (whole-patient plan): target, treated, shortfall.",
    "changes": "A re-plan only (previous_run_id): per patient whose proposal changed since the previous plan, "
    "previous and new hospital and week, and the change (moved hospital, moved week, newly proposed, "
    "no longer proposed).",
    "net-balances": "Per region (whole-patient plan): price-list payments between the regions (paid, received, net = "
    "paid − received, summing to zero) and new money apart (private purchases, extra theatre days bought).",
    "agreement-proposals": "Payer region × provider hospital × procedure × quarter, whole patients and SEK; status "
    "too_small where the arc has fewer patients over the horizon than policy.min_agreement_cases.",
}
#: The columns of each result table, as `presentation.result_files.write_results` writes them, and their
#: JSON type: "text" (ids, labels, weeks), "number", "integer" or "boolean". Every value may be null (an
#: empty CSV field). A column the engine adds later is still served (typed as `typed` guesses), and the
#: OpenAPI row schemas allow it; `tests/api/routes/test_runs.py` checks this list against real runs.
_FLOW = {
    "region_id": "text",
    "listed_hospital_id": "text",
    "procedure_id": "text",
    "class": "text",
    "priority": "text",
    "hospital_id": "text",
    "week": "text",
    "patients": "number",
}
_KPIS = {
    "region_id": "text",
    "week": "text",
    "t": "integer",
    "waiting": "number",
    "over_90": "number",
    "over_180": "number",
    "over_365": "number",
    "share_over_90": "number",
    "mov_pvv": "integer",
}
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "simulation-bands": {
        **dict.fromkeys(["level", "key", "week", "metric"], "text"),
        **dict.fromkeys(["p10", "p50", "p90", "mean"], "number"),
        "draws": "integer",
    },
    "kpis": _KPIS,
    "region-totals": {
        "region_id": "text",
        **dict.fromkeys(
            [
                "breach_days_90",
                "over_90_end",
                "breach_days_180",
                "over_180_end",
                "breach_days_365",
                "over_365_end",
                "weighted_breach_days",
                "treated",
                "treated_elsewhere",
                "treatment_cost_sek",
                "patient_km",
                "extra_capacity_sek",
                "cost_sek",
            ],
            "number",
        ),
    },
    "allocations": _FLOW,
    "integer-plan": _FLOW,
    "integer-kpis": _KPIS,
    "payments": {"payer_region": "text", "provider_region": "text", "patients": "number", "amount_sek": "number"},
    "shadow-prices": {
        "resource": "text",
        "hospital_id": "text",
        "specialty": "text",
        "week": "text",
        "saving_per_extra_day": "number",
    },
    "theatre-use": {
        "hospital_id": "text",
        "specialty": "text",
        "t": "integer",
        **dict.fromkeys(
            [
                "theatre_days",
                "extra_days",
                "booked_days",
                "used_days",
                "extra_days_used",
                "extra_cost_sek",
                "utilisation",
            ],
            "number",
        ),
        "week": "text",
    },
    "bed-use": {
        "hospital_id": "text",
        "t": "integer",
        "bed_days": "number",
        "booked_bed_days": "number",
        "used_bed_days": "number",
        "utilisation": "number",
        "week": "text",
    },
    "proposals": {
        "patient_id": "text",
        "region_id": "text",
        "listed_hospital_id": "text",
        "procedure_id": "text",
        "class": "text",
        "priority": "text",
        "decision_date": "text",
        "hospital_id": "text",
        "week": "text",
        "days_waited_at_week_end": "integer",
        "provider_region": "text",
        "outside_home_region": "boolean",
        "booked": "boolean",
    },
    "procedure-totals": {
        "procedure_id": "text",
        "specialty": "text",
        **dict.fromkeys(
            [
                "patients",
                "treated",
                "weighted_breach_days",
                "breach_days_per_patient",
                "over_90_end",
                "waiting_end",
                "median_wait_at_treatment_days",
            ],
            "number",
        ),
    },
    "specialty-plan": {
        "specialty": "text",
        "hospital_id": "text",
        "week": "text",
        **dict.fromkeys(["patients_waiting", "available_theatre_days", "used_theatre_days", "used_bed_days"], "number"),
    },
    "fairness": {
        "entry": "integer",
        "by": "text",
        "member": "text",
        "target": "number",
        "weight": "number",
        "treated": "number",
        "shortfall": "number",
    },
    "changes": {
        "patient_id": "text",
        "procedure_id": "text",
        "region_id": "text",
        "previous_hospital_id": "text",
        "previous_week": "text",
        "hospital_id": "text",
        "week": "text",
        "change": "text",
    },
    "net-balances": {
        "region_id": "text",
        **dict.fromkeys(BALANCE_COLUMNS[1:], "number"),
    },
    "agreement-proposals": {
        "status": "text",
        "payer_region": "text",
        "provider_hospital": "text",
        "provider_region": "text",
        "private": "boolean",
        "procedure_id": "text",
        "quarter": "text",
        "patients": "number",
        "amount_sek": "number",
        "patients_over_horizon": "number",
    },
}
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
#: Columns that hold ids or labels: served as text even when they look like numbers.
_TEXT_COLUMNS = {
    "week",
    "class",
    "specialty",
    "resource",
    "name",
    "level",
    "metric",
    "decision_date",
    "status",
    "payer_region",
    "provider_region",
    "region",
    "key",
    "family",
    "message",
    "quarter",
    "provider_hospital",
}
#: Rows of a JSON page when the client gives no limit.
DEFAULT_JSON_LIMIT = 1000
MAX_LIMIT = 100_000


def collect_result_files(result, folder: Path, *, report: bool = True) -> dict[str, tuple[str, int | None, bytes]]:
    """Write every result file of `result` into `folder`; return name → (media type, rows, gzip bytes)."""
    from presentation.result_files import write_results

    write_results(result, folder)
    if report:
        _add_report(result, folder)
    return _read_folder(folder)


def collect_simulation_files(
    simulation, folder: Path, *, report: bool = True
) -> dict[str, tuple[str, int | None, bytes]]:
    """As `collect_result_files` for a simulation: the plan's files, simulation_bands.csv and simulation.json,
    and the report with the bands."""
    from presentation.simulation_files import write_simulation

    write_simulation(simulation, folder, report=report)
    return _read_folder(folder)


def _read_folder(folder: Path) -> dict[str, tuple[str, int | None, bytes]]:
    files: dict[str, tuple[str, int | None, bytes]] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        data = path.read_bytes()
        media_type, rows = _describe(path.name, data)
        files[path.name] = (media_type, rows, compress(data))
    return files


def _add_report(result, folder: Path) -> None:
    try:
        from presentation.html_report import plan_report_html

        plan_report_html(result, folder / REPORT_FILE)
    except Exception:  # e.g. plotly missing: the run keeps every table, only the report is absent
        log.error("no HTML report for this run:\n%s", safe_traceback())


def _describe(name: str, data: bytes) -> tuple[str, int | None]:
    if name.endswith(".csv"):
        return "text/csv", max(0, len(pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)))
    if name.endswith(".json"):
        return "application/json", None
    if name.endswith(".html"):
        return "text/html", None
    if name.endswith((".yaml", ".yml")):
        return "application/yaml", None
    return "application/octet-stream", None


def restore_folder(files: dict[str, bytes], folder: Path) -> Path:
    """Write stored (compressed) result files back into a folder, e.g. for `ResultView.from_folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / Path(name).name).write_bytes(decompress(content))
    return folder


def read_text_table(content: bytes) -> pd.DataFrame:
    """A stored CSV table with every field as text (exactly as stored)."""
    data = decompress(content)
    if not data.strip():
        return pd.DataFrame()
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def csv_page(content: bytes, offset: int, limit: int | None) -> bytes:
    """The CSV text of rows offset..offset+limit; the stored file itself when not paged."""
    if offset == 0 and limit is None:
        return decompress(content)
    table = read_text_table(content)
    page = table.iloc[offset : offset + limit if limit is not None else None]
    return page.to_csv(index=False, lineterminator="\n").encode("utf-8")


def json_page(
    content: bytes, offset: int, limit: int, columns: dict[str, str] | None = None
) -> tuple[list[str], list[dict], int]:
    """Columns, records of rows offset..offset+limit (numbers as numbers, ids as text) and the total.
    `columns` (a `TABLE_COLUMNS` entry) gives the JSON type of the columns it names."""
    table = read_text_table(content)
    page = typed(table.iloc[offset : offset + limit], columns)
    return list(table.columns), json.loads(page.to_json(orient="records", double_precision=15)), len(table)


def typed(table: pd.DataFrame, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """Text columns to numbers or booleans: as `kinds` says (column → text, number, integer or boolean),
    else where every value is one; ids and labels stay text."""
    out = {}
    kinds = kinds or {}
    for column in table.columns:
        values = table[column]
        empty = values == ""
        kind = kinds.get(column)
        if kind == "boolean":
            out[column] = values.map({"True": True, "False": False, "true": True, "false": False}).where(~empty, None)
            continue
        if kind in ("number", "integer"):
            out[column] = pd.to_numeric(values.where(~empty, None), errors="coerce")
            continue
        if kind == "text" or column in _TEXT_COLUMNS or column.endswith("_id"):
            out[column] = values.where(~empty, None)
            continue
        if values[~empty].isin(["True", "False"]).all() and (~empty).any():
            out[column] = values.map({"True": True, "False": False, "": None})
            continue
        numbers = pd.to_numeric(values.where(~empty, None), errors="coerce")
        out[column] = numbers if numbers[~empty].notna().all() else values.where(~empty, None)
    return pd.DataFrame(out, index=table.index)


def summary_rows(summary: dict) -> pd.DataFrame:
    """summary.json flattened into key, value rows (for `?format=csv`)."""
    rows: list[tuple[str, object]] = []

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, float) and not isinstance(value, bool):
            rows.append((prefix, plain(0.0 if abs(value) < NOISE else value)))  # never 1.08946e+08
        else:
            rows.append((prefix, value))

    walk("", summary)
    return pd.DataFrame(rows, columns=["key", "value"])
