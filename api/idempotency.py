"""`Idempotency-Key` on the POSTs that create things: the first answer is kept with the key (in
the same transaction as what it created), a repeat with the same key and body gets that answer
again and creates nothing; the same key with another body is refused."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from api.models import IdempotencyKey
from api.problems import problem
from audit.actors import AuthenticatedRequest

HEADER = "Idempotency-Key"


def _request_digest(request: HttpRequest) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.content_type == "multipart/form-data":
        for name in sorted(request.POST):
            digest.update(f"{name}={request.POST.getlist(name)}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _replay(kept: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(kept.body), status=kept.status, content_type=kept.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a creating operation that returns an `HttpResponse`."""

    @functools.wraps(view)
    def wrapper(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(request, *args, **kwargs)
        if len(key) > 255:
            return problem(
                400, _("The Idempotency-Key is at most 255 characters."), errors={HEADER: [_("Too long.")]}
            )
        digest = _request_digest(request)
        user = request.user
        kept = IdempotencyKey.objects.filter(user=user, key=key).first()
        if kept is None:
            try:
                with transaction.atomic():
                    response = view(request, *args, **kwargs)
                    if 200 <= response.status_code < 300:
                        IdempotencyKey.objects.create(
                            user=user,
                            key=key,
                            operation=request.path[:255],
                            request_sha256=digest,
                            status=response.status_code,
                            content_type=response.get("Content-Type", "application/json"),
                            body=response.content,
                        )
                    return response
            except IntegrityError:
                # The same key was used by a call that committed meanwhile: what it created stays
                # (and this call's work was rolled back with the key).
                kept = IdempotencyKey.objects.filter(user=user, key=key).first()
                if kept is None:
                    raise
        if kept.request_sha256 != digest:
            return problem(
                422,
                _(
                    "This Idempotency-Key was already used for another request. Use a new key for "
                    "a new request."
                ),
                kind="idempotency-key-reused",
                errors={HEADER: [_("Already used for another request.")]},
            )
        return _replay(kept)

    return wrapper
