"""Where a change comes from: the client's address and user agent of the request being served.

`RequestOriginMiddleware` puts them in a context variable for the length of the request, and
`audit.services.audit_write` reads it, so every audit row written while serving a request
(changes, views, logins) carries them without each caller passing them on. Outside a request
(commands, background jobs) both are empty.

The address is REMOTE_ADDR, unless CLIENT_IP_TRUSTED_PROXIES says how many reverse proxies
in front append to X-Forwarded-For: then it is the address that the outermost trusted proxy
saw (the N-th from the right). Anything else in that header is written by the client and is
never believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse

USER_AGENT_MAX = 300


@dataclass(frozen=True)
class RequestOrigin:
    ip: str = ""
    user_agent: str = ""


NO_ORIGIN = RequestOrigin()
_origin: ContextVar[RequestOrigin] = ContextVar("audit_request_origin", default=NO_ORIGIN)


def current_origin() -> RequestOrigin:
    """The origin of the request being served, or empty values outside a request."""
    return _origin.get()


def _valid_ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


def client_ip(request: Any) -> str:
    """The client's address as the trusted proxies report it (see the module's docstring)."""
    remote = _valid_ip(str(request.META.get("REMOTE_ADDR", "")))
    proxies = settings.CLIENT_IP_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [
        part for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return _valid_ip(forwarded[-proxies]) or remote


def request_origin(request: Any) -> RequestOrigin:
    agent = str(request.META.get("HTTP_USER_AGENT", ""))
    agent = "".join(ch for ch in agent if ch.isprintable())[:USER_AGENT_MAX]
    return RequestOrigin(ip=client_ip(request), user_agent=agent)


class RequestOriginMiddleware:
    """Sets the request's origin for the audit trail while the request is served (sync and async)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        token = _origin.set(request_origin(request))
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        token = _origin.set(request_origin(request))
        try:
            response: Awaitable[HttpResponse] = self.get_response(request)
            return await response
        finally:
            _origin.reset(token)
