"""Where a dataset comes from: the `dataset.yaml` beside its CSV files says whether it is synthetic.

A synthetic dataset (the bundled one, made by `capplan generate`) carries `synthetic: true` in its
`dataset.yaml`; every page and workbook made from it then shows a banner, so that no figure of it is
taken for an official statistic. A folder without the file is taken as real data (no banner).
"""

from __future__ import annotations

import html
from pathlib import Path

import yaml

from presentation.i18n import Locale

METADATA_FILE = "dataset.yaml"


def dataset_metadata(folder: str | Path) -> dict:
    """The metadata of a dataset folder (`dataset.yaml`), empty when the file is missing."""
    path = Path(folder) / METADATA_FILE
    if not path.is_file():
        return {}
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a mapping such as 'synthetic: true'")
    return content


def is_synthetic(folder: str | Path | None) -> bool:
    """True when the dataset folder says `synthetic: true` in its `dataset.yaml`."""
    return folder is not None and bool(dataset_metadata(folder).get("synthetic", False))


def write_metadata(folder: str | Path, **fields) -> Path:
    """Write `dataset.yaml` into a dataset folder (e.g. `synthetic=True, seed=...` by the generator)."""
    path = Path(folder) / METADATA_FILE
    path.write_text(yaml.safe_dump(fields, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def synthetic_banner_html(loc: Locale) -> str:
    """The banner on every page made from a synthetic dataset."""
    text = loc._("Synthetic data: these figures are estimates, not official statistics.")
    return f"<p class='banner' role='note'>{html.escape(text)}</p>"


BANNER_CSS = ".banner{background:#fff3cd;border:2px solid #c99700;padding:.6em 1em;font-weight:600;margin:0 0 1em}"
