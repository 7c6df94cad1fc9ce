"""API fuzzing with schemathesis over the whole OpenAPI schema (issue 8, item 1).

The app runs in-process (schemathesis' ASGI transport) on a temporary database holding a small
dataset, two scenarios and one finished run, so that generated requests reach real results as well
as 404s. Every operation gets at most `MAX_EXAMPLES` generated cases, sent with a read-write key;
each response must not be a 5xx and must conform to the schema (status code, content type, body,
headers). Path parameters, and the scenario/run references in bodies and queries, are sometimes
swapped for stored ones (`flatmap` hooks), so results, comparisons and evaluations are fuzzed on data
that exists. DELETE operations only ever see generated (unknown) references, so the stored data stays.
The number of cases run is counted (`fuzz cases`, printed at the end of the session).

The fuzzing runs once per database (SQLite, and PostgreSQL when CAPPLAN_TEST_POSTGRES_URL is set:
`tests/api/databases.py`), where NUL bytes and lone surrogates in generated strings meet a database
that cannot store them. An app object is built at import for the OpenAPI document (schemathesis
needs it to generate one test per operation) and never started; the module's fixture builds and
starts the app of each database, under a folder that is removed afterwards.

To explore beyond the fixed CI budget: `CAPPLAN_FUZZ_RANDOM=1` (new random cases each run instead of
the same derandomized ones) and `CAPPLAN_FUZZ_EXAMPLES=100` (cases per operation; default 15).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
import schemathesis  # in the test extra: a missing fuzzer must fail CI, not skip it
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import checks as _checks
from schemathesis.python import asgi
from schemathesis.transport.serialization import Binary, serialize_binary

from api.main import create_app
from tests.api.helpers import WRITE, YAML, ZIP, make_settings, scenario_yaml, wait_for_run
from tests.reliability.figures import record
from tests.reliability.support import without_capplan_environment

MAX_EXAMPLES = int(os.environ.get("CAPPLAN_FUZZ_EXAMPLES", "15"))
#: The checks of issue 8: no server errors, and every response as the schema documents it.
CHECKS = [
    _checks.not_a_server_error,
    _checks.status_code_conformance,
    _checks.content_type_conformance,
    _checks.response_schema_conformance,
    _checks.response_headers_conformance,
]

BASE = Path(tempfile.gettempdir()) / f"capplan-fuzz-{uuid.uuid4().hex[:12]}"
with pytest.MonkeyPatch.context() as _monkeypatch:  # settings from this module, never the environment
    without_capplan_environment(_monkeypatch)
    APP = create_app(make_settings(BASE, max_concurrent_runs=2, run_reports=True))  # the schema's, never started
#: The coverage phase derives hundreds of boundary cases from the JSON dataset upload's large schema;
#: that operation is fuzzed by the generation phase only, to keep the whole run within CI's budget.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "operations": [
            {"include-path": "/api/v1/datasets", "include-method": "POST", "phases": {"coverage": {"enabled": False}}}
        ]
    }
)
schema = schemathesis.openapi.from_dict(APP.openapi(), config=CONFIG)
schema.app = APP  # schemathesis' ASGI transport: requests go in-process (to `CURRENT["app"]`)
#: Stored references, filled in by the `stored` fixture before the first case is generated.
KNOWN: dict[str, list[str]] = {}
KNOWN_ZIP: list[bytes] = []
#: The started app of the database variant being fuzzed, and the operations fuzzed per variant.
CURRENT: dict[str, Any] = {}
OPERATIONS: dict[str, set[str]] = {}


@pytest.fixture(scope="module", autouse=True)
def stored(small_zip, backend):
    """Start the variant's app (schemathesis keeps its lifespan), store a dataset, scenarios and a finished run."""
    base = BASE / backend.name
    with pytest.MonkeyPatch.context() as monkeypatch:
        without_capplan_environment(monkeypatch)
        settings = make_settings(base, max_concurrent_runs=2, run_reports=True, database_url=backend.url(base))
    app = create_app(settings)
    CURRENT.update(app=app, backend=backend.name)
    KNOWN.clear()
    KNOWN_ZIP.clear()
    try:
        with asgi.get_client(app) as client:
            dataset = client.post("http://testserver/api/v1/datasets", data=small_zip, headers=ZIP)
            assert dataset.status_code == 201, dataset.text
            scenario_ids = []
            for name in ("base", "other"):
                response = client.post(
                    "http://testserver/api/v1/scenarios", data=scenario_yaml(name, "rd1", horizon=3), headers=YAML
                )
                assert response.status_code == 201, response.text
                scenario_ids.append(response.json()["id"])
            run = client.post("http://testserver/api/v1/runs", json={"scenario": "base"}, headers=WRITE).json()
            assert wait_for_run(_Prefixed(client), run["id"])["status"] == "done"
        KNOWN_ZIP.append(small_zip)
        KNOWN.update(
            ref=[dataset.json()["id"], "rd1", "base", *scenario_ids],
            run_id=[run["id"]],
            scenario=["base", "other"],
        )
        yield
    finally:
        asgi.shutdown_lifespans()  # stops the app's dispatcher
        CURRENT.clear()
        shutil.rmtree(BASE, ignore_errors=True)


