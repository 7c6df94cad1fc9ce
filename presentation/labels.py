"""Names, colours, titles and number formats shared by every report, figure and workbook.

Figures use the same colour for a region everywhere, Swedish region names where the dataset has
them, and say what their axes count. Labels are English source strings marked with `N_` and
translated where they are shown (`presentation.i18n.Locale`); numbers people read are formatted by
the locale (``1 234,5`` in Swedish). `format_number` is the language-neutral form kept for
notebooks (a space between thousands, a decimal point).
"""

from __future__ import annotations

import numpy as np
from plotly.colors import qualitative, sequential

from models.dataset import Dataset
from optimizer import PlanResult
from presentation.i18n import N_, Locale

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

#: Plain-language column headings of every table people read (HTML and Excel), in English, marked
#: for translation; `column_label` translates them. Columns not listed keep their snake_case name.
LABELS = {
    "region_id": N_("Region"),
    "payer_region": N_("Home region (pays)"),
    "provider_region": N_("Treating region"),
    "hospital_id": N_("Hospital"),
    "listed_hospital_id": N_("Listed hospital"),
    "procedure_id": N_("Procedure"),
    "priority": N_("Priority"),
    "class": N_("Class"),
    "resource": N_("Resource"),
    "specialty": N_("Specialty"),
    "week": N_("Week"),
    "t": N_("Week number"),
    "band": N_("Days waited"),
    "metric": N_("Measure"),
    "patients": N_("Patients"),
    "waiting": N_("Waiting"),
    "over_90": N_("Over 90 days"),
    "over_180": N_("Over 180 days"),
    "over_365": N_("Over 365 days"),
    "share_over_90": N_("Share over 90 days"),
    "mov_pvv": N_("MoV/PvV"),
    "amount_sek": N_("Amount (SEK)"),
    "breach_days_90": N_("Days waited beyond 90 days"),
    "breach_days_180": N_("Days waited beyond 180 days"),
    "breach_days_365": N_("Days waited beyond 365 days"),
    "weighted_breach_days": N_("Weighted breach-days"),
    "breach_days_per_patient": N_("Weighted breach-days per patient"),
    "over_90_end": N_("Over 90 days at end"),
    "over_180_end": N_("Over 180 days at end"),
    "over_365_end": N_("Over 365 days at end"),
    "waiting_end": N_("Waiting at end"),
    "share_over_90_end": N_("Share over 90 days at end"),
    "median_wait_at_treatment_days": N_("Median days waited at treatment"),
    "treated": N_("Treated"),
    "treated_elsewhere": N_("Treated in another region"),
    "treatment_cost_sek": N_("Paid under the price list (SEK)"),
    "extra_capacity_sek": N_("Extra theatre days bought (SEK)"),
    "cost_sek": N_("Cost: price list + extra days (SEK)"),
    "received_sek": N_("Received (SEK)"),
    "patient_km": N_("Patient-km"),
    "km": N_("km"),
    "theatre_utilisation": N_("Theatre utilisation"),
    "utilisation": N_("Utilisation"),
    "theatre_days": N_("Theatre days (planned share)"),
    "extra_days": N_("Extra theatre days offered"),
    "extra_days_used": N_("Extra theatre days used"),
    "extra_cost_sek": N_("Extra cost (SEK)"),
    "used_days": N_("Theatre days used"),
    "bed_days": N_("Bed-days available"),
    "used_bed_days": N_("Bed-days used"),
    "patients_waiting": N_("Patients waiting"),
    "available_theatre_days": N_("Theatre days available"),
    "used_theatre_days": N_("Theatre days used"),
    "saving_per_extra_day": N_("Objective saved per extra day"),
    "waiting_days": N_("Waiting days"),
    "weighted_breach_days_saved": N_("Weighted breach-days saved"),
    "breach_days_90_saved": N_("Days beyond 90 saved"),
    "over_90_end_saved": N_("Over 90 at end: fewer"),
    "joint_weighted_breach_days": N_("Together: weighted breach-days"),
    "joint_breach_days_90": N_("Together: days beyond 90"),
    "joint_breach_days_180": N_("Together: days beyond 180"),
    "joint_breach_days_365": N_("Together: days beyond 365"),
    "joint_over_90_end": N_("Together: over 90 days at end"),
    "joint_cost_sek": N_("Together: cost (SEK)"),
    "joint_treated_elsewhere": N_("Together: treated in another region"),
    "standalone_weighted_breach_days": N_("Alone: weighted breach-days"),
    "standalone_breach_days_90": N_("Alone: days beyond 90"),
    "standalone_breach_days_180": N_("Alone: days beyond 180"),
    "standalone_breach_days_365": N_("Alone: days beyond 365"),
    "standalone_over_90_end": N_("Alone: over 90 days at end"),
    "standalone_cost_sek": N_("Alone: cost (SEK)"),
    "standalone_treated_elsewhere": N_("Alone: treated in another region"),
    "patient_id": N_("Patient (pseudonym)"),
    "offer_week": N_("Offer week"),
    "decision_date": N_("Decision date"),
    "listed": N_("Listed (incl. MoV/PvV)"),
    "level": N_("Level"),
    "theatre_days_per_week": N_("Theatre days a week"),
    "theatre_days_min_week": N_("Theatre days, smallest week"),
    "bed_days_per_week": N_("Bed-days a week"),
}

