"""Health needs no key and tells nothing else; version needs a key."""

from __future__ import annotations

from tests.api.helpers import READ


def test_health_needs_no_key(client):
    for path in ("/health", "/api/v1/health"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}


def test_version_needs_a_key(client):
    assert client.get("/api/v1/version").status_code == 401
    body = client.get("/api/v1/version", headers=READ).json()
    assert body["name"] == "capplan" and body["api_version"] == "v1" and body["version"]


def test_openapi_documents_every_route_and_the_key(client):
    schema = client.get("/openapi.json").json()
    assert "X-API-Key" in str(schema["components"]["securitySchemes"])
    assert {
        "/api/v1/datasets",
        "/api/v1/scenarios",
        "/api/v1/runs",
        "/api/v1/compare",
        "/api/v1/evaluate",
        "/api/v1/runs/{run_id}/allocations",
    } <= set(schema["paths"])
    assert "DatasetPayload" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 200
