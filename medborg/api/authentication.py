"""Authenticate REST API requests by key, and check each endpoint's scope."""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from medborg.api.models import Scope
from medborg.api.selectors import active_key, over_rate
from medborg.api.services import touch_key


def raw_key(request) -> str | None:
    """The key from ``Authorization: Bearer …`` or ``X-Api-Key``, or None.

    Never from the query string: URLs end up in proxy logs.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _space, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.META.get("HTTP_X_API_KEY") or None


class ApiKeyAuthentication(BaseAuthentication):
    """A known, unrevoked key authenticates; ``request.auth`` is the ApiKey.

    ``request.user`` is the key's staff user only for keys with cases:work;
    every other key is anonymous, so no key borrows a person's rights by
    accident. A key over its rate is answered 429.
    """

    def authenticate(self, request):
        raw = raw_key(request)
        if raw is None:
            return None
        key = active_key(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(
                _("The API key is unknown or revoked.")
            )
        if over_rate(request._request, key):
            raise exceptions.Throttled(
                detail=_("This key has made too many requests; try again later.")
            )
        touch_key(key)
        user = key.user if Scope.CASES_WORK in key.scopes else None
        if user is None or not user.is_active:
            user = AnonymousUser()
        return user, key

    def authenticate_header(self, request):
        return 'Bearer realm="medborg"'
