"""Alembic environment of the capplan service.

The service calls `api.migrate.upgrade_database(engine)`, which hands its own connection over in
`config.attributes["connection"]`; the `alembic` command line instead connects to the URL of the
service settings (`CAPPLAN_DATABASE_URL` / `DATABASE_URL` / the SQLite file in the data dir).
"""

from __future__ import annotations

from alembic import context

from api.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch mode to ALTER tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    from api.core.config import Settings

    if config.config_file_name is not None:  # the alembic command line: log as alembic.ini says
        from logging.config import fileConfig

        fileConfig(config.config_file_name, disable_existing_loggers=False)
    settings = Settings()
    if settings.sqlalchemy_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url, pooled=False)
    with engine.connect() as connection:
        _configure_and_run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("capplan's migrations run online only: `alembic upgrade head`")
run_migrations_online()
