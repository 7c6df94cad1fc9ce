"""The Alembic migrations create exactly the schema of the models (on SQLite and on PostgreSQL), and
upgrading twice is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from api.db import Base, make_engine
from api.migrate import upgrade_database


def test_migrations_match_the_models(tmp_path, backend):
    engine = make_engine(backend.url(tmp_path))
    upgrade_database(engine)
    upgrade_database(engine)  # already at head: nothing to do
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
        assert MigrationContext.configure(connection).get_current_revision() == "0003"
    assert {"datasets", "dataset_files", "scenarios", "runs", "run_results"} <= set(inspect(engine).get_table_names())
    engine.dispose()
