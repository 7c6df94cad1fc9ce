"""The synthetic-data banner: on every page and workbook made from a synthetic dataset.

A synthetic dataset (the bundled one, made by `capplan generate`) carries `synthetic: true` in its
`dataset.yaml` (`models.provenance`), so that no figure of it is taken for an official statistic. A
folder without the file is taken as real data (no banner).
"""

from __future__ import annotations

import html
from pathlib import Path

from models.provenance import read_metadata
from presentation.i18n import Locale


def is_synthetic(folder: str | Path | None) -> bool:
    """True when the dataset folder says `synthetic: true` in its `dataset.yaml` (`models.provenance`)."""
    return folder is not None and Path(folder).is_dir() and read_metadata(folder).synthetic


def synthetic_banner_html(loc: Locale) -> str:
    """The banner on every page made from a synthetic dataset."""
    text = loc._("Synthetic data: these figures are estimates, not official statistics.")
    return f"<p class='banner' role='note'>{html.escape(text)}</p>"


BANNER_CSS = ".banner{background:#fff3cd;border:2px solid #c99700;padding:.6em 1em;font-weight:600;margin:0 0 1em}"
