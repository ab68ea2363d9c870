"""Who acts: the type of the people services and selectors act for.

One alias for the whole code base, in the bottom layer so every app can use it.
The project keeps Django's user model (no AUTH_USER_MODEL), so an actor is an
`auth.User`; views behind `login_required` take an `AuthenticatedRequest`, whose
`user` is that model rather than `User | AnonymousUser`.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import User
from django.http import HttpRequest

Actor: TypeAlias = User


class AuthenticatedRequest(HttpRequest):
    """A request whose user has logged in (views decorated with `login_required`)."""

    user: Actor
