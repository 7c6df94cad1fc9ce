"""Persistence: the SQLAlchemy 2 engine, sessions and the database models.

Everything the service knows lives in the database, so a restart loses nothing and SQLite and
PostgreSQL behave the same: a dataset is one `datasets` row and one gzip-compressed CSV blob per
contract file (`dataset_files`); a scenario is its validated definition as JSON; a run is one
`runs` row (status, stage timings, error) and one gzip blob per result file (`run_results`: every
file `presentation.result_files.write_results` writes, plus the HTML report and the patient proposals when
the engine offers them). The schema is created and upgraded by Alembic (`api/migrations`).

SQLite runs in WAL mode with a busy timeout, so the API process and the run processes can write
at the same time; foreign keys are enforced so that deletes cascade, and `secure_delete` overwrites
what is deleted (patient-level data) instead of leaving it in free pages of the file.
"""

from __future__ import annotations

import datetime as dt
import gzip
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool

#: Run statuses. A run is `queued`, then in one of the engine's stages, then terminal.
QUEUED = "queued"
ACTIVE_STAGES = ("loading", "baseline", "building", "solving", "reporting", "simulating")
DONE, FAILED, CANCELLED = "done", "failed", "cancelled"
TERMINAL = (DONE, FAILED, CANCELLED)
RUN_STATUSES = (QUEUED, *ACTIVE_STAGES, *TERMINAL)


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def compress(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def decompress(data: bytes) -> bytes:
    return gzip.decompress(data)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


#: Constraint names, so that later migrations can alter them (SQLite batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DatasetRow(Base):
    """An uploaded dataset that passed validation; its files are in `dataset_files`."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    plan_start: Mapped[str] = mapped_column(String(10))
    size_bytes: Mapped[int] = mapped_column(Integer)
    rows: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class DatasetFileRow(Base):
    """One contract CSV file of a dataset, gzip-compressed."""

    __tablename__ = "dataset_files"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    rows: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class ScenarioRow(Base):
    """A validated scenario on a stored dataset."""

    __tablename__ = "scenarios"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    description: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)


class RunRow(Base):
    """One planning run of a scenario: status, stage timings, error; results in `run_results`."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default=QUEUED)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: stage name → ISO timestamp at which the run entered it
    stage_times: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    worker_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: a re-plan's previous run (its proposals anchor the plan: `optimizer.replan`); None for a fresh plan
    previous_run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), nullable=True)
    #: a simulation run's request and progress (draws, seed, replan, done); None for a plan run
    simulation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class RunResultRow(Base):
    """One result file of a finished run (CSV table, summary.json, report.html ...), gzip-compressed."""

    __tablename__ = "run_results"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


def make_engine(url: str, *, pooled: bool = True) -> Engine:
    """An engine for `url`; SQLite gets WAL, a 30 s busy timeout and enforced foreign keys.

    `hide_parameters`: a database error's message never shows the statement's parameters, which are
    the request's values (names, descriptions) or a dataset's content.
    """
    if not url.startswith("sqlite"):
        return create_engine(
            url, pool_pre_ping=True, hide_parameters=True, **({} if pooled else {"poolclass": NullPool})
        )
    engine = create_engine(
        url,
        hide_parameters=True,
        connect_args={"timeout": 30, "check_same_thread": False},
        **({} if pooled else {"poolclass": NullPool}),
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA secure_delete=ON")  # a deleted dataset's pages are zeroed, not left readable
        cursor.close()

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
