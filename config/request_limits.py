"""Request bodies bounded before they are read: a guard in front of the Django app, for WSGI and ASGI.

Django's ASGI handler reads a request's whole body (spooled to a temporary file past
FILE_UPLOAD_MAX_MEMORY_SIZE) before any middleware or view runs, and under WSGI the multipart parser
does the same on first access to request.POST/FILES, so a limit checked in a view comes after the
bytes have been received and written. This guard stands in front of the app: `BoundedRequestBody`
for ASGI (config/asgi.py, the WebSocket process) and `BoundedWSGIRequestBody` for WSGI
(config/wsgi.py, the page workers under gunicorn):

- Each route has a limit (`route_limit`): the upload pages their configured sizes (SCAN_UPLOAD_MAX_MB,
  SCAN_BOOK_UPLOAD_MAX_MB, the batch and import limits), every other page DATA_UPLOAD_MAX_MEMORY_SIZE.
- Without a valid session no route takes more than ANONYMOUS_BODY_MAX bytes: the login form needs
  a few hundred, and nobody uploads without logging in. The session is looked up only when a body
  is larger than that.
- A declared Content-Length over the limit is answered 413 at once, before a byte of the body is
  read. A body without a length (chunked) is counted as it streams in; when it passes the limit the
  guard answers 413 and reads no more. Under ASGI it tells the app the client went away; under
  WSGI the app is not called at all: a chunked body is first copied, bounded, to a spooled file
  (memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then FILE_UPLOAD_TEMP_DIR) and handed to Django with
  its length, since Django's WSGI request reads no body without a Content-Length.

The server in front must not buffer bodies itself (gunicorn and uvicorn hand them to the app as
they arrive; daphne/twisted reads the whole body into memory before the app sees it: see README,
"Serving"). The proxy in front sets the same limits (deploy/nginx.conf).
"""

from __future__ import annotations

import html
import socket
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KB = 1024
MB = 1024 * 1024
# A login form is a few hundred bytes; without a session nothing larger is accepted anywhere.
ANONYMOUS_BODY_MAX = 8 * KB
# Room for the multipart framing and the other fields of an upload form.
MULTIPART_SLACK = 64 * KB


def _upload_limits() -> dict[str, int]:
    """The routes that take files (by URL name) and their limits in bytes, from the settings."""
    from scans import intake

    imports = settings.IMPORT_UPLOAD_MAX_MB * MB
    return {
        "scan_upload": intake.max_upload_bytes(),
        "task_work": intake.max_upload_bytes(),  # the scan stage's upload
        "book_scans": intake.max_book_upload_bytes(),
        "scan_batch_new": intake.max_batch_upload_bytes(),
        "book_scan_split": 2 * MB,  # a CSV of page ranges (the view takes at most 1 MB of it)
        "import_list": imports,
        "transfer_reconciliation": imports,
    }


def route_limit(path: str) -> int:
    """The largest body, in bytes, that the route at `path` accepts from a logged-in user."""
    try:
        name = resolve(path).url_name
    except Resolver404:
        return ANONYMOUS_BODY_MAX
    uploads = _upload_limits()
    if name in uploads:
        return uploads[name] + MULTIPART_SLACK
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE + MULTIPART_SLACK


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value
    return None


def _parse_cookies(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header is no session
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def _cookies(scope: Scope) -> dict[str, str]:
    raw = _header(scope, b"cookie")
    return _parse_cookies(raw.decode("latin-1") if raw else None)


def _valid_session_key(cookies: dict[str, str]) -> str:
    key = cookies.get(settings.SESSION_COOKIE_NAME, "")
    return key if key and len(key) <= 64 and key.isalnum() else ""


def _session_user_is_authenticated(session_key: str) -> bool:
    """One session look-up on the caller's connection (a WSGI worker keeps it open)."""
    from django.contrib.auth import get_user
    from django.http import HttpRequest

    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return bool(get_user(request).is_authenticated)  # type: ignore[arg-type]


def _session_is_authenticated(session_key: str) -> bool:
    from django.db import connections

    try:
        return _session_user_is_authenticated(session_key)
    finally:
        connections.close_all()


async def session_is_authenticated(scope: Scope) -> bool:
    """Whether the request carries the session of an active, logged-in user (one database look-up)."""
    key = _valid_session_key(_cookies(scope))
    if not key:
        return False
    async with ThreadSensitiveContext():
        return await sync_to_async(_session_is_authenticated, thread_sensitive=True)(key)


def _size(n: int) -> str:
    return f"{n // MB:,} MB" if n >= MB else f"{max(1, n // KB):,} KB"


def refusal_message(*, size: int | None, limit: int, anonymous: bool) -> str:
    if anonymous:
        return _(
            "The request is too large: without logging in, at most %(limit)s are accepted. "
            "Nothing was stored. Log in first, then upload the file."
        ) % {"limit": _size(limit)}
    sent = _("The upload is %(size)s; ") % {"size": _size(size)} if size else ""
    return sent + _(
        "at most %(limit)s are accepted on this page. Nothing was stored. "
        "Make the file smaller (scan at 200 dpi in grayscale) or split it, and upload it again."
    ) % {"limit": _size(limit)}


def _language(cookies: dict[str, str]) -> str:
    """The interface language the user chose (config.locale), else Vietnamese."""
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def refusal_page(
    cookies: dict[str, str], *, size: int | None, limit: int, anonymous: bool
) -> tuple[str, bytes]:
    """The 413 page in the user's language: (language, HTML)."""
    language = _language(cookies)
    with translation.override(language):
        title = _("The request is too large")
        message = refusal_message(size=size, limit=limit, anonymous=anonymous)
    body = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">'
        f'<h1>{html.escape(title)}</h1><p role="alert">{html.escape(message)}</p></body></html>'
    ).encode()
    return language, body


