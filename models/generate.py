"""Generate the default synthetic dataset `scenarios/mellansverige` (the 10 CSV files of the contract).

Run `python -m models.generate [--out DIR] [--seed N]`. The output depends only on the seed: the same
seed gives byte-identical files. Everything here is SYNTHETIC: a plausible picture of Sjukvårdsregion
Mellansverige calibrated to the public figures in `DOMAIN.md`, never real patients or official data.

Modelling assumptions and their sources ("DOMAIN" = a figure of /work/shared/DOMAIN.md, "(est.)" = an
estimate made for this dataset):

Plan calendar
- The plan starts on D0 = Monday 2025-03-31 (ISO week 2025-W14); capacity, beds and demand cover the
  52 weeks 2025-W14..2026-W13 (DESIGN). Days waited are counted at D0; "over 90" means > 90 days.
- Swedish public holidays falling on weekdays (New Year, Epiphany, Good Friday, Easter Monday, 1 May,
  Ascension, National Day, Midsummer Eve, Christmas Eve, Christmas, Boxing Day, New Year's Eve) remove
  a fifth of a week's theatre days and decisions each (est.). This gives the Easter, May and the
  Christmas/New Year dips (weeks 52 and 1 keep 2/5 and 3/5 of a normal week).
- Summer: theatre capacity is 60 % of normal in weeks 26 and 32 and 45 % in weeks 27-31 (DOMAIN:
  40-60 % in weeks 26-32). New decisions to treat fall less: 85 % in weeks 26 and 32, 60 % in
  27-31 (est.), so the backlog grows over the summer (DOMAIN: share within 90 days drops June→August).

Regions and hospitals
- 7 regions with DOMAIN populations. Hospitals, levels and coordinates from DOMAIN's table; Fagersta,
  Kristinehamn and Säffle do no elective surgery (no capabilities, capacity or beds).
- Two private providers (synthetic names, plausible coordinates, est.): an orthopaedic clinic in
  Uppsala and an eye clinic in Karlstad.

Procedures (PROCEDURES table)
- The 22 groups of DOMAIN with their Swedish names, plus 10 smaller named groups (shoulder, knee
  arthroscopy, umbilical hernia, haemorrhoids, hysterectomy, sinus surgery, strabismus, urinary
  incontinence, breast reduction, Dupuytren) that carry the over-90 patients not in the 22 groups
  (DOMAIN: the 22 sum to 12,896 incl. MoV/PvV but > 15,000 wait over 90 excl. MoV/PvV).
- Annual decisions: hip 4,000 and knee 4,100 (DOMAIN), cataract 28,000 (est., 25-30k), others est.
  (about 113,000 a year in all, ~5,300 per 100,000 inhabitants).
- Cases per theatre day (cataract 14, carpal tunnel 10, hernia 5.5-6, hip/knee 3.5, ...) and bed-days
  per case (hip/knee 2.5 (DOMAIN: 2-3 days), other inpatient groups 1-2, day surgery 0): est.
  Hearing-aid fitting is audiology work, not theatre work; it is modelled as ENT capacity at 10 fittings
  per "theatre day" (est.).
- KVÅ codes: real-looking codes (cataract CJE20, hip NFB49, knee NGB49 from DOMAIN; the rest est.).
- Prices: NordDRG-like weight (est.) × 74,750 SEK per DRG point (DOMAIN), one regional price for all
  public hospitals; private providers charge 0.72-0.88 × that (DOMAIN: 0.7-0.9), drawn per row.

Capabilities (COUNTY_EXCLUDED, SITE_CAPABILITIES, RATE_OVERRIDES)
- University hospitals do every procedure; county hospitals all but breast reduction at Gävle and
  Eskilstuna (plastic surgery is centralised, est.); district hospitals the simpler volume procedures
  (est. per hospital). Knee arthroplasty exactly at DOMAIN's 17 hospitals, hips there plus Köping
  (Katrineholm = Kullbergska is already in the list). Private: ortho clinic knee, hip, other ortho,
  hallux valgus, shoulder, knee arthroscopy; eye clinic cataract, other eye. Rates are set explicitly
  (a little faster than the procedure default) for the private providers and a few district hospitals.

Capacity and beds
- A region's normal-week theatre days per specialty = its population share of the weekly demand,
  converted with the procedures' default rates, times a regional capacity ratio: Värmland 1.00,
  Örebro 1.02, Dalarna 1.05, Uppsala and Sörmland 1.07, Gävleborg and Västmanland 1.12 (est.; tighter
  where DOMAIN shows longer waits). Across the system this is ~1.06 × demand in a normal week, ~1.0
  over the first 26 weeks (with the summer) and ~1.04 over the year: near capacity, the backlog
  shrinks only slowly and grows in summer.
- The private providers have fixed days (4 orthopaedic, 3 eye days a week, est.), counted in their
  region's capacity. The rest is split among the region's public hospitals in proportion to an
  elective weight (county 1, university 0.8 as acute and complex care take theatre time, district
  0.25-0.45, Enköping 1.2 as an elective-only hospital; est.) × the share of the specialty's
  theatre-day demand the hospital can treat. Normal weeks are whole or half days (at least 0.5; the
  rounding error of a region × specialty is taken from its largest unit); weekly values = normal ×
  calendar factor, 1 decimal. This gives ~40-50 elective theatre days a week at the university and
  county hospitals (Karlstad 40 of its 21 theatres' ~105, DOMAIN) and 1.5-25 at district hospitals.
- Bed-days: what the hospital's theatre days would need (mix ∝ demand over its capable procedures)
  × a hospital factor drawn in 1.1-1.3 (est.), whole bed-days, same weekly pattern. Hospitals doing
  only day surgery get 0.

Waiting list (45,500 rows, DOMAIN)
- 5,000 MoV/PvV rows (DOMAIN), 60 % PvV (est.); 40,500 rows status `waiting`, of which exactly
  15,000 over 90 days (DOMAIN: > 15,000, 37 %).
- Over 90 per procedure incl. MoV/PvV = DOMAIN's table for the 22 groups; for the 10 extra groups
  est. (260-700 each). MoV/PvV rows take the over-90 patients beyond the 15,000 waiting ones (46 %
  of MoV/PvV over 90, est.: they are often old referrals).
- A procedure's list size = its over-90 count / a procedure share over 90 (est., 0.30 for cataract to
  0.55 for breast reduction), scaled to 45,500 rows in all.
- Regions: list size ∝ population × a list factor (Värmland 1.25 ... Gävleborg, Västmanland 0.85,
  est.); share over 90 (waiting): Värmland 0.47, Örebro 0.42, Dalarna 0.39, Uppsala 0.36, Sörmland
  0.355, Gävleborg 0.29, Västmanland 0.28 (est., ordered as DOMAIN), scaled to 15,000 in all. Waiting
  over 365 days per region (est., ordered as DOMAIN): Värmland 430, Uppsala 350, Dalarna 270, Örebro
  220, Sörmland 150, Västmanland 140, Gävleborg 60 (4 % of waiting, the long tail).
- Region × procedure counts per class (waiting ≤ 90, waiting > 90, MoV/PvV ≤ 90, MoV/PvV > 90) are
  fitted to these margins by iterative proportional fitting from a seed matrix with log-normal noise
  (σ 0.15, est.), then rounded so every procedure total is exact (regional totals within a few rows).
- Days waited within a band follow a truncated exponential: 1-90 days decreasing gently (scale 150
  days), 91-365 days with a regional scale (80-130 days), 366-900 days (scale 200 days) (est.). Which
  waiting patients are over 365 is drawn per region, weighted towards procedures known for long waits
  (plastic surgery, hearing aids, joints, varicose veins; est.).
- accepts_travel: Bernoulli with probability region base (0.33-0.45) × procedure factor (0.5 hearing
  aid ... 1.2 cataract) × 1.15 if over 90 days (est.; ~40 % overall). Patients whose region has no
  capable hospital (breast reduction in Sörmland and Gävleborg) are already referred out: true, and
  no listed hospital.
- listed_hospital_id: a capable hospital of the home region, drawn ∝ its normal-week theatre days in
  the procedure's specialty.
- patient_id: `P` + 7 digits drawn without replacement (pseudonymous; never shaped like a personal
  identity number).

Demand (expected_decisions): annual volume × population share × calendar factor / the year's sum of
calendar factors, per region ∝ population (DESIGN), rounded to 0.01.

Priorities (PRIORITIES, priorities.csv; DESIGN "Priorities")
- routine "Rutin", 90 days: the care guarantee (vårdgaranti), treatment within 90 days of the decision
  to treat (Hälso- och sjukvårdslagen 2017:30 9 kap. 1 §, Hälso- och sjukvårdsförordningen 2017:80
  6 kap. 1 §; DOMAIN "0-3-90-90"). The statistic "share over 90 days" stays 90 days for everyone.
- urgent "Förtur", 30 days: patients whose surgery cannot wait a month, mostly suspected or confirmed
  tumours. The standardised cancer pathways (standardiserade vårdförlopp, SVF; RCC/SKR) give surgery
  as first treatment lead times of about a month from well-founded suspicion (e.g. SVF vulvar cancer:
  30 calendar days, of which 10 from the treatment decision; cancercentrum.se). Cancer surgery proper
  runs on the SVF track outside this list; 30 days is the limit for the few urgent cases on it (est.).
- prioritised "Prioriterad", 60 days: a medical priority between the two (an assumption: Swedish
  surgical units set a medical target date per patient, "medicinskt måldatum", in steps such as one,
  two or three months; no public national distribution of those steps is known to us).
- demand_share urgent 0.05, prioritised 0.15, routine 0.80 of new decisions: ASSUMPTIONS (no public
  figure found), "a few per cent" urgent and a large routine majority. The same shares for every
  procedure and region, because the model splits every (region, procedure)'s new decisions over the
  priorities by these shares (DESIGN); so the backlog is not correlated with procedure either (no
  exception for cataract etc., which would make backlog and forecast disagree).
- A backlog row's priority is drawn (after every other draw, so the other files do not depend on it)
  with P(k | d days waited) ∝ demand_share_k × exp(−max(0, d − L_k) / 15 days) (est.): the mix of
  new decisions, thinned beyond each priority's limit L_k because overdue priorities are treated
  first. Up to 30 days waited the backlog has the demand's mix; beyond 90 days an urgent patient is
  e^−4 (≈ 0.02) and a prioritised one e^−2 (≈ 0.14) times as frequent relative to routine as in the
  demand. MoV/PvV rows alike. Result (seed 20250331): 817 urgent (1.8 %), 4,182 prioritised (9.2 %)
  and 40,501 routine rows; of those waiting, 28 % of urgent, 23 % of prioritised and 41 % of routine
  patients are past their own limit (short capacity: 37 % of all waiting are over 90 days, DOMAIN).
- Every listed hospital is a hospital of the patient's region able to do the procedure (see
  listed_hospital_id above); the 275 breast-reduction patients of Sörmland and Gävleborg, whose
  regions have no able hospital, have none: DESIGN's fallback (the able hospital nearest to the
  region's main hospital) applies to them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from models.contract import FILES
from models.dataset import DEFAULT_PRIORITY
from models.weeks import format_iso_week, parse_iso_week

log = logging.getLogger(__name__)

DEFAULT_SEED = 20250331
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "scenarios" / "mellansverige"
START_WEEK = "2025-W14"
HORIZON_WEEKS = 52
PLAN_START = parse_iso_week(START_WEEK)  # D0, Monday 2025-03-31

# --- calibration totals (DOMAIN) -------------------------------------------------------------------
TOTAL_ROWS = 45_500
MOV_PVV_ROWS = 5_000
WAITING_OVER_90 = 15_000
SHARE_PVV = 0.6  # of MoV/PvV rows (est.)
DRG_POINT_SEK = 74_750
SEED_NOISE_SIGMA = 0.15

# --- medical priorities ------------------------------------------------------------------------------
# priority_id, name_sv, max_wait_days, demand_share (see "Priorities" in the module docstring).
PRIORITIES = [
    ("urgent", "Förtur", 30.0, 0.05),
    ("prioritised", "Prioriterad", 60.0, 0.15),
    (DEFAULT_PRIORITY, "Rutin", 90.0, 0.80),
]
#: Days over its limit in which the backlog of a priority thins by a factor e (est.).
PRIORITY_THINNING_DAYS = 15.0

# --- regions ---------------------------------------------------------------------------------------
# region_id, name, population (DOMAIN); list_factor = waiting-list size per inhabitant relative to
# the average, share_over_90 among waiting, over_365 = waiting over 365 days, capacity_ratio = normal
# week theatre capacity / demand, travel = base probability of accepting travel, tail_scale = days
# scale of the 91-365 band (all est.).
REGION_COLUMNS = [
    "region_id",
    "name",
    "population",
    "list_factor",
    "share_over_90",
    "over_365",
    "capacity_ratio",
    "travel",
    "tail_scale",
]
REGIONS = [
    ("uppsala", "Region Uppsala", 405_000, 1.00, 0.360, 350, 1.07, 0.45, 110),
    ("orebro", "Region Örebro län", 307_000, 1.10, 0.420, 220, 1.02, 0.42, 110),
    ("sormland", "Region Sörmland", 301_000, 0.95, 0.355, 150, 1.07, 0.45, 100),
    ("vastmanland", "Region Västmanland", 280_000, 0.85, 0.280, 140, 1.12, 0.45, 90),
    ("dalarna", "Region Dalarna", 288_000, 1.05, 0.390, 270, 1.05, 0.33, 120),
    ("gavleborg", "Region Gävleborg", 288_000, 0.85, 0.290, 60, 1.12, 0.38, 80),
    ("varmland", "Region Värmland", 283_000, 1.25, 0.470, 430, 1.00, 0.35, 130),
]

# --- hospitals -------------------------------------------------------------------------------------
# hospital_id, name, region_id, level, lat, lon (DOMAIN; private ones est.); elective_weight = relative
# size of the elective surgery (est.; 0 = no elective surgery).
HOSPITAL_COLUMNS = ["hospital_id", "name", "region_id", "level", "lat", "lon", "elective_weight"]
HOSPITALS = [
    ("akademiska", "Akademiska sjukhuset", "uppsala", "university", 59.858, 17.639, 0.8),
    ("enkoping", "Lasarettet i Enköping", "uppsala", "district", 59.636, 17.077, 1.2),
    ("uso", "Universitetssjukhuset Örebro", "orebro", "university", 59.274, 15.207, 0.8),
    ("karlskoga", "Karlskoga lasarett", "orebro", "district", 59.327, 14.524, 0.35),
    ("lindesberg", "Lindesbergs lasarett", "orebro", "district", 59.594, 15.227, 0.4),
    ("eskilstuna", "Mälarsjukhuset Eskilstuna", "sormland", "county", 59.371, 16.510, 1.0),
    ("nykoping", "Nyköpings lasarett", "sormland", "district", 58.753, 17.008, 0.45),
    ("katrineholm", "Kullbergska sjukhuset Katrineholm", "sormland", "district", 58.996, 16.207, 0.35),
    ("vasteras", "Västmanlands sjukhus Västerås", "vastmanland", "county", 59.611, 16.545, 1.0),
    ("koping", "Västmanlands sjukhus Köping", "vastmanland", "district", 59.514, 15.994, 0.35),
    ("sala", "Västmanlands sjukhus Sala", "vastmanland", "district", 59.920, 16.606, 0.25),
    ("fagersta", "Västmanlands sjukhus Fagersta", "vastmanland", "district", 60.004, 15.794, 0.0),
    ("falun", "Falu lasarett", "dalarna", "county", 60.607, 15.631, 1.0),
    ("mora", "Mora lasarett", "dalarna", "district", 61.005, 14.537, 0.4),
    ("ludvika", "Ludvika lasarett", "dalarna", "district", 60.150, 15.188, 0.25),
    ("avesta", "Avesta lasarett", "dalarna", "district", 60.146, 16.168, 0.25),
    ("borlange", "Borlänge sjukhus", "dalarna", "district", 60.485, 15.436, 0.25),
    ("gavle", "Gävle sjukhus", "gavleborg", "county", 60.675, 17.141, 1.0),
    ("hudiksvall", "Hudiksvalls sjukhus", "gavleborg", "district", 61.729, 17.104, 0.45),
    ("bollnas", "Bollnäs sjukhus", "gavleborg", "district", 61.348, 16.394, 0.35),
    ("karlstad", "Centralsjukhuset Karlstad", "varmland", "county", 59.380, 13.504, 1.0),
    ("arvika", "Arvika sjukhus", "varmland", "district", 59.655, 12.586, 0.35),
    ("torsby", "Torsby sjukhus", "varmland", "district", 60.136, 13.000, 0.25),
    ("kristinehamn", "Kristinehamns sjukhus", "varmland", "district", 59.310, 14.108, 0.0),
    ("saffle", "Säffle sjukhus", "varmland", "district", 59.133, 12.928, 0.0),
    ("private_ortho_uppsala", "Privat ortopedklinik Uppsala", "uppsala", "private", 59.8465, 17.6645, 0.0),
    ("private_eye_karlstad", "Privat ögonklinik Karlstad", "varmland", "private", 59.3793, 13.4930, 0.0),
]

#: Fixed normal-week theatre days of the private providers (est.).
PRIVATE_DAYS = {
    ("private_ortho_uppsala", "orthopaedics"): 4.0,
    ("private_eye_karlstad", "ophthalmology"): 3.0,
}

# --- procedures ------------------------------------------------------------------------------------
# procedure_id, name, name_sv (DOMAIN for the 22 groups), specialty, cases_per_theatre_day,
# bed_days_per_case, kva_codes, annual decisions, over_90 incl. MoV/PvV (DOMAIN for the 22 groups),
# share_over_90 (relative list shape), drg weight, travel factor, long-tail weight (est. unless noted).
PROCEDURE_COLUMNS = [
    "procedure_id",
    "name",
    "name_sv",
    "specialty",
    "cases_per_theatre_day",
    "bed_days_per_case",
    "kva_codes",
    "annual",
    "over_90",
    "share_over_90",
    "drg_weight",
    "travel_factor",
    "tail_weight",
]
PROCEDURES = [
    ("cataract", "Cataract", "Gråstarr", "ophthalmology", 14, 0, "CJE20;CJE15", 28_000, 2000, 0.30, 0.17, 1.2, 0.5),
    (
        "knee",
        "Knee arthroplasty",
        "Knäledsprotes",
        "orthopaedics",
        3.5,
        2.5,
        "NGB29;NGB39;NGB49",
        4_100,
        1100,
        0.45,
        1.70,
        1.15,
        1.5,
    ),
    (
        "other_eye",
        "Other eye surgery",
        "Ögon övriga",
        "ophthalmology",
        8,
        0,
        "CKD65;CHD20;CJC10",
        6_000,
        1029,
        0.33,
        0.25,
        0.9,
        1.0,
    ),
    (
        "other_surgery",
        "Other general surgery",
        "Kirurgi övriga",
        "general_surgery",
        4,
        1.5,
        "JFB46;JDF10;JAH01",
        8_000,
        928,
        0.34,
        0.60,
        0.9,
        1.0,
    ),
    (
        "other_ortho",
        "Other orthopaedics",
        "Ortopedi övriga",
        "orthopaedics",
        4,
        1.0,
        "NHJ69;NGL19;NFK49",
        7_000,
        908,
        0.38,
        0.55,
        1.0,
        1.0,
    ),
    ("hearing_aid", "Hearing aid fitting", "Hörapparat", "ent", 10, 0, "DF026;DF027", 6_000, 840, 0.48, 0.15, 0.5, 2.0),
    (
        "other_ent",
        "Other ENT surgery",
        "ÖNH övriga",
        "ent",
        6,
        0,
        "DMB10;DNB10;EDC30",
        5_000,
        765,
        0.40,
        0.30,
        0.8,
        1.0,
    ),
    (
        "hip",
        "Hip arthroplasty",
        "Höftledsprotes",
        "orthopaedics",
        3.5,
        2.5,
        "NFB29;NFB39;NFB49",
        4_000,
        600,
        0.38,
        1.75,
        1.15,
        1.3,
    ),
    (
        "other_urology",
        "Other urology",
        "Urologi övriga",
        "urology",
        5,
        1.0,
        "KCD32;KCG10;KFH00",
        5_000,
        553,
        0.34,
        0.45,
        0.9,
        1.0,
    ),
    (
        "other_plastic",
        "Other plastic surgery",
        "Plastikkirurgi övriga",
        "plastic_surgery",
        5,
        0,
        "QBB00;QAB10",
        2_500,
        497,
        0.50,
        0.35,
        0.9,
        2.5,
    ),
    (
        "varicose_veins",
        "Varicose veins",
        "Åderbråck",
        "general_surgery",
        6,
        0,
        "PHD40;PHB10",
        2_500,
        421,
        0.45,
        0.35,
        1.1,
        1.5,
    ),
    (
        "inguinal_hernia",
        "Inguinal hernia",
        "Ljumskbråck",
        "general_surgery",
        5.5,
        0,
        "JAB30;JAB11",
        3_200,
        420,
        0.32,
        0.45,
        1.1,
        0.8,
    ),
    (
        "carpal_tunnel",
        "Carpal tunnel release",
        "Karpaltunnel",
        "hand_surgery",
        10,
        0,
        "ACC51",
        3_000,
        402,
        0.35,
        0.12,
        1.0,
        0.7,
    ),
    (
        "hallux_valgus",
        "Hallux valgus / hammer toe",
        "Hallux valgus/hammartå",
        "orthopaedics",
        5,
        0,
        "NHK14;NHK04;NHG46",
        1_500,
        342,
        0.45,
        0.40,
        1.0,
        1.5,
    ),
    (
        "benign_skin_tumour",
        "Benign skin tumour",
        "Hudtumör godartad",
        "plastic_surgery",
        10,
        0,
        "QBE00;QDE00",
        2_500,
        340,
        0.40,
        0.10,
        0.8,
        1.2,
    ),
    ("tonsillectomy", "Tonsillectomy", "Halsmandel", "ent", 7, 1.0, "EMB10;EMB20", 2_600, 294, 0.40, 0.35, 0.6, 1.0),
    (
        "other_hand",
        "Other hand surgery",
        "Handkirurgi övriga",
        "hand_surgery",
        6,
        0,
        "NDM09;NDL19",
        2_000,
        272,
        0.38,
        0.22,
        0.9,
        1.0,
    ),
    (
        "other_gyn",
        "Other gynaecology",
        "Gyn övriga",
        "gynaecology",
        6,
        0,
        "LCA10;LEE10;LBA00",
        3_500,
        253,
        0.30,
        0.35,
        0.8,
        0.8,
    ),
    (
        "prostate",
        "Benign prostate enlargement",
        "Prostataförstoring",
        "urology",
        4,
        2.0,
        "KED22;KED33",
        1_200,
        248,
        0.40,
        0.65,
        1.0,
        1.0,
    ),
    (
        "gallstones",
        "Gallstones",
        "Gallsten",
        "general_surgery",
        4,
        1.0,
        "JKA21;JKA20",
        2_600,
        240,
        0.30,
        0.75,
        1.0,
        0.7,
    ),
    (
        "thyroid",
        "Thyroid surgery",
        "Sköldkörtel",
        "general_surgery",
        3,
        1.5,
        "BAA10;BAA50",
        800,
        237,
        0.38,
        0.90,
        0.9,
        0.5,
    ),
    ("nasal_septum", "Nasal septum", "Nässkiljevägg", "ent", 5, 0, "DQD40", 1_200, 207, 0.45, 0.35, 1.0, 1.5),
    # smaller named groups beyond the 22 of DOMAIN (all est.)
    (
        "shoulder",
        "Shoulder surgery",
        "Axelkirurgi",
        "orthopaedics",
        4,
        1.0,
        "NBH51;NBG19;NBB49",
        2_000,
        700,
        0.42,
        0.55,
        1.1,
        1.3,
    ),
    (
        "knee_arthroscopy",
        "Knee arthroscopy",
        "Knäartroskopi",
        "orthopaedics",
        8,
        0,
        "NGA11;NGD01",
        1_500,
        420,
        0.38,
        0.25,
        1.1,
        1.0,
    ),
    (
        "umbilical_hernia",
        "Umbilical hernia",
        "Navelbråck",
        "general_surgery",
        6,
        0,
        "JAF10;JAF20",
        1_200,
        360,
        0.38,
        0.40,
        1.1,
        1.0,
    ),
    (
        "haemorrhoids",
        "Haemorrhoids",
        "Hemorrojder",
        "general_surgery",
        7,
        0,
        "JHC10;JHC20",
        1_000,
        320,
        0.36,
        0.25,
        1.0,
        1.0,
    ),
    (
        "hysterectomy",
        "Hysterectomy (benign)",
        "Hysterektomi",
        "gynaecology",
        3,
        2.0,
        "LCD00;LCD10;LCD11",
        1_500,
        450,
        0.36,
        0.90,
        1.0,
        1.0,
    ),
    ("sinus_surgery", "Sinus surgery", "Bihålekirurgi", "ent", 4, 0, "DNF00;DNF10", 800, 380, 0.45, 0.45, 1.0, 1.5),
    (
        "strabismus",
        "Strabismus surgery",
        "Skelning",
        "ophthalmology",
        5,
        0,
        "CBC10;CBC30",
        500,
        260,
        0.42,
        0.35,
        0.7,
        1.2,
    ),
    (
        "urinary_incontinence",
        "Urinary incontinence surgery",
        "Inkontinenskirurgi",
        "gynaecology",
        5,
        0,
        "KFG46;LEG10",
        900,
        420,
        0.40,
        0.40,
        1.0,
        1.2,
    ),
    (
        "breast_reduction",
        "Breast reduction",
        "Bröstreduktion",
        "plastic_surgery",
        2.5,
        1.0,
        "HAD30;HAD35",
        700,
        640,
        0.55,
        0.80,
        1.0,
        3.0,
    ),
    (
        "dupuytren",
        "Dupuytren's contracture",
        "Dupuytrens kontraktur",
        "hand_surgery",
        5,
        0,
        "NDM19;NDM29",
        900,
        450,
        0.40,
        0.30,
        1.0,
        1.0,
    ),
]

# --- capabilities (est.) ---------------------------------------------------------------------------
#: County hospitals do every procedure except these.
COUNTY_EXCLUDED = {"eskilstuna": ("breast_reduction",), "gavle": ("breast_reduction",)}
_JOINTS = ("knee", "hip")
_ORTHO_DAY = ("other_ortho", "hallux_valgus", "knee_arthroscopy")
_HERNIA = ("inguinal_hernia", "umbilical_hernia")
#: District hospitals and private providers: the procedures each one does.
SITE_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "enkoping": (
        *_JOINTS,
        *_ORTHO_DAY,
        "shoulder",
        *_HERNIA,
        "gallstones",
        "varicose_veins",
        "cataract",
        "carpal_tunnel",
        "other_hand",
    ),
    "karlskoga": (*_JOINTS, *_ORTHO_DAY, *_HERNIA, "gallstones", "carpal_tunnel"),
    "lindesberg": (
        *_JOINTS,
        *_ORTHO_DAY,
        "shoulder",
        *_HERNIA,
        "gallstones",
        "haemorrhoids",
        "cataract",
        "carpal_tunnel",
    ),
    "nykoping": (
        *_JOINTS,
        *_ORTHO_DAY,
        *_HERNIA,
        "gallstones",
        "varicose_veins",
        "haemorrhoids",
        "cataract",
        "other_gyn",
        "hysterectomy",
        "urinary_incontinence",
        "tonsillectomy",
        "carpal_tunnel",
    ),
    "katrineholm": (*_JOINTS, *_ORTHO_DAY, "shoulder", *_HERNIA, "varicose_veins", "cataract", "carpal_tunnel"),
    "koping": ("hip", "other_ortho", "knee_arthroscopy", *_HERNIA, "gallstones", "carpal_tunnel"),
    "sala": ("hallux_valgus", "knee_arthroscopy", *_HERNIA, "varicose_veins", "cataract", "carpal_tunnel"),
    "mora": (
        *_JOINTS,
        *_ORTHO_DAY,
        *_HERNIA,
        "gallstones",
        "varicose_veins",
        "cataract",
        "other_gyn",
        "tonsillectomy",
        "carpal_tunnel",
    ),
    "ludvika": (
        "hallux_valgus",
        "knee_arthroscopy",
        *_HERNIA,
        "gallstones",
        "varicose_veins",
        "cataract",
        "carpal_tunnel",
    ),
    "avesta": (
        "knee_arthroscopy",
        *_HERNIA,
        "varicose_veins",
        "haemorrhoids",
        "cataract",
        "other_gyn",
        "carpal_tunnel",
    ),
    "borlange": ("hallux_valgus", "knee_arthroscopy", *_HERNIA, "varicose_veins", "carpal_tunnel"),
    "hudiksvall": (
        *_JOINTS,
        *_ORTHO_DAY,
        "shoulder",
        *_HERNIA,
        "gallstones",
        "varicose_veins",
        "haemorrhoids",
        "cataract",
        "other_gyn",
        "hysterectomy",
        "tonsillectomy",
        "carpal_tunnel",
        "other_urology",
    ),
    "bollnas": (*_JOINTS, *_ORTHO_DAY, *_HERNIA, "gallstones", "varicose_veins", "carpal_tunnel"),
    "arvika": (*_JOINTS, *_ORTHO_DAY, *_HERNIA, "gallstones", "varicose_veins", "cataract", "carpal_tunnel"),
    "torsby": (*_JOINTS, *_ORTHO_DAY, *_HERNIA, "gallstones", "varicose_veins", "carpal_tunnel"),
    "private_ortho_uppsala": (*_JOINTS, "other_ortho", "hallux_valgus", "shoulder", "knee_arthroscopy"),
    "private_eye_karlstad": ("cataract", "other_eye"),
}
#: Hospital-specific cases per theatre day (faster than the procedure default; est.).
RATE_OVERRIDES: dict[tuple[str, str], float] = {
    ("private_ortho_uppsala", "knee"): 4.0,
    ("private_ortho_uppsala", "hip"): 4.0,
    ("private_ortho_uppsala", "other_ortho"): 5.0,
    ("private_ortho_uppsala", "hallux_valgus"): 6.0,
    ("private_ortho_uppsala", "shoulder"): 5.0,
    ("private_ortho_uppsala", "knee_arthroscopy"): 10.0,
    ("private_eye_karlstad", "cataract"): 17.0,
    ("private_eye_karlstad", "other_eye"): 9.0,
    ("enkoping", "knee"): 4.0,
    ("enkoping", "hip"): 4.0,
    ("katrineholm", "cataract"): 16.0,
    ("sala", "cataract"): 15.0,
    ("lindesberg", "knee"): 4.0,
}
PRIVATE_PRICE_FACTOR = (0.72, 0.88)  # DOMAIN: 0.7-0.9
BED_FACTOR = (1.1, 1.3)  # bed-days available / bed-days needed at full theatre capacity (est.)

# --- calendar (est.) -------------------------------------------------------------------------------
SUMMER_CAPACITY = {26: 0.60, 27: 0.45, 28: 0.45, 29: 0.45, 30: 0.45, 31: 0.45, 32: 0.60}
SUMMER_DEMAND = {26: 0.85, 27: 0.60, 28: 0.60, 29: 0.60, 30: 0.60, 31: 0.60, 32: 0.85}

# --- waiting-time bands (days, inclusive) and their within-band scales (est.) ----------------------
UNDER_90 = (1, 90, 150.0)
OVER_365 = (366, 900, 200.0)
MOV_PVV_OVER_365_SHARE = 0.25
OVER_90_TRAVEL_BOOST = 1.15


def regions_table() -> pd.DataFrame:
    """The REGIONS constants as a frame (contract columns plus the calibration parameters)."""
    return pd.DataFrame(REGIONS, columns=REGION_COLUMNS)


def hospitals_table() -> pd.DataFrame:
    """The HOSPITALS constants as a frame (contract columns plus `elective_weight`)."""
    return pd.DataFrame(HOSPITALS, columns=HOSPITAL_COLUMNS)


def procedures_table() -> pd.DataFrame:
    """The PROCEDURES constants as a frame (contract columns plus the calibration parameters)."""
    frame = pd.DataFrame(PROCEDURES, columns=PROCEDURE_COLUMNS)
    return frame.astype({"cases_per_theatre_day": float, "bed_days_per_case": float})


# --- calendar --------------------------------------------------------------------------------------


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday of `year` (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def swedish_holidays(year: int) -> list[dt.date]:
    """Swedish public holidays and de facto holidays (eves) of `year` that can fall on a weekday."""
    easter = easter_sunday(year)
    midsummer_eve = next(dt.date(year, 6, d) for d in range(19, 26) if dt.date(year, 6, d).weekday() == 4)
    return [
        dt.date(year, 1, 1),
        dt.date(year, 1, 6),
        easter - dt.timedelta(days=2),
        easter + dt.timedelta(days=1),
        dt.date(year, 5, 1),
        easter + dt.timedelta(days=39),
        dt.date(year, 6, 6),
        midsummer_eve,
        dt.date(year, 12, 24),
        dt.date(year, 12, 25),
        dt.date(year, 12, 26),
        dt.date(year, 12, 31),
    ]


def calendar(start_week: str = START_WEEK, weeks: int = HORIZON_WEEKS) -> pd.DataFrame:
    """Plan weeks with their capacity and demand factors (1 = a normal five-day week).

    Columns: week, monday, week_no, working_share, capacity_factor, demand_factor.
    """
    first = parse_iso_week(start_week)
    mondays = [first + dt.timedelta(weeks=k) for k in range(weeks)]
    holidays = {d for year in {m.year for m in mondays} | {mondays[-1].year + 1} for d in swedish_holidays(year)}
    working = np.array([sum(1 for k in range(5) if m + dt.timedelta(days=k) not in holidays) / 5 for m in mondays])
    week_no = np.array([m.isocalendar()[1] for m in mondays])
    summer_cap = np.array([SUMMER_CAPACITY.get(int(w), 1.0) for w in week_no])
    summer_dem = np.array([SUMMER_DEMAND.get(int(w), 1.0) for w in week_no])
    return pd.DataFrame(
        {
            "week": [format_iso_week(m) for m in mondays],
            "monday": mondays,
            "week_no": week_no,
            "working_share": working,
            "capacity_factor": working * summer_cap,
            "demand_factor": working * summer_dem,
        }
    )


# --- small numeric helpers -------------------------------------------------------------------------


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to `weights` that sum exactly to `total` (largest-remainder rounding)."""
    w = np.asarray(weights, dtype=float)
    quotas = total * w / w.sum()
    base = np.floor(quotas).astype(np.int64)
    order = np.argsort(-(quotas - base), kind="stable")
    base[order[: total - int(base.sum())]] += 1
    return base


