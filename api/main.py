"""The capplan HTTP service: `create_app(settings)` builds the FastAPI app; `app` is the default one.

Serve it with `uvicorn api.main:app` (or `capplan serve`), as **one** uvicorn worker process: the
run dispatcher inside it starts the run processes (see `api/worker.py`). Routes live under
`/api/v1` (health also at `/health`); the OpenAPI document is at `/openapi.json`, its pages at
`/docs`. On start the app upgrades the database schema (Alembic), marks runs a crash left in a
running stage as failed, and starts dispatching queued runs.
"""

from __future__ import annotations

import json
import logging
import shutil
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi

from api import crud
from api.core.config import Settings
from api.db import make_engine, make_sessionmaker
from api.errors import install_error_handlers
from api.middleware import BodyLimitMiddleware, NoStoreHeadersMiddleware, UnexpectedErrorMiddleware
from api.migrate import upgrade_database
from api.openapi import check_operation_ids, operation_id, type_scenarios
from api.routes import compare, datasets, decisions, evaluate, health, runs, scenarios
from api.routes.health import capplan_version
from api.worker import RESTART_REASON, Dispatcher

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new app on `settings` (default: from the environment). Nothing is touched until it starts."""
    settings = settings or Settings()
    engine = make_engine(settings.sqlalchemy_url)
    sessions = make_sessionmaker(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        staging = settings.data_dir / "staging"
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.rmtree(staging, ignore_errors=True)  # leftovers of a crash: nothing in it is needed
        staging.mkdir(mode=0o700)
        _sqlite_folder(engine)
        upgrade_database(engine)
        _restrict_sqlite_file(engine)
        with sessions() as session:
            interrupted = crud.fail_interrupted_runs(session, reason=RESTART_REASON)
        if interrupted:
            log.warning("%d run(s) interrupted by a restart marked failed", len(interrupted))
        if not settings.write_key_digests and not settings.read_key_digests:
            log.warning("no API keys configured (CAPPLAN_API_KEYS): every endpoint but health answers 401")
        dispatcher = Dispatcher(settings=settings, sessions=sessions, staging_dir=staging)
        dispatcher.start()
        app.state.dispatcher = dispatcher
        try:
            yield
        finally:
            app.state.dispatcher = None
            dispatcher.stop()
            engine.dispose()

    app = FastAPI(
        title="capplan",
        summary="Surgical capacity allocation for Sjukvårdsregion Mellansverige",
        description="Upload datasets, create scenarios, run plans in the background, fetch results as JSON or "
        "CSV, compare runs and evaluate proposals. Every endpoint but health needs an `X-API-Key`.",
        version=capplan_version(),
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url=None,  # served by `_add_docs` from local assets
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.dispatcher = None
    install_error_handlers(app)
    for module in (datasets, scenarios, runs, compare, evaluate, decisions, health):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(health.router, include_in_schema=False)  # /health for load balancers
    app.add_middleware(NoStoreHeadersMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["X-API-Key", "Content-Type"],
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes)
    app.add_middleware(UnexpectedErrorMiddleware)  # the last added is the outermost
    app.openapi = lambda: _openapi(app)
    _add_docs(app)
    _add_web_page(app)
    return app


DOCS_ASSETS = "/docs-assets"


def _add_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc from the files of the `fastapi-offline` package: no CDN, so they
    work offline and behind a firewall."""
    import fastapi_offline
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).parent / "static"  # swagger-ui-bundle.js, redoc.standalone.js, ...
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")

    def base(request: Request) -> str:
        return request.scope.get("root_path", "").rstrip("/")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request):
        root = base(request)
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect():
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request):
        root = base(request)
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )


def _add_web_page(app: FastAPI) -> None:
    """The coordinator's page at / and /ui/... (`api.web`), with its static files."""
    from fastapi.staticfiles import StaticFiles

    from api.web.router import STATIC_DIR
    from api.web.router import router as web_router

    app.include_router(web_router)
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="web-static")


def _sqlite_file(engine) -> Path | None:
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        return Path(engine.url.database)
    return None


def _sqlite_folder(engine) -> None:
    path = _sqlite_file(engine)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _restrict_sqlite_file(engine) -> None:
    """A SQLite database holds patient-level data: readable by the service's user only."""
    path = _sqlite_file(engine)
    if path is not None:
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if file.exists():
                file.chmod(0o600)


def _openapi(app: FastAPI) -> dict:
    """The OpenAPI document, with the schemas that the upload bodies refer to."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in datasets.EXTRA_SCHEMAS:
            body = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(body.pop("$defs", {}))
            components[model.__name__] = body
        _document_error_bodies(schema)
        type_scenarios(schema)
        check_operation_ids(schema)
        app.openapi_schema = schema
    return app.openapi_schema


_VALIDATION_ERROR = "#/components/schemas/HTTPValidationError"
_ERROR_PUBLIC = "#/components/schemas/ErrorPublic"


def _document_error_bodies(schema: dict) -> None:
    """Error responses as the app sends them: JSON, 422 with the `ErrorPublic` body, and 500 (an
    unexpected error, `api.middleware.UnexpectedErrorMiddleware`) with it on every operation.

    FastAPI documents its own request-validation body (`HTTPValidationError`) for a route's 422, but
    `api.errors` answers every error with `ErrorPublic`; and on a route whose response class is HTML
    FastAPI files the error bodies under text/html, while they are sent as application/json.
    """
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            operation.setdefault("responses", {})["500"] = {
                "description": "Unexpected error: `detail` gives a request id (also in `X-Request-ID`) to find in "
                "the server log.",
                "content": {"application/json": {"schema": {"$ref": _ERROR_PUBLIC}}},
            }
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if not content or status[:1] not in ("4", "5"):
                    continue
                body = next((c for c in content.values() if c.get("schema")), {})
                if body.get("schema", {}).get("$ref") == _VALIDATION_ERROR:
                    body = {"schema": {"$ref": _ERROR_PUBLIC}}
                    response["description"] = "Invalid input: `problems` name file, row, column and message."
                response["content"] = {"application/json": body}
    used = json.dumps(schema.get("paths", {}))
    components = schema.get("components", {}).get("schemas", {})
    if _VALIDATION_ERROR not in used:
        components.pop("HTTPValidationError", None)
        if "#/components/schemas/ValidationError" not in used:
            components.pop("ValidationError", None)


app = create_app()
