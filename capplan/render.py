"""Rendering tables and errors in the terminal with rich."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from models.errors import CapplanError
from presentation.i18n import Locale

console = Console()
errors = Console(stderr=True)


def print_frame(frame: pd.DataFrame, title: str, formats: dict[str, str] | None = None, limit: int = 40) -> None:
    """Print a DataFrame as a rich table; numbers right-aligned, `formats` per column (e.g. '{:.1%}')."""
    formats = formats or {}
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.head(limit).itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if column in formats:
                cells.append(formats[column].format(value))
            elif isinstance(value, float):
                cells.append(f"{value:,.1f}")
            elif isinstance(value, int):
                cells.append(f"{value:,}")
            else:
                cells.append(str(value))
        table.add_row(*cells)
    console.print(table)
    if len(frame) > limit:
        console.print(f"[dim]... {len(frame) - limit} more rows[/dim]")


def print_people(
    frame: pd.DataFrame,
    title: str,
    loc: Locale,
    percent: tuple[str, ...] = (),
    limit: int = 40,
    right: tuple[str, ...] = (),
) -> None:
    """Print a table people read: headings as given (translated), integers whole and floats with one
    decimal in `loc`'s number format, `percent` columns (shares) as percentages; `right` names columns
    of numbers already formatted as text."""
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column]) or column in right
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.head(limit).itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                cells.append("")
            elif column in percent:
                cells.append(loc.percent(float(value)))
            elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                cells.append(loc.number(int(value)))
            elif isinstance(value, (float, np.floating)):
                cells.append(loc.number(float(value), 1))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    console.print(table)
    if len(frame) > limit:
        console.print("[dim]... " + loc._("{n} more rows").format(n=len(frame) - limit) + "[/dim]")


def print_error(error: CapplanError) -> None:
    """Print a domain error: one line per problem (file:row:column: message) or its message."""
    problems = getattr(error, "problems", None)
    if problems:
        errors.print(f"[bold red]{len(problems)} problem(s):[/bold red]")
        for problem in problems:
            errors.print(str(problem), markup=False, highlight=False, soft_wrap=True)
    else:
        errors.print(f"[bold red]error:[/bold red] {error}", highlight=False)
