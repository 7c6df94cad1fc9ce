"""capplan's HTTP service (FastAPI): datasets, scenarios, background runs, results, comparisons,
proposal evaluation. Served by uvicorn (`uvicorn api.main:app`, or `capplan serve`) as one worker.

Module map: `main` (app factory, lifespan), `routes/` (one router per resource), `deps` (typed
dependencies: session, settings, dispatcher, API keys), `schemas` (request/response families),
`crud` (every database read and write), `db` (SQLAlchemy models and engine), `migrations/`
(Alembic), `uploads` (safe zip/JSON → validated dataset), `results` (result files → JSON/CSV pages),
`worker` (dispatcher and run processes), `middleware` (body limit, headers), `errors`, `logs`,
`core/config` (settings from `CAPPLAN_*` environment variables).

No planning logic lives here: routes and run processes call `models` and `optimizer`, as the CLI does.
"""
