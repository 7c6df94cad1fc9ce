"""Settings of the HTTP service, every one an environment variable (prefix `CAPPLAN_`).

| variable | default | meaning |
|---|---|---|
| `CAPPLAN_DATA_DIR` | `$XDG_DATA_HOME/capplan` or `~/.local/share/capplan` | SQLite file and staging folders |
| `CAPPLAN_DATABASE_URL` or `DATABASE_URL` | `sqlite:///<data dir>/capplan.db` | SQLAlchemy URL (PostgreSQL works) |
| `CAPPLAN_API_KEYS` | none | read-write keys, comma separated (`sha256:<hex>` for a hashed key) |
| `CAPPLAN_READ_ONLY_API_KEYS` | none | read-only keys, comma separated (same forms) |
| `CAPPLAN_MAX_CONCURRENT_RUNS` | 2 | run processes at once; further runs queue |
| `CAPPLAN_RUN_TIMEOUT_SECONDS` | 3600 | a run still going after this long is stopped and failed |
| `CAPPLAN_MAX_UPLOAD_MB` | 50 | largest request body (413 above) |
| `CAPPLAN_MAX_UNCOMPRESSED_MB` | 500 | largest total size of an uploaded zip's files once extracted |
| `CAPPLAN_MAX_ZIP_MEMBERS` | 64 | most entries (files and folders) in an uploaded zip |
| `CAPPLAN_CORS_ORIGINS` | none | origins allowed to call from a browser, comma separated; none = CORS closed |
| `CAPPLAN_RUN_REPORTS` | true | write each run's HTML report (turn off for large sweeps) |

Keys are never kept in clear text: each is turned into its SHA-256 digest when the settings load,
and a presented key's digest is compared with `hmac.compare_digest` against every configured digest.
With no key configured every guarded endpoint answers 401: the service is closed by default.
"""

from __future__ import annotations

import hashlib
import os
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "capplan"


def key_digest(key: str) -> bytes:
    """SHA-256 digest of an API key (what is kept and compared)."""
    return hashlib.sha256(key.encode("utf-8")).digest()


def _split(value: object) -> object:
    """Comma-separated text → list of trimmed, non-empty items (lists pass through)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """The service's settings; see the module docstring for the environment variables."""

    model_config = SettingsConfigDict(env_prefix="CAPPLAN_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CAPPLAN_DATABASE_URL", "DATABASE_URL", "database_url")
    )
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    read_only_api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    max_concurrent_runs: int = Field(default=2, ge=1, le=64)
    run_timeout_seconds: float | None = Field(default=3600.0, gt=0)
    max_upload_mb: float = Field(default=50.0, gt=0)
    max_uncompressed_mb: float = Field(default=500.0, gt=0)
    max_zip_members: int = Field(default=64, ge=10, le=10_000)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Write the HTML report of every run (about 2 s and 1.5 MB compressed per run: plotly is inline).
    run_reports: bool = True
    #: Seconds between the dispatcher's checks of the queue (it is also woken on every submit/cancel).
    dispatch_interval_seconds: float = Field(default=0.5, gt=0, le=60)

    @field_validator("api_keys", "read_only_api_keys", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split(value)

    @model_validator(mode="after")
    def _keys_readable(self) -> Settings:
        _ = self.write_key_digests, self.read_key_digests  # a malformed sha256: entry fails here, at start
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL: `database_url`, else a SQLite file in the data dir."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'capplan.db').resolve()}"
        if url.startswith("postgres://"):  # Heroku-style URLs; SQLAlchemy wants postgresql://
            url = "postgresql://" + url.removeprefix("postgres://")
        return url

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_uncompressed_bytes(self) -> int:
        return int(self.max_uncompressed_mb * 1024 * 1024)

    @cached_property
    def write_key_digests(self) -> tuple[bytes, ...]:
        return tuple(_digest_of(k.get_secret_value()) for k in self.api_keys)

    @cached_property
    def read_key_digests(self) -> tuple[bytes, ...]:
        return tuple(_digest_of(k.get_secret_value()) for k in self.read_only_api_keys)


def _digest_of(entry: str) -> bytes:
    """A configured key as its digest: `sha256:<64 hex>` is already one, anything else is hashed."""
    if entry.startswith("sha256:"):
        try:
            digest = bytes.fromhex(entry.removeprefix("sha256:"))
        except ValueError:
            digest = b""
        if len(digest) != 32:
            raise ValueError("a hashed API key must be written sha256:<64 hex digits>")
        return digest
    return key_digest(entry)
