"""Scopes, checked on every endpoint; an endpoint that names none refuses all."""

from rest_framework.permissions import BasePermission

from medborg.api.models import ApiKey

PUBLIC = None


class HasScope(BasePermission):
    """Allow a method when the view's ``required_scopes`` maps it to PUBLIC or
    to a scope the request's key holds.

    ``required_scopes`` is a dict of HTTP method to scope; HEAD and OPTIONS
    follow GET. A method missing from it is refused, so forgetting to declare
    a scope closes an endpoint instead of opening it.
    """

    def has_permission(self, request, view):
        scopes = getattr(view, "required_scopes", {})
        method = "GET" if request.method in {"HEAD", "OPTIONS"} else request.method
        if method not in scopes:
            return False
        scope = scopes[method]
        if scope is PUBLIC:
            return True
        key = request.auth
        return isinstance(key, ApiKey) and key.has_scope(scope)
