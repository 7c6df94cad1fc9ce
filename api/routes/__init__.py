"""One router per resource; `api.main` includes them under /api/v1."""
