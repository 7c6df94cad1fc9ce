"""Errors of the HTTP layer and how every error becomes a JSON body.

Domain errors carry structured problems (`models.errors.Problem`: file, row, column, message) and are
rendered as `{"detail": ..., "problems": [...]}`; an infeasible scenario adds `conflicts`. Request
validation errors use the same body, with `file` "request" and the field's location as `column`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from models.errors import DatasetError, Problem, ScenarioError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with an HTTP status, a message and optionally problems or conflicts."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        problems: list[Problem] | None = None,
        conflicts: list[str] | None = None,
    ):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.problems = problems or []
        self.conflicts = conflicts or []


def not_found(kind: str, ref: str) -> ApiError:
    return ApiError(404, f"{kind} {ref!r} not found")


def conflict(detail: str) -> ApiError:
    return ApiError(409, detail)


def invalid(detail: str, problems: list[Problem]) -> ApiError:
    return ApiError(422, detail, problems=problems)


def error_body(detail: str, problems: list[Problem] = (), conflicts: list[str] = ()) -> dict:
    return {"detail": detail, "problems": [p.as_dict() for p in problems], "conflicts": list(conflicts)}


def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse(error_body(exc.detail, exc.problems, exc.conflicts), status_code=exc.status_code)


def _dataset_error(_request: Request, exc: DatasetError) -> JSONResponse:
    detail = f"the dataset is invalid: {len(exc.problems)} problem(s)"
    return JSONResponse(error_body(detail, exc.problems), status_code=422)


def _scenario_error(_request: Request, exc: ScenarioError) -> JSONResponse:
    detail = f"the scenario is invalid: {len(exc.problems)} problem(s)"
    return JSONResponse(error_body(detail, exc.problems), status_code=422)


def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [
        Problem("request", None, ".".join(str(p) for p in err.get("loc", ())) or None, str(err.get("msg", "invalid")))
        for err in exc.errors()
    ]
    return JSONResponse(error_body("the request is invalid", problems), status_code=422)


def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400:
        # a body that cannot be parsed at all (not UTF-8 JSON, a broken multipart form): like every
        # other invalid input, 422 naming what is wrong (the parsers' messages never quote the data)
        problem = Problem("request", None, "body", str(exc.detail))
        return JSONResponse(error_body("the request body cannot be read", [problem]), status_code=422)
    return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DatasetError, _dataset_error)
    app.add_exception_handler(ScenarioError, _scenario_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
