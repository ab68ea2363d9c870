"""The versioned REST API, /api/v1/ (django-ninja): its OpenAPI 3 document at
/api/v1/openapi.json and the interactive docs page at /api/v1/docs (assets shipped with the
package, no CDN).

Every operation authenticates (a personal token or the app's session), is counted against the
token's rate limit, scopes through `permissions.scoping`, and calls the services the pages call.
Errors are problem details (`api.problems`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from api.auth import AppSession, PerTokenThrottle, TokenAuth
from api.problems import problem, validation_problem
from workflows.machine import TransitionRefused
from workflows.services import ConflictError, NotPermitted

api = NinjaAPI(
    title="civreg API",
    version="1",
    urls_namespace="api-v1",
    description=(
        "The civil-status register digitization API for scanner stations, the province's other "
        "systems and scripts. Authenticate with a personal token (`Authorization: Bearer civ_…`, "
        "created on your account page) or the app's session. Everything is scoped to the units "
        "of your roles. Errors are RFC 9457 problem details (`application/problem+json`) with "
        "`errors` by field. Creating POSTs accept an `Idempotency-Key` header. Messages are in "
        "Vietnamese unless `Accept-Language: en` is sent."
    ),
    auth=[TokenAuth(), AppSession()],
    throttle=[PerTokenThrottle()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _location(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "file", "payload")]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_location(error.get("loc", ())), []).append(str(error.get("msg", "")))
    return problem(422, _("Some values are missing or of the wrong type."), kind="invalid", errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(
        401,
        _("Send a valid personal API token (Authorization: Bearer …) or log in."),
        headers={"WWW-Authenticate": 'Bearer realm="civreg"'},
    )


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    wait = max(int(exc.wait or 1), 1)
    return problem(
        429,
        _("Too many calls with this token: wait %(s)d seconds and try again.") % {"s": wait},
        headers={"Retry-After": str(wait)},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404, _("There is no such object, or it is outside the units of your roles."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(403, str(exc) or _("Your roles do not allow this."))


@api.exception_handler(ConflictError)
def _conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    return problem(409, str(exc), kind="stale-version", **getattr(exc, "problem_extra", {}))


@api.exception_handler(NotPermitted)
def _not_permitted(request: HttpRequest, exc: NotPermitted) -> HttpResponse:
    return problem(403, str(exc))


@api.exception_handler(TransitionRefused)
def _refused(request: HttpRequest, exc: TransitionRefused) -> HttpResponse:
    return problem(409, str(exc), kind="transition-refused")


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return validation_problem(exc)


from api.v1 import imports, records, scans, units_books, work  # noqa: E402  (the routers use `api` above)

api.add_router("/", units_books.router)
api.add_router("/", records.router)
api.add_router("/", scans.router)
api.add_router("/", work.router)
api.add_router("/", imports.router)
