"""Winners and losers on the comparison page: each later run against the first, per region, with the
fairness settings of every compared run one click from the scenario editor.

The tables are `presentation.outcomes.against_base` (the report's), turned into cells the page shows:
text with a sign, and a kind (better, worse, unchanged) the page colours; the word is in the table too,
so nothing is said by colour alone.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd

from api.web.labels import DatasetNames
from models.scenario import Scenario
from presentation.i18n import Locale
from presentation.outcomes import TOLERANCE, against_base, fairness_settings, verdict

MINUS = "\u2212"


def signed(value: int, loc: Locale) -> str:
    """A change with its sign always written: +12, −3 (a real minus sign), ±0."""
    if value == 0:
        return "±0"
    return ("+" if value > 0 else MINUS) + loc.number(abs(value))


def _kind(change: float) -> str:
    """better (fewer), worse (more) or unchanged, by the verdict's own tolerance."""
    if change < -TOLERANCE:
        return "better"
    return "worse" if change > TOLERANCE else "unchanged"


def outcome_cells(outcome: pd.DataFrame, loc: Locale) -> dict:
    """`against_base`'s table as header texts and rows of {text, kind} cells (kind: better, worse,
    unchanged or empty). Days and patients are whole numbers; the changes carry their sign."""
    region, change, change_pct, change_patients, word = (
        loc._("Region"),
        loc._("Change"),
        loc._("Change (%)"),
        loc._("Change in patients"),
        loc._("Verdict"),
    )
    kinds = {verdict(-1.0, loc): "better", verdict(1.0, loc): "worse", verdict(0.0, loc): "unchanged"}
    rows = []
    for record in outcome.to_dict("records"):
        days_kind = kinds[record[word]]  # the verdict on the days beyond 90, as the report words it
        cells = []
        for column, value in record.items():
            if column == region:
                cells.append({"text": str(value), "kind": "", "total": value == loc._("Total")})
            elif column == change:
                cells.append({"text": signed(int(value), loc), "kind": days_kind})
            elif column == change_patients:
                cells.append({"text": signed(int(value), loc), "kind": _kind(value)})
            elif column in (change_pct, word):
                cells.append({"text": str(value), "kind": days_kind})
            else:
                cells.append({"text": loc.number(value), "kind": ""})
        rows.append(cells)
    return {"columns": list(outcome.columns), "rows": rows}


def fairness_links(scenario_id: str) -> dict[str, str]:
    """Query strings of the scenario editor that open the scenario with a fairness setting switched on."""
    return {
        "region": "?" + urlencode({"from": scenario_id, "fairness": "region"}),
        "no_region_worse_off": "?" + urlencode({"from": scenario_id, "no_region_worse_off": "true"}),
    }


def comparison_outcomes(table: pd.DataFrame, compared: list[dict], names: DatasetNames, loc: Locale) -> dict:
    """For each later run, its winners and losers against the first (`against_base`); for every run,
    its fairness settings in words and the editor's addresses to set them.

    `table` is the comparison (`optimizer.compare`: metric, region_id, one column per run, ...);
    `compared` lists {label, scenario_id, scenario} in the comparison's order.
    """
    base = compared[0]["label"]
    against = []
    for run in compared[1:]:
        outcome = against_base(table, run["label"], base, names.regions, loc)
        title = loc._("{plan} against {base}").format(plan=run["label"], base=base)
        against.append({"title": title, **outcome_cells(outcome, loc)})
    fairness = []
    for run in compared:
        scenario: Scenario = run["scenario"]
        settings = fairness_settings(scenario, loc)[:-1]  # the last line says how in YAML: the page has links
        fairness.append(
            {
                "label": run["label"],
                "settings": settings,
                "fairness_on": bool(scenario.policy.fairness),
                "fairness_by": [rule.by for rule in scenario.policy.fairness],
                "no_region_worse_off": scenario.policy.no_region_worse_off,
                "links": fairness_links(run["scenario_id"]),
            }
        )
    return {"against": against, "fairness": fairness}
