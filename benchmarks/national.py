"""Seeded generator of a national synthetic instance: all 21 Swedish regions, for the benchmark.

`national_dataset()` returns a `models.Dataset` held in memory, typed exactly like the output of
`models.load_dataset` (the benchmark saves it with `save_dataset` and times loading it back). The
output depends only on the arguments: the same seed gives the same tables. Everything here is
SYNTHETIC, a plausible picture of Sweden made for measuring the engine, never real patients or
official data.

What it reuses from `models/generate.py` (the default dataset's calibrated generator): the procedure
table (32 groups, annual volumes per 2.15 M inhabitants, rates, bed-days, DRG weights), the
calendar (holidays, summer), capacity sizing (`normal_week_days`, `build_capacity`), beds, demand,
prices, iterative proportional fitting of the waiting list's class counts, days waited, listed
hospitals and patient ids. What it adds:

- Regions: the 21 regions with populations rounded to thousands (SCB, end of 2023, approximate).
  For the seven Mellansverige regions the default generator's parameters (list factor, share over
  90 days, capacity ratio, travel propensity, tail scale) are kept; for the others they are drawn
  from the same ranges (seeded), capacity tighter where the share over 90 is higher (est.).
- Hospitals (72): the acute hospitals doing elective surgery, with approximate coordinates; the
  Mellansverige hospitals are the default generator's (minus the three without elective surgery);
  four synthetic private providers (orthopaedics in Stockholm and Uppsala, eyes in Malmö and
  Karlstad) at plausible coordinates.
- Procedures (40): the default 32 plus 8 groups (est.): spine, foot and ankle, benign colorectal,
  bariatric, prolapse, kidney stones, glaucoma, ear surgery. Annual volumes are per capita as in
  the default, scaled to the population generated.
- Capabilities: university hospitals do everything; county hospitals everything but (with a seeded
  draw) breast reduction, bariatric and spine surgery; district hospitals a seeded subset of the
  volume procedures (the default generator's own lists for the Mellansverige district hospitals);
  private providers their profile.
- Capacity near demand as in the default: normal-week theatre days = population share of demand ×
  the region's capacity ratio (1.00-1.12), split over capable hospitals by elective weight. Private
  providers are sized like public units (elective weight 0.25) instead of fixed days.
- Waiting list: `waiting` patients with status `waiting` (default 300,000 for all of Sweden, pro
  rata to population for a subset), plus MoV/PvV rows at the default's ratio (5,000 per 40,500),
  37 % of waiting over 90 days, 46 % of MoV/PvV over 90; per region a share over 365 days.

Held-out variants (all off by default, so the default arguments give the same tables as before;
their random draws come from a second stream `default_rng([seed, 1])`, so they never shift the
draws of the base instance):

- `share_travel`: the share of waiting patients (status `waiting`) accepting travel. Each patient's
  propensity keeps the default's shape (region propensity × procedure travel factor × the boost
  over 90 days); one common multiplier is chosen by bisection so that the drawn share is the target.
- `capacity_variation` = x: each hospital × specialty × week's theatre days times a uniform factor
  in [1 − x, 1 + x] (one decimal); bed-days are sized from the varied theatre days.
- `private_hospital`: a synthetic private hospital in Gothenburg with a broad elective profile
  (orthopaedics, general surgery, gynaecology, urology, hand, plastic surgery, ENT), sized like the
  other private providers, charged at private prices.
- `more_hospitals`: 12 more district hospitals doing elective surgery (approximate coordinates,
  capabilities drawn as for the other district hospitals): with `private_hospital`, 85 hospitals.

`copies=k` replicates the chosen regions k times (ids suffixed `_c2`, `_c3`, ...), each copy moved
`COPY_SHIFT_LAT` degrees north of the previous one: a larger country of the same density. The shift
puts every copy beyond 300 road-km of the others (for the south-east base of the scaling series), so
that hospitals, queues, arcs and the LP's size grow exactly in proportion to `copies` and any growth
beyond that is the software's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import generate as g
from models.contract import FILES
from models.dataset import Dataset
from models.weeks import parse_iso_week

NATIONAL_SEED = 20250407
START_WEEK = g.START_WEEK
NATIONAL_WAITING = 300_000
#: Default dataset's ratios: MoV/PvV rows per waiting row, waiting over 90 days, MoV/PvV over 90 days.
MOV_PVV_PER_WAITING = g.MOV_PVV_ROWS / (g.TOTAL_ROWS - g.MOV_PVV_ROWS)
SHARE_WAITING_OVER_90 = g.WAITING_OVER_90 / (g.TOTAL_ROWS - g.MOV_PVV_ROWS)
SHARE_MOV_PVV_OVER_90 = 0.46
#: Population the default procedure volumes (`annual`) refer to: Mellansverige.
DEFAULT_POPULATION = int(g.regions_table()["population"].sum())
#: Degrees of latitude between consecutive copies (`copies`): 333 km, beyond a 300 road-km reach.
COPY_SHIFT_LAT = 3.0
#: Elective weight of a private provider when capacity is sized (public county hospital = 1).
PRIVATE_WEIGHT = 0.25
PRIVATE_RATE_FACTOR = 1.15  # private providers: faster than the procedure default (est.)
#: Regions of the scaling series' base (a tile of the synthetic country), south-east Sweden.
SCALING_BASE = ("kronoberg", "kalmar", "blekinge")

# --- regions ---------------------------------------------------------------------------------------
# region_id, name, population (SCB, end of 2023, rounded to thousands; approximate)
REGIONS = [
    ("stockholm", "Region Stockholm", 2_455_000),
    ("uppsala", "Region Uppsala", 405_000),
    ("sormland", "Region Sörmland", 301_000),
    ("ostergotland", "Region Östergötland", 469_000),
    ("jonkoping", "Region Jönköpings län", 367_000),
    ("kronoberg", "Region Kronoberg", 203_000),
    ("kalmar", "Region Kalmar län", 246_000),
    ("gotland", "Region Gotland", 61_000),
    ("blekinge", "Region Blekinge", 157_000),
    ("skane", "Region Skåne", 1_414_000),
    ("halland", "Region Halland", 341_000),
    ("vastra_gotaland", "Västra Götalandsregionen", 1_745_000),
    ("varmland", "Region Värmland", 283_000),
    ("orebro", "Region Örebro län", 307_000),
    ("vastmanland", "Region Västmanland", 280_000),
    ("dalarna", "Region Dalarna", 288_000),
    ("gavleborg", "Region Gävleborg", 288_000),
    ("vasternorrland", "Region Västernorrland", 243_000),
    ("jamtland", "Region Jämtland Härjedalen", 132_000),
    ("vasterbotten", "Region Västerbotten", 275_000),
    ("norrbotten", "Region Norrbotten", 249_000),
]

# --- hospitals -------------------------------------------------------------------------------------
# hospital_id, name, region_id, level, lat, lon, elective_weight (approximate coordinates; weights est.)
_OTHER_HOSPITALS = [
    ("karolinska_solna", "Karolinska universitetssjukhuset Solna", "stockholm", "university", 59.350, 18.032, 0.6),
    (
        "karolinska_huddinge",
        "Karolinska universitetssjukhuset Huddinge",
        "stockholm",
        "university",
        59.221,
        17.937,
        0.7,
    ),
    ("sodersjukhuset", "Södersjukhuset", "stockholm", "county", 59.310, 18.053, 1.0),
    ("danderyd", "Danderyds sjukhus", "stockholm", "county", 59.392, 18.040, 1.0),
    ("st_goran", "S:t Görans sjukhus", "stockholm", "county", 59.335, 18.021, 1.1),
    ("sodertalje", "Södertälje sjukhus", "stockholm", "district", 59.177, 17.648, 0.5),
    ("private_ortho_stockholm", "Privat ortopedklinik Stockholm", "stockholm", "private", 59.340, 18.060, 0.0),
    ("linkoping", "Universitetssjukhuset i Linköping", "ostergotland", "university", 58.402, 15.553, 0.8),
    ("norrkoping", "Vrinnevisjukhuset Norrköping", "ostergotland", "county", 58.578, 16.150, 1.0),
    ("motala", "Lasarettet i Motala", "ostergotland", "district", 58.537, 15.045, 0.6),
    ("ryhov", "Länssjukhuset Ryhov Jönköping", "jonkoping", "county", 57.770, 14.194, 1.0),
    ("eksjo", "Höglandssjukhuset Eksjö", "jonkoping", "district", 57.666, 14.968, 0.45),
    ("varnamo", "Värnamo sjukhus", "jonkoping", "district", 57.186, 14.048, 0.4),
    ("vaxjo", "Centrallasarettet Växjö", "kronoberg", "county", 56.872, 14.810, 1.0),
    ("ljungby", "Ljungby lasarett", "kronoberg", "district", 56.833, 13.937, 0.4),
    ("kalmar_lans", "Länssjukhuset i Kalmar", "kalmar", "county", 56.667, 16.349, 1.0),
    ("vastervik", "Västerviks sjukhus", "kalmar", "district", 57.757, 16.637, 0.45),
    ("visby", "Visby lasarett", "gotland", "county", 57.637, 18.300, 1.0),
    ("karlskrona", "Blekingesjukhuset Karlskrona", "blekinge", "county", 56.178, 15.594, 1.0),
    ("karlshamn", "Blekingesjukhuset Karlshamn", "blekinge", "district", 56.176, 14.857, 0.45),
    ("sus_lund", "Skånes universitetssjukhus Lund", "skane", "university", 55.713, 13.196, 0.8),
    ("sus_malmo", "Skånes universitetssjukhus Malmö", "skane", "university", 55.589, 13.000, 0.8),
    ("helsingborg", "Helsingborgs lasarett", "skane", "county", 56.048, 12.707, 1.0),
    ("kristianstad", "Centralsjukhuset Kristianstad", "skane", "county", 56.033, 14.150, 1.0),
    ("ystad", "Ystads lasarett", "skane", "district", 55.431, 13.826, 0.45),
    ("hassleholm", "Hässleholms sjukhus", "skane", "district", 56.152, 13.768, 0.6),
    ("trelleborg", "Trelleborgs lasarett", "skane", "district", 55.376, 13.158, 0.6),
    ("private_eye_malmo", "Privat ögonklinik Malmö", "skane", "private", 55.600, 13.010, 0.0),
    ("halmstad", "Hallands sjukhus Halmstad", "halland", "county", 56.677, 12.872, 1.0),
    ("varberg", "Hallands sjukhus Varberg", "halland", "district", 57.107, 12.265, 0.6),
    ("kungsbacka", "Hallands sjukhus Kungsbacka", "halland", "district", 57.490, 12.077, 0.5),
    ("sahlgrenska", "Sahlgrenska universitetssjukhuset", "vastra_gotaland", "university", 57.683, 11.961, 0.8),
    ("molndal", "Mölndals sjukhus", "vastra_gotaland", "county", 57.660, 12.014, 1.1),
    ("nal", "NU-sjukvården NÄL Trollhättan", "vastra_gotaland", "county", 58.268, 12.290, 1.0),
    ("skovde", "Skaraborgs sjukhus Skövde", "vastra_gotaland", "county", 58.388, 13.846, 1.0),
    ("boras", "Södra Älvsborgs sjukhus Borås", "vastra_gotaland", "county", 57.722, 12.951, 1.0),
    ("alingsas", "Alingsås lasarett", "vastra_gotaland", "district", 57.930, 12.538, 0.5),
    ("kungalv", "Kungälvs sjukhus", "vastra_gotaland", "district", 57.872, 11.979, 0.5),
    ("uddevalla", "Uddevalla sjukhus", "vastra_gotaland", "district", 58.356, 11.937, 0.6),
    ("lidkoping", "Lidköpings sjukhus", "vastra_gotaland", "district", 58.502, 13.153, 0.5),
    ("sundsvall", "Sundsvalls sjukhus", "vasternorrland", "county", 62.400, 17.284, 1.0),
    ("ornskoldsvik", "Örnsköldsviks sjukhus", "vasternorrland", "district", 63.291, 18.708, 0.45),
    ("ostersund", "Östersunds sjukhus", "jamtland", "county", 63.180, 14.658, 1.0),
    ("umea", "Norrlands universitetssjukhus Umeå", "vasterbotten", "university", 63.817, 20.307, 0.8),
    ("skelleftea", "Skellefteå lasarett", "vasterbotten", "district", 64.752, 20.957, 0.5),
    ("sunderby", "Sunderby sjukhus", "norrbotten", "county", 65.622, 21.930, 1.0),
    ("gallivare", "Gällivare sjukhus", "norrbotten", "district", 67.133, 20.659, 0.35),
    ("pitea", "Piteå älvdals sjukhus", "norrbotten", "district", 65.317, 21.480, 0.45),
]
#: `more_hospitals`: district hospitals with elective surgery left out of the base instance (est.).
MORE_HOSPITALS = [
    ("norrtalje", "Norrtälje sjukhus", "stockholm", "district", 59.758, 18.690, 0.4),
    ("oskarshamn", "Oskarshamns sjukhus", "kalmar", "district", 57.265, 16.447, 0.4),
    ("landskrona", "Landskrona lasarett", "skane", "district", 55.873, 12.835, 0.45),
    ("angelholm", "Ängelholms sjukhus", "skane", "district", 56.243, 12.868, 0.45),
    ("simrishamn", "Simrishamns sjukhus", "skane", "district", 55.556, 14.350, 0.25),
    ("falkoping", "Falköpings lasarett", "vastra_gotaland", "district", 58.171, 13.552, 0.45),
    ("skene", "Skene lasarett", "vastra_gotaland", "district", 57.489, 12.640, 0.3),
    ("lundby", "Lundby närsjukhus Göteborg", "vastra_gotaland", "district", 57.716, 11.935, 0.4),
    ("solleftea", "Sollefteå sjukhus", "vasternorrland", "district", 63.166, 17.270, 0.35),
    ("lycksele", "Lycksele lasarett", "vasterbotten", "district", 64.596, 18.673, 0.3),
    ("kalix", "Kalix sjukhus", "norrbotten", "district", 65.855, 23.142, 0.3),
    ("kiruna", "Kiruna sjukhus", "norrbotten", "district", 67.857, 20.225, 0.25),
]
#: `private_hospital`: a synthetic private hospital with a broad elective profile (`_hospital_` in its id).
PRIVATE_HOSPITAL = (
    "private_hospital_goteborg",
    "Privat sjukhus Göteborg",
    "vastra_gotaland",
    "private",
    57.691,
    11.968,
    0.0,
)
#: Mellansverige hospitals without elective surgery in the default dataset are left out.
_NO_ELECTIVE = {"fagersta", "kristinehamn", "saffle"}
HOSPITALS = [h for h in g.HOSPITALS if h[0] not in _NO_ELECTIVE] + _OTHER_HOSPITALS

# --- procedures ------------------------------------------------------------------------------------
# Same columns as models.generate.PROCEDURE_COLUMNS; annual volumes per 2.15 M inhabitants (all est.).
EXTRA_PROCEDURES = [
    (
        "spine",
        "Spine surgery",
        "Ryggkirurgi",
        "orthopaedics",
        2.5,
        2.0,
        "NAG49;NAB69",
        2_000,
        520,
        0.45,
        1.40,
        1.1,
        1.5,
    ),
    (
        "foot_ankle",
        "Foot and ankle surgery",
        "Fot- och fotledskirurgi",
        "orthopaedics",
        4,
        0.5,
        "NHG29;NHH19",
        1_200,
        300,
        0.40,
        0.50,
        1.0,
        1.2,
    ),
    (
        "colorectal",
        "Benign colorectal surgery",
        "Kolorektal kirurgi, benign",
        "general_surgery",
        2,
        4.0,
        "JFB30;JFH10",
        700,
        120,
        0.30,
        1.80,
        0.9,
        0.6,
    ),
    (
        "bariatric",
        "Bariatric surgery",
        "Obesitaskirurgi",
        "general_surgery",
        4,
        1.0,
        "JDF11;JDF97",
        900,
        350,
        0.50,
        1.00,
        1.2,
        1.5,
    ),
    (
        "prolapse",
        "Pelvic organ prolapse",
        "Framfall",
        "gynaecology",
        4,
        1.0,
        "LEF13;LEF03",
        1_200,
        300,
        0.40,
        0.55,
        1.0,
        1.0,
    ),
    ("kidney_stones", "Kidney stones", "Njursten", "urology", 6, 0.5, "KAT00;KBJ22", 1_000, 200, 0.33, 0.45, 1.0, 0.8),
    (
        "glaucoma",
        "Glaucoma surgery",
        "Glaukomkirurgi",
        "ophthalmology",
        6,
        0,
        "CHD20;CHD25",
        500,
        100,
        0.30,
        0.35,
        0.9,
        0.8,
    ),
    ("ear_surgery", "Ear surgery", "Öronkirurgi", "ent", 4, 0.5, "DCA20;DDA00", 700, 180, 0.42, 0.50, 1.0, 1.2),
]

# --- capabilities (est.) ---------------------------------------------------------------------------
#: County hospitals do everything but these, each kept with the given probability.
COUNTY_OPTIONAL = {"breast_reduction": 0.3, "bariatric": 0.4, "spine": 0.5}
#: District hospitals outside Mellansverige: procedure → probability of doing it.
DISTRICT_PROCEDURES = {
    "knee": 0.7,
    "hip": 0.75,
    "other_ortho": 0.9,
    "hallux_valgus": 0.7,
    "knee_arthroscopy": 0.9,
    "shoulder": 0.4,
    "foot_ankle": 0.4,
    "inguinal_hernia": 0.95,
    "umbilical_hernia": 0.9,
    "gallstones": 0.8,
    "varicose_veins": 0.6,
    "haemorrhoids": 0.4,
    "cataract": 0.6,
    "carpal_tunnel": 0.9,
    "other_hand": 0.3,
    "other_gyn": 0.4,
    "hysterectomy": 0.3,
    "urinary_incontinence": 0.3,
    "prolapse": 0.3,
    "tonsillectomy": 0.4,
    "other_urology": 0.3,
    "other_surgery": 0.3,
}
PRIVATE_PROFILES = {
    "ortho": ("knee", "hip", "other_ortho", "hallux_valgus", "shoulder", "knee_arthroscopy", "foot_ankle"),
    "eye": ("cataract", "other_eye", "glaucoma"),
    "hospital": (
        *("knee", "hip", "other_ortho", "shoulder", "knee_arthroscopy", "foot_ankle", "spine"),
        *("inguinal_hernia", "umbilical_hernia", "gallstones", "varicose_veins", "haemorrhoids", "bariatric"),
        *("hysterectomy", "other_gyn", "prolapse", "urinary_incontinence", "prostate", "other_urology"),
        *("carpal_tunnel", "other_hand", "dupuytren", "breast_reduction", "tonsillectomy", "nasal_septum"),
    ),
}

#: Waiting-list and capacity parameters of a region (see models.generate.REGION_COLUMNS).
_PARAMETERS = ["list_factor", "share_over_90", "capacity_ratio", "travel", "tail_scale"]


def regions_table(rng: np.random.Generator) -> pd.DataFrame:
    """The 21 regions with their parameters: the default generator's for Mellansverige, drawn otherwise.

    `share_365` = share of the region's waiting patients over 365 days.
    """
    known = g.regions_table().set_index("region_id")
    size = known["population"] * known["list_factor"]
    default_waiting = (g.TOTAL_ROWS - g.MOV_PVV_ROWS) * size / size.sum()
    known["share_365"] = known["over_365"] / default_waiting
    rows = []
    for region_id, name, population in REGIONS:
        # draw for every region so that the draws do not depend on which regions are known
        share = rng.uniform(0.28, 0.47)
        drawn = {
            "list_factor": rng.uniform(0.85, 1.25),
            "share_over_90": share,
            "capacity_ratio": 1.12 - 0.12 * (share - 0.28) / 0.19 + rng.uniform(-0.02, 0.02),
            "travel": rng.uniform(0.33, 0.45),
            "tail_scale": 80 + 50 * (share - 0.28) / 0.19,
            "share_365": rng.uniform(0.01, 0.05),
        }
        if region_id in known.index:
            drawn = {k: float(known.loc[region_id, k]) for k in [*_PARAMETERS, "share_365"]}
        rows.append({"region_id": region_id, "name": name, "population": population, **drawn})
    return pd.DataFrame(rows)


def hospitals_table(*, more_hospitals: bool = False, private_hospital: bool = False) -> pd.DataFrame:
    """The hospitals (72; `more_hospitals` adds 12 district hospitals, `private_hospital` one private)."""
    rows = HOSPITALS + (MORE_HOSPITALS if more_hospitals else []) + ([PRIVATE_HOSPITAL] if private_hospital else [])
    frame = pd.DataFrame(rows, columns=g.HOSPITAL_COLUMNS)
    frame.loc[frame["level"] == "private", "elective_weight"] = PRIVATE_WEIGHT
    return frame


def procedures_table(population: int) -> pd.DataFrame:
    """40 procedure groups; `annual` scaled from the default's 2.15 M inhabitants to `population`."""
    frame = pd.concat(
        [g.procedures_table(), pd.DataFrame(EXTRA_PROCEDURES, columns=g.PROCEDURE_COLUMNS)], ignore_index=True
    )
    frame = frame.astype({"cases_per_theatre_day": float, "bed_days_per_case": float})
    frame["annual"] = frame["annual"] * population / DEFAULT_POPULATION
    return frame