#: Hospital levels of the dataset contract → display names.
LEVEL_NAMES = {
    "university": N_("university hospital"),
    "county": N_("county hospital"),
    "district": N_("district hospital"),
    "private": N_("private"),
}
#: Specialty ids of the dataset contract → display names.
SPECIALTY_NAMES = {
    "orthopaedics": N_("Orthopaedics"),
    "ophthalmology": N_("Ophthalmology"),
    "general_surgery": N_("General surgery"),
    "ent": N_("ENT"),
    "urology": N_("Urology"),
    "plastic_surgery": N_("Plastic surgery"),
    "hand_surgery": N_("Hand surgery"),
    "gynaecology": N_("Gynaecology"),
}


def column_label(column: str, loc: Locale) -> str:
    """A column's heading in `loc`'s language (a column without a label keeps its name)."""
    label = LABELS.get(str(column))
    return loc._(label) if label else str(column).replace("_", " ")


def specialty_name(specialty: str, loc: Locale) -> str:
    """A specialty's display name (an unknown id is shown with spaces for underscores)."""
    label = SPECIALTY_NAMES.get(str(specialty))
    return loc._(label) if label else str(specialty).replace("_", " ")


def hospital_names(result: PlanResult | Dataset) -> dict[str, str]:
    """Display name per hospital id (the dataset's names are Swedish)."""
    hospitals = (result if isinstance(result, Dataset) else result.instance.dataset).hospitals
    return dict(zip(hospitals["hospital_id"], hospitals["name"], strict=True))


def procedure_names(result: PlanResult | Dataset, loc: Locale) -> dict[str, str]:
    """Display name per procedure id: `name_sv` in Swedish, `name` in English (else the id)."""
    procedures = (result if isinstance(result, Dataset) else result.instance.dataset).procedures
    column = "name_sv" if loc.lang == "sv" and "name_sv" in procedures else "name"
    names = procedures[column] if column in procedures else procedures["procedure_id"]
    return {p: (n if isinstance(n, str) and n else p) for p, n in zip(procedures["procedure_id"], names, strict=True)}


PERCENT_COLUMNS = ("share_over_90_end", "theatre_utilisation", "utilisation", "share_over_90")


# --------------------------------------------------------------------------------------------------
# Names, colours and number formats


def region_names(result: PlanResult) -> dict[str, str]:
    """Display name per region id: the dataset's name, else a known Mellansverige name, else the id."""
    return dataset_region_names(result.instance.dataset)


def dataset_region_names(dataset: Dataset) -> dict[str, str]:
    """`region_names` of a dataset (before any plan)."""
    regions = dataset.regions
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


WAITING_TITLE = N_("Waiting over time per region, and the 90-day care guarantee")
THEATRE_TITLE = N_("Theatre utilisation per hospital and week")
BEDS_TITLE = N_("Bed-day utilisation per hospital and week")
FLOWS_TITLE = N_("Patients by home region and treating region")
BANDS_TITLE = N_("Waiting-time bands at plan start and at end of horizon")
THEATRE_PRESSURE_TITLE = N_("Theatre days per hospital and week: idle (blue) or short (red)")
BEDS_PRESSURE_TITLE = N_("Bed-days per hospital and week: unused (blue) or full (white)")
BANDS_REGION_TITLE = N_("Waiting-time bands per region, plan start and end of horizon")

COMPARE_BREACH_TITLE = N_("Weighted breach-days per region and plan")
COMPARE_OVER_90_TITLE = N_("Patients over 90 days at the end of the horizon, per region and plan")
COMPARE_COST_TITLE = N_("Cost per plan")
COMPARE_SHARE_TITLE = N_("Share waiting over 90 days over time, all regions")

#: How the report names each objective term (cost is shown in kSEK, as its weight is per kSEK).
TERM_TITLES = {
    "breach_days_90": N_("Breach-days over 90 days"),
    "breach_days_180": N_("Breach-days over 180 days"),
    "breach_days_365": N_("Breach-days over 365 days"),
    "waiting_days": N_("Waiting days (all patients)"),
    "cost_sek": N_("Cost (kSEK)"),
    "patient_km": N_("Patient travel (km)"),
    "fairness_penalty": N_("Fairness: weighted patients short of their target"),
    "changed_proposals": N_("Re-plan: previous proposals not kept"),
    "week_drift": N_("Re-plan: patient-weeks off the previous weekly schedule"),
}
