"""Fixtures of the reliability tests (issue 8). Every app runs on a temporary data dir and a fresh
database (a SQLite file, and a PostgreSQL schema too when CAPPLAN_TEST_POSTGRES_URL is set: every
test runs once per database, `tests/api/databases.py`), with keys from `tests/api/helpers.py`, never
on the developer's environment.

The figures the tests count (fuzz cases, malformed datasets, faults, concurrent runs) are printed in
pytest's terminal summary by tests/conftest.py (which adds up what each xdist worker counted).
"""

from __future__ import annotations

import pytest

from tests.api import databases
from tests.api.helpers import dataset_folder, zip_folder
from tests.reliability.support import without_capplan_environment

#: Every test here runs once per database (`tests/api/databases.py`).
backend = databases.backend
database = databases.database


def pytest_generate_tests(metafunc):
    databases.parametrize(metafunc)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Settings come from the test, never from the developer's environment."""
    without_capplan_environment(monkeypatch)


@pytest.fixture(scope="session")
def small_folder(tmp_path_factory):
    """The small random dataset of the API tests (tests/factory.random_dataset(1)) as CSV files."""
    return dataset_folder(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="session")
def small_zip(small_folder) -> bytes:
    return zip_folder(small_folder, top="rd1")
