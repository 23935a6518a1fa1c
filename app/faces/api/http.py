"""What every HTTP answer of the API and of MCP over HTTP shares: the JSON error body and the caller.

Its own module so that the app (server), its routes and MCP's HTTP route import it without importing
each other.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from app.faces.present import bearer_token, one_line
from app.library import access


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": one_line(message), "status": status}, status_code=status)


def principal(request: Request) -> access.Principal:
    """The caller, from its bearer token (401 without a valid one)."""
    return access.token_principal(request.app.state.settings, bearer_token(request.headers))
