"""A stored dataset as the engine sees it: its files written back into a private staging folder and
loaded with `models.load_dataset` (so the same validation applies at every use)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from api import crud
from api.core.config import Settings
from api.db import DatasetRow, decompress
from api.uploads import NAME_PATTERN
from models import Dataset, load_dataset


def stored_dataset(session: Session, row: DatasetRow, settings: Settings, start_week: str) -> Dataset:
    """Load a stored dataset as the engine sees it, with the plan starting in `start_week`."""
    files = crud.dataset_files(session, dataset_id=row.id)
    staging = settings.data_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dataset-", dir=staging) as tmp:
        return load_dataset(write_files(files, Path(tmp) / _folder_name(row)), plan_start=start_week)


def _folder_name(row: DatasetRow) -> str:
    """The dataset's name as a folder name inside the staging folder: never a path out of it."""
    return row.name if re.fullmatch(NAME_PATTERN, row.name) else row.id


def write_files(files: dict[str, bytes], folder: Path) -> Path:
    """Write stored (compressed) dataset files into a new folder, by their contract names only."""
    folder.mkdir()
    for name, content in files.items():
        (folder / Path(name).name).write_bytes(decompress(content))
    return folder
