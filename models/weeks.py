"""ISO weeks (`2025-W14`) and the plan calendar.

The plan's week t = 1..T starts at D0, the Monday of the start week; week t ends at E_t = D0 + 7t.
"""

from __future__ import annotations

import datetime as dt
import re

ISO_WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_iso_week(text: str) -> dt.date:
    """Return the Monday of ISO week `text` (`YYYY-Www`); raise ValueError if it is not one."""
    match = ISO_WEEK_PATTERN.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"not an ISO week like 2025-W14: {text!r}")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        return dt.date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"week {week} does not exist in ISO year {year}") from exc


def format_iso_week(monday: dt.date) -> str:
    """Return the ISO week label (`YYYY-Www`) of a date."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def is_iso_week(label: object) -> bool:
    """True when `label` is an existing ISO week written exactly as `format_iso_week` writes it."""
    try:
        return format_iso_week(parse_iso_week(label)) == label
    except ValueError:
        return False


def week_labels(start_week: str, horizon_weeks: int) -> list[str]:
    """Return the labels of the plan's weeks 1..horizon_weeks starting at `start_week`."""
    monday = parse_iso_week(start_week)
    return [format_iso_week(monday + dt.timedelta(weeks=k)) for k in range(horizon_weeks)]
