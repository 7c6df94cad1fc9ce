"""ASGI middleware: request body size limit, response headers for data that is not to be cached, and
the last resort for unexpected errors.

`BodyLimitMiddleware` answers 413 to a request whose declared `Content-Length` is over the limit,
before reading it, and otherwise reads the body (chunked uploads too) up to the limit and answers
413 as soon as it is exceeded; the routes then see the whole body at once. Bodies are never logged.

`UnexpectedErrorMiddleware` turns an exception that no handler of `api.errors` answered into a 500
with the documented error body. (An exception handler for `Exception` would not do: Starlette
re-raises the exception after sending the handler's response, so that the server logs it, message
and all, and a database error's message holds the request's values.)
"""

from __future__ import annotations

import json
import logging
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import safe_traceback

log = logging.getLogger(__name__)

#: The headers of `NoStoreHeadersMiddleware`, for responses sent from outside it.
NO_STORE_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


async def _send_json(
    send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] = (), close: bool = True
) -> None:
    body = json.dumps({"detail": detail, "problems": [], "conflicts": []}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *([(b"connection", b"close")] if close else []),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class UnexpectedErrorMiddleware:
    """Answer an unexpected exception with 500 and `{"detail", "problems", "conflicts"}`.

    The detail and the `X-Request-ID` header carry a new request id; the log has that id, the method,
    the route's name (not the path: it holds names and ids), the exception's type and its stack,
    never its message (`api.logs.safe_traceback`). Installed as the outermost middleware, so
    that nothing of the app escapes it; an exception after the response has started can only be
    logged (the server then closes the connection).
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception:
            request_id = uuid.uuid4().hex
            operation = getattr(scope.get("route"), "name", None) or "no route"
            log.error(
                "unexpected error in request %s (%s, %s):\n%s",
                request_id,
                scope.get("method"),
                operation,
                safe_traceback(),
            )
            if not started:
                detail = f"internal server error (request id {request_id})"
                headers = [(b"x-request-id", request_id.encode()), *NO_STORE_HEADERS]
                await _send_json(send, 500, detail, headers, close=False)


class BodyLimitMiddleware:
    """Reject request bodies over `max_bytes` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = f"request body too large (limit {self.max_bytes / 2**20:g} MB)"
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await _send_json(send, 400, "invalid Content-Length header")
                return
            if length > self.max_bytes:
                await _send_json(send, 413, too_large)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _send_json(send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class NoStoreHeadersMiddleware:
    """Responses hold planning or patient-level data: not to be cached, not to be content-sniffed."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {name.lower() for name, _ in headers}
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
