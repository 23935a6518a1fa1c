"""The FastAPI application: who is calling, how big a request may be, how failures read.

Every /v1 route but health needs `Authorization: Bearer <token>`. A matter the token does not grant
answers 404 exactly like one that does not exist, and a document or job of another matter 404 like an
unknown id, so a token learns nothing about what it cannot open. Errors are `{"error": "<one line>",
"status": N}` with the CLI's words; a bug is a 500 that names no internals.
"""

from __future__ import annotations

import contextlib
import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.config import Settings
from app.errors import LongdocError
from app.faces import mcp as mcp_face
from app.faces import present
from app.faces.api import review_routes, routes
from app.faces.api.http import error
from app.library import jobs
from model.base import ModelError

log = logging.getLogger("longdoc.api")
UPLOAD_SLACK = 256 * 1024  # multipart framing around the file itself
BAD_JSON = "the request body is not valid JSON"


class _TooLarge(StarletteHTTPException):
    """Raised from `receive` once the body passes the limit (an HTTPException, so body parsers re-raise it)."""

    def __init__(self, message: str):
        super().__init__(413, message)


class BodyLimit:
    """Refuse request bodies over the limit before they are read whole (413), by Content-Length and while
    streaming: uploads may carry max_file_mb, everything else max_json_kb."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.upload_limit = int(settings.max_file_mb) * 2**20 + UPLOAD_SLACK
        self.json_limit = int(settings.max_json_kb) * 1024

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope.get("path", ""), scope.get("method", "")
        limit = self.upload_limit if (method == "POST" and path.rstrip("/").endswith("/documents")) else self.json_limit
        what = "file" if limit == self.upload_limit else "request body"
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    if int(v) > limit:
                        return await error(413, f"the {what} is too large (limit {limit // 1024:,} KiB)")(scope, receive, send)
                except ValueError:
                    return await error(400, "bad Content-Length header")(scope, receive, send)
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(f"the {what} is too large (limit {limit // 1024:,} KiB)")
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge as e:
            if not started:
                await error(413, e.detail)(scope, receive, send)


def create_app(settings: Settings, *, mcp: bool = True) -> FastAPI:
    mcp_server = None
    if mcp:
        mcp_server = mcp_face.build(settings, http=True)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            if mcp_server is not None:
                async with mcp_server.session_manager.run():
                    yield
            else:
                yield
        finally:
            stop = getattr(jobs, "shutdown", None)  # jobs still running are told the server is stopping
            if callable(stop):
                stop()

    app = FastAPI(
        title="longdoc API",
        version="1",
        description="Page-cited answers over long legal and scientific PDFs, one matter at a time. "
        "Send `Authorization: Bearer <token>` (create one with `longdoc token create`).",
        lifespan=lifespan,
        redirect_slashes=False,  # a path with a trailing slash is another path: 404, not a redirect
    )
    app.state.settings = settings

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError):
        line = _validation_line(e)
        return error(400 if line == BAD_JSON else 422, line)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException):
        message = e.detail if isinstance(e.detail, str) else json.dumps(e.detail)
        if e.status_code == 404 and message == "Not Found":
            message = f"no such route: {request.method} {request.url.path} (see /docs)"
        elif e.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path} (see /docs)"
        return error(e.status_code, message)

    async def _known(request: Request, e: Exception):
        known = present.failure(e)
        if known is not None:
            return error(known.status, known.line)
        return await _any(request, e)

    for kind in (LongdocError, LookupError, ValueError, ModelError):  # users' failures: answered, not logged as crashes
        app.add_exception_handler(kind, _known)

    @app.exception_handler(Exception)
    async def _any(request: Request, e: Exception):
        if not isinstance(e, (LongdocError, LookupError, ValueError, ModelError)):  # those came through _known
            known = present.failure(e)  # e.g. a full disk under SQLite or Chroma: 507 with its one line, not a 500
            if known is not None:
                return error(known.status, known.line)
        log.error("unexpected %s on %s %s", type(e).__name__, request.method, request.url.path)
        return error(500, f"internal error ({type(e).__name__}); the server log has the details")

    app.include_router(routes.router)
    app.include_router(review_routes.router)
    if mcp_server is not None:
        app.router.routes.append(mcp_face.http_route(mcp_server, settings))
    app.add_middleware(BodyLimit, settings=settings)
    return app


def _field_name(x) -> str:
    """A field name as the client sent it, kept on the error's one line: an odd one (a line break, control
    characters, a 5,000-character key) is shown quoted with escapes and cut."""
    s = str(x)
    if s.isprintable() and len(s) <= 60:
        return s
    return json.dumps(s if len(s) <= 60 else s[:60] + "…")


def _validation_line(e: RequestValidationError) -> str:
    parts = []
    for err in e.errors()[:3]:
        loc = ".".join(_field_name(x) for x in err.get("loc", ()) if x not in ("body",)) or "body"
        msg = " ".join(str(err.get("msg", "invalid")).split())
        if err.get("type") == "json_invalid":
            return BAD_JSON
        parts.append(f"{loc}: {msg}")
    return "invalid request — " + "; ".join(parts)
