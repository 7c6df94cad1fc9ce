"""The benchmark's instances: the default scenario, the scaling series and the national instance.

An `InstanceSpec` names a scenario (as a YAML-like dict) and where its dataset comes from: a folder
(the bundled Mellansverige dataset) or the national generator's arguments. Generated datasets are
written once into a cache folder with `save_dataset` (keyed by the generator's arguments and the
source of the generators), so that every measured run loads its dataset through `load_dataset`,
timed like `capplan run` loads a dataset.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from models.scenario import DEFAULT_SCENARIO, Scenario, load_scenario, parse_scenario

log = logging.getLogger(__name__)

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "capplan-bench"
#: The scaling series: copies of the south-east base at 13 weeks, and the base over 13..104 weeks.
SCALING_COPIES = (1, 2, 4, 8)
SCALING_COPIES_WEEKS = 13
SCALING_WEEKS = (13, 26, 52, 104)


@dataclass
class InstanceSpec:
    """One benchmark instance.

    `scenario` is a scenario dict (`parse_scenario`); `dataset_dir` a dataset folder, or `generator`
    the keyword arguments of `benchmarks.national.national_dataset`. `series` and `scale` place the
    instance in a scaling series (scale doubles from one member to the next).
    """

    name: str
    group: str
    scenario: dict
    dataset_dir: str | None = None
    generator: dict | None = None
    series: str | None = None
    scale: float | None = None
    notes: dict = field(default_factory=dict)

    def parsed_scenario(self, time_limit: float | None = None) -> Scenario:
        data = json.loads(json.dumps(self.scenario))
        if time_limit is not None:
            data.setdefault("solve", {})["time_limit_seconds"] = time_limit
        return parse_scenario(data, source=self.name)


def default_scenario_dict(**update) -> dict:
    scenario, _ = load_scenario(DEFAULT_SCENARIO)
    data = scenario.to_yaml_dict()
    data.update(update)
    return data


def default_instances() -> list[InstanceSpec]:
    """The default scenario (Mellansverige) at 26 and 52 weeks."""
    scenario, base_dir = load_scenario(DEFAULT_SCENARIO)
    folder = str(scenario.dataset_path(base_dir))
    return [
        InstanceSpec(
            f"default-{weeks}w",
            "default",
            default_scenario_dict(name=f"default-{weeks}w", horizon_weeks=weeks),
            dataset_dir=folder,
            series="default-weeks",
            scale=weeks,
        )
        for weeks in (26, 52)
    ]


def generated_scenario(name: str, weeks: int) -> dict:
    """The default scenario's policy and weights on a generated dataset (dataset set when loaded)."""
    return default_scenario_dict(
        name=name,
        horizon_weeks=weeks,
        dataset=name,
        description="benchmark instance (synthetic, benchmarks/national.py)",
    )


def scaling_instances() -> list[InstanceSpec]:
    """Copies 1, 2, 4, 8 of the south-east base (13 weeks; data for 52 weeks, as the default dataset),
    and the base alone at 13, 26, 52, 104 weeks (one dataset with 104 weeks of data)."""
    from benchmarks.national import SCALING_BASE

    specs = []
    for copies in SCALING_COPIES:
        name = f"tiles-x{copies}"
        specs.append(
            InstanceSpec(
                name,
                "scaling",
                generated_scenario(name, SCALING_COPIES_WEEKS),
                generator={"regions": list(SCALING_BASE), "copies": copies, "weeks": 52},
                series="hospitals",
                scale=copies,
            )
        )
    for weeks in SCALING_WEEKS:
        name = f"tile-{weeks}w"
        specs.append(
            InstanceSpec(
                name,
                "scaling",
                generated_scenario(name, weeks),
                generator={"regions": list(SCALING_BASE), "copies": 1, "weeks": max(SCALING_WEEKS)},
                series="weeks",
                scale=weeks,
            )
        )
    return specs


