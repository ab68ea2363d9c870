from __future__ import annotations

from permissions.scoping import user_scopes


def roles(request):
    """The signed-in user's roles, for the menu."""
    scopes = user_scopes(getattr(request, "user", None))
    return {"my_scopes": scopes, "my_roles": {s.role for s in scopes}}
