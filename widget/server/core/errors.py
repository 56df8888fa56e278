"""One JSON shape for every error: `{"error": {"code": ..., "message": ...}}`.

Handlers turn FastAPI's own errors into that shape too: a body that is not JSON is a 400
`malformed_json` that says what is wrong (invalid UTF-8 and where, nesting too deep, a number with
too many digits); a field that fails validation is a 422 `invalid_request` whose message names it;
a 405 lists every method of the resource in `Allow`; a database that another writer holds past the
busy timeout (or that cannot be reached) is a 503 `database_busy` / `database_unavailable` with
`Retry-After`, after which the request can simply be sent again.

`error_responses(...)` declares these answers in the OpenAPI document, so clients and the API
fuzzer (`tests/server/test_fuzz.py`) know every status a route can give.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from widget.server.core.allowed_methods import allowed_methods
from widget.server.core.db import DatabaseBusyError

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    503: "service_unavailable",
}
# What a client should wait before sending a request again that met a busy database.
DATABASE_RETRY_AFTER_SECONDS = 2


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer: a machine-readable `code` and a sentence that says what is wrong."""

    error: ErrorDetail


_DESCRIPTIONS = {
    400: "The body is not valid JSON (the message says what is wrong)",
    401: "No credentials, or not valid ones",
    403: "The credentials do not give access to this resource",
    404: "No such resource",
    409: "The resource's state does not allow this",
    413: "The request body is larger than this route accepts",
    415: "The body is not sent as JSON",
    422: "A parameter or field is invalid (the message names it)",
    429: "Too many requests; wait for the seconds in Retry-After",
    502: "The agent's language model failed",
    503: "The database is busy or unreachable; retry after the seconds in Retry-After",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the error body's schema."""
    return {
        status: {
            "model": ErrorBody,
            "description": _DESCRIPTIONS[status],
            **({"headers": _RETRY_AFTER} if status in (429, 503) else {}),
        }
        for status in statuses
    }


# Every route can meet these: a busy database, a body over the limit, an unreadable body.
COMMON_ERRORS = (400, 413, 415, 422, 503)
ADMIN_ERRORS = error_responses(*COMMON_ERRORS, 401, 404)


log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raise from a route to answer with a JSON error."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """ "content: must be at most 4,000 characters; agentId: Field required"."""
    parts = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
        where = ".".join(loc) or "body"
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        if error.get("type") == "string_unicode":
            # pydantic-core refuses a lone surrogate before our own check can name it.
            message = "holds a lone surrogate, which is not a Unicode character; send text as UTF-8"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    for error in errors:
        if error.get("type") == "json_invalid":
            detail = error.get("ctx", {}).get("error", "")
            return error_response(
                400,
                "malformed_json",
                f"The request body is not valid JSON{f': {detail}' if detail else ''}.",
            )
        if tuple(error.get("loc", ())) == ("body",) and isinstance(error.get("input"), bytes):
            # FastAPI parses a body as JSON only when its Content-Type says it is JSON.
            return error_response(
                415,
                "unsupported_media_type",
                "Send the request body as JSON with 'Content-Type: application/json'.",
            )
    return error_response(422, "invalid_request", describe_validation_errors(errors))


def _unreadable_body(cause: BaseException | None) -> str | None:
    """What is wrong with a body FastAPI could not parse as JSON, from the parser's exception."""
    if isinstance(cause, UnicodeDecodeError):
        byte = cause.object[cause.start : cause.start + 1].hex()
        return (
            f"The request body is not valid UTF-8: byte 0x{byte} at offset {cause.start} "
            f"({cause.reason}). Send JSON encoded as UTF-8."
        )
    if isinstance(cause, RecursionError):
        return "The request body nests arrays or objects too deeply to be read."
    if isinstance(cause, ValueError) and "integer string conversion" in str(cause):
        return (
            "The request body holds a number with more digits than the server reads "
            f"({sys.get_int_max_str_digits():,} at most)."
        )
    return None


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = getattr(exc, "code", None) or _STATUS_CODES.get(
        status, "error" if status >= 500 else "bad_request"
    )
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = dict(exc.headers or {})
    if status == 400 and (unreadable := _unreadable_body(exc.__cause__)) is not None:
        code, message = "malformed_json", unreadable
    if status == 405:
        methods = allowed_methods(request)
        if not methods:
            return error_response(404, "not_found", f"No API endpoint at {request.url.path}.")
        headers["Allow"] = ", ".join(methods)
        message = f"{request.method} is not allowed here; this resource allows {headers['Allow']}."
    return error_response(status, code, message, headers)


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    seconds = DATABASE_RETRY_AFTER_SECONDS
    headers = {"Retry-After": str(seconds)}
    busy = (
        isinstance(exc, DatabaseBusyError | PoolTimeoutError)
        or "locked" in str(exc)
        or "busy" in str(exc)
        or "lock timeout" in str(exc)
    )
    if busy:
        return error_response(
            503,
            "database_busy",
            f"The database is busy with another writer; nothing was changed. "
            f"Try again in {seconds} s.",
            headers,
        )
    # Starlette logs nothing for handled exceptions; an unreachable database deserves a line.
    log.error("database error: %s", exc)
    return error_response(
        503,
        "database_unavailable",
        f"The database cannot be reached right now; nothing was changed. Try again in {seconds} s.",
        headers,
    )


async def _unexpected_error(_request: Request, _exc: Exception) -> JSONResponse:
    # Starlette still logs the exception with its traceback; the client gets the usual shape.
    return error_response(500, "internal_error", "The server failed to handle this request.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(DatabaseBusyError, _database_error)
    # PostgreSQL: every connection of the pool in use for the busy timeout, or a connection cut
    # by a server restart mid-request.
    app.add_exception_handler(PoolTimeoutError, _database_error)
    app.add_exception_handler(InterfaceError, _database_error)
