"""For /api/: the language of messages from `Accept-Language` (Vietnamese when absent), and an
upload whose declared size is over the largest accepted one refused before its body is read."""

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
        response.headers["Content-Language"] = translation.get_language()
        return response
