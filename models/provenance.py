"""Where a dataset comes from: `dataset.yaml` beside its CSV files (optional).

    synthetic: true                 # made by a generator, not real patients: every page shows a banner
    generator: models/generate.py   # what made it (free text)
    seed: 20240401                  # the generator's seed
    source: ...                     # where real data came from (free text)

A folder without the file is real data with nothing more said. The file travels with the dataset:
`load_dataset` reads it into `Dataset.synthetic`, `save_dataset` writes it back, and an upload to
the service may include it; problems are named by file and field like every other input problem.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.errors import DatasetError, Problem

METADATA_FILE = "dataset.yaml"


class DatasetMetadata(BaseModel):
    """The content of `dataset.yaml`."""

    model_config = ConfigDict(extra="forbid")

    synthetic: bool = False
    generator: str | None = Field(default=None, max_length=200)
    seed: int | None = None
    source: str | None = Field(default=None, max_length=2000)


def read_metadata(folder: str | Path) -> DatasetMetadata:
    """The metadata of dataset folder `folder`: its `dataset.yaml`, or the defaults without one."""
    path = Path(folder) / METADATA_FILE
    if not path.is_file():
        return DatasetMetadata()
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise DatasetError([Problem(METADATA_FILE, None, None, f"not readable YAML: {error}")]) from None
    if content is None:
        return DatasetMetadata()
    if not isinstance(content, dict):
        raise DatasetError([Problem(METADATA_FILE, None, None, "expected a mapping such as 'synthetic: true'")])
    try:
        return DatasetMetadata.model_validate(content)
    except ValidationError as error:
        problems = [
            Problem(METADATA_FILE, None, ".".join(str(part) for part in e["loc"]) or None, e["msg"])
            for e in error.errors()
        ]
        raise DatasetError(problems) from None


def write_metadata(folder: str | Path, metadata: DatasetMetadata) -> Path:
    """Write `metadata` as `dataset.yaml` into `folder` (only the fields that say something)."""
    path = Path(folder) / METADATA_FILE
    fields = metadata.model_dump(exclude_defaults=True)
    path.write_text(yaml.safe_dump(fields, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
