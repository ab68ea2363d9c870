"""Cursor paging by id: `?after=<cursor>&limit=`; the answer names the cursor of the next page."""

from __future__ import annotations

import base64
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja.errors import HttpError

MAX_LIMIT = 200


def _decode(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, UnicodeError):
        raise HttpError(400, _("The cursor is not one this API gave: start again without it.")) from None
    if not 0 <= value < 2**63:
        raise HttpError(400, _("The cursor is not one this API gave: start again without it."))
    return value


def _encode(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def page_of(queryset: QuerySet, *, after: str, limit: int, row: Any) -> dict[str, Any]:
    """One page of `queryset` (ordered by id) after the cursor, each row through `row`."""
    if after:
        queryset = queryset.filter(pk__gt=_decode(after))
    limit = min(max(limit, 1), MAX_LIMIT)
    rows = list(queryset.order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [row(r) for r in rows], "next": _encode(rows[-1].pk) if more and rows else None}