def build_capabilities(hospitals: pd.DataFrame, procedures: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """hospital_id, procedure_id, cases_per_theatre_day (NaN = the procedure's default)."""
    all_procedures = list(procedures["procedure_id"])
    default_rate = procedures.set_index("procedure_id")["cases_per_theatre_day"]
    rows = []
    for hospital_id, level in zip(hospitals["hospital_id"], hospitals["level"], strict=True):
        base = _original_id(hospital_id)
        draws = rng.random(len(all_procedures))  # one draw per procedure and hospital, used or not
        if level == "university":
            done = all_procedures
        elif level == "county":
            excluded = g.COUNTY_EXCLUDED.get(base, ())
            done = [
                p
                for p, u in zip(all_procedures, draws, strict=True)
                if p not in excluded and u < COUNTY_OPTIONAL.get(p, 1.0)
            ]
        elif level == "private":
            profile = PRIVATE_PROFILES[next((k for k in ("eye", "hospital") if f"_{k}_" in base), "ortho")]
            done = [p for p in all_procedures if p in profile]
        elif base in g.SITE_CAPABILITIES:
            done = [p for p in all_procedures if p in g.SITE_CAPABILITIES[base]]
        else:
            done = [p for p, u in zip(all_procedures, draws, strict=True) if u < DISTRICT_PROCEDURES.get(p, 0.0)]
        for p in done:
            rate = g.RATE_OVERRIDES.get((base, p), np.nan)
            if level == "private" and np.isnan(rate):
                rate = round(float(default_rate[p]) * PRIVATE_RATE_FACTOR, 1)
            rows.append((hospital_id, p, rate))
    return pd.DataFrame(rows, columns=["hospital_id", "procedure_id", "cases_per_theatre_day"])


def _original_id(hospital_id: str) -> str:
    """The id of the hospital a copy was made from (`falun_c3` → `falun`)."""
    head, _, tail = hospital_id.rpartition("_c")
    return head if head and tail.isdigit() else hospital_id


def replicate(regions: pd.DataFrame, hospitals: pd.DataFrame, copies: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`copies` copies of the regions and their hospitals, copy c moved c × COPY_SHIFT_LAT north."""
    if copies == 1:
        return regions, hospitals
    region_parts, hospital_parts = [], []
    for c in range(copies):
        suffix = "" if c == 0 else f"_c{c + 1}"
        label = "" if c == 0 else f" (kopia {c + 1})"
        region_parts.append(regions.assign(region_id=regions["region_id"] + suffix, name=regions["name"] + label))
        hospital_parts.append(
            hospitals.assign(
                hospital_id=hospitals["hospital_id"] + suffix,
                region_id=hospitals["region_id"] + suffix,
                name=hospitals["name"] + label,
                lat=hospitals["lat"] + c * COPY_SHIFT_LAT,
            )
        )
    return pd.concat(region_parts, ignore_index=True), pd.concat(hospital_parts, ignore_index=True)


# --- waiting list ----------------------------------------------------------------------------------


def waiting_margins(procedures: pd.DataFrame, regions: pd.DataFrame, waiting: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per procedure and per region: row counts per class (w_under, w_over, mp_under, mp_over).

    As `models.generate.procedure_margins` / `region_margins`, with totals from `waiting`.
    """
    mp_total = round(waiting * MOV_PVV_PER_WAITING)
    total_rows = waiting + mp_total
    w_over_total = round(waiting * SHARE_WAITING_OVER_90)
    mp_over_total = round(mp_total * SHARE_MOV_PVV_OVER_90)
    share = procedures["share_over_90"].to_numpy()
    over = g.largest_remainder(procedures["over_90"].to_numpy(float), w_over_total + mp_over_total)
    rows = g.largest_remainder(procedures["over_90"].to_numpy() / share, total_rows)
    mp = g.largest_remainder(rows, mp_total)
    mp_over = g.largest_remainder(mp * share, mp_over_total)
    proc = pd.DataFrame(
        {
            "procedure_id": procedures["procedure_id"],
            "w_over": over - mp_over,
            "mp_over": mp_over,
            "mp_under": mp - mp_over,
        }
    )
    proc["w_under"] = rows - mp - proc["w_over"]
    if (proc[["w_over", "w_under", "mp_under"]] < 0).any().any():
        raise ValueError("inconsistent procedure margins: a class count is negative")

    size = regions["population"].to_numpy() * regions["list_factor"].to_numpy()
    reg_waiting = g.largest_remainder(size, waiting)
    reg_mp = g.largest_remainder(size, mp_total)
    reg_share = regions["share_over_90"].to_numpy()
    reg = pd.DataFrame(
        {
            "region_id": regions["region_id"],
            "w_over": g.largest_remainder(reg_waiting * reg_share, w_over_total),
            "mp_over": g.largest_remainder(reg_mp * reg_share, mp_over_total),
        }
    )
    reg["w_under"] = reg_waiting - reg["w_over"]
    reg["mp_under"] = reg_mp - reg["mp_over"]
    reg["over_365"] = np.minimum(np.round(reg_waiting * regions["share_365"].to_numpy()), reg["w_over"]).astype(int)
    return proc, reg


def class_counts(proc: pd.DataFrame, reg: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """As `models.generate.class_counts` (IPF of a noisy seed to both margins, rows rounded), also when
    a procedure or region has no patients of a class (small instances): those stay zero."""
    counts = {}
    for cls in ("w_under", "w_over", "mp_under", "mp_over"):
        rows, cols = proc[cls].to_numpy(float), reg[cls].to_numpy(float)
        seed = np.outer(rows, cols) * np.exp(rng.normal(0, g.SEED_NOISE_SIGMA, size=(len(rows), len(cols))))
        r, c = rows > 0, cols > 0
        matrix = np.zeros(seed.shape, dtype=np.int64)
        if r.any() and c.any():
            fitted = g.ipf(seed[np.ix_(r, c)], rows[r], cols[c])
            matrix[np.ix_(r, c)] = g.round_rows(fitted, proc[cls].to_numpy()[r])
        counts[cls] = matrix
    return counts


def build_waiting_list(
    regions: pd.DataFrame,
    procedures: pd.DataFrame,
    capabilities: pd.DataFrame,
    normal: pd.DataFrame,
    hospitals: pd.DataFrame,
    waiting: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """waiting_list.csv as in `models.generate.build_waiting_list`, with national totals."""
    proc, reg = waiting_margins(procedures, regions, waiting)
    rows = g.expand_counts(class_counts(proc, reg, rng))
    rows["region_id"] = regions["region_id"].to_numpy()[rows["r"]]
    rows["procedure_id"] = procedures["procedure_id"].to_numpy()[rows["p"]]
    days_regions = reg.assign(tail_scale=regions["tail_scale"].to_numpy(), travel=regions["travel"].to_numpy())
    return g.draw_patients(rows, days_regions, procedures, capabilities, normal, hospitals, rng)


# --- held-out variants -----------------------------------------------------------------------------


def set_travel_share(
    waiting: pd.DataFrame,
    regions: pd.DataFrame,
    procedures: pd.DataFrame,
    share: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """`waiting` with `accepts_travel` redrawn so that `share` of the status-`waiting` rows accept travel.

    The propensity of a row is the default's (`models.generate.draw_patients`): region travel ×
    procedure travel factor × the boost over 90 days, times one multiplier m for all rows, clipped
    to [0.05, 0.9]; a row without a listed hospital always accepts. With the uniform draws fixed the
    drawn share grows with m, so m is found by bisection.
    """
    days = (pd.Timestamp(g.PLAN_START) - pd.to_datetime(waiting["decision_date"])).dt.days.to_numpy()
    propensity = (
        waiting["region_id"].map(regions.set_index("region_id")["travel"]).to_numpy(float)
        * waiting["procedure_id"].map(procedures.set_index("procedure_id")["travel_factor"]).to_numpy(float)
        * np.where(days > 90, g.OVER_90_TRAVEL_BOOST, 1.0)
    )
    draws = rng.random(len(waiting))
    always = waiting["listed_hospital_id"].isna().to_numpy()
    counted = (waiting["status"] == "waiting").to_numpy()

    def accepts(multiplier: float) -> np.ndarray:
        return (draws < np.clip(multiplier * propensity, 0.05, 0.9)) | always

    low, high = 0.0, 1.0 / max(float(propensity.min(initial=1.0)), 1e-9)  # high: every clip at 0.9
    reachable = (accepts(low)[counted].mean(), accepts(high)[counted].mean())
    if not reachable[0] <= share <= reachable[1]:
        raise ValueError(f"share_travel {share} outside what the propensities can give: {reachable}")
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if accepts(middle)[counted].mean() < share else (low, middle)
    return waiting.assign(accepts_travel=accepts(high))


def vary_capacity(capacity: pd.DataFrame, variation: float, rng: np.random.Generator) -> pd.DataFrame:
    """capacity.csv with each row's theatre days × a uniform factor in [1 − variation, 1 + variation]."""
    if not 0 <= variation <= 1:
        raise ValueError(f"capacity_variation must be between 0 and 1, got {variation}")
    factor = rng.uniform(1 - variation, 1 + variation, size=len(capacity))
    return capacity.assign(theatre_days=np.round(capacity["theatre_days"].to_numpy() * factor, 1))


# --- the whole dataset -----------------------------------------------------------------------------


def national_tables(
    seed: int = NATIONAL_SEED,
    *,
    regions: tuple[str, ...] | None = None,
    copies: int = 1,
    weeks: int = 52,
    waiting: int | None = None,
    start_week: str = START_WEEK,
    share_travel: float | None = None,
    capacity_variation: float = 0.0,
    private_hospital: bool = False,
    more_hospitals: bool = False,
) -> dict[str, pd.DataFrame]:
    """The 10 tables (contract columns) of a national instance; see the module docstring.

    `regions` selects region ids (default all 21); `waiting` is the number of waiting patients
    (default 300,000 × the selected population's share of Sweden's, × `copies`); `weeks` the weeks of
    capacity, beds and demand from `start_week`. `share_travel`, `capacity_variation`,
    `private_hospital` and `more_hospitals` make the held-out variants (module docstring).
    """
    if start_week != START_WEEK:
        raise ValueError(f"the waiting list is dated for a plan starting {START_WEEK}")
    rng = np.random.default_rng(seed)
    variant_rng = np.random.default_rng([seed, 1])  # held-out variants: never shifts `rng`'s draws
    all_regions = regions_table(rng)
    hospitals = hospitals_table(more_hospitals=more_hospitals, private_hospital=private_hospital)
    if regions is not None:
        unknown = set(regions) - set(all_regions["region_id"])
        if unknown:
            raise ValueError(f"unknown region ids: {', '.join(sorted(unknown))}")
        all_regions = all_regions[all_regions["region_id"].isin(regions)].reset_index(drop=True)
        hospitals = hospitals[hospitals["region_id"].isin(regions)].reset_index(drop=True)
    if waiting is None:
        total_population = sum(r[2] for r in REGIONS)
        waiting = round(NATIONAL_WAITING * all_regions["population"].sum() / total_population * copies)
    region_frame, hospitals = replicate(all_regions, hospitals, copies)
    population = int(region_frame["population"].sum())
    procedures = procedures_table(population)
    cal = g.calendar(start_week, weeks)
    capabilities = build_capabilities(hospitals, procedures, rng)
    # private providers are sized like public units (normal_week_days gives "private" fixed days)
    sizing = hospitals.assign(level=hospitals["level"].replace("private", "county"))
    normal = g.normal_week_days(region_frame, sizing, procedures, capabilities, cal)
    need = g.theatre_day_need(region_frame, procedures, cal).groupby("procedure_id")["need_days"].sum()
    capacity = g.build_capacity(normal, hospitals, cal)
    if capacity_variation:
        capacity = vary_capacity(capacity, capacity_variation, variant_rng)
    tables = {
        "regions.csv": region_frame,
        "hospitals.csv": hospitals,
        "procedures.csv": procedures,
        "capabilities.csv": capabilities,
        "capacity.csv": capacity,
        "beds.csv": g.build_beds(capacity, capabilities, procedures, need, hospitals, rng),
        "waiting_list.csv": build_waiting_list(region_frame, procedures, capabilities, normal, hospitals, waiting, rng),
        "demand.csv": g.build_demand(region_frame, procedures, cal),
        "prices.csv": g.build_prices(capabilities, hospitals, procedures, rng),
        "priorities.csv": g.build_priorities(),
    }
    if share_travel is not None:
        tables["waiting_list.csv"] = set_travel_share(
            tables["waiting_list.csv"], region_frame, procedures, share_travel, variant_rng
        )
    waiting = tables["waiting_list.csv"]  # priorities drawn last, as in `models.generate.generate`
    tables["waiting_list.csv"] = waiting.assign(priority=g.draw_priorities(waiting, tables["priorities.csv"], rng))
    return {name: frame[FILES[name].columns_in(frame.columns)].reset_index(drop=True) for name, frame in tables.items()}


def to_dataset(tables: dict[str, pd.DataFrame], name: str, start_week: str = START_WEEK) -> Dataset:
    """A `Dataset` typed exactly as `models.load_dataset` returns it (tests compare the two)."""
    typed = {}
    for file, spec in FILES.items():
        frame = tables[file].reset_index(drop=True)
        columns = {
            c.name: frame[c.name] if c.name in frame else pd.Series([c.default] * len(frame), dtype=object)
            for c in spec.columns  # a column left out (bookings) holds its default, as the loader reads it
        }
        typed[file.removesuffix(".csv")] = pd.DataFrame(
            {n: _typed(v, c.type) for (n, v), c in zip(columns.items(), spec.columns, strict=True)}
        )
    return Dataset(name=name, plan_start=parse_iso_week(start_week), **typed)


def _typed(values: pd.Series, column_type: str) -> pd.Series:
    """One column converted to the type `models.loader` gives it (ids object with NaN when empty)."""
    if column_type == "id":
        raw = values.to_numpy(dtype=object)
        return pd.Series([v if isinstance(v, str) and v else np.nan for v in raw], dtype=object)
    if column_type in ("text", "week", "level", "status"):
        return pd.Series(values.fillna("").astype(str).to_numpy(dtype=object), dtype="str")
    if column_type == "int":
        return pd.Series(values.to_numpy(dtype="int64"))
    if column_type == "float":
        return pd.Series(values.to_numpy(dtype="float64"))
    if column_type == "date":
        return pd.Series(pd.to_datetime(values).to_numpy(dtype="datetime64[us]"))
    if column_type == "bool":
        return pd.Series(values.to_numpy(dtype=bool))
    raise ValueError(f"unknown column type {column_type}")


def national_dataset(
    seed: int = NATIONAL_SEED,
    *,
    regions: tuple[str, ...] | None = None,
    copies: int = 1,
    weeks: int = 52,
    waiting: int | None = None,
    name: str | None = None,
    share_travel: float | None = None,
    capacity_variation: float = 0.0,
    private_hospital: bool = False,
    more_hospitals: bool = False,
) -> Dataset:
    """The national synthetic instance as a `Dataset` in memory (arguments as in `national_tables`)."""
    tables = national_tables(
        seed,
        regions=regions,
        copies=copies,
        weeks=weeks,
        waiting=waiting,
        share_travel=share_travel,
        capacity_variation=capacity_variation,
        private_hospital=private_hospital,
        more_hospitals=more_hospitals,
    )
    return to_dataset(tables, name or f"national-{seed}")
