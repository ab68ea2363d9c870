"""Refuse requests whose query or form values hold characters that are never data, and the 400 page.

Every query string and urlencoded form is checked here, once, before any view reads it: a NUL byte,
bytes that are not UTF-8 (decoded as U+FFFD) or a lone surrogate answer 400 naming the character.
Multipart bodies (uploads) are left to the views, which read them under their own size limits; their
text fields are checked by the forms and services that clean them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from vietnamese.input_values import BadInput, unsafe_message


def _first_problem(values: QueryDict) -> str | None:
    for key, items in values.lists():
        for text in (key, *items):
            message = unsafe_message(text)
            if message:
                return _("The value of “%(field)s”: %(problem)s") % {"field": key[:40], "problem": message}
    return None


class RefuseUnsafeInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = _first_problem(request.GET)
        if problem is None and request.content_type == "application/x-www-form-urlencoded":
            problem = _first_problem(request.POST)
        if problem:
            raise BadInput(problem)
        return self.get_response(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 400 page: our own, in the site's layout, with the message when the project raised it."""
    if isinstance(exception, BadInput):
        message = str(exception)
    elif isinstance(exception, MultiPartParserError):
        message = _(
            "The upload could not be read: a file's name is too long (more than about 200 characters) "
            "or the upload was interrupted. Give the file a shorter name and upload it again."
        )
    else:
        message = ""
    return render(request, "400.html", {"message": message}, status=400)
