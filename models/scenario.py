"""Scenario files: a base dataset plus changes, policy, weights and solve settings (YAML).

A scenario is validated by pydantic; every problem is reported with the file and the field path.
YAML is read with `yaml.safe_load`, so python tags and other executable YAML are rejected.

A scenario file may start from another: `extends: default.yaml` (a path relative to the file's
folder) takes that scenario's fields, merges `policy`, `weights`, `solve` and `simulation` key by
key, adds its own `changes` after the other's, and replaces every other field it gives. A what-if
written that way differs from its base only in what it says (`load_scenario`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.errors import Problem, ScenarioError
from models.simulation_settings import SimulationSettings
from models.weeks import parse_iso_week

#: Folder of the bundled datasets and example scenarios.
SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
DEFAULT_SCENARIO = SCENARIOS_DIR / "default.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WeekRange(_Strict):
    """Weeks `first..last` inclusive, as ISO labels; written `2025-W26..2025-W32` or one week."""

    first: str
    last: str

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value):
        if isinstance(value, str):
            first, _, last = value.partition("..")
            return {"first": first.strip(), "last": (last or first).strip()}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> WeekRange:
        if parse_iso_week(self.first) > parse_iso_week(self.last):
            raise ValueError(f"week range {self.first}..{self.last} ends before it starts")
        return self

    def contains(self, label: str) -> bool:
        return parse_iso_week(self.first) <= parse_iso_week(label) <= parse_iso_week(self.last)


class CapacityChange(_Strict):
    """Scale (`factor`) or set (`theatre_days`) theatre days of a hospital, optionally one specialty and weeks."""

    hospital_id: str
    specialty: str | None = None
    weeks: WeekRange | None = None
    factor: float | None = Field(default=None, ge=0, le=100)
    theatre_days: float | None = Field(default=None, ge=0, le=1e6)

    @model_validator(mode="after")
    def _one_of(self) -> CapacityChange:
        if (self.factor is None) == (self.theatre_days is None):
            raise ValueError("give exactly one of factor or theatre_days")
        return self


class ExtraCapacity(_Strict):
    """Theatre days that may be bought each week at `cost_per_day_sek`; the LP decides how many."""

    hospital_id: str
    specialty: str
    theatre_days_per_week: float = Field(gt=0, le=1e4)
    cost_per_day_sek: float = Field(ge=0, le=1e9)
    weeks: WeekRange | None = None


class BedChange(_Strict):
    """Scale (`factor`) or set (`bed_days`) elective bed-days of a hospital, optionally for some weeks."""

    hospital_id: str
    weeks: WeekRange | None = None
    factor: float | None = Field(default=None, ge=0, le=100)
    bed_days: float | None = Field(default=None, ge=0, le=1e6)

    @model_validator(mode="after")
    def _one_of(self) -> BedChange:
        if (self.factor is None) == (self.bed_days is None):
            raise ValueError("give exactly one of factor or bed_days")
        return self


class DemandChange(_Strict):
    """Scale forecast decisions, for one region and/or procedure (all when omitted)."""

    factor: float = Field(ge=0, le=100)
    region_id: str | None = None
    procedure_id: str | None = None


class CloseHospital(_Strict):
    """The hospital does no elective surgery (for the given weeks, or the whole horizon)."""

    hospital_id: str
    weeks: WeekRange | None = None


class CapabilityChange(_Strict):
    """Add (`add: true`, optional rate) or remove (`add: false`) a procedure at a hospital."""

    hospital_id: str
    procedure_id: str
    add: bool = True
    cases_per_theatre_day: float | None = Field(default=None, gt=0, le=1e4)


#: Change types by the key a scenario file names them with (`- capacity: {...}`).
CHANGE_TYPES = {
    "capacity": CapacityChange,
    "extra_capacity": ExtraCapacity,
    "beds": BedChange,
    "demand": DemandChange,
    "close_hospital": CloseHospital,
    "capability": CapabilityChange,
}
Change = CapacityChange | ExtraCapacity | BedChange | DemandChange | CloseHospital | CapabilityChange


class Agreement(_Strict):
    """Cases a payer region sends to a provider hospital or region over the horizon, within [min, max]."""

    payer_region: str
    provider_hospital: str | None = None
    provider_region: str | None = None
    procedure_id: str | None = None
    min_cases: float = Field(default=0, ge=0, le=1e7)
    max_cases: float | None = Field(default=None, ge=0, le=1e7)

    @model_validator(mode="after")
    def _one_provider(self) -> Agreement:
        if (self.provider_hospital is None) == (self.provider_region is None):
            raise ValueError("give exactly one of provider_hospital or provider_region")
        if self.max_cases is not None and self.max_cases < self.min_cases:
            raise ValueError(f"max_cases {self.max_cases:g} is below min_cases {self.min_cases:g}")
        return self


class Fairness(_Strict):
    """One fairness rule: every procedure (or region) gets a target of patients treated (DESIGN.md).

    `by: procedure` compares each procedure with its specialty's coverage, `by: region` each region
    with the coverage of all; `share` scales the target, `weight` is the objective's price per
    patient short of it.
    """

    by: Literal["procedure", "region"]
    share: float = Field(default=1.0, ge=0, le=1)
    weight: float = Field(default=1.0, ge=0, le=1e6)


class Policy(_Strict):
    """Rules of the plan: who may travel how far, lead time, utilisation, agreements, budgets, fairness.

    `local_max_km`: hospitals of the home region within this road distance of the listed hospital
    that a patient who does not accept travel may be offered (0: the listed hospital only).
    `max_travel_km`: how far from the listed hospital a patient who accepts travel may be offered
    (None: no limit). `transfer_lead_weeks`: no offer at another hospital than the listed one in the
    first weeks. `planned_utilisation`: the share of each theatre cell that the plan may use; the
    rest is kept for cancellations and emergencies (purchased extra days are not scaled).
    `frozen_weeks`: in a re-plan (`optimizer.replan`), the previous plan's proposals in the first
    `frozen_weeks` weeks become bookings (fixed); the rest are kept stable by `weights.change`.
    """

    max_travel_km: float | None = Field(default=None, ge=0, le=5000)
    local_max_km: float = Field(default=0.0, ge=0, le=5000)
    transfer_lead_weeks: int = Field(default=0, ge=0, le=520)
    planned_utilisation: float = Field(default=1.0, gt=0, le=1)
    share_accepting_travel: float | Literal["from_data"] = "from_data"
    agreements: list[Agreement] = Field(default_factory=list)
    budgets_sek: dict[str, Annotated[float, Field(ge=0, le=1e12)]] = Field(default_factory=dict)
    no_region_worse_off: bool = False
    fairness: list[Fairness] = Field(default_factory=list)
    frozen_weeks: int = Field(default=1, ge=0, le=104)
    min_agreement_cases: float = Field(default=10.0, ge=0, le=1e6)  # fewer over the horizon: too small to agree on

    @field_validator("share_accepting_travel")
    @classmethod
    def _share(cls, value):
        if isinstance(value, float) and not 0 <= value <= 1:
            raise ValueError("share_accepting_travel must be between 0 and 1, or from_data")
        return value


#: Default `weights.change`, chosen from benchmarks/STABILITY.md (the README says why).
CHANGE_WEIGHT = 1.0


class Weights(_Strict):
    """Objective weights: breach-days per threshold, waiting-days, cost per kSEK, travel per km, and
    `change`: per previous proposal (patient, hospital, week) a re-plan does not keep (0 outside a re-plan)."""

    over_90: float = Field(default=1.0, ge=0, le=1e6)
    over_180: float = Field(default=1.0, ge=0, le=1e6)
    over_365: float = Field(default=2.0, ge=0, le=1e6)
    waiting: float = Field(default=0.05, ge=0, le=1e6)
    cost_per_ksek: float = Field(default=0.1, ge=0, le=1e6)
    travel_per_km: float = Field(default=0.01, ge=0, le=1e6)
    change: float = Field(default=CHANGE_WEIGHT, ge=0, le=1e6)


class SolveSettings(_Strict):
    """How to solve: strategy, HiGHS method and limits.

    `strategy`: `full_lp` builds every flow column in Pyomo and solves once (with `method`);
    `column_generation` starts from the home-region flows and prices the others in, in highspy
    (always simplex, exact: the same optimum); `auto` is column generation (measured faster at every
    size; `optimizer.solvers.strategy`), or `full_lp` when a plan has `extra_functionality` hooks.
    `whole_patient_search_seconds`: after rounding the LP to whole patients, HiGHS's MIP searches the
    LP's arcs for a better whole-patient plan for at most this long (`optimizer.solvers.whole_patient_search`).
    `whole_patient_exchange`: after rounding, exchange patients within theatre cells to use idle time
    (`optimizer.results.cell_exchange`). Off by default: it brings the default plan from 5.0 % to
    3.5 % above the LP bound, but a week-to-week re-plan then changes about 10 % of proposals
    instead of 3.4 % (benchmarks/WHOLE_PATIENT_GAP.md).
    """

    strategy: Literal["auto", "full_lp", "column_generation"] = "auto"
    method: Literal["auto", "simplex", "ipm"] = "auto"
    time_limit_seconds: float | None = Field(default=None, gt=0)
    threads: int | None = Field(default=None, ge=1, le=64)
    # seconds HiGHS may search for a better whole-patient plan than the rounding (0: rounding only)
    whole_patient_search_seconds: float = Field(default=10.0, ge=0, le=3600)
    whole_patient_exchange: bool = False


class Scenario(_Strict):
    """A what-if: base dataset, plan window, changes, policy, weights (DESIGN.md "scenario")."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\- ]+$")
    description: str = ""
    dataset: str = "mellansverige"
    start_week: str = "2025-W14"
    horizon_weeks: int = Field(default=26, ge=1, le=104)
    changes: list[Change] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)
    weights: Weights = Field(default_factory=Weights)
    solve: SolveSettings = Field(default_factory=SolveSettings)
    simulation: SimulationSettings = Field(default_factory=SimulationSettings)  # `capplan simulate`'s draws

    @field_validator("start_week")
    @classmethod
    def _week(cls, value: str) -> str:
        parse_iso_week(value)
        return value

    @field_validator("changes", mode="before")
    @classmethod
    def _tagged_changes(cls, value):
        """Changes are written `- capacity: {...}`: one key naming the change type."""
        if not isinstance(value, list):
            raise ValueError("changes must be a list")
        parsed = []
        for i, item in enumerate(value):
            if isinstance(item, BaseModel):
                parsed.append(item)
                continue
            if not isinstance(item, dict) or len(item) != 1:
                raise ValueError(f"change {i}: write one change type per item, e.g. '- capacity: {{...}}'")
            ((kind, body),) = item.items()
            if kind not in CHANGE_TYPES:
                raise ValueError(f"change {i}: unknown type {kind!r}; known: {', '.join(CHANGE_TYPES)}")
            try:
                parsed.append(CHANGE_TYPES[kind].model_validate(body))
            except ValidationError as exc:  # name the change and its field: "changes" alone helps nobody
                details = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc']) or kind}: {err['msg']}" for err in exc.errors()
                )
                raise ValueError(f"change {i} ({kind}): {details}") from None
        return parsed

    def dataset_path(self, base_dir: Path | None = None) -> Path:
        """The dataset folder: a bundled name under scenarios/, or a path (relative to `base_dir`)."""
        bundled = SCENARIOS_DIR / self.dataset
        if "/" not in self.dataset and os.sep not in self.dataset and bundled.is_dir():
            return bundled
        path = Path(self.dataset)
        return path if path.is_absolute() or base_dir is None else (base_dir / path)

    def updated(self, **fields) -> Scenario:
        """A validated copy with some fields replaced; `policy`, `weights` and `solve` given as dicts
        are merged into the current ones (e.g. `updated(horizon_weeks=13, weights={"cost_per_ksek": 0})`).
        Raises `ScenarioError` like a scenario file would."""
        data = self.to_yaml_dict()
        for key, value in fields.items():
            if key in ("policy", "weights", "solve") and isinstance(value, dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return parse_scenario(data, f"scenario {self.name}")

    def to_yaml_dict(self) -> dict:
        """The scenario as a plain dict in the YAML form (changes tagged by type)."""
        data = self.model_dump(mode="json", exclude_none=True)
        kinds = {cls: kind for kind, cls in CHANGE_TYPES.items()}
        data["changes"] = [{kinds[type(c)]: c.model_dump(mode="json", exclude_none=True)} for c in self.changes]
        return data


def parse_scenario(data: object, source: str = "scenario") -> Scenario:
    """Validate a scenario from parsed YAML/JSON; raise `ScenarioError` naming each bad field."""
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, None, None, "a scenario must be a mapping of fields")])
    if "extends" in data:  # resolved by load_scenario; elsewhere there is no file to extend from
        message = "only a scenario file can extend another (give the whole scenario here)"
        raise ScenarioError([Problem(source, None, "extends", message)])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(source, None, ".".join(str(p) for p in err["loc"]) or None, err["msg"]) for err in exc.errors()
        ]
        raise ScenarioError(problems) from None


