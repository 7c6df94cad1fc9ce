"""The app: CORS closed unless origins are configured, no-store and nosniff headers, the module-level app."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.helpers import READ, make_settings

PREFLIGHT = {"Origin": "https://planning.example", "Access-Control-Request-Method": "GET"}


def test_cors_is_closed_by_default(client):
    response = client.options("/api/v1/datasets", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in response.headers
    response = client.get("/api/v1/datasets", headers={**READ, "Origin": "https://planning.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_configured_origins_only(tmp_path):
    with TestClient(create_app(make_settings(tmp_path, cors_origins="https://planning.example"))) as client:
        allowed = client.options("/api/v1/datasets", headers=PREFLIGHT)
        assert allowed.headers["access-control-allow-origin"] == "https://planning.example"
        other = client.options("/api/v1/datasets", headers={**PREFLIGHT, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_responses_are_not_cached_or_sniffed(client):
    response = client.get("/api/v1/datasets", headers=READ)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_module_level_app_is_a_fastapi_app():
    from api.main import app

    assert app.title == "capplan" and "/api/v1/runs" in app.openapi()["paths"]


@pytest.mark.sqlite_only("the permissions of the SQLite file")
def test_the_sqlite_file_and_data_dir_are_private(client, settings):
    database = settings.sqlalchemy_url.removeprefix("sqlite:///")
    assert oct(Path(database).stat().st_mode & 0o777) == oct(0o600)
    assert oct((settings.data_dir / "staging").stat().st_mode & 0o777) == oct(0o700)