class _Prefixed:
    """`wait_for_run` wants `client.get(path, headers=...)`; the ASGI client wants absolute URLs."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **kwargs):
        return self.client.get(f"http://testserver{path}", **kwargs)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters or context.operation is None or context.operation.method.upper() == "DELETE":
        return st.just(path_parameters)
    swapped = {key: st.sampled_from(KNOWN[key]) for key in path_parameters if key in KNOWN}
    fixed = {key: st.just(value) for key, value in path_parameters.items()}
    return st.one_of(st.just(path_parameters), st.fixed_dictionaries({**fixed, **swapped}))


@schemathesis.serializer("application/zip")
def _zip_body(_context, value):
    """Zip bodies are raw bytes: generated ones, or the stored dataset's zip (whole or cut short)."""
    return {"data": serialize_binary(value)}


def _near_valid_scenarios():
    """Scenarios with the right shape but values from the edges: unknown hospitals, odd weeks, ..."""
    week = st.one_of(
        st.just("2025-W14"), st.sampled_from(["2025-W18", "2025-W53", "2026-W01", "1970-W01", "2025-W99", "W14"])
    )
    hospital = st.sampled_from(["r0_county", "r1_district", "private", "nowhere", "../etc", ""])
    procedure = st.sampled_from(["hip", "cataract", "knee", "hip;drop"])
    factor = st.floats(-1, 150)  # NaN and infinity: JSON cannot carry them (see test_scenarios)
    change = st.one_of(
        st.builds(lambda h, f: {"capacity": {"hospital_id": h, "factor": f}}, hospital, factor),
        st.builds(lambda h, w: {"close_hospital": {"hospital_id": h, "weeks": w}}, hospital, week),
        st.builds(lambda h, p: {"capability": {"hospital_id": h, "procedure_id": p}}, hospital, procedure),
        st.builds(lambda f, p: {"demand": {"factor": f, "procedure_id": p}}, factor, procedure),
        st.builds(lambda h, d: {"beds": {"hospital_id": h, "bed_days": d}}, hospital, st.floats(-5, 1e7)),
    )
    agreement = st.fixed_dictionaries(
        {
            "payer_region": st.sampled_from(["r0", "r1", "r9"]),
            "provider_hospital": hospital,
            "min_cases": st.floats(0, 1e6),
        }
    )
    return st.fixed_dictionaries(
        {
            "name": st.from_regex(r"fz[a-z0-9]{1,12}", fullmatch=True),
            "dataset": st.sampled_from(["rd1", "missing"]),
            "start_week": week,
            "horizon_weeks": st.one_of(st.integers(1, 6), st.integers(-3, 300)),
            "changes": st.lists(change, max_size=2),
            "policy": st.fixed_dictionaries({"agreements": st.lists(agreement, max_size=1)}),
        }
    )


@schema.hook
def flatmap_body(context, body):
    path = context.operation.path if context.operation is not None else ""
    if isinstance(body, bytes | Binary):
        archive = KNOWN_ZIP[0]
        return st.sampled_from([body, archive, archive[: len(archive) // 2], archive[:-22]])
    if path == "/api/v1/scenarios" and (isinstance(body, str) or (isinstance(body, dict) and "file" not in body)):
        return st.one_of(st.just(body), _near_valid_scenarios())  # schemathesis writes it as YAML or JSON
    if not isinstance(body, dict) or not path.startswith(("/api/v1/evaluate", "/api/v1/compare")):
        return st.just(body)  # POST /runs keeps its generated scenario: no run processes during fuzzing
    options = [st.just(body)]
    if isinstance(body.get("scenario"), str):
        options.append(st.sampled_from(KNOWN["scenario"]).map(lambda name: {**body, "scenario": name}))
    if isinstance(body.get("runs"), list) and body["runs"]:
        options.append(st.just({**body, "runs": KNOWN["run_id"] * min(len(body["runs"]), 3)}))
    if "allocations" in body:
        options.append(st.just({**body, "scenario": "base", "optimum_run": KNOWN["run_id"][0]}))
    return st.one_of(options)


@schema.hook
def flatmap_query(context, query):
    if not isinstance(query, dict) or not isinstance(query.get("scenario"), str):
        return st.just(query)
    return st.one_of(st.just(query), st.sampled_from(KNOWN["scenario"]).map(lambda name: {**query, "scenario": name}))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CAPPLAN_FUZZ_RANDOM") is None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
def test_every_operation_answers_as_documented_and_never_5xx(case):
    record("fuzz cases")
    OPERATIONS.setdefault(CURRENT["backend"], set()).add(case.operation.label)
    case.call_and_validate(app=CURRENT["app"], headers=WRITE, checks=CHECKS)


def test_the_fuzzing_covered_every_operation(backend):
    """Runs after the fuzzing (same module, same database): every operation of the schema got cases."""
    labels = {operation.ok().label for operation in schema.get_all_operations()}
    fuzzed = OPERATIONS.get(backend.name, set())
    assert labels == fuzzed, labels - fuzzed
    record(f"fuzzed operations ({backend.name})", len(fuzzed))
