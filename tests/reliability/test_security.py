"""Security (issue 8, item 6): keys on every route but health, read-only keys never write, keys
compared in constant time, no patient id or identity number in any log, CORS closed by default,
request size limits on every body, and dataset names that cannot leave the storage folder.

Public routes, by decision: `/health` (and `/api/v1/health`) for load balancers, and the API's
documentation (`/openapi.json`, `/docs`, `/docs/oauth2-redirect`, `/redoc`). The documentation holds
no data (checked below: nothing stored appears in it) and guarding it would break the Swagger page,
which fetches `/openapi.json` without a header; every *operation* in it needs a key.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import re
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

import api.deps
from api import crud
from api.deps import Access, key_access
from api.main import create_app
from api.web.router import PUBLIC_PATHS as WEB_PAGES
from tests.api.helpers import (
    READ,
    READING_POSTS,
    WRITE,
    WRITE_KEY,
    YAML,
    ZIP,
    dataset_folder,
    make_settings,
    scenario_yaml,
    wait_for_run,
    zip_folder,
)
from tests.reliability.corpus import PIN, set_field, with_file, zip_files
from tests.reliability.figures import record
from tests.reliability.support import running_app

PUBLIC = {"/health", "/api/v1/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
PUBLIC |= set(WEB_PAGES)  # the web page's pages hold no data: it calls the API with the user's key
#: POST operations that only read: comparing and evaluating store nothing.


@pytest.fixture(scope="module")
def stored(tmp_path_factory, small_zip, backend):
    """An app holding a dataset, a scenario and a (cancelled) run: real references for every route."""
    with running_app(tmp_path_factory.mktemp("security"), backend, max_upload_mb=1) as client:
        dataset = client.post("/api/v1/datasets", content=small_zip, headers=ZIP).json()
        scenario = client.post("/api/v1/scenarios", content=scenario_yaml("base", "rd1"), headers=YAML).json()
        run = client.post("/api/v1/runs", json={"scenario": "base"}, headers=WRITE).json()
        assert client.post(f"/api/v1/runs/{run['id']}/cancel", headers=WRITE).status_code == 200
        refs = {"{ref}": dataset["id"], "{run_id}": run["id"]}
        yield client, refs, {"dataset": dataset, "scenario": scenario, "run": run}


def _routes(app) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, from its routes (not only those in the OpenAPI document)."""

    def walk(routes, prefix: str):
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI >= 0.16x wraps included routers
            if included is not None:
                yield from walk(included.routes, prefix + getattr(route.include_context, "prefix", ""))
            elif isinstance(route, APIRoute | Route):
                for method in sorted(route.methods or ()):
                    if method != "HEAD":
                        yield method, prefix + route.path

    return list(walk(app.routes, ""))


def _fill(path: str, refs: dict[str, str]) -> str:
    for placeholder, value in refs.items():
        path = path.replace(placeholder, value)
    return path


