"""Names, colours, titles and number formats shared by every report, figure and workbook.

Figures use the same colour for a region everywhere, Swedish region names where the dataset has
them, and say what their axes count. Numbers are written with a space between thousands and a
decimal point (``1 234.5``), which reads the same in Swedish and English.
"""

from __future__ import annotations

import numpy as np
from plotly.colors import qualitative, sequential

from optimizer import PlanResult

#: Region names of Sjukvårdsregion Mellansverige by the bundled dataset's ids, used when a table
#: carries only ids (a comparison of result folders) and no dataset names are given.
KNOWN_REGION_NAMES = {
    "dalarna": "Region Dalarna",
    "gavleborg": "Region Gävleborg",
    "sormland": "Region Sörmland",
    "uppsala": "Region Uppsala",
    "varmland": "Region Värmland",
    "vastmanland": "Region Västmanland",
    "orebro": "Region Örebro län",
}
REGION_PALETTE = qualitative.Safe[:10] + qualitative.Dark2
PLAN_PALETTE = qualitative.Bold
BAND_COLOURS = [sequential.YlOrRd[i] for i in (1, 2, 3, 5, 6, 7, 8)]
OVER_90_BANDS = ("91-120", "121-180", "181-365", "366+")
LEVEL_ORDER = {"university": 0, "county": 1, "district": 2, "private": 3}
FONT = "Segoe UI, Helvetica, Arial, sans-serif"

#: Plain-language column headings of the HTML tables (the Excel sheets keep the file column names).
LABELS = {
    "region_id": "Region",
    "payer_region": "Home region (pays)",
    "provider_region": "Treating region",
    "hospital_id": "Hospital",
    "resource": "Resource",
    "specialty": "Specialty",
    "week": "Week",
    "metric": "Measure",
    "patients": "Patients",
    "amount_sek": "Amount (SEK)",
    "breach_days_90": "Breach-days > 90",
    "breach_days_180": "Breach-days > 180",
    "breach_days_365": "Breach-days > 365",
    "weighted_breach_days": "Weighted breach-days",
    "over_90_end": "Over 90 days at end",
    "over_180_end": "Over 180 days at end",
    "over_365_end": "Over 365 days at end",
    "share_over_90_end": "Share over 90 days at end",
    "treated": "Treated",
    "treated_elsewhere": "Treated in another region",
    "treatment_cost_sek": "Paid under the price list (SEK)",
    "extra_capacity_sek": "Extra theatre days bought (SEK)",
    "cost_sek": "Cost: price list + extra days (SEK)",
    "received_sek": "Received (SEK)",
    "patient_km": "Patient-km",
    "theatre_utilisation": "Theatre utilisation",
    "saving_per_extra_day": "Objective saved per extra day",
    "waiting_days": "Waiting days",
    "weighted_breach_days_saved": "Weighted breach-days saved",
    "breach_days_90_saved": "Breach-days > 90 saved",
    "over_90_end_saved": "Over 90 at end: fewer",
    "extra_cost_sek": "Extra cost (SEK)",
}
PERCENT_COLUMNS = ("share_over_90_end", "theatre_utilisation", "utilisation", "share_over_90")


# --------------------------------------------------------------------------------------------------
# Names, colours and number formats


def region_names(result: PlanResult) -> dict[str, str]:
    """Display name per region id: the dataset's name, else a known Mellansverige name, else the id."""
    regions = result.instance.dataset.regions
    names = dict(zip(regions["region_id"], regions["name"], strict=True))
    return {r: (n if isinstance(n, str) and n and n != r else KNOWN_REGION_NAMES.get(r, r)) for r, n in names.items()}


def region_colours(region_ids) -> dict[str, str]:
    """One colour per region id, assigned in sorted id order so every report agrees."""
    ids = sorted({str(r) for r in region_ids if str(r) != "total"})
    return {r: REGION_PALETTE[i % len(REGION_PALETTE)] for i, r in enumerate(ids)}


_SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}"})  # the three characters after z in ASCII


def swedish_key(name: str) -> str:
    """Sort key putting å, ä, ö after z, as Swedish readers expect (Västmanland before Örebro)."""
    return str(name).casefold().translate(_SWEDISH_ORDER)


def format_number(value, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return f"{value:,d}".replace(",", "\u00a0")
    if isinstance(value, (float, np.floating)):
        return f"{value:,.{decimals}f}".replace(",", "\u00a0")
    return str(value)


WAITING_TITLE = "Waiting over time per region, and the 90-day care guarantee"
THEATRE_TITLE = "Theatre utilisation per hospital and week"
BEDS_TITLE = "Bed-day utilisation per hospital and week"
FLOWS_TITLE = "Patients by home region and treating region"
BANDS_TITLE = "Waiting-time bands at plan start and at end of horizon"
BANDS_REGION_TITLE = "Waiting-time bands per region, plan start and end of horizon"

COMPARE_BREACH_TITLE = "Weighted breach-days per region and plan"
COMPARE_OVER_90_TITLE = "Patients over 90 days at the end of the horizon, per region and plan"
COMPARE_COST_TITLE = "Cost per plan"
COMPARE_SHARE_TITLE = "Share waiting over 90 days over time, all regions"

#: How the report names each objective term (cost is shown in kSEK, as its weight is per kSEK).
TERM_TITLES = {
    "breach_days_90": "Breach-days over 90 days",
    "breach_days_180": "Breach-days over 180 days",
    "breach_days_365": "Breach-days over 365 days",
    "waiting_days": "Waiting days (all patients)",
    "cost_sek": "Cost (kSEK)",
    "patient_km": "Patient travel (km)",
    "fairness_penalty": "Fairness: weighted patients short of their target",
    "changed_proposals": "Re-plan: previous proposals not kept",
}
