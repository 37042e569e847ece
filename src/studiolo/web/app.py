"""The web studio's application: `create_app(studio)` builds it on the CLI's own Studio.

Pages (pages.py) and scripts use the same REST API (api.py, OpenAPI at /docs
and /openapi.json). Every error a person can fix comes back as JSON
`{"error": "<one sentence>"}` from the API, and as a page with that sentence
in the browser. Every response carries the security headers of web/security.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from studiolo import __version__
from studiolo.catalog import accounts
from studiolo.core.errors import (
    ConsentRefused,
    ImageError,
    InvalidArgument,
    ModelError,
    ModelNotFound,
    StudioloError,
    UnknownName,
    UnsafeModelFile,
)
from studiolo.plugins import nav_links as plugin_nav_links
from studiolo.web.auth import CsrfRefused, NotLoggedIn
from studiolo.web.progress import ProgressHub
from studiolo.web.security import SecurityHeaders
from studiolo.web.throttle import LoginThrottle
from studiolo.web.uploads import UploadTooLarge, too_large
from studiolo.web.verified import VerifiedCache

HERE = Path(__file__).parent
DEFAULT_UPLOAD_LIMIT = 20 * 1024 * 1024
FORM_SLACK = 64 * 1024  # the other fields of an upload form

# Most specific first: the first class the error is an instance of decides.
STATUS = (
    (UploadTooLarge, 413), (ModelNotFound, 404), (UnknownName, 404), (ConsentRefused, 403), (ImageError, 422),
    (UnsafeModelFile, 422), (InvalidArgument, 400), (ModelError, 409), (StudioloError, 400),
)


def status_of(exc: StudioloError) -> int:
    return next(code for kind, code in STATUS if isinstance(exc, kind))


def create_app(
    studio: Any, *, upload_limit: int = DEFAULT_UPLOAD_LIMIT, secure_cookies: bool = False,
    login_throttle: LoginThrottle | None = None,
) -> FastAPI:
    """The FastAPI app for this studio. `upload_limit` is the largest upload in bytes;
    `secure_cookies`: served over HTTPS (cookies marked Secure, HSTS sent);
    `login_throttle`: the failed-login back-off (a fresh one by default)."""
    from studiolo.web import api, auth, boards, pages
    from studiolo.web import parts as web_parts

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        accounts.purge_sessions(studio.catalog)
        yield
        app.state.hub.forget_old(0)

    app = FastAPI(
        title="studiolo web studio", version=__version__, lifespan=lifespan,
        description="Create, browse, credit and verify artworks. Log in on /login; "
                    "state-changing calls need the session's X-CSRF-Token header.",
    )
    app.add_middleware(BodyLimit, limit=upload_limit + FORM_SLACK, upload_limit=upload_limit)
    app.add_middleware(SecurityHeaders, https=secure_cookies)  # outermost: every response
    app.state.login_throttle = login_throttle or LoginThrottle()
    app.state.studio = studio
    app.state.hub = ProgressHub()
    app.state.verified = VerifiedCache()
    app.state.upload_limit = upload_limit
    app.state.secure_cookies = secure_cookies
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.templates.env.auto_reload = False  # templates ship with the package: no stat per page
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(boards.router)
    app.include_router(auth.router)
    app.include_router(pages.router)
    # Each capability's pages and API, and its templates folder if it has one.
    for plugin in studio.plugins.get_plugins():
        folder = Path(getattr(plugin, "__file__", "") or ".").parent / "templates"
        if getattr(plugin, "__file__", None) and folder.is_dir():
            app.state.templates.env.loader.searchpath.append(str(folder))
    studio.plugins.hook.register_routes(app=app)
    app.state.parts = web_parts.collect(studio.plugins)
    api.add_action_routes(app, app.state.parts)
    app.state.templates.env.globals["nav_links"] = lambda viewer: plugin_nav_links(
        studio.plugins, viewer)
    _add_error_handlers(app)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api" or (
        "application/json" in request.headers.get("accept", "")
        and "text/html" not in request.headers.get("accept", ""))


class BodyLimit:
    """Refuse request bodies over `limit` bytes with the studio's own 413 sentence.

    A declared Content-Length over the limit is refused before anything is read; a
    chunked body is counted as it arrives and refused when it passes the limit.
    (FastAPI's own `max_body_size` answers in plain text, outside our error handlers.)
    """

    def __init__(self, app: Any, *, limit: int, upload_limit: int) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            reply = JSONResponse({"error": str(too_large(self.upload_limit))}, status_code=413)
            await reply(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise too_large(self.upload_limit)
            return message

        await self.app(scope, counted, send)


def error_response(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    from studiolo.web.auth import viewer_of

    viewer = viewer_of(request) if status != 500 else None
    return request.app.state.templates.TemplateResponse(
        request, "error.html", {"message": message, "status": status, "viewer": viewer},
        status_code=status)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StudioloError)
    async def studiolo_error(request: Request, exc: StudioloError) -> Response:
        return error_response(request, status_of(exc), str(exc))

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, exc: NotLoggedIn) -> Response:
        if _wants_json(request):
            return error_response(request, 401, "Log in first: POST your name and password to "
                                  "/login (the owner account is made with `studiolo users add "
                                  "NAME --owner`).")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return error_response(request, 403, "The form's security token is missing or stale; "
                              "reload the page and try again (scripts: send the X-CSRF-Token "
                              "header from GET /api/me).")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        if first.get("type") == "missing":
            return error_response(request, 422, f"`{where or 'request'}` is required.")
        got = f", got {first['input']!r:.80}" if first.get("input") is not None else ""
        message = f"`{where or 'request'}` is invalid: {first.get('msg', 'bad value')}{got}."
        return error_response(request, 422, message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        messages = {
            404: f"Nothing at {request.url.path}; see /docs for the API and / for the studio.",
            405: f"{request.method} is not allowed on {request.url.path}; see /docs.",
            413: str(too_large(request.app.state.upload_limit)),
        }
        message = messages.get(exc.status_code) or str(exc.detail)
        return error_response(request, exc.status_code, message)
