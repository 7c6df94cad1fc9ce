"""Datasets: upload (zip of the CSV contract, or JSON), list, summary, delete.

An upload is validated completely (`models.load_dataset`) before anything is stored; the dataset and
all its files are then stored in one transaction. Deleting a dataset deletes its scenarios, their
runs and their results too (409 while one of those runs is queued or running: cancel it first).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path, PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api import crud
from api.core.config import Settings
from api.deps import ReadKey, SessionDep, SettingsDep, WriteKey
from api.errors import ApiError, invalid, not_found
from api.schemas import (
    MAX_OFFSET,
    DatasetPublic,
    DatasetsPublic,
    StorableStr,
    error_responses,
    unstorable_problems,
)
from api.uploads import NAME_PATTERN, UPLOAD, StoredFiles, canonical_files, extract_zip, write_json_payload
from models.domain import DatasetPayload
from models.errors import DatasetError, Problem

router = APIRouter(prefix="/datasets", tags=["datasets"])

ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/octet-stream"}
WEEK_PATTERN = r"^\d{4}-W\d{2}$"

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "A zip of the contract's CSV files (at the top level or in one folder), as the raw body "
        "or as the `file` field of a form; or the dataset as JSON, one list of records per file.",
        "content": {
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "name": {"type": "string", "pattern": NAME_PATTERN},
                    },
                    "required": ["file"],
                }
            },
            "application/json": {"schema": {"$ref": "#/components/schemas/DatasetPayload"}},
        },
    }
}
#: Schemas referenced by `openapi_extra` bodies, added to the OpenAPI components by `api.main`.
EXTRA_SCHEMAS = [DatasetPayload]


def _public(row) -> DatasetPublic:
    return DatasetPublic.model_validate(row, from_attributes=True)


def _get(session, ref: str):
    row = crud.get_dataset(session, ref=ref)
    if row is None:
        raise not_found("dataset", ref)
    return row


@router.post(
    "",
    status_code=201,
    response_model=DatasetPublic,
    openapi_extra=UPLOAD_BODY,
    responses=error_responses(401, 403, 409, 413, 415, 422),
    summary="Upload a dataset (zip or JSON)",
)
async def create_dataset(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _: WriteKey,
    name: Annotated[
        str | None, Query(pattern=NAME_PATTERN, description="Default: the zip's folder or file name.")
    ] = None,
    plan_start: Annotated[
        str | None, Query(pattern=WEEK_PATTERN, description="First plan week; default the first capacity week.")
    ] = None,
) -> DatasetPublic:
    """Validate and store a dataset. 422 lists every problem (file, row, column, message)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    archive: bytes | None = None
    payload: bytes | None = None
    fallback_name: str | None = None
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=4)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise invalid("the form has no file", [Problem(UPLOAD, None, "file", "attach the zip as the field 'file'")])
        archive = await upload.read()
        form_name = form.get("name")
        if name is None and isinstance(form_name, str) and form_name:
            if not re.fullmatch(NAME_PATTERN, form_name):  # a name is never a path: same rule as ?name=
                raise invalid(
                    "the dataset name is invalid",
                    [Problem(UPLOAD, None, "name", "a name holds letters, digits, _ . - (at most 64, no leading dot)")],
                )
            name = form_name
        fallback_name = PurePosixPath(upload.filename or "").name.removesuffix(".zip") or None
    elif content_type in ZIP_TYPES:
        archive = await request.body()
    elif content_type == "application/json" or content_type.endswith("+json"):
        payload = await request.body()
    else:
        raise ApiError(415, "send application/zip, multipart/form-data (field 'file') or application/json")
    if name is not None and crud.get_dataset(session, ref=name) is not None:
        raise ApiError(409, f"a dataset named {name!r} already exists")
    stored, top = await run_in_threadpool(_validate, settings, archive, payload, plan_start)
    name = name or _usable(top) or _usable(fallback_name)
    if name is None:
        raise invalid(
            "the dataset needs a name", [Problem(UPLOAD, None, "name", "give ?name=... (letters, digits, _ . -)")]
        )
    row = await run_in_threadpool(
        crud.create_dataset,
        session,
        name=name,
        plan_start=stored.dataset.plan_start.isoformat(),
        files=stored.files,
        rows=stored.rows,
        size_bytes=stored.size_bytes,
        summary=stored.summary,
    )
    response.headers["Location"] = f"{request.url.path.rstrip('/')}/{row.id}"
    return _public(row)


def _usable(name: str | None) -> str | None:
    return name if name and re.fullmatch(NAME_PATTERN, name) else None


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise invalid("the body is not valid JSON", [Problem(UPLOAD, line, None, "not valid JSON")]) from None


def _validate(
    settings: Settings, archive: bytes | None, payload: bytes | None, plan_start: str | None
) -> tuple[StoredFiles, str | None]:
    """Write the upload as CSV files into a private staging folder, validate, canonicalise."""
    staging = settings.data_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="upload-", dir=staging) as tmp:
        folder = Path(tmp) / "dataset"
        folder.mkdir()
        top, problems = None, []
        if archive is not None:
            top = extract_zip(
                archive,
                folder,
                max_members=settings.max_zip_members,
                max_uncompressed_bytes=settings.max_uncompressed_bytes,
            )
        else:
            data = _json(payload)
            unstorable = unstorable_problems(data, UPLOAD)  # a NUL or a lone surrogate, anywhere in it
            if unstorable:
                raise DatasetError(unstorable)
            problems = write_json_payload(data, folder)
        return canonical_files(folder, Path(tmp), plan_start=plan_start, problems=problems), top


@router.get("", response_model=DatasetsPublic, responses=error_responses(401, 403))
def list_datasets(
    session: SessionDep,
    _: ReadKey,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DatasetsPublic:
    rows, count = crud.list_datasets(session, offset=offset, limit=limit)
    return DatasetsPublic(data=[_public(r) for r in rows], count=count)


@router.get("/{ref}", response_model=DatasetPublic, responses=error_responses(401, 403, 404))
def get_dataset(ref: StorableStr, session: SessionDep, _: ReadKey) -> DatasetPublic:
    """A dataset's summary (by id or name): rows per file, totals and waiting per region."""
    return _public(_get(session, ref))


@router.delete("/{ref}", status_code=204, responses=error_responses(401, 403, 404, 409))
def delete_dataset(ref: StorableStr, session: SessionDep, _: WriteKey) -> Response:
    """Delete a dataset with its scenarios, runs and results (409 while one of its runs is unfinished)."""
    crud.delete_dataset(session, dataset=_get(session, ref))
    return Response(status_code=204)
