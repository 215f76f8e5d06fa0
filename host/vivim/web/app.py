"""The aiohttp application: routes, security, error mapping and the live-event hub."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web, web_response

from ..errors import VivimError
from ..runtime import Runtime
from . import events, routes
from .keys import RUNTIME, STATIC_DIR
from .security import SERVER_NAME, add_security_headers, make_security_middleware

log = logging.getLogger(__name__)

STATIC_PATH = Path(__file__).parent / "static"
MAX_JSON_BODY = 1024 * 1024  # settings and the like; uploads stream and are not bound by this

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except VivimError as exc:
        status = exc.http_status
        if status == 500:
            log.error("%s %s failed: %s: %s", request.method, request.path, exc.code, exc.message)
        return web.json_response({"error": exc.to_dict()}, status=status)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        return web.json_response(
            {"error": {"code": "http_" + str(exc.status), "message": exc.reason}},
            status=exc.status,
            headers={k: v for k, v in exc.headers.items() if k.lower() == "allow"},
        )
    except Exception:
        log.exception("%s %s: internal error", request.method, request.path)
        return web.json_response(
            {
                "error": {
                    "code": "internal",
                    "message": "internal error; the log in the data directory has details",
                }
            },
            status=500,
        )


def create_app(runtime: Runtime, token: str) -> web.Application:
    """The whole web app for one runtime; `token` is the secret every request must carry."""
    # Responses aiohttp makes itself (a request that is not HTTP, a bad header) skip our
    # on_response_prepare hook; their Server header comes from this module global. The process
    # serves nothing but VIVIM, so name VIVIM there too, not aiohttp and its version.
    web_response.SERVER_SOFTWARE = SERVER_NAME  # type: ignore[attr-defined]  # re-exported from aiohttp.http
    app = web.Application(
        # aiohttp types a middleware as a Protocol that async functions only match structurally
        middlewares=[make_security_middleware(token), errors_as_json],  # type: ignore[list-item]
        client_max_size=MAX_JSON_BODY,
    )
    app[RUNTIME] = runtime
    app[STATIC_DIR] = STATIC_PATH
    app.on_response_prepare.append(add_security_headers)
    routes.add_routes(app, token)
    app.router.add_static("/static/", STATIC_PATH, follow_symlinks=False, append_version=False)
    app.router.add_get("/favicon.svg", favicon)
    events.setup(app)
    return app


async def favicon(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_PATH / "icons" / "vivim.svg")
