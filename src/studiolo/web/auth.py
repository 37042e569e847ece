"""Who is asking: the session cookie, the CSRF check, logging in and out.

A session is a random token in an HttpOnly, SameSite=Lax cookie; the catalog
keeps its sha256 and a per-session CSRF token. Every POST, PUT, PATCH and
DELETE of a logged-in browser must echo that token, in the `X-CSRF-Token`
header (the pages' fetch calls) or a `csrf` form field (plain forms). The
login form, made before any session exists, uses a double-submit cookie. Failed
logins back off per name and per address (web/throttle.py): 429 until the wait is over.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from studiolo.catalog import accounts
from studiolo.catalog.accounts import User

SESSION_COOKIE = "studiolo_session"
LOGIN_COOKIE = "studiolo_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSET: Any = object()


class NotLoggedIn(Exception):
    """No live session: pages redirect to the login page, the API answers 401."""


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token: 403."""


@dataclass(frozen=True)
class Viewer:
    user: User
    csrf: str

    @property
    def name(self) -> str:
        return self.user.name


def viewer_of(request: Request) -> Viewer | None:
    """The session's person, or None (read once per request)."""
    known = getattr(request.state, "viewer", _UNSET)
    if known is not _UNSET:
        return known
    found = accounts.session_user(request.app.state.studio.catalog,
                                  request.cookies.get(SESSION_COOKIE))
    request.state.viewer = Viewer(*found) if found else None
    return request.state.viewer


async def optional_viewer(request: Request) -> Viewer | None:
    """`viewer_of` as a dependency. Async on purpose: one indexed read (a statement built
    once) costs less than handing the request to a worker thread and back."""
    return viewer_of(request)


async def require_viewer(
    request: Request, viewer: Annotated[Viewer | None, Depends(optional_viewer)]
) -> Viewer:
    """The logged-in person; for state-changing methods the CSRF token is checked too."""
    if viewer is None:
        raise NotLoggedIn()
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and _is_form(request):
            sent = (await request.form()).get("csrf")
        if not isinstance(sent, str) or not secrets.compare_digest(sent, viewer.csrf):
            raise CsrfRefused()
    return viewer


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


CurrentViewer = Annotated[Viewer, Depends(require_viewer)]
MaybeViewer = Annotated[Viewer | None, Depends(optional_viewer)]

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only paths of this site: "//evil.example" or "https://..." would be an open redirect.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/create"
    return target


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=bool(request.app.state.secure_cookies), path="/")


@router.get("/login")
def login_page(request: Request, next: str | None = None, error: str | None = None) -> Response:
    return _login_form(request, next, error, 401 if error else 200)


def _login_form(request: Request, next: str | None, error: str | None, status: int) -> Response:
    token = secrets.token_urlsafe(32)
    studio = request.app.state.studio
    context: dict[str, Any] = {
        "csrf": token, "next": _safe_next(next), "error": error, "viewer": None,
        "no_users": not accounts.has_users(studio.catalog),
    }
    response = request.app.state.templates.TemplateResponse(
        request, "login.html", context, status_code=status)
    _set_cookie(request, response, LOGIN_COOKIE, token, 600)
    return response


def _too_many(request: Request, wait: float, next: str | None) -> Response:
    """429, saying when to try again: JSON for a script, the login form for a browser."""
    from fastapi.responses import JSONResponse

    from studiolo.web.throttle import refusal

    message, retry = refusal(wait), str(max(1, math.ceil(wait)))
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        response: Response = JSONResponse({"error": message}, status_code=429)
    else:
        response = _login_form(request, next, message, 429)
    response.headers["Retry-After"] = retry
    return response


@router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/create",
) -> Response:
    cookie = request.cookies.get(LOGIN_COOKIE) or ""
    if not cookie or not secrets.compare_digest(cookie, csrf):
        raise CsrfRefused()
    catalog = request.app.state.studio.catalog
    # Back-off first: during a wait no password is checked, the right one included.
    throttle = request.app.state.login_throttle
    address = request.client.host if request.client else ""
    wait = throttle.wait(name, address)
    if wait > 0:
        return _too_many(request, wait, next)
    user = accounts.authenticate(catalog, name.strip(), password)
    if user is None:
        throttle.failed(name, address)
        message = quote("That name and password do not match; check both and try again.")
        return RedirectResponse(f"/login?error={message}&next={quote(_safe_next(next))}",
                                status_code=303)
    throttle.succeeded(name, address)
    token, _ = accounts.start_session(catalog, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, token, accounts.SESSION_DAYS * 86400)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, viewer: CurrentViewer) -> Response:
    accounts.end_session(request.app.state.studio.catalog, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