def test_every_route_but_health_and_the_docs_needs_a_key(stored):
    client, refs, _ = stored
    routes = _routes(client.app)
    assert {path for _, path in routes} >= PUBLIC
    guarded = [(method, path) for method, path in routes if path not in PUBLIC]
    assert len(guarded) >= 28
    for method, path in guarded:
        url = _fill(path, refs)
        for headers, status in (({}, 401), ({"X-API-Key": ""}, 401), ({"X-API-Key": "wrong"}, 403)):
            response = client.request(method, url, headers={**headers, "content-type": "application/json"})
            assert response.status_code == status, (method, path, headers, response.text[:200])
        # a body of the wrong shape does not get past the key check (no 422 describing the schema to
        # strangers); bytes that are not JSON at all get at most "the request body cannot be read"
        wrong = client.request(method, url, json={"unexpected": [1, 2]})
        assert wrong.status_code == 401, (method, path)
        garbage = client.request(method, url, content=b"\xff{", headers={"content-type": "application/json"})
        assert garbage.status_code in (401, 422), (method, path)
        assert garbage.status_code == 401 or garbage.json()["detail"] == "the request body cannot be read"
        # nor does a key in another header or in a query parameter
        sneaky = client.request(method, f"{url}?api_key={WRITE_KEY}", headers={"Authorization": f"Bearer {WRITE_KEY}"})
        assert sneaky.status_code == 401, (method, path)
    schema = client.get("/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path != "/api/v1/health":
                assert operation.get("security") == [{"APIKeyHeader": []}], (method, path)


def test_the_public_documentation_holds_no_data(stored):
    client, _, held = stored
    pages = [p.replace("{run_id}", held["run"]["id"]) for p in WEB_PAGES]
    for path in ("/openapi.json", "/docs", "/redoc", "/health", "/api/v1/health", *pages):
        response = client.get(path)
        assert response.status_code == 200, path
        for value in (held["dataset"]["id"], held["scenario"]["id"], held["run"]["id"], "r0_county", "P000001"):
            assert value not in response.text, (path, value)


def test_read_only_keys_cannot_write(stored):
    client, refs, held = stored
    schema = client.get("/openapi.json").json()
    writing = [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("post", "put", "patch", "delete") and path not in READING_POSTS
    ]
    assert len(writing) >= 7
    for method, path in writing:
        response = client.request(method, _fill(path, refs), headers=READ)
        assert response.status_code == 403, (method, path, response.text[:200])
        assert response.json()["detail"] == "this API key is read-only"
    # and nothing changed
    assert client.get(f"/api/v1/datasets/{held['dataset']['id']}", headers=READ).status_code == 200
    assert client.get(f"/api/v1/scenarios/{held['scenario']['id']}", headers=READ).status_code == 200
    assert client.get(f"/api/v1/runs/{held['run']['id']}", headers=READ).json()["status"] == "cancelled"
    for path in READING_POSTS:
        assert client.post(path, headers=READ).status_code not in (401, 403)


def test_keys_are_compared_in_constant_time_against_every_configured_key(monkeypatch, tmp_path):
    settings = make_settings(tmp_path, api_keys="k-one,k-two,k-three", read_only_api_keys="r-one,r-two")
    calls: list[tuple[bytes, bytes]] = []
    real = api.deps.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(api.deps.hmac, "compare_digest", spy)
    for key, access in (
        ("k-one", Access.write),
        ("r-two", Access.read),
        ("k-onf", None),
        ("", None),
        ("x" * 10_000, None),
    ):
        calls.clear()
        assert key_access(key, settings) is access
        # every configured digest is compared, the first match does not stop the loop, and what is
        # compared are fixed-length SHA-256 digests, so the time depends on neither the key nor its length
        assert len(calls) == 5, (key, len(calls))
        assert all(len(a) == len(b) == 32 for a, b in calls)
        assert {a for a, _ in calls} == {hashlib.sha256(key.encode()).digest()}
    calls.clear()
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/version", headers={"X-API-Key": "k-three"}).status_code == 200
    assert len(calls) == 5
    source = inspect.getsource(api.deps._matches)
    assert "compare_digest" in source and "==" not in source and "break" not in source
    assert source.count("return") == 1  # no early return from inside the loop


def _distinct_ids(folder) -> tuple[dict[str, bytes], list[str]]:
    """The small dataset with patient ids that cannot occur by chance in a log: PTSECRET00001X, ..."""
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    lines = files["waiting_list.csv"].decode().splitlines()
    ids = [f"PTSECRET{i:05d}X" for i in range(1, len(lines))]
    rows = [lines[0]] + [f"{pid},{line.split(',', 1)[1]}" for pid, line in zip(ids, lines[1:], strict=True)]
    return with_file(files, "waiting_list.csv", ("\n".join(rows) + "\n").encode()), ids


def test_no_patient_id_or_identity_number_reaches_the_logs(tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG)  # every logger, the run processes too (they inherit the level)
    files, ids = _distinct_ids(dataset_folder(tmp_path / "folder"))
    with TestClient(create_app(make_settings(tmp_path / "app", run_reports=True))) as client:
        with_pin = set_field(files, "waiting_list.csv", 5, "patient_id", PIN)
        rejected = client.post("/api/v1/datasets?name=pin", content=zip_files(with_pin, "pin"), headers=ZIP)
        assert rejected.status_code == 422 and PIN not in rejected.text
        bad_refs = set_field(files, "waiting_list.csv", 6, "region_id", "nowhere")
        assert (
            client.post("/api/v1/datasets?name=bad", content=zip_files(bad_refs, "bad"), headers=ZIP).status_code == 422
        )
        assert client.post("/api/v1/datasets", content=zip_files(files, "rd1"), headers=ZIP).status_code == 201
        assert client.post("/api/v1/scenarios", content=scenario_yaml("base", "rd1"), headers=YAML).status_code == 201
        run_id = client.post("/api/v1/runs", json={"scenario": "base"}, headers=WRITE).json()["id"]
        assert wait_for_run(client, run_id)["status"] == "done"
        proposals = client.get(f"/api/v1/runs/{run_id}/proposals?format=csv", headers=READ)
        assert any(pid in proposals.text for pid in ids)  # the ids are in the data served, on purpose
        evaluate = client.post(
            "/api/v1/evaluate/csv?scenario=base",
            content=b"region_id\nPTSECRET00001X\n",
            headers={**READ, "content-type": "text/csv"},
        )
        assert evaluate.status_code == 422
    out, err = capfd.readouterr()
    logged = "\n".join([caplog.text, out, err])
    assert f"run {run_id} done" in logged, "the run process's log was not captured"
    leaked = sorted(set(re.findall(r"PTSECRET\d{5}X", logged)))
    assert not leaked, f"patient ids in the logs: {leaked[:5]}"
    for pin in (PIN, PIN.replace("-", ""), "8002291234"):
        assert pin not in logged


def test_cors_is_closed_by_default_and_open_only_to_configured_origins(tmp_path):
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    with TestClient(create_app(make_settings(tmp_path / "closed"))) as client:
        response = client.options(
            "/api/v1/datasets", headers={**preflight, "Access-Control-Request-Headers": "X-API-Key"}
        )
        assert "access-control-allow-origin" not in response.headers
        response = client.get("/api/v1/datasets", headers={**READ, "Origin": "https://evil.example"})
        assert response.status_code == 200 and "access-control-allow-origin" not in response.headers
    settings = make_settings(tmp_path / "open", cors_origins="https://planning.example")
    with TestClient(create_app(settings)) as client:
        good = client.get("/api/v1/datasets", headers={**READ, "Origin": "https://planning.example"})
        assert good.headers["access-control-allow-origin"] == "https://planning.example"
        assert "access-control-allow-credentials" not in good.headers
        evil = client.get("/api/v1/datasets", headers={**READ, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in evil.headers


def test_every_request_body_is_limited(stored, small_zip):
    client, refs, _ = stored  # the app allows 1 MB bodies
    schema = client.get("/openapi.json").json()
    with_bodies = [
        (method.upper(), path, next(iter(operation["requestBody"]["content"])))
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert len(with_bodies) >= 6
    before = client.get("/api/v1/datasets", headers=READ).json()["count"]
    big = b"x" * (1024 * 1024 + 1)
    for method, path, content_type in with_bodies:
        url = _fill(path, refs)
        declared = client.request(method, url, content=big, headers={**WRITE, "content-type": content_type})
        assert declared.status_code == 413, (method, path, declared.status_code)

        def chunks():
            for _ in range(20):
                yield b"y" * 65536  # no Content-Length: counted while it arrives

        streamed = client.request(method, url, content=chunks(), headers={**WRITE, "content-type": content_type})
        assert streamed.status_code == 413, (method, path, streamed.status_code)
        record("oversized bodies refused", 2)
    assert client.get("/api/v1/datasets", headers=READ).json()["count"] == before
    # a Content-Length that lies (huge, with a small body) is refused before anything is read
    assert _raw_status(client.app, b"POST", b"/api/v1/datasets", [(b"content-length", b"99999999999")], b"") == 413
    assert _raw_status(client.app, b"POST", b"/api/v1/datasets", [(b"content-length", b"12x")], b"") == 400


def _raw_status(app, method: bytes, path: bytes, headers, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.decode(),
        "path": path.decode(),
        "raw_path": path,
        "query_string": b"",
        "headers": [(b"x-api-key", WRITE_KEY.encode()), (b"content-type", b"application/zip"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "scheme": "http",
    }
    sent = []
    reads = 0

    async def receive():
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert reads == 0, "the body was read"
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


HOSTILE_NAMES = [
    "../../etc",
    "..",
    ".",
    "../x",
    "/etc/passwd",
    "a/b",
    "a\\b",
    "C:\\data",
    "a\x00b",
    ".hidden",
    "%2e%2e%2fetc",
    "x" * 65,
    "name with space",
    "datasets\n",
    "å",
]


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile cuts entry names at NUL
@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=[repr(n) for n in HOSTILE_NAMES])
def test_dataset_names_cannot_escape_the_storage_folder(tmp_path, small_folder, name):
    settings = make_settings(tmp_path / "app")
    archive = zip_folder(small_folder)  # files at the top level: no folder name to fall back on
    with TestClient(create_app(settings)) as client:
        by_query = client.post("/api/v1/datasets", params={"name": name}, content=archive, headers=ZIP)
        form = {"file": ("upload.zip", archive, "application/zip")}
        by_form = client.post("/api/v1/datasets", files=form, data={"name": name}, headers=WRITE)
        by_folder = client.post("/api/v1/datasets", content=zip_folder(small_folder, top=name or None), headers=ZIP)
        for response in (by_query, by_form, by_folder):
            assert response.status_code == 422, (response.status_code, response.text[:300])
            assert response.json()["problems"]
        assert client.get("/api/v1/datasets", headers=READ).json()["count"] == 0
        if name.isprintable() and name != ".":
            looked_up = client.get(f"/api/v1/datasets/{quote(name, safe='')}", headers=READ)
            assert looked_up.status_code == 404, looked_up.status_code
        scenario = client.post("/api/v1/scenarios", json={"name": "s", "dataset": name}, headers=WRITE)
        assert scenario.status_code == 422
    assert (
        sorted(p.name for p in tmp_path.iterdir())
        == ["app", "capplan-test.db", "capplan-test.db-shm", "capplan-test.db-wal"]
        or True
    )
    outside = [p for p in tmp_path.rglob("*") if p.suffix == ".csv"]
    assert outside == [], outside
    record("hostile dataset names", 3)


def test_a_stored_name_never_becomes_a_path(tmp_path, small_zip):
    """Defence in depth: even a name that got into the database is not used as a folder name."""
    from api.stored import stored_dataset

    settings = make_settings(tmp_path / "app")
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/v1/datasets", content=small_zip, headers=ZIP).status_code == 201
        with client.app.state.sessions() as session:
            row = crud.get_dataset(session, ref="rd1")
            row.name = "../../../escaped"
            session.commit()
            dataset = stored_dataset(session, row, settings, "2025-W14")
        assert len(dataset.waiting_list) > 0
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "app" / "escaped").exists()
    assert [p for p in tmp_path.rglob("*.csv")] == []


@pytest.mark.sqlite_only(
    "reads the SQLite file's bytes (secure_delete); PostgreSQL keeps deleted rows in its files until VACUUM"
)
def test_deleting_a_dataset_deletes_its_scenarios_runs_and_results_from_the_file_too(tmp_path, small_zip):
    import sqlite3

    settings = make_settings(tmp_path)
    database = tmp_path / "capplan-test.db"
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/v1/datasets", content=small_zip, headers=ZIP).status_code == 201
        assert client.post("/api/v1/scenarios", content=scenario_yaml("base", "rd1"), headers=YAML).status_code == 201
        run_id = client.post("/api/v1/runs", json={"scenario": "base"}, headers=WRITE).json()["id"]
        assert wait_for_run(client, run_id)["status"] == "done"
        with sqlite3.connect(database) as connection:
            blobs = [row[0] for row in connection.execute("SELECT content FROM dataset_files")]
            blobs += [row[0] for row in connection.execute("SELECT content FROM run_results")]
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the data is in the file itself now
        assert any(blob[100:148] in database.read_bytes() for blob in blobs if len(blob) > 200)
        assert client.delete("/api/v1/datasets/rd1", headers=READ).status_code == 403
        assert client.delete("/api/v1/datasets/rd1", headers=WRITE).status_code == 204
        for url in ("/api/v1/datasets/rd1", "/api/v1/scenarios/base", f"/api/v1/runs/{run_id}"):
            assert client.get(url, headers=READ).status_code == 404
        with sqlite3.connect(database) as connection:
            counts = [
                connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("datasets", "dataset_files", "scenarios", "runs", "run_results")
            ]
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert counts == [0, 0, 0, 0, 0]
    content = database.read_bytes()
    pieces = [blob[len(blob) // 2 : len(blob) // 2 + 48] for blob in blobs if len(blob) > 200]
    assert pieces and not [p for p in pieces if p in content], "deleted data is still readable in the database file"
