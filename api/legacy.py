"""The first, unversioned JSON endpoints (kept for the scripts that use them; /api/v1/ is the
documented API). Session-authenticated; scoped like the pages."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from api.payloads import book_register_from, record_read
from audit.actors import AuthenticatedRequest


@login_required
@require_GET
def record_detail(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    return JsonResponse(record_read(request, pk))


@login_required
@require_POST
def book_create(request: AuthenticatedRequest) -> JsonResponse:
    """Register a book by unit code (see `api.payloads.book_register_from`)."""
    try:
        payload = json.loads(request.body or b"{}")
        if not isinstance(payload, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"errors": {"__all__": [_("Send a JSON object.")]}}, status=400)
    try:
        book = book_register_from(payload=payload, actor=request.user)
    except ValidationError as exc:
        return JsonResponse({"errors": exc.message_dict}, status=400)
    return JsonResponse({"id": book.pk, "slots": book.records.count(), "phase": book.phase}, status=201)
