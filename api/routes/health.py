"""Health (no key: for load balancers and monitoring) and version (with a key)."""

from __future__ import annotations

from importlib import metadata

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import ReadKey, SessionDep
from api.schemas import HealthPublic, VersionPublic, error_responses

router = APIRouter(tags=["health"])


def capplan_version() -> str:
    try:
        return metadata.version("capplan")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


@router.get("/health", name="get_health", response_model=HealthPublic, responses={503: {"model": HealthPublic}})
def health(session: SessionDep):
    """`ok` when the database answers; 503 otherwise. Needs no API key and reveals nothing else."""
    try:
        session.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse(HealthPublic(status="unavailable", database="unreachable").model_dump(), status_code=503)
    return HealthPublic(status="ok", database="ok")


@router.get("/version", name="get_version", response_model=VersionPublic, responses=error_responses(401, 403))
def version(_: ReadKey) -> VersionPublic:
    return VersionPublic(version=capplan_version())
