"""Find the key behind a request and apply its rate limit."""

from django.conf import settings

from django_ratelimit.core import is_ratelimited

from medborg.api.models import ApiKey
from medborg.api.services import hash_key


def active_key(raw: str) -> ApiKey | None:
    """The unrevoked key with this raw value, or None. Constant work per lookup:
    the hash is compared by the database's unique index, never the raw key."""
    if not raw or len(raw) > 200:
        return None
    return (
        ApiKey.objects.select_related("user")
        .filter(key_hash=hash_key(raw), revoked_at=None)
        .first()
    )


def over_rate(request, key: ApiKey) -> bool:
    """Count this request against the key's rate; True when over it.

    Counted in the shared cache (Redis in production), so every web process
    sees the same count.
    """
    return is_ratelimited(
        request,
        group="api-key",
        key=lambda group, request: key.prefix,
        rate=key.rate or settings.API_KEY_RATE,
        increment=True,
    )
