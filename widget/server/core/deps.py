"""FastAPI dependencies shared by every router.

Everything lives on `app.state` (set by `create_app`), so routers written by anyone reach the same
settings and database with `Depends(get_settings)` / `Depends(get_sessions)`, and guard admin routes
with `dependencies=[Depends(require_admin)]`.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from widget.server.core.config import Settings
from widget.server.core.errors import ApiError


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


# The two ways to authenticate, as the OpenAPI document names them. They only document the header:
# `bearer_token` reads it, so that every refusal is the API's own JSON error.
admin_key = HTTPBearer(
    scheme_name="adminKey",
    description="The admin key (WIDGET_ADMIN_KEY): 'Authorization: Bearer <key>'.",
    auto_error=False,
)
visitor_token = HTTPBearer(
    scheme_name="visitorToken",
    description="The visitor token POST /v1/conversations handed out for this conversation.",
    auto_error=False,
)
AdminKeyHeader = Annotated[HTTPAuthorizationCredentials | None, Depends(admin_key)]
VisitorTokenHeader = Annotated[HTTPAuthorizationCredentials | None, Depends(visitor_token)]


def require_admin(
    request: Request, settings: Annotated[Settings, Depends(get_settings)], _: AdminKeyHeader
) -> None:
    token = bearer_token(request)
    if token is None:
        raise ApiError(
            401,
            "unauthorized",
            "This endpoint needs the admin key: send 'Authorization: Bearer <WIDGET_ADMIN_KEY>'.",
            {"WWW-Authenticate": "Bearer"},
        )
    expected = settings.admin_key
    if expected is None or not hmac.compare_digest(token.encode(), expected.encode()):
        raise ApiError(
            401, "unauthorized", "The admin key is not valid.", {"WWW-Authenticate": "Bearer"}
        )


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
