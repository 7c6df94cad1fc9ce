"""The plan's weeks must lie within the dataset's weeks: one check for the engine, the CLI and the API.

The rule, per plan week (the `horizon_weeks` ISO weeks from `start_week` on):

- capacity.csv has at least one row in that week (any hospital and specialty; `theatre_days` may
  be 0: a week with zero capacity is a fact of the data, a week without rows is a week the data
  does not describe);
- demand.csv has at least one row in that week (`expected_decisions` may be 0), unless demand.csv
  has no rows at all: a dataset without a forecast plans its waiting list alone.

beds.csv is not part of the rule: a hospital without bed rows in a week simply has no beds then.
A plan that fails the rule would otherwise be solved with the missing weeks frozen (no capacity,
no arrivals) and report an optimum that means nothing, so it is refused before anything is built.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.dataset import Dataset
from models.errors import Problem, ScenarioError
from models.weeks import parse_iso_week, week_labels

#: Ranges of missing weeks named in a message before the rest are counted.
MAX_RANGES = 4


def plan_week_problems(
    dataset: Dataset,
    start_week: str,
    horizon_weeks: int,
    *,
    source: str = "scenario",
    start_field: str = "start_week",
    horizon_field: str = "horizon_weeks",
) -> list[Problem]:
    """The problems of planning `horizon_weeks` weeks from `start_week` on `dataset` (empty: none).

    Each problem is named `source` (what is at fault: a scenario, or a dataset upload's `plan_start`)
    and its field: `start_field` when the first plan week is already outside the data, else
    `horizon_field` (the plan starts within the data but runs past it or into a gap).
    """
    try:
        weeks = week_labels(start_week, horizon_weeks)
    except OverflowError:
        return [Problem(source, None, horizon_field, "the plan would end after the last date of the calendar")]
    except ValueError as exc:
        return [Problem(source, None, start_field, str(exc))]
    if not weeks:
        return [Problem(source, None, horizon_field, "the plan has no week")]
    capacity = set(dataset.capacity["week"])
    demand = set(dataset.demand["week"])
    no_capacity = [w for w in weeks if w not in capacity]
    no_demand = [w for w in weeks if w not in demand] if demand else []
    if not no_capacity and not no_demand:
        return []
    if not demand:
        held = f"capacity weeks {_span(capacity)}"
    elif capacity == demand:
        held = f"capacity and demand weeks {_span(capacity)}"
    else:
        held = f"capacity weeks {_span(capacity)} and demand weeks {_span(demand)}"
    if no_capacity == no_demand:
        missing = f"no rows in capacity.csv or demand.csv for {_ranges(weeks, no_capacity)}"
    else:
        missing = "; ".join(
            f"no rows in {file} for {_ranges(weeks, absent)}"
            for file, absent in (("capacity.csv", no_capacity), ("demand.csv", no_demand))
            if absent
        )
    plan = f"week {weeks[0]} goes" if len(weeks) == 1 else f"weeks {weeks[0]}..{weeks[-1]} go"
    message = (
        f"the plan's {plan} beyond the dataset's {held}: {missing} "
        "(plan within the dataset's weeks, or add rows for the missing weeks; zero capacity is fine)"
    )
    field = start_field if weeks[0] in no_capacity or weeks[0] in no_demand else horizon_field
    return [Problem(source, None, field, message)]


def check_plan_weeks(dataset: Dataset, start_week: str, horizon_weeks: int, *, source: str = "scenario") -> None:
    """Raise `ScenarioError` unless every plan week has capacity and demand rows (see the module's rule)."""
    problems = plan_week_problems(dataset, start_week, horizon_weeks, source=source)
    if problems:
        raise ScenarioError(problems)


def _span(weeks: set[str]) -> str:
    """`first..last` of a set of ISO week labels ("with gaps" if some week between is absent)."""
    if not weeks:
        return "(none)"
    ordered = sorted(weeks)  # YYYY-Www labels sort chronologically
    first, last = ordered[0], ordered[-1]
    if first == last:
        return first
    gaps = (parse_iso_week(last) - parse_iso_week(first)).days // 7 + 1 != len(ordered)
    return f"{first}..{last}" + (" (with gaps)" if gaps else "")


def _ranges(plan: list[str], absent: Iterable[str]) -> str:
    """The absent plan weeks as ranges in plan order: `2026-W14..2027-W13, 2027-W20`."""
    missing = set(absent)
    ranges: list[tuple[str, str]] = []
    run_start = previous = None
    for week in plan:
        if week in missing:
            if run_start is None:
                run_start = week
            previous = week
        elif run_start is not None:
            ranges.append((run_start, previous))
            run_start = None
    if run_start is not None:
        ranges.append((run_start, previous))
    shown = [first if first == last else f"{first}..{last}" for first, last in ranges[:MAX_RANGES]]
    more = len(ranges) - MAX_RANGES
    if more > 0:
        shown.append(f"and {more} more range{'s' if more > 1 else ''}")
    return ", ".join(shown)
