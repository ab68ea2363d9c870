"""For /api/v1/: the language of messages from `Accept-Language` (Vietnamese when absent), an
upload whose declared size is over the largest accepted one refused before its body is read, and
problem details for paths and methods the API does not have."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from api.problems import problem
from scans.intake import max_book_upload_bytes

PREFIX = "/api/v1/"


class ApiRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        first = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip().lower()
        if first:
            try:
                language = translation.get_supported_language_variant(first)
            except LookupError:
                language = settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > max_book_upload_bytes() + 64 * 1024:
            return problem(
                413,
                _("The upload is %(size)d MB; at most %(mb)d MB are accepted. Nothing was stored.")
                % {"size": declared // 2**20, "mb": max_book_upload_bytes() // 2**20},
            )
        response = self.get_response(request)
        if response.status_code in (404, 405) and not response.get("Content-Type", "").startswith(
            ("application/problem+json", "application/json")
        ):
            # A path or method the API does not have: a problem detail too, not the HTML page.
            allow = response.get("Allow")
            response = problem(
                response.status_code,
                _("There is no such API operation: see /api/v1/docs.")
                if response.status_code == 404
                else _("This operation does not take %(method)s.") % {"method": request.method},
                headers={"Allow": allow} if allow else None,
            )
        response.headers["Content-Language"] = translation.get_language()
        return response
