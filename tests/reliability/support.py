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
def running_app(base: Path, **overrides) -> Iterator[TestClient]:
    """A started app (lifespan) on `make_settings(base, **overrides)`, none of them from the environment;
    for module-scoped fixtures, which the per-test environment cleaning comes too late for."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        without_capplan_environment(monkeypatch)
        with TestClient(create_app(make_settings(base, **overrides))) as client:
            yield client
