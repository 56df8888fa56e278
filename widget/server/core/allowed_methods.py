"""The methods a resource allows, for the `Allow` header of a 405.

FastAPI makes one route per method, and Starlette's 405 names only the first route whose path
matched; a resource with GET and POST then claimed to allow GET alone. Here every route whose path
matches the request counts. Under `/v1/` only API routes count: the bundle's catch-all GET route
matches every path, and an unknown API path is a 404, whatever its method.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.routing import iter_route_contexts
from starlette.routing import Match

_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
API_PREFIX = "/v1/"


def allowed_methods(request: Request) -> list[str]:
    """Every method some route allows at the request's path, in a conventional order."""
    api = request.url.path.startswith(API_PREFIX)
    methods: set[str] = set()
    # Included routers stay nested in FastAPI's route table; this walks the routes they hold.
    for route in iter_route_contexts(request.app.router.routes):
        if route.methods is None or (api and not (route.path or "").startswith(API_PREFIX)):
            continue
        match, _ = route.matches(request.scope)
        if match in (Match.PARTIAL, Match.FULL):
            methods |= route.methods
    return sorted(methods, key=lambda m: (_ORDER.index(m) if m in _ORDER else len(_ORDER), m))
