"""The words the page's JavaScript shows, translated on the server and handed to it as JSON.

The scripts hold no text of their own: `window.CAPPLAN.t("key")` reads this table, so every string
people read is in the message catalogue (`presentation/locales/sv/LC_MESSAGES/web.po`).
"""

from __future__ import annotations

from api.web.labels import LOWER_IS_BETTER, MONEY_MEASURES, SHARE_MEASURES, measure_labels
from presentation.i18n import Locale
from presentation.labels import KNOWN_REGION_NAMES


def _texts(loc: Locale) -> dict[str, str]:
    return {
        "signed_in": loc._("Signed in. Choose what to do in the menu above."),
        "key_rejected": loc._("The key was not accepted. Check it and try again."),
        "key_missing": loc._("Sign in with your API key first."),
        "failed": loc._("Something went wrong"),
        "problems": loc._("What to fix:"),
        "infeasible": loc._("No plan meets every condition of this scenario. These conditions are in conflict:"),
        "not_accepted": loc._("Not accepted: nothing was stored or changed."),
        "measure": loc._("Measure"),
        "row": loc._("row"),
        "none_yet": loc._("None yet."),
        "uploaded": loc._("Uploaded and checked: {name}."),
        "uploading": loc._("Uploading and checking…"),
        "choose_file": loc._("Choose a zip file first."),
        "scenario_valid": loc._("The scenario is valid."),
        "scenario_saved": loc._("Saved as scenario {name}."),
        "run_started": loc._("Run started."),
        "open_results": loc._("Open results"),
        "seconds": loc._("{n} sec"),
        "remove": loc._("Remove"),
        "all_regions": loc._("All regions"),
        "difference": loc._("Difference"),
        "pick_runs": loc._("Choose 2 to 4 finished runs."),
        "better": loc._("better"),
        "worse": loc._("worse"),
        "download_started": loc._("Download started: {name}"),
        "yaml_changed": loc._("The YAML was changed: check it to update the form."),
        "status_queued": loc._("queued"),
        "status_loading": loc._("loading the data"),
        "status_baseline": loc._("planning each region alone"),
        "status_building": loc._("building the model"),
        "status_solving": loc._("solving"),
        "status_reporting": loc._("writing the results"),
        "status_simulating": loc._("simulating the draws"),
        "status_done": loc._("done"),
        "status_failed": loc._("failed"),
        "status_cancelled": loc._("cancelled"),
        "change_capacity": loc._("Capacity change (theatre days)"),
        "change_extra_capacity": loc._("Extra theatre days bought"),
        "change_demand": loc._("Demand change"),
        "change_close_hospital": loc._("Close a hospital"),
        "field_hospital_id": loc._("Hospital"),
        "field_specialty": loc._("Specialty"),
        "field_procedure_id": loc._("Procedure (empty: all)"),
        "field_region_id": loc._("Region (empty: all)"),
        "field_weeks": loc._("Weeks (e.g. 2025-W26..2025-W32; empty: all)"),
        "field_factor": loc._("Factor (0.7 = 30 % fewer)"),
        "field_theatre_days_per_week": loc._("Theatre days per week"),
        "field_cost_per_day_sek": loc._("Cost per day (SEK)"),
        "any": loc._("(all)"),
        "new_scenario": loc._("New scenario"),
        "draws_done": loc._("{done} of {draws} draws done"),
        "simulation_of": loc._("Simulation, {draws} draws"),
        "seed_random": loc._("random seed"),
        "seed_is": loc._("seed {seed}"),
        "replanned_weekly": loc._("re-planned every week"),
        "plan_kept": loc._("the plan kept as made"),
        "open_with_fairness": loc._("New run with fairness between regions"),
        "open_with_no_worse": loc._("New run with no region worse off"),
        "target_busy": loc._("Planning the scenario with the target…"),
        "target_unreachable": loc._(
            "No purchase at the candidate hospitals can bring the share over 90 days to {level} by the end of "
            "{week}, not even unlimited theatre days: patients who do not travel, travel limits, bed-days or "
            "the calendar stand in the way."
        ),
        "target_days": loc._(
            "{days} extra theatre days from the start of the plan to {week} bring the share over 90 days to "
            "{share} at the end of {week} in the target's plan (target {level})."
        ),
        "target_met": loc._("The scenario re-planned with them reaches {share}: the target is met."),
        "target_not_met": loc._(
            "The scenario re-planned with them reaches {share}: above the target (its own weights plan them otherwise)."
        ),
        "target_cost": loc._("Cost at the offers' prices: {cost}."),
        "target_price_unknown": loc._("The price is unknown: the scenario has no offers of extra theatre days."),
        "days_a_week": loc._("Days a week"),
        "theatre_days": loc._("Theatre days (salsdagar)"),
        "cost": loc._("Cost"),
        "fairness_set": loc._("A copy of {name} with the fairness setting switched on: check it, then save and run."),
    }


def js_messages(loc: Locale) -> dict:
    """Texts and comparison measure names for the page's scripts, in `loc`'s language."""
    return {
        "lang": loc.lang,
        "regions": dict(KNOWN_REGION_NAMES),
        "texts": _texts(loc),
        "measures": {
            "labels": measure_labels(loc),
            "money": list(MONEY_MEASURES),
            "shares": list(SHARE_MEASURES),
            "lower_is_better": list(LOWER_IS_BETTER),
        },
    }
