"""Shapes shared by the operations' OpenAPI descriptions: a problem detail and a page of a list."""

from typing import Any

from ninja import Schema


class Problem(Schema):
    """RFC 9457 problem details (`application/problem+json`); `errors` by field name."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None


# The error answers every operation may give.
PROBLEMS: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    422: Problem,
    429: Problem,
}


class Page(Schema):
    """One page of a list; `next` is the cursor of the following page (absent on the last)."""

    items: list[dict[str, Any]]
    next: str | None = None
