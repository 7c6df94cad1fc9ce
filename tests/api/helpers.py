"""Helpers of the API tests: settings on temporary folders, datasets as zip/JSON, polling runs."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from api.core.config import Settings
from models import save_dataset
from models.contract import FILES
from tests.api import databases
from tests.factory import random_dataset

WRITE_KEY = "test-write-key-0123456789"
READ_KEY = "test-read-key-0123456789"
WRITE = {"X-API-Key": WRITE_KEY}
READ = {"X-API-Key": READ_KEY}
#: POST routes that compute and store nothing: a read key may ask for them (every other POST needs a write key)
READING_POSTS = frozenset(
    {
        "/api/v1/compare",
        "/api/v1/compare.csv",
        "/api/v1/evaluate",
        "/api/v1/evaluate/csv",
        "/api/v1/decisions/purchases",
        "/api/v1/decisions/target",
    }
)
ZIP = {**WRITE, "content-type": "application/zip"}
YAML = {**WRITE, "content-type": "application/yaml"}
FINISHED = ("done", "failed", "cancelled")
#: How long a test waits for a run of a small dataset (a spawned process imports pandas and Pyomo first).
RUN_TIMEOUT = 90.0


def make_settings(base: Path, **overrides) -> Settings:
    """Settings on a temporary data dir and a fresh database of the test's variant (a SQLite file in
    `base`, or a PostgreSQL schema: `tests/api/databases.py`); reports off unless a test turns them on."""
    if "database_url" not in overrides:
        overrides["database_url"] = databases.current().url(base)
    values = {
        "data_dir": base / "data",
        "api_keys": WRITE_KEY,
        "read_only_api_keys": READ_KEY,
        "run_reports": False,
        "dispatch_interval_seconds": 0.1,
        **overrides,
    }
    return Settings(**values)


def dataset_folder(base: Path, seed: int = 1, name: str = "rd1") -> Path:
    """A small random dataset (tests/factory.py) written as the CSV contract."""
    return save_dataset(random_dataset(seed), base / name)


def zip_folder(folder: Path, top: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """The contract files of `folder` zipped (inside folder `top` if given), plus `extra` entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in FILES:
            if (folder / name).exists():
                archive.write(folder / name, f"{top}/{name}" if top else name)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def edit_csv(folder: Path, file: str, line: int, column: str, value: str) -> None:
    """Set `column` of the record on `line` (header = line 1) of a contract file."""
    path = folder / file
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    fields = lines[line - 1].split(",")
    fields[header.index(column)] = value
    lines[line - 1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def wait_for(predicate: Callable[[], object], timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def wait_for_run(client, run_id: str, timeout: float = RUN_TIMEOUT, prefix: str = "/api/v1") -> dict:
    """Poll GET /runs/{id} until the run has ended; return its last status body."""

    def ended():
        body = client.get(f"{prefix}/runs/{run_id}", headers=READ).json()
        return body if body["status"] in FINISHED else None

    return wait_for(ended, timeout, interval=0.2, what=f"run {run_id}")


def scenario_yaml(name: str, dataset: str, horizon: int = 6, extra: str = "") -> str:
    return f"name: {name}\ndataset: {dataset}\nstart_week: 2025-W14\nhorizon_weeks: {horizon}\n{extra}"
