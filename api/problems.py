"""Errors as RFC 9457 problem details (`application/problem+json`): type, title, status, detail,
and `errors` by field name with the same messages as the pages' forms, in the request's language."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _

PROBLEM_TYPE = "https://civreg.invalid/problems/"
CONTENT_TYPE = "application/problem+json"


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be read"),
        401: _("Authentication required"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Too large"),
        422: _("The data was refused"),
        429: _("Too many requests"),
    }


def problem(
    status: int,
    detail: str = "",
    *,
    kind: str = "",
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + (kind or str(status)),
        "title": _titles().get(status, _("Error")),
        "status": status,
        "detail": detail or _titles().get(status, ""),
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def validation_problem(exc: ValidationError, *, status: int = 422) -> HttpResponse:
    """A service's or form's refusal, by field when it names fields (`__all__`: the whole call)."""
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        detail = " ".join(m for messages in errors.values() for m in messages)
        return problem(status, detail, kind="invalid", errors=errors)
    return problem(status, " ".join(str(m) for m in exc.messages), kind=exc.code or "refused")


def form_problem(form: Any) -> HttpResponse:
    """A bound Django form's errors, by field name, the messages the page shows."""
    errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
    detail = " ".join(m for messages in errors.values() for m in messages)
    return problem(422, detail, kind="invalid", errors=errors)
