"""Who calls: a personal token (`Authorization: Bearer civ_…`) or the app's own session (with its
CSRF check), and how often (a per-token limit, counted in the cache)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import SimpleRateThrottle

from api.tokens import token_authenticate


class TokenAuth(HttpBearer):
    openapi_description = "A personal API token from the user's page: `Authorization: Bearer civ_…`."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_authenticate(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found


class AppSession(SessionAuth):
    """The session of the app's own pages (and the docs page's "Try it out")."""

    openapi_description = "The app's session cookie (pages and the docs page)."


class PerTokenThrottle(SimpleRateThrottle):
    """`API_RATE_LIMIT` calls per token (per user for the session), e.g. "600/m"."""

    scope = "api"

    def __init__(self) -> None:
        super().__init__(settings.API_RATE_LIMIT)

    def allow_request(self, request: HttpRequest) -> bool:
        if self.rate != settings.API_RATE_LIMIT:  # tests change the setting
            self.rate = settings.API_RATE_LIMIT
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "api_token", None)
        if token is not None:
            return f"api-rate-token-{token.pk}"
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"api-rate-user-{user.pk}"
        return None
