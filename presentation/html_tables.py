"""HTML rendering of the tables people read: numbers in the reader's format, wide tables scrolling
inside their own box (never the page), winners green and losers red with words beside the colour.

The tables come with their headings already translated (`presentation.production_plan`,
`presentation.outcomes`); this module only renders them, for the report pages and the web page.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from presentation.i18n import Locale


def cell_html(value, loc: Locale, percent: bool = False, decimals: int = 1) -> str:
    """One table cell: integers as whole numbers, floats with `decimals`, shares as percentages."""
    if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return "<td></td>"
    if isinstance(value, (bool, np.bool_)):
        return f"<td>{html.escape(str(value))}</td>"
    if percent and isinstance(value, (int, float, np.integer, np.floating)):
        return f"<td class='num'>{loc.percent(float(value), decimals)}</td>"
    if isinstance(value, (int, np.integer)):
        return f"<td class='num'>{loc.number(int(value))}</td>"
    if isinstance(value, (float, np.floating)):
        return f"<td class='num'>{loc.number(float(value), decimals)}</td>"
    return f"<td>{html.escape(str(value))}</td>"


def table_html(
    table: pd.DataFrame,
    loc: Locale,
    caption: str = "",
    percent: tuple[str, ...] = (),
    decimals: dict[str, int] | None = None,
    verdict_column: str | None = None,
    right: tuple[str, ...] = (),
) -> str:
    """An HTML table in a horizontally scrolling box; headings as given (already translated).

    `percent` names columns holding shares (0.37 → "37,0 %"); `decimals` per column (default 1 for
    floats); with `verdict_column` each row is classed by its verdict (`better`, `worse`) so that
    CSS colours it, while the verdict's words and the signed change stay in the cells. `right` names
    columns of numbers already formatted as text (right-aligned like numbers).
    """
    if table.empty:
        nothing = loc._("nothing to show")
        return f"<p class='note'>{html.escape(caption)}: {nothing}.</p>" if caption else ""
    decimals = decimals or {}
    better, worse = loc._("better"), loc._("worse")
    head = "".join(f"<th scope='col'>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for record in table.itertuples(index=False):
        cells = [
            f"<td class='num'>{html.escape(str(value))}</td>"
            if column in right
            else cell_html(value, loc, percent=column in percent, decimals=decimals.get(column, 1))
            for column, value in zip(table.columns, record, strict=True)
        ]
        css = ""
        if verdict_column is not None:
            word = record[list(table.columns).index(verdict_column)]
            css = " class='better'" if word == better else " class='worse'" if word == worse else ""
        rows.append(f"<tr{css}>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<div class='scroll'><table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


#: Styles of the tables (included in the report pages; the web page may include them too).
TABLE_CSS = """
.scroll{max-width:100%;overflow-x:auto;margin:.5em 0 1.5em}
table{border-collapse:collapse;font-size:.9em;background:#fff}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ddd;padding:.25em .6em} th{background:#eef2f7;text-align:left;vertical-align:bottom}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#f7f7f7}
tr.better td{background:#e3f4e1} tr.worse td{background:#fbe3e1}
tr.better td:last-child{color:#1b5e20;font-weight:600} tr.worse td:last-child{color:#b71c1c;font-weight:600}
"""