#: Scenario side of the held-out national instances: agreements (hospitals of the 72-hospital base).
HELD_OUT_AGREEMENTS = [
    {
        "payer_region": "stockholm",
        "provider_hospital": "private_ortho_stockholm",
        "procedure_id": "knee",
        "min_cases": 200,
        "max_cases": 1500,
    },
    {"payer_region": "halland", "provider_hospital": "sahlgrenska", "procedure_id": "hip", "min_cases": 50},
    {"payer_region": "gotland", "provider_region": "stockholm", "min_cases": 100},
    {
        "payer_region": "varmland",
        "provider_hospital": "uso",
        "procedure_id": "knee",
        "min_cases": 100,
        "max_cases": 300,
    },
]
#: An agreement with the private hospital (`private_hospital=True` datasets only).
PRIVATE_HOSPITAL_AGREEMENT = {
    "payer_region": "vastra_gotaland",
    "provider_hospital": "private_hospital_goteborg",
    "procedure_id": "hip",
    "min_cases": 150,
    "max_cases": 800,
}
#: Budgets (SEK over the horizon, on charged arcs) of some payer regions; each above its agreements' minimums.
HELD_OUT_BUDGETS = {"stockholm": 60e6, "gotland": 15e6, "halland": 20e6, "vastra_gotaland": 40e6}
#: Capacity changes within a 52-week horizon from 2025-W14.
HELD_OUT_CHANGES = [
    {
        "capacity": {
            "hospital_id": "sahlgrenska",
            "specialty": "orthopaedics",
            "weeks": "2025-W27..2025-W33",
            "factor": 0.5,
        }
    },
    {"capacity": {"hospital_id": "karolinska_solna", "weeks": "2025-W40..2025-W51", "factor": 0.7}},
    {"close_hospital": {"hospital_id": "gallivare", "weeks": "2025-W20..2025-W30"}},
    {
        "extra_capacity": {
            "hospital_id": "linkoping",
            "specialty": "orthopaedics",
            "theatre_days_per_week": 2,
            "cost_per_day_sek": 60_000,
        }
    },
]


def held_out_scenario(name: str, weeks: int, *, private_hospital: bool = False) -> dict:
    """`generated_scenario` plus agreements, budgets and capacity changes (the issue's held-out instance)."""
    data = generated_scenario(name, weeks)
    agreements = HELD_OUT_AGREEMENTS + ([PRIVATE_HOSPITAL_AGREEMENT] if private_hospital else [])
    data["policy"] = {**data["policy"], "agreements": agreements, "budgets_sek": dict(HELD_OUT_BUDGETS)}
    data["changes"] = [*data.get("changes", []), *HELD_OUT_CHANGES]
    return data


#: Data of the held-out instance of issue 19: 45 % accepting travel, theatre days ±60 % per week.
HELD_OUT_DATA = {"share_travel": 0.45, "capacity_variation": 0.6}


def national_instances() -> list[InstanceSpec]:
    """All of Sweden, 52 weeks: the benchmark's instance and held-out variants (benchmarks/README.md)."""
    return [
        InstanceSpec("national-52w", "national", generated_scenario("national-52w", 52), generator={"weeks": 52}),
        # the same generator and scenario with another seed: other draws of every random parameter
        InstanceSpec(
            "national-52w-seed2",
            "national",
            generated_scenario("national-52w-seed2", 52),
            generator={"weeks": 52, "seed": 2},
        ),
        # the base's draws, more travellers and weekly capacity ±60 %, with agreements, budgets, changes
        InstanceSpec(
            "national-52w-mobile45-var60",
            "national",
            held_out_scenario("national-52w-mobile45-var60", 52),
            generator={"weeks": 52, **HELD_OUT_DATA},
        ),
        # the held-out instance: another seed, 85 hospitals with a private hospital, all of the above
        InstanceSpec(
            "national-85h-heldout",
            "national",
            held_out_scenario("national-85h-heldout", 52, private_hospital=True),
            generator={"weeks": 52, "seed": 3, "more_hospitals": True, "private_hospital": True, **HELD_OUT_DATA},
        ),
    ]


def all_instances() -> dict[str, list[InstanceSpec]]:
    return {"default": default_instances(), "scaling": scaling_instances(), "national": national_instances()}


def _generator_fingerprint() -> str:
    """Hash of the generators' source: a cached dataset is rebuilt when they change."""
    from benchmarks import national
    from models import generate

    digest = hashlib.sha256()
    for module in (national, generate):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:12]


def materialize(spec: InstanceSpec, cache: Path = DEFAULT_CACHE) -> Path:
    """The dataset folder of `spec`; a generated dataset is written into `cache` on first use."""
    if spec.dataset_dir is not None:
        return Path(spec.dataset_dir)
    from benchmarks.national import national_dataset
    from models.loader import save_dataset

    key = json.dumps(spec.generator, sort_keys=True) + _generator_fingerprint()
    folder = Path(cache) / f"generated-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    if not (folder / "waiting_list.csv").is_file():
        log.info("generating %s into %s", spec.name, folder)
        generator = dict(spec.generator)
        if "regions" in generator:
            generator["regions"] = tuple(generator["regions"])
        save_dataset(national_dataset(**generator, name=folder.name), folder)
    return folder
