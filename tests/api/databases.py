"""The databases the API and reliability tests run on: SQLite always, PostgreSQL when asked for.

Every test of tests/api and tests/reliability runs once per database (ids `[sqlite]`, `[postgres]`),
unless it is marked `sqlite_only` or `postgres_only` (what it checks belongs to one database: a
SQLite file's permissions, its pragmas). The PostgreSQL variants need a server:

    CAPPLAN_TEST_POSTGRES_URL=postgresql+psycopg://user@host/dbname pytest

where `user` may create schemas in `dbname` (`.ci/run` starts a throwaway cluster and sets it).
Without the variable the PostgreSQL variants are skipped, except in CI (`CI=true`), where they fail:
CI must not pass without them. A set but unreachable URL always fails.

Each test gets a fresh database: a SQLite file in its folder, or a new PostgreSQL schema (the
connection's `search_path`; creating one takes well under a millisecond, a database 150 ms), dropped
at the end of the test. `make_settings(base)` gives the same database for the same `base` within a
test, as a SQLite file in `base` would be. Fixtures broader than a test (module, session) ask for
`backend` and pass `backend.url(base)` themselves; their schemas are dropped at the end of the session.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

URL_VARIABLE = "CAPPLAN_TEST_POSTGRES_URL"
#: Read at import: the tests' environment cleaning removes every CAPPLAN_ variable before each test.
POSTGRES_URL = os.environ.get(URL_VARIABLE, "").strip()
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
NAMES = ("sqlite", "postgres")


class Sqlite:
    """A SQLite file in the test's folder (what the service uses by default)."""

    name = "sqlite"

    def url(self, base: Path) -> str:
        return f"sqlite:///{base / 'capplan-test.db'}"

    def begin_test(self) -> None:
        pass

    def end_test(self) -> None:
        pass

    def close(self) -> None:
        pass


class Postgres:
    """A schema per database asked for, on the server of `CAPPLAN_TEST_POSTGRES_URL`."""

    name = "postgres"

    def __init__(self, url: str):
        self.server = make_url(url)
        self.admin: Engine = create_engine(self.server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with self.admin.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            self.admin.dispose()
            pytest.fail(f"{URL_VARIABLE} is set, but its server cannot be reached: {type(exc).__name__}: {exc}")
        self._in_test: dict[Path, str] | None = None
        self._outside_tests: dict[Path, str] = {}

    def url(self, base: Path) -> str:
        """The URL of a new schema for `base` (the same one for the same `base` within a test)."""
        schemas = self._in_test if self._in_test is not None else self._outside_tests
        key = Path(base).resolve()
        if key not in schemas:
            schema = f"capplan_test_{uuid.uuid4().hex[:16]}"
            with self.admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            schemas[key] = schema
        schema = schemas[key]
        query = dict(self.server.query)
        options = " ".join(filter(None, [query.get("options", ""), f"-csearch_path={schema}"]))
        # the application name marks the schema's connections, so that they can be ended before the drop
        url = self.server.update_query_dict({"options": options, "application_name": schema})
        return url.render_as_string(hide_password=False)

    def begin_test(self) -> None:
        self._in_test = {}

    def end_test(self) -> None:
        schemas, self._in_test = self._in_test or {}, None
        self._drop(schemas.values())

    def close(self) -> None:
        self._drop(self._outside_tests.values())
        self._outside_tests = {}
        self.admin.dispose()

    def _drop(self, schemas) -> None:
        with self.admin.connect() as connection:
            for schema in schemas:
                # run processes of a test may still be connected (a cancelled run that is being stopped)
                connection.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": schema},
                )
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


_current: Sqlite | Postgres | None = None


def current() -> Sqlite | Postgres:
    """The database of the running test (SQLite outside of tests, e.g. at import)."""
    return _current or Sqlite()


def open_backend(name: str) -> Sqlite | Postgres:
    if name == "sqlite":
        return Sqlite()
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail(f"CI=true but {URL_VARIABLE} is not set: the PostgreSQL variants must run in CI")
        pytest.skip(f"PostgreSQL variant: set {URL_VARIABLE}=postgresql+psycopg://user@host/db to run it")
    return Postgres(POSTGRES_URL)


def parametrize(metafunc: pytest.Metafunc) -> None:
    """Run a test that uses `backend` once per database its markers allow."""
    if "backend" not in metafunc.fixturenames:
        return
    names = list(NAMES)
    if metafunc.definition.get_closest_marker("sqlite_only"):
        names = ["sqlite"]
    elif metafunc.definition.get_closest_marker("postgres_only"):
        names = ["postgres"]
    metafunc.parametrize("backend", names, indirect=True, scope="session")


# --- fixtures (imported by tests/api/conftest.py and tests/reliability/conftest.py) -----------------


@pytest.fixture(scope="session")
def backend(request):
    """The database of this variant of the test (parametrized by `parametrize`)."""
    opened = open_backend(getattr(request, "param", "sqlite"))
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def database(backend):
    """Every test runs on `backend`: `make_settings` gives it fresh databases, dropped afterwards."""
    global _current
    backend.begin_test()
    _current = backend
    try:
        yield backend
    finally:
        _current = None
        backend.end_test()
