"""API keys: every endpoint but health answers 401 without a key and 403 with a wrong one; read-only
keys cannot write. Keys are compared as SHA-256 digests in constant time and may be configured hashed."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from api.core.config import Settings
from api.deps import Access, key_access
from api.main import create_app
from tests.api.helpers import READ, READ_KEY, READING_POSTS, WRITE, WRITE_KEY, make_settings

#: POST endpoints that only read: comparing and evaluating store nothing.


def _operations(client) -> list[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    return [
        (method.upper(), path.replace("{ref}", "x").replace("{run_id}", "x"))
        for path, item in schema["paths"].items()
        for method in item
        if not path.endswith("/health")
    ]


def test_every_endpoint_but_health_needs_a_valid_key(client):
    operations = _operations(client)
    assert len(operations) > 20
    for method, path in operations:
        assert client.request(method, path).status_code == 401, (method, path)
        assert client.request(method, path, headers={"X-API-Key": "wrong"}).status_code == 403, (method, path)
        assert client.request(method, path, headers={"X-API-Key": ""}).status_code == 401, (method, path)


def test_read_only_keys_cannot_write(client):
    for method, path in _operations(client):
        status = client.request(method, path, headers=READ).status_code
        if method == "GET" or path in READING_POSTS:
            assert status not in (401, 403), (method, path, status)
        else:
            assert status == 403, (method, path, status)


def test_write_keys_pass(client):
    assert client.get("/api/v1/datasets", headers=WRITE).status_code == 200


def test_without_configured_keys_everything_but_health_is_closed(tmp_path):
    settings = make_settings(tmp_path, api_keys="", read_only_api_keys="")
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/api/v1/datasets", headers=WRITE).status_code == 403
        assert client.get("/api/v1/datasets").status_code == 401


def test_keys_can_be_configured_as_sha256_digests(tmp_path):
    digest = hashlib.sha256(b"s3cret").hexdigest()
    settings = make_settings(tmp_path, api_keys=f"sha256:{digest}", read_only_api_keys="")
    assert key_access("s3cret", settings) is Access.write
    assert key_access(f"sha256:{digest}", settings) is None  # the digest itself is not a key
    assert b"s3cret" not in repr(settings).encode()


def test_keys_from_the_environment_are_comma_separated_and_never_shown(monkeypatch, tmp_path):
    monkeypatch.setenv("CAPPLAN_API_KEYS", f" {WRITE_KEY} , other ")
    monkeypatch.setenv("CAPPLAN_READ_ONLY_API_KEYS", READ_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/capplan")
    settings = Settings(data_dir=tmp_path)
    assert key_access(WRITE_KEY, settings) is Access.write
    assert key_access("other", settings) is Access.write
    assert key_access(READ_KEY, settings) is Access.read
    assert WRITE_KEY not in repr(settings)
    assert settings.sqlalchemy_url == "postgresql://u:p@db/capplan"


def test_a_malformed_hashed_key_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError):
        make_settings(tmp_path, api_keys="sha256:nothex")
