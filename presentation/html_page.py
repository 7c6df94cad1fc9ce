"""The shell of every self-contained HTML page: language, styles, plotly.js inline, figures with a
"how to read" line under each.

plotly.js is inlined once, in the page head, so a page opens offline, from a mail attachment or a
file share. Wide tables scroll inside their own box and figures resize with the window, so nothing
overflows a 1,366 px screen.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from presentation.html_tables import TABLE_CSS
from presentation.i18n import Locale
from presentation.labels import FONT
from presentation.provenance import BANNER_CSS, synthetic_banner_html

CSS = (
    """
body{font-family:{font};margin:0;color:#222;background:#fafafa}
main{max-width:1240px;margin:auto;padding:1em 1.5em 4em;box-sizing:border-box}
h1{margin-bottom:.2em} h2{margin-top:2em;border-bottom:2px solid #ddd;padding-bottom:.2em}
.lead{font-size:1.1em;max-width:60em} .note{color:#555;max-width:60em}
.howto{color:#444;font-size:.9em;margin:.2em 0 1.5em;max-width:70em}
.figure{background:#fff;border:1px solid #e5e5e5;margin:1em 0 .3em;padding:.5em;overflow-x:auto}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.25em 1.5em;background:#fff;
  border:1px solid #e5e5e5;padding:.8em 1em;max-width:60em} dt{font-weight:600}
details{margin:.3em 0} summary{cursor:pointer;font-weight:600}
.appendix{border-top:4px double #ccc;margin-top:3em}
""".replace("{font}", FONT)  # CSS braces rule out str.format
    + TABLE_CSS
    + BANNER_CSS
)


def figure_html(fig: go.Figure, how_to_read: str) -> str:
    """A figure (plotly, resizing with the window) with a short "how to read" line under it."""
    plot = fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True})
    return f"<div class='figure'>{plot}</div><p class='howto'>{html.escape(how_to_read)}</p>"


def page_html(title: str, body: list[str], loc: Locale, synthetic: bool = False) -> str:
    """A complete HTML page in `loc`'s language with plotly.js inline in the head (once, for every
    figure), and the synthetic-data banner first when `synthetic`."""
    banner = synthetic_banner_html(loc) if synthetic else ""
    return (
        f"<!DOCTYPE html>\n<html lang='{loc.lang}'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head>"
        f"<body><main>{banner}{''.join(body)}</main></body></html>\n"
    )


def facts_html(facts: dict[str, str]) -> str:
    """A fact box: label → value (values are escaped here)."""
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts.items())
    return f"<dl class='facts'>{items}</dl>"