async def send_refusal(scope: Scope, send: Send, *, size: int | None, limit: int, anonymous: bool) -> None:
    """A short page in the user's language with status 413; the connection is closed after it."""
    language, body = refusal_page(_cookies(scope), size=size, limit=limit, anonymous=anonymous)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"content-language", language.encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BoundedRequestBody:
    """ASGI middleware: answers 413 for a body over its route's limit, without reading the rest."""

    def __init__(self, app: Any):
        self.app: ASGIApp = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "/")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        limit = route_limit(path)
        allowed = min(ANONYMOUS_BODY_MAX, limit)
        checked_session = False

        declared_raw = _header(scope, b"content-length")
        if declared_raw is not None:
            try:
                declared = int(declared_raw)
            except ValueError:
                declared = -1
            if declared > allowed:
                authenticated = limit > allowed and await session_is_authenticated(scope)
                checked_session = True
                if authenticated:
                    allowed = limit
                if declared > allowed:
                    anonymous = not authenticated and limit > allowed
                    await send_refusal(scope, send, size=declared, limit=allowed, anonymous=anonymous)
                    return

        received = 0
        refused = False

        async def bounded_receive() -> Message:
            nonlocal received, refused, allowed, checked_session
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] != "http.request":
                return message
            received += len(message.get("body", b""))
            if received > allowed and not checked_session:
                checked_session = True
                if limit > allowed and await session_is_authenticated(scope):
                    allowed = limit
            if received > allowed:
                refused = True
                await send_refusal(scope, send, size=None, limit=allowed, anonymous=allowed < limit)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, bounded_receive, guarded_send)


# --- WSGI -----------------------------------------------------------------------------------------

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
COPY_PIECE = 64 * KB


class BoundedWSGIRequestBody:
    """WSGI middleware: the same limits as `BoundedRequestBody`, for the page workers (gunicorn).

    A declared Content-Length over the limit is refused before a byte is read. A chunked body is
    copied, at most one piece past the limit, to a spooled file first; over the limit it is refused
    and the app is never called, within it the app gets the file and its length. After a refusal
    gunicorn drains at most 64 KB of the unread body, then closes the connection.
    """

    def __init__(self, app: WSGIApp):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/") or "/"
        limit = route_limit(path)
        allowed = min(ANONYMOUS_BODY_MAX, limit)

        def authenticated() -> bool:
            from django.db import close_old_connections

            key = _valid_session_key(_parse_cookies(environ.get("HTTP_COOKIE")))
            if not key:
                return False
            # Before Django's own request_started: a kept connection is checked (or replaced) first.
            close_old_connections()
            return _session_user_is_authenticated(key)

        declared_raw = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if declared_raw and not chunked:
            try:
                declared = int(declared_raw)
            except ValueError:
                declared = -1
            if declared > allowed:
                is_user = limit > allowed and authenticated()
                if is_user:
                    allowed = limit
                if declared > allowed:
                    anonymous = not is_user and limit > allowed
                    return self.refuse(
                        environ, start_response, size=declared, limit=allowed, anonymous=anonymous
                    )
            return self.app(environ, start_response)
        if not chunked:
            return self.app(environ, start_response)

        # A chunked body: copy it, bounded, then hand the copy to Django with its length.
        spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - handed to the app, closed with the request
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, dir=settings.FILE_UPLOAD_TEMP_DIR
        )
        stream = environ["wsgi.input"]
        received = 0
        checked_session = False
        while True:
            piece = stream.read(COPY_PIECE)
            if not piece:
                break
            received += len(piece)
            if received > allowed and not checked_session:
                checked_session = True
                if limit > allowed and authenticated():
                    allowed = limit
            if received > allowed:
                spool.close()
                return self.refuse(
                    environ, start_response, size=None, limit=allowed, anonymous=allowed < limit
                )
            spool.write(piece)
        spool.seek(0)
        environ["wsgi.input"] = spool
        environ["CONTENT_LENGTH"] = str(received)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    @staticmethod
    def refuse(
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        *,
        size: int | None,
        limit: int,
        anonymous: bool,
    ) -> Iterable[bytes]:
        cookies = _parse_cookies(environ.get("HTTP_COOKIE"))
        language, body = refusal_page(cookies, size=size, limit=limit, anonymous=anonymous)
        start_response(
            "413 Request Entity Too Large",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Content-Language", language),
            ],
        )
        return LingeringRefusal(body, environ.get("gunicorn.socket"))


LINGER_SECONDS = 2.0


class LingeringRefusal:
    """The 413 page, then a lingering close (as nginx does): the server's write side is shut and what
    the client still sends is read and dropped for a moment. Closing at once with unread bytes
    would reset the connection, and a proxy that had not yet read the 413 would lose it."""

    def __init__(self, body: bytes, sock: socket.socket | None):
        self.body, self.sock = body, sock

    def __iter__(self):
        yield self.body

    def close(self) -> None:  # called by the server once the body is sent (PEP 3333)
        if self.sock is None:
            return
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(0.5)
            deadline = time.monotonic() + LINGER_SECONDS
            while time.monotonic() < deadline and self.sock.recv(256 * KB):
                pass
        except OSError:
            pass
