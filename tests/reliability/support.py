"""Helpers shared by the reliability tests (the API tests' helpers are in `tests/api/helpers.py`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.helpers import make_settings


def without_capplan_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test, never from the developer's environment."""
    for name in list(os.environ):
        if name.startswith("CAPPLAN_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


@contextmanager
def running_app(base: Path, backend, **overrides) -> Iterator[TestClient]:
    """A started app (lifespan) on `make_settings(base, **overrides)` and a fresh database of `backend`,
    none of them from the environment; for module-scoped fixtures, which the per-test environment
    cleaning (and database) come too late for."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        without_capplan_environment(monkeypatch)
        settings = make_settings(base, database_url=backend.url(base), **overrides)
        with TestClient(create_app(settings)) as client:
            yield client
