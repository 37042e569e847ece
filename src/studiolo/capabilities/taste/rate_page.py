"""The page `studiolo rate` opens: two artworks side by side, click the one you prefer.

A tiny `http.server` on 127.0.0.1 for one person at a time. Every address
carries a random token, so another local program (or a web page the browser
happens to show) cannot record picks; images are served only for the pair on
screen. The server stops on "Done", after `--rounds` picks, or on Ctrl-C.
"""

from __future__ import annotations

import html
import secrets
import threading
import webbrowser
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click

from studiolo.core.maker import Maker

MAX_FORM = 4096
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>studiolo: rate</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;background:#faf8f5;color:#222}}
.pair{{display:flex;gap:2em}} form{{flex:1;text-align:center}}
button.pick{{border:3px solid transparent;background:none;padding:0;cursor:pointer}}
button.pick:hover{{border-color:#c60}} img{{max-width:100%;max-height:70vh}}
.note{{color:#555}}</style></head><body>
<h1>Which do you prefer?</h1><p class="note">{message}</p>
<div class="pair">{cards}</div>
<form method="post" action="/pick"><input type="hidden" name="t" value="{token}">
<button name="choice" value="s">Skip this pair</button>
<button name="choice" value="q">Done</button></form></body></html>"""
CARD = """<form method="post" action="/pick"><input type="hidden" name="t" value="{token}">
<button class="pick" name="choice" value="{choice}" title="{title}">
<img src="/img/{sha}?t={token}" alt="{title}"></button><p>{title}</p></form>"""
DONE = """<!doctype html><html><head><meta charset="utf-8"><title>studiolo: rate</title></head>
<body style="font-family:system-ui,sans-serif;margin:2em"><h1>Thank you</h1><p>{message}</p>
<p>You can close this tab.</p></body></html>"""


@dataclass
class RatingSession:
    """What the page needs between requests: who rates, among what, and the pair on screen."""

    studio: Maker
    person: str
    query: str | None = None
    rounds: int | None = None
    name: str = "default"
    embedder: str | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    pair: tuple[str, str] | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)
    picks: int = 0
    message: str = "Click the picture you like more."
    finished: bool = False

    def next_pair(self) -> None:
        from studiolo.capabilities.taste.profile import suggest_pair

        self.pair = suggest_pair(self.studio, self.person, query=self.query,
                                 embedder=self.embedder, skip=self.skipped)

    def choose(self, choice: str) -> None:
        """Record "1" / "2" (a pick), "s" (skip) or "q" (finish)."""
        from studiolo.capabilities.taste.cli import progress_line, refit

        assert self.pair is not None
        if choice == "q":
            self.finished = True
            return
        if choice == "s":
            self.skipped.append(self.pair)
        else:
            first, second = self.pair
            winner, loser = (first, second) if choice == "1" else (second, first)
            self.studio.catalog.add_pair(self.person, winner, loser)
            self.picks += 1
            profile = refit(self.studio, self.person, self.name, self.embedder)
            self.message = progress_line(self.studio, self.person, profile)
            if self.rounds is not None and self.picks >= self.rounds:
                self.finished = True
                return
        self.next_pair()

    def title(self, sha: str) -> str:
        artwork = self.studio.catalog.get_artwork(sha)
        return artwork.title or artwork.recipe.prompt or sha[:12]


def _rate_page_headers() -> tuple[tuple[str, str], ...]:
    """The web studio's security headers, with a policy for this page's inline styles (it has
    no script at all)."""
    from studiolo.web.security import COMMON

    csp = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    return (("Content-Security-Policy", csp), *COMMON)


RATE_PAGE_HEADERS = _rate_page_headers()


def _handler(session: RatingSession) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet: the CLI prints
            return

        def _token_ok(self, given: list[str] | None) -> bool:
            return bool(given) and secrets.compare_digest(given[0], session.token)

        def _send(self, status: int, body: bytes, kind: str = "text/html; charset=utf-8",
                  extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for key, value in RATE_PAGE_HEADERS:
                self.send_header(key, value)
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if not self._token_ok(parse_qs(url.query).get("t")):
                self._send(HTTPStatus.FORBIDDEN, b"Open the address studiolo printed.")
                return
            if session.finished:
                self._send(HTTPStatus.OK, DONE.format(message=html.escape(session.message))
                           .encode())
                return
            if url.path == "/":
                self._send(HTTPStatus.OK, self._page().encode())
            elif url.path.startswith("/img/") and session.pair and url.path[5:] in session.pair:
                path = session.studio.files.path(url.path[5:])
                kind = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                        ".webp": "image/webp"}.get(path.suffix.lower(), "application/octet-stream")
                self._send(HTTPStatus.OK, path.read_bytes(), kind)
            else:
                self._send(HTTPStatus.NOT_FOUND, b"Not found.")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if urlsplit(self.path).path != "/pick" or not 0 < length <= MAX_FORM:
                self._send(HTTPStatus.BAD_REQUEST, b"Bad request.")
                return
            form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
            choice = (form.get("choice") or [""])[0]
            if not self._token_ok(form.get("t")) or choice not in ("1", "2", "s", "q"):
                self._send(HTTPStatus.FORBIDDEN, b"Open the address studiolo printed.")
                return
            if not session.finished:
                session.choose(choice)
            if not session.finished:
                self._send(HTTPStatus.SEE_OTHER, b"", extra={"Location": f"/?t={session.token}"})
                return
            # The last answer gets its page in this response: the server stops right after.
            self._send(HTTPStatus.OK, DONE.format(message=html.escape(session.message)).encode())
            threading.Thread(target=self.server.shutdown, daemon=True).start()

        def _page(self) -> str:
            assert session.pair is not None
            cards = "".join(
                CARD.format(token=session.token, choice=str(i + 1), sha=sha,
                            title=html.escape(session.title(sha)))
                for i, sha in enumerate(session.pair)
            )
            return PAGE.format(message=html.escape(session.message), cards=cards,
                               token=session.token)

    return Handler


def make_rating_server(session: RatingSession, port: int = 0) -> tuple[HTTPServer, str]:
    """The server (not yet serving) and the page's address with its token."""
    session.next_pair()  # fails early, before any server, when there is nothing to rate
    server = HTTPServer(("127.0.0.1", port), _handler(session))
    return server, f"http://127.0.0.1:{server.server_port}/?t={session.token}"


def serve_rating_page(studio: Maker, person: str, *, query: str | None, rounds: int | None,
                      name: str, embedder: str | None, port: int, open_browser: bool) -> None:
    """Serve the page until the person is done (Ctrl-C also ends it)."""
    session = RatingSession(studio, person, query=query, rounds=rounds, name=name,
                            embedder=embedder)
    server, url = make_rating_server(session, port)
    click.echo(f"Rating page: {url}")
    click.echo("Click the picture you prefer; press Ctrl-C here (or Done there) to stop.")
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    click.echo(f"{session.picks} pairs rated on the page; {session.message}")
