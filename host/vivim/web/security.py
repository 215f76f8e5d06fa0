"""Who may talk to the web app: the token, Host and Origin checks, and the security headers.

The server listens on 127.0.0.1 only, but any web page the user visits can still make the
browser send requests there. So:
- every request carries the token from the data directory (a cookie set on first open, or an
  `Authorization: Bearer` header for scripts); the cookie is HttpOnly and SameSite=Strict;
- a Host other than 127.0.0.1:PORT or localhost:PORT is refused, which defeats DNS rebinding
  (a hostile name resolved to 127.0.0.1 still sends its own name as Host);
- an Origin other than our own, or a Sec-Fetch-Site that says another site (or another port
  of localhost, which counts as the same "site") made the request, is refused;
- responses forbid inline script, framing, MIME sniffing and referrers.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from aiohttp import web

from .identity import IDENTITY_PATH, NONCE_PATTERN, proof
from .token import LOOPBACK, load_or_create_token

__all__ = ["LOOPBACK", "add_security_headers", "load_or_create_token", "make_security_middleware"]

log = logging.getLogger(__name__)

TOKEN_COOKIE = "vivim_token"  # the prefix; each data directory's cookie has its own name (cookie_name)
TOKEN_QUERY = "token"
COOKIE_MAX_AGE = 30 * 24 * 3600
LOCAL_NAMES = (LOOPBACK, "localhost")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'; img-src 'self' data:; connect-src 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
SERVER_NAME = "VIVIM"
FOREIGN_FETCH_SITES = {"cross-site", "same-site"}
PUBLIC_PREFIXES = ("/static/", "/favicon.svg")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def allowed_hosts(port: int) -> set[str]:
    return {f"{name}:{port}" for name in LOCAL_NAMES}


def local_port(request: web.Request) -> int | None:
    """The port this connection was accepted on (not what the client claims)."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        return int(sockname[1])
    return None


def cookie_name(token: str) -> str:
    """`vivim_token_<id>`, the id derived from the token: browsers send 127.0.0.1's cookies to every
    port, so with one shared name, opening a second data directory's web app would overwrite the
    first one's cookie (logging its tabs out) and each server would be handed the other's token as
    its own. The id reveals nothing about the token."""
    return f"{TOKEN_COOKIE}_{hashlib.sha256(b'vivim-cookie' + token.encode()).hexdigest()[:12]}"


def token_matches(expected: str, offered: str | None) -> bool:
    return bool(offered) and hmac.compare_digest(expected.encode(), offered.encode())  # type: ignore[union-attr]


def offered_token(request: web.Request, token: str) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.cookies.get(cookie_name(token))


def same_site_path(request: web.Request) -> str:
    """Where to send the browser after the cookie is set: this page's own path, or "/" when the
    path could be read as another site (`//evil.example/`, `/\\evil`, `/%5Cevil`: browsers treat a
    backslash like a slash, so these would leave 127.0.0.1 with the user's fresh cookie in place)."""
    raw, decoded = request.rel_url.raw_path, request.path
    for path in (raw, decoded):
        if not path.startswith("/") or path[1:2] in ("/", "\\") or "\\" in path or "%5c" in path.lower():
            return "/"
        if any(ord(c) < 0x21 or ord(c) == 0x7F for c in path):
            return "/"
    return raw


def error_response(request: web.Request, status: int, code: str, message: str) -> web.Response:
    if request.path.startswith("/api/"):
        return web.json_response({"error": {"code": code, "message": message}}, status=status)
    return web.Response(status=status, text=_error_page(status, message), content_type="text/html")


def _error_page(status: int, message: str) -> str:
    from html import escape

    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>VIVIM</title>"
        "<link rel=stylesheet href=/static/app.css>"
        f"<main class=refusal><h1>VIVIM</h1><p>{escape(message)}</p>"
        "<p>Open VIVIM from the extension's popup, or run <code>vivim open</code> in a terminal.</p>"
        f"<p class=muted>HTTP {status}</p></main>"
    )


def make_security_middleware(token: str) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def security(request: web.Request, handler: Handler) -> web.StreamResponse:
        port = local_port(request)
        host = request.headers.get("Host", "").lower()
        if port is None or host not in allowed_hosts(port):
            log.warning("refused request for Host %r (possible DNS rebinding)", host)
            return error_response(
                request,
                403,
                "forbidden_host",
                f"this server only answers to 127.0.0.1:{port} and localhost:{port}",
            )
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower() not in {f"http://{h}" for h in allowed_hosts(port)}:
            log.warning("refused request from Origin %r", origin)
            return error_response(request, 403, "forbidden_origin", "requests from other sites are refused")
        if request.headers.get("Sec-Fetch-Site", "").lower() in FOREIGN_FETCH_SITES:
            return error_response(request, 403, "forbidden_origin", "requests from other sites are refused")

        query_token = request.query.get(TOKEN_QUERY)
        if query_token is not None and request.method == "GET" and not request.path.startswith("/api/"):
            if not token_matches(token, query_token):
                return error_response(
                    request, 401, "unauthorized", "this link's token is not valid (any more)"
                )
            # Keep the token out of the address bar, history and bookmarks: cookie, then redirect.
            rest = [(k, v) for k, v in request.query.items() if k != TOKEN_QUERY]
            location = same_site_path(request) + ("?" + urlencode(rest) if rest else "")
            response = web.Response(status=303, headers={"Location": location})
            response.set_cookie(
                cookie_name(token), token, max_age=COOKIE_MAX_AGE, path="/", httponly=True, samesite="Strict"
            )
            return response
        if request.method in ("GET", "HEAD") and request.path.startswith(PUBLIC_PREFIXES):
            return await handler(request)  # the page's own code and styles hold nothing private
        if request.method == "GET" and request.path == IDENTITY_PATH:
            return await handler(request)  # answers a challenge; reveals nothing about the token
        if not token_matches(token, offered_token(request, token)):
            return error_response(request, 401, "unauthorized", "this page needs VIVIM's access token")
        return await handler(request)

    return security


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Server"] = SERVER_NAME  # not aiohttp's name and version: no help to an attacker
    if request.path.startswith("/api/") or response.content_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")


def make_identity_handler(token: str) -> Handler:
    """GET /api/identity?nonce=<hex>: prove this is the vault's web app without sending the token
    (see `vivim.web.identity`). No token needed: the answer is useless to anyone but a client that
    already holds the token and chose the nonce."""

    async def identity(request: web.Request) -> web.Response:
        nonce = request.query.get("nonce", "")
        port = local_port(request)
        if port is None or not NONCE_PATTERN.fullmatch(nonce):
            return error_response(request, 400, "bad_request", "nonce must be 32 to 128 lowercase hex digits")
        return web.json_response({"app": "vivim", "proof": proof(token, port, nonce)})

    return identity
