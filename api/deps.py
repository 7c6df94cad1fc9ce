"""Typed dependencies of the routes: a route's signature says what it needs.

* `SessionDep`: a database session for the request.
* `SettingsDep`: the service settings.
* `DispatcherDep`: the run dispatcher (to wake it after a submit or cancel).
* `ReadKey` / `WriteKey`: the request carries a valid API key in `X-API-Key` (read-only or
  read-write keys for `ReadKey`, read-write keys only for `WriteKey`). No key: 401; a key that
  matches no configured key, or a read-only key on a writing endpoint: 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from api.core.config import Settings, key_digest
from api.errors import ApiError
from api.worker import Dispatcher

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="An API key from CAPPLAN_API_KEYS (read-write) or CAPPLAN_READ_ONLY_API_KEYS (read-only).",
)


class Access(StrEnum):
    read = "read"
    write = "write"


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_dispatcher(request: Request) -> Dispatcher:
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if dispatcher is None:
        raise ApiError(503, "the service is starting or stopping")
    return dispatcher


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]


def _matches(digest: bytes, configured: tuple[bytes, ...]) -> bool:
    """Constant-time: compares against every configured digest, never stopping at a match."""
    found = False
    for candidate in configured:
        found |= hmac.compare_digest(digest, candidate)
    return found


def key_access(key: str | None, settings: Settings) -> Access | None:
    """The access a presented key grants, or None for a wrong key."""
    digest = key_digest(key or "")
    write = _matches(digest, settings.write_key_digests)
    read = _matches(digest, settings.read_key_digests)
    return Access.write if write else Access.read if read else None


def _access(key: str | None, settings: Settings) -> Access:
    if not key:
        raise ApiError(401, "an API key is required in the X-API-Key header")
    access = key_access(key, settings)
    if access is None:
        raise ApiError(403, "the API key is not valid")
    return access


def require_read(key: Annotated[str | None, Security(api_key_header)], settings: SettingsDep) -> Access:
    return _access(key, settings)


def require_write(key: Annotated[str | None, Security(api_key_header)], settings: SettingsDep) -> Access:
    if _access(key, settings) is not Access.write:
        raise ApiError(403, "this API key is read-only")
    return Access.write


ReadKey = Annotated[Access, Depends(require_read)]
WriteKey = Annotated[Access, Depends(require_write)]