def load_scenario(path: str | os.PathLike) -> tuple[Scenario, Path]:
    """Read and validate a scenario YAML file (following `extends`, see the module docstring);
    returns it and the folder relative paths start from."""
    path = Path(path)
    return parse_scenario(_scenario_fields(path, ()), str(path)), path.parent


#: Fields an extending scenario merges key by key into its base's instead of replacing them.
MERGED_FIELDS = ("policy", "weights", "solve", "simulation")
#: Fields that describe one scenario only: never taken from the base.
OWN_FIELDS = ("name", "description")


def _scenario_fields(path: Path, seen: tuple[Path, ...]) -> object:
    """The parsed YAML of scenario file `path` with its `extends` chain resolved."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        source = str(seen[-1]) if seen else str(path)
        field = "extends" if seen else None
        raise ScenarioError([Problem(source, None, field, f"cannot read scenario {path}: {exc}")]) from None
    data = parse_yaml(text, str(path))
    if not isinstance(data, dict) or "extends" not in data:
        return data
    parent = data.pop("extends")
    if not isinstance(parent, str) or not parent:
        raise ScenarioError([Problem(str(path), None, "extends", "must be the path of another scenario file")])
    parent_path = (path.parent / parent).resolve()
    if parent_path in seen or parent_path == path.resolve():
        chain = " → ".join(str(p) for p in (*seen, path.resolve(), parent_path))
        raise ScenarioError([Problem(str(path), None, "extends", f"scenarios extend each other in a circle: {chain}")])
    base = _scenario_fields(parent_path, (*seen, path.resolve()))
    if not isinstance(base, dict):
        raise ScenarioError([Problem(str(parent_path), None, None, "a scenario must be a mapping of fields")])
    return extend_fields(base, data)


def extend_fields(base: dict, own: dict) -> dict:
    """`own` scenario fields on top of `base`'s: see the module docstring."""
    merged = {key: value for key, value in base.items() if key not in OWN_FIELDS}
    for key, value in own.items():
        if key in MERGED_FIELDS and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        elif key == "changes" and isinstance(value, list) and isinstance(merged.get("changes"), list):
            merged[key] = [*merged["changes"], *value]
        else:
            merged[key] = value
    return merged


def parse_yaml(text: str, source: str) -> object:
    """Safe-load YAML (no python tags); raise `ScenarioError` with the line of a syntax error."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError([Problem(source, line, None, f"invalid YAML: {problem}")]) from None
