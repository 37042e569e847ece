"""The headers every response of the web studio carries: what a browser may load, frame
and send on, so a page can be neither framed (clickjacking) nor made to run a script
from elsewhere, and a share link's token never leaves in a Referer.

The pages are built for this policy: every script is /static/studio.js (no inline
script, no inline style, no `on...=` attribute), every image and call comes from the
studio itself. FastAPI's own /docs and /redoc pages load Swagger UI and ReDoc from
their CDN with an inline starter script; they show the studio's OpenAPI document and
nothing a person wrote, so only they get a policy that allows those.
"""

from __future__ import annotations

import json
from typing import Any

CSP_PARTS = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CSP = "; ".join(CSP_PARTS)
CDN = "https://cdn.jsdelivr.net"
DOCS_CSP_PARTS = (
    "default-src 'self'",
    f"script-src 'self' 'unsafe-inline' {CDN}",
    f"style-src 'self' 'unsafe-inline' {CDN} https://fonts.googleapis.com",
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
    "font-src 'self' https://fonts.gstatic.com",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
DOCS_CSP = "; ".join(DOCS_CSP_PARTS)
COMMON = (
    ("X-Frame-Options", "DENY"),  # frame-ancestors for browsers older than CSP 2
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),  # /shared/<token> must not travel in a Referer
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000")
DOCS_PATHS = ("/docs", "/redoc")
SERVER_ERROR = ("The studio hit an unexpected error and did not finish this request; the "
                "server's log says why. Try again, and report it if it happens again.")


def is_docs(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in DOCS_PATHS)


def headers_for(path: str, *, https: bool = False) -> list[tuple[str, str]]:
    """The security headers of a response to `path` (HSTS only when served over HTTPS)."""
    out = [("Content-Security-Policy", DOCS_CSP if is_docs(path) else CSP), *COMMON]
    return [*out, HSTS] if https else out


class SecurityHeaders:
    """ASGI middleware: the headers of `headers_for` on every response, a header the app set
    itself left as it is. An error no handler answered gets its 500 here, headers and all
    (Starlette's own 500 is sent outside every middleware)."""

    def __init__(self, app: Any, *, https: bool = False) -> None:
        self.app, self.https = app, https

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                 for k, v in headers_for(scope.get("path", ""), https=self.https)]
        started = False

        async def send_secured(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_secured)
        except Exception:
            if not started:
                await _server_error(scope, send_secured)
            raise


async def _server_error(scope: Any, send: Any) -> None:
    path = scope.get("path", "")
    if path.startswith("/api/") or path == "/api":
        body, kind = json.dumps({"error": SERVER_ERROR}).encode(), b"application/json"
    else:
        body, kind = SERVER_ERROR.encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