def round_rows(matrix: np.ndarray, row_totals: np.ndarray) -> np.ndarray:
    """Round a non-negative matrix to integers whose row sums are exactly `row_totals`."""
    scaled = matrix * (row_totals / np.where(matrix.sum(axis=1) > 0, matrix.sum(axis=1), 1))[:, None]
    base = np.floor(scaled).astype(np.int64)
    rest = row_totals - base.sum(axis=1)
    order = np.argsort(-(scaled - base), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(matrix.shape[1]), matrix.shape), axis=1)
    return base + (ranks < rest[:, None])


def ipf(seed: np.ndarray, row_totals: np.ndarray, col_totals: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Iterative proportional fitting of `seed` to the given row and column sums (equal totals)."""
    m = seed.astype(float).copy()
    for _ in range(iterations):
        m *= (col_totals / m.sum(axis=0))[None, :]
        m *= (row_totals / m.sum(axis=1))[:, None]
    return m


def truncated_exponential_days(rng: np.random.Generator, n: int, low: int, high: int, scale) -> np.ndarray:
    """`n` whole days in low..high with density ∝ exp(−(x − low)/scale) (`scale` scalar or per row)."""
    u = rng.random(n)
    width = high + 1 - low
    x = low - scale * np.log1p(-u * (1 - np.exp(-width / scale)))
    return np.minimum(np.floor(x).astype(np.int64), high)


# --- static tables ---------------------------------------------------------------------------------


def build_capabilities(hospitals: pd.DataFrame, procedures: pd.DataFrame) -> pd.DataFrame:
    """hospital_id, procedure_id, cases_per_theatre_day (NaN = procedure default), in table order."""
    rows = []
    all_procedures = list(procedures["procedure_id"])
    for hospital_id, level in zip(hospitals["hospital_id"], hospitals["level"], strict=True):
        if level == "university":
            done = all_procedures
        elif level == "county":
            done = [p for p in all_procedures if p not in COUNTY_EXCLUDED.get(hospital_id, ())]
        else:
            done = [p for p in all_procedures if p in SITE_CAPABILITIES.get(hospital_id, ())]
        rows += [(hospital_id, p, RATE_OVERRIDES.get((hospital_id, p), np.nan)) for p in done]
    return pd.DataFrame(rows, columns=["hospital_id", "procedure_id", "cases_per_theatre_day"])


def build_prices(
    capabilities: pd.DataFrame, hospitals: pd.DataFrame, procedures: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """One price per capability row: DRG weight × point price; private providers at a discount."""
    regional = procedures.set_index("procedure_id")["drg_weight"] * DRG_POINT_SEK
    price = capabilities["procedure_id"].map(regional).to_numpy()
    private = capabilities["hospital_id"].map(hospitals.set_index("hospital_id")["level"]).eq("private").to_numpy()
    factor = np.round(rng.uniform(*PRIVATE_PRICE_FACTOR, size=len(capabilities)), 2)
    price = np.where(private, np.round(price * factor, -2), np.round(price))
    return pd.DataFrame(
        {
            "procedure_id": capabilities["procedure_id"],
            "hospital_id": capabilities["hospital_id"],
            "price_sek": price.astype(np.int64),
        }
    )


def build_demand(regions: pd.DataFrame, procedures: pd.DataFrame, cal: pd.DataFrame) -> pd.DataFrame:
    """expected_decisions per region × procedure × week: annual × population share × calendar factor."""
    share = regions["population"].to_numpy() / regions["population"].sum()
    weekly = procedures["annual"].to_numpy() / cal["demand_factor"].sum()
    values = share[:, None, None] * weekly[None, :, None] * cal["demand_factor"].to_numpy()[None, None, :]
    index = pd.MultiIndex.from_product(
        [regions["region_id"], procedures["procedure_id"], cal["week"]], names=["region_id", "procedure_id", "week"]
    )
    return pd.DataFrame({"expected_decisions": np.round(values.ravel(), 2)}, index=index).reset_index()


# --- capacity and beds -----------------------------------------------------------------------------


def theatre_day_need(regions: pd.DataFrame, procedures: pd.DataFrame, cal: pd.DataFrame) -> pd.DataFrame:
    """Normal-week theatre days each region needs per procedure to match its demand (default rates)."""
    share = regions["population"].to_numpy() / regions["population"].sum()
    weekly_days = procedures["annual"].to_numpy() / cal["demand_factor"].sum() / procedures["cases_per_theatre_day"]
    need = share[:, None] * weekly_days.to_numpy()[None, :]
    frame = pd.DataFrame(need, index=regions["region_id"], columns=procedures["procedure_id"])
    return frame.stack().rename("need_days").reset_index().merge(procedures[["procedure_id", "specialty"]])


def normal_week_days(
    regions: pd.DataFrame,
    hospitals: pd.DataFrame,
    procedures: pd.DataFrame,
    capabilities: pd.DataFrame,
    cal: pd.DataFrame,
) -> pd.DataFrame:
    """Normal-week theatre days per hospital × specialty (see the module docstring, "Capacity")."""
    need = theatre_day_need(regions, procedures, cal)
    target = need.groupby(["region_id", "specialty"], as_index=False)["need_days"].sum()
    target["target"] = target["need_days"] * target["region_id"].map(regions.set_index("region_id")["capacity_ratio"])
    spec_need = need.groupby("procedure_id")["need_days"].sum()
    cap = capabilities.merge(procedures[["procedure_id", "specialty"]]).merge(
        hospitals[["hospital_id", "region_id", "level", "elective_weight"]]
    )
    cap["need"] = cap["procedure_id"].map(spec_need)
    spec_total = need.groupby("specialty")["need_days"].sum()
    unit_keys = ["hospital_id", "region_id", "level", "elective_weight", "specialty"]
    units = cap.groupby(unit_keys, as_index=False)["need"].sum()
    units["coverage"] = units["need"] / units["specialty"].map(spec_total)
    units["private_days"] = [
        PRIVATE_DAYS.get((h, s), 0.0) for h, s in zip(units["hospital_id"], units["specialty"], strict=True)
    ]
    units["weight"] = units["elective_weight"] * units["coverage"]
    units = units.merge(target[["region_id", "specialty", "target"]], how="left")
    private_sum = units.groupby(["region_id", "specialty"])["private_days"].transform("sum")
    weight_sum = units.groupby(["region_id", "specialty"])["weight"].transform("sum")
    public = (units["target"] - private_sum).clip(lower=0) * units["weight"] / weight_sum.where(weight_sum > 0, 1)
    units["days"] = np.where(units["level"] == "private", units["private_days"], half_days(units, public))
    return units[["hospital_id", "region_id", "specialty", "days"]]


def half_days(units: pd.DataFrame, public: pd.Series) -> pd.Series:
    """Round public theatre days to half days (at least 0.5) keeping each region × specialty total.

    The rounding error of a group (small units rounded up to 0.5) is taken from its largest unit.
    """
    is_public = units["level"] != "private"
    days = np.maximum(np.round(public * 2) / 2, 0.5).where(is_public, 0.0)
    keys = [units["region_id"], units["specialty"]]
    excess = days.groupby(keys).sum() - np.round(public.where(is_public, 0.0).groupby(keys).sum() * 2) / 2
    largest = days.groupby(keys).idxmax()
    days.loc[largest.to_numpy()] -= excess.loc[largest.index].to_numpy()
    return days.clip(lower=0.5).where(is_public, 0.0)


def build_capacity(normal: pd.DataFrame, hospitals: pd.DataFrame, cal: pd.DataFrame) -> pd.DataFrame:
    """capacity.csv: normal-week days × each week's capacity factor, one decimal."""
    order = {h: k for k, h in enumerate(hospitals["hospital_id"])}
    normal = normal.assign(_o=normal["hospital_id"].map(order)).sort_values(["_o", "specialty"], kind="stable")
    frame = normal[["hospital_id", "specialty", "days"]].merge(cal[["week", "capacity_factor"]], how="cross")
    frame["theatre_days"] = np.round(frame["days"] * frame["capacity_factor"], 1)
    return frame[["hospital_id", "specialty", "week", "theatre_days"]].reset_index(drop=True)


def bed_days_per_theatre_day(capabilities: pd.DataFrame, procedures: pd.DataFrame, need: pd.Series) -> pd.DataFrame:
    """Bed-days one theatre day needs per hospital × specialty, the mix ∝ demand over its procedures."""
    cap = capabilities.merge(
        procedures[["procedure_id", "specialty", "cases_per_theatre_day", "bed_days_per_case"]],
        on="procedure_id",
        suffixes=("", "_default"),
    )
    rate = cap["cases_per_theatre_day"].fillna(cap["cases_per_theatre_day_default"])
    cap["tdays"] = cap["procedure_id"].map(need)  # theatre-day share of the mix
    cap["beds"] = cap["tdays"] * rate * cap["bed_days_per_case"]
    grouped = cap.groupby(["hospital_id", "specialty"], as_index=False)[["tdays", "beds"]].sum()
    grouped["bed_days_per_day"] = grouped["beds"] / grouped["tdays"]
    return grouped[["hospital_id", "specialty", "bed_days_per_day"]]


def build_beds(
    capacity: pd.DataFrame,
    capabilities: pd.DataFrame,
    procedures: pd.DataFrame,
    need: pd.Series,
    hospitals: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """beds.csv: bed-days the week's theatre days would need × a hospital factor in BED_FACTOR."""
    per_day = bed_days_per_theatre_day(capabilities, procedures, need)
    frame = capacity.merge(per_day, on=["hospital_id", "specialty"])
    frame["bed_days"] = frame["theatre_days"] * frame["bed_days_per_day"]
    surgical = [h for h in hospitals["hospital_id"] if h in set(capacity["hospital_id"])]
    factor = pd.Series(np.round(rng.uniform(*BED_FACTOR, size=len(surgical)), 2), index=surgical)
    beds = frame.groupby(["hospital_id", "week"], sort=False, as_index=False)["bed_days"].sum()
    beds["bed_days"] = np.round(beds["bed_days"] * beds["hospital_id"].map(factor)).astype(float)
    return beds[["hospital_id", "week", "bed_days"]]


# --- waiting list ----------------------------------------------------------------------------------


def procedure_margins(procedures: pd.DataFrame) -> pd.DataFrame:
    """Per procedure: rows, MoV/PvV rows and over-90 counts by status (see "Waiting list")."""
    over = procedures["over_90"].to_numpy()
    rows = largest_remainder(over / procedures["share_over_90"].to_numpy(), TOTAL_ROWS)
    mp = largest_remainder(rows, MOV_PVV_ROWS)
    mp_over_total = int(over.sum()) - WAITING_OVER_90
    mp_over = largest_remainder(mp * procedures["share_over_90"].to_numpy(), mp_over_total)
    out = pd.DataFrame({"procedure_id": procedures["procedure_id"], "rows": rows, "mp": mp, "mp_over": mp_over})
    out["w_over"] = over - mp_over
    out["w_under"] = rows - mp - out["w_over"]
    out["mp_under"] = mp - mp_over
    if (out[["w_over", "w_under", "mp_under"]] < 0).any().any():
        raise ValueError("inconsistent procedure margins: a class count is negative")
    return out


def region_margins(regions: pd.DataFrame, mp_over_total: int) -> pd.DataFrame:
    """Per region: waiting and MoV/PvV rows, over 90 by status, waiting over 365."""
    size = regions["population"].to_numpy() * regions["list_factor"].to_numpy()
    rows = largest_remainder(size, TOTAL_ROWS)
    mp = largest_remainder(size, MOV_PVV_ROWS)
    waiting = rows - mp
    share = regions["share_over_90"].to_numpy()
    out = pd.DataFrame(
        {
            "region_id": regions["region_id"],
            "waiting": waiting,
            "mp": mp,
            "w_over": largest_remainder(waiting * share, WAITING_OVER_90),
            "mp_over": largest_remainder(mp * share, mp_over_total),
            "over_365": regions["over_365"].to_numpy(),
        }
    )
    out["w_under"] = out["waiting"] - out["w_over"]
    out["mp_under"] = out["mp"] - out["mp_over"]
    return out


def class_counts(proc: pd.DataFrame, reg: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Procedure × region integer counts per class, fitted to both margins (IPF + row rounding)."""
    counts = {}
    for cls in ("w_under", "w_over", "mp_under", "mp_over"):
        rows, cols = proc[cls].to_numpy(float), reg[cls].to_numpy(float)
        seed = np.outer(rows, cols) * np.exp(rng.normal(0, SEED_NOISE_SIGMA, size=(len(rows), len(cols))))
        counts[cls] = round_rows(ipf(seed, rows, cols), proc[cls].to_numpy())
    return counts


def expand_counts(counts: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per patient: procedure index, region index and class, from the count matrices."""
    parts = []
    for cls, matrix in counts.items():
        p_idx, r_idx = np.indices(matrix.shape)
        n = matrix.ravel()
        parts.append(pd.DataFrame({"p": np.repeat(p_idx.ravel(), n), "r": np.repeat(r_idx.ravel(), n), "cls": cls}))
    return pd.concat(parts, ignore_index=True)


def draw_days_waited(
    rows: pd.DataFrame, regions: pd.DataFrame, procedures: pd.DataFrame, rng: np.random.Generator
) -> np.ndarray:
    """Days waited at D0 for every row, by band (see "Days waited" in the module docstring)."""
    days = np.zeros(len(rows), dtype=np.int64)
    cls, r = rows["cls"].to_numpy(), rows["r"].to_numpy()
    tail_weight = procedures["tail_weight"].to_numpy()[rows["p"].to_numpy()]
    long = np.zeros(len(rows), dtype=bool)
    for k, target in enumerate(regions["over_365"]):
        candidates = np.flatnonzero((cls == "w_over") & (r == k))
        w = tail_weight[candidates]
        long[rng.choice(candidates, size=int(target), replace=False, p=w / w.sum())] = True
    mp_over = np.flatnonzero(cls == "mp_over")
    long[rng.choice(mp_over, size=round(MOV_PVV_OVER_365_SHARE * len(mp_over)), replace=False)] = True
    under = np.isin(cls, ("w_under", "mp_under"))
    days[under] = truncated_exponential_days(rng, int(under.sum()), *UNDER_90)
    days[long] = truncated_exponential_days(rng, int(long.sum()), *OVER_365)
    middle = ~under & ~long
    scale = regions["tail_scale"].to_numpy(float)[r[middle]]
    days[middle] = truncated_exponential_days(rng, int(middle.sum()), 91, 365, scale)
    return days


def draw_listed_hospitals(
    rows: pd.DataFrame,
    capabilities: pd.DataFrame,
    normal: pd.DataFrame,
    hospitals: pd.DataFrame,
    procedures: pd.DataFrame,
    rng: np.random.Generator,
) -> np.ndarray:
    """A capable hospital of the home region per row, ∝ its theatre days; None where there is none."""
    cand = (
        capabilities.merge(hospitals[["hospital_id", "region_id"]])
        .merge(procedures[["procedure_id", "specialty"]])
        .merge(normal[["hospital_id", "specialty", "days"]])
    )
    by_key = {k: grp for k, grp in cand.groupby(["region_id", "procedure_id"], sort=True)}
    listed = np.full(len(rows), None, dtype=object)
    for key, idx in sorted(rows.groupby(["region_id", "procedure_id"], sort=True).indices.items()):
        group = by_key.get(key)
        if group is None:
            continue
        w = group["days"].to_numpy(float)
        listed[idx] = group["hospital_id"].to_numpy()[rng.choice(len(group), size=len(idx), p=w / w.sum())]
    return listed


def patient_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pseudonymous ids `P` + 7 digits (8 beyond two million patients); never a personal number."""
    digits = 7 if n <= 2_000_000 else 8
    numbers = rng.choice(10**digits, size=n, replace=False)
    return np.char.add("P", np.char.zfill(numbers.astype(str), digits))


def build_waiting_list(
    regions: pd.DataFrame,
    procedures: pd.DataFrame,
    capabilities: pd.DataFrame,
    normal: pd.DataFrame,
    hospitals: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """waiting_list.csv, calibrated by construction (see "Waiting list" in the module docstring)."""
    proc = procedure_margins(procedures)
    reg = region_margins(regions, int(proc["mp_over"].sum()))
    rows = expand_counts(class_counts(proc, reg, rng))
    rows["region_id"] = regions["region_id"].to_numpy()[rows["r"]]
    rows["procedure_id"] = procedures["procedure_id"].to_numpy()[rows["p"]]
    patients = draw_patients(rows, regions, procedures, capabilities, normal, hospitals, rng)
    return patients.assign(
        decision_date=patients["decision_date"].dt.strftime("%Y-%m-%d"),
        accepts_travel=np.where(patients["accepts_travel"], "true", "false"),
    )


def draw_patients(
    rows: pd.DataFrame,
    days_regions: pd.DataFrame,
    procedures: pd.DataFrame,
    capabilities: pd.DataFrame,
    normal: pd.DataFrame,
    hospitals: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One patient per row of `expand_counts` (with region_id and procedure_id set): status, days
    waited (`days_regions` has each region's over_365 target and tail_scale), listed hospital,
    travel acceptance and a pseudonymous id, sorted by id. Typed: decision_date datetime, bool travel.

    Shared by the default dataset and the benchmark's national instance; the draws are made in a
    fixed order, so the default dataset stays byte-identical for its seed.
    """
    mov_pvv = rows["cls"].str.startswith("mp").to_numpy()
    status = np.where(rng.random(len(rows)) < SHARE_PVV, "PvV", "MoV")
    days = draw_days_waited(rows, days_regions, procedures, rng)
    listed = draw_listed_hospitals(rows, capabilities, normal, hospitals, procedures, rng)
    p_travel = (
        days_regions["travel"].to_numpy()[rows["r"]]
        * procedures["travel_factor"].to_numpy()[rows["p"]]
        * np.where(days > 90, OVER_90_TRAVEL_BOOST, 1.0)
    )
    travel = (rng.random(len(rows)) < np.clip(p_travel, 0.05, 0.9)) | pd.isna(listed)
    out = pd.DataFrame(
        {
            "patient_id": patient_ids(len(rows), rng),
            "region_id": rows["region_id"].to_numpy(),
            "procedure_id": rows["procedure_id"].to_numpy(),
            "decision_date": pd.Timestamp(PLAN_START) - pd.to_timedelta(days, unit="D"),
            "status": np.where(mov_pvv, status, "waiting"),
            "accepts_travel": travel,
            "listed_hospital_id": listed,
        }
    )
    return out.sort_values("patient_id", kind="stable").reset_index(drop=True)


def build_priorities() -> pd.DataFrame:
    """priorities.csv (see "Priorities" in the module docstring), typed as the loader types it."""
    table = pd.DataFrame(PRIORITIES, columns=["priority_id", "name_sv", "max_wait_days", "demand_share"])
    return table.astype({"priority_id": object, "max_wait_days": float, "demand_share": float})


def draw_priorities(waiting: pd.DataFrame, priorities: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """The priority of every waiting-list row (see "Priorities" in the module docstring).

    P(k | days waited d) ∝ demand_share_k × exp(−max(0, d − L_k) / PRIORITY_THINNING_DAYS): the mix
    of new decisions, thinned beyond each priority's limit L_k (such patients are treated first).
    """
    days = (pd.Timestamp(PLAN_START) - pd.to_datetime(waiting["decision_date"])).dt.days.to_numpy(float)
    limits = priorities["max_wait_days"].to_numpy(float)
    overdue = np.maximum(days[:, None] - limits[None, :], 0.0)
    weights = priorities["demand_share"].to_numpy(float)[None, :] * np.exp(-overdue / PRIORITY_THINNING_DAYS)
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    drawn = (rng.random(len(waiting))[:, None] > cumulative[:, :-1]).sum(axis=1)
    return priorities["priority_id"].to_numpy(dtype=object)[drawn]


# --- the whole dataset -----------------------------------------------------------------------------


def generate(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """All 10 tables of the default dataset, keyed by contract file name, columns in contract order."""
    rng = np.random.default_rng(seed)
    regions, hospitals, procedures = regions_table(), hospitals_table(), procedures_table()
    cal = calendar()
    capabilities = build_capabilities(hospitals, procedures)
    normal = normal_week_days(regions, hospitals, procedures, capabilities, cal)
    need = theatre_day_need(regions, procedures, cal).groupby("procedure_id")["need_days"].sum()
    capacity = build_capacity(normal, hospitals, cal)
    tables = {
        "regions.csv": regions,
        "hospitals.csv": hospitals,
        "procedures.csv": procedures,
        "capabilities.csv": capabilities,
        "capacity.csv": capacity,
        "beds.csv": build_beds(capacity, capabilities, procedures, need, hospitals, rng),
        "waiting_list.csv": build_waiting_list(regions, procedures, capabilities, normal, hospitals, rng),
        "demand.csv": build_demand(regions, procedures, cal),
        "prices.csv": build_prices(capabilities, hospitals, procedures, rng),
        "priorities.csv": build_priorities(),
    }
    # drawn last, so that every other file is what it was before priorities were added
    waiting = tables["waiting_list.csv"]
    tables["waiting_list.csv"] = waiting.assign(priority=draw_priorities(waiting, tables["priorities.csv"], rng))
    log_capacity_balance(tables, cal)
    return {name: frame[FILES[name].columns_in(frame.columns)] for name, frame in tables.items()}


def log_capacity_balance(tables: dict[str, pd.DataFrame], cal: pd.DataFrame) -> None:
    """Log, per specialty, normal-week capacity in cases (default rates) / normal-week demand."""
    procedures, capacity, demand = tables["procedures.csv"], tables["capacity.csv"], tables["demand.csv"]
    normal_week = cal.loc[cal["capacity_factor"] == 1, "week"].iloc[0]
    days = capacity[capacity["week"] == normal_week].groupby("specialty")["theatre_days"].sum()
    d = demand[demand["week"] == normal_week].merge(procedures[["procedure_id", "specialty", "cases_per_theatre_day"]])
    need_days = (d["expected_decisions"] / d["cases_per_theatre_day"]).groupby(d["specialty"]).sum()
    for specialty in sorted(days.index):
        log.info(
            "%-16s %6.1f theatre days/normal week, capacity/demand %.2f",
            specialty,
            days[specialty],
            days[specialty] / need_days[specialty],
        )


def write_dataset(tables: dict[str, pd.DataFrame], out: Path) -> None:
    """Write the tables as UTF-8 CSV (header, comma, `\\n` line ends, no index, floats as %.15g)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(out / name, index=False, float_format="%.15g", lineterminator="\n", encoding="utf-8")
        log.info("wrote %s (%d rows)", out / name, len(frame))


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: generate the dataset into --out with --seed."""
    parser = argparse.ArgumentParser(prog="python -m models.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    write_dataset(generate(args.seed), args.out)
    log.info("generated %s with seed %d in %.2f s", args.out, args.seed, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(main())
