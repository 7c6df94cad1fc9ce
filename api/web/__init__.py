"""The coordinator's web page at `/` (and `/ui/...`): Jinja2 pages, a little vanilla JS, plotly.js.

The pages hold no data: the browser signs in with an API key (kept in `sessionStorage`) and calls the
JSON API (`/api/v1/...`) with it in `X-API-Key`, like any other client. Two read-only helpers the
JSON API does not have live under `/ui/data/...` and take the same key (`api.deps.ReadKey`): a run's
figures in people's units (`api.web.views`) and its Excel workbook.
"""
