"""Issue and revoke API keys. The raw key exists only in the return value."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from medborg.api.models import ApiKey

KEY_PREFIX = "mb_"
# A key seen again within this time is not written back: a busy client would
# otherwise turn every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_key(raw: str) -> str:
    """SHA-256 is enough: the key is 256 random bits, not a password."""
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_key(
    *,
    name: str,
    scopes: list[str],
    user=None,
    rate: str = "",
    contact_email: str = "",
    by=None,
) -> tuple[ApiKey, str]:
    """Create a key for a client application; return it with the raw key.

    The raw key is shown once and never stored. Raises ValidationError for
    unknown scopes, a bad rate, or cases:work without a staff user.
    """
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name,
        prefix=f"{KEY_PREFIX}{prefix}",
        key_hash=hash_key(raw),
        scopes=sorted(set(scopes)),
        user=user,
        rate=rate,
        contact_email=contact_email,
        created_by=by,
    )
    key.full_clean()
    key.save()
    return key, raw


@transaction.atomic
def revoke_key(*, key: ApiKey, by=None) -> ApiKey:
    """Stop the key working from now on; idempotent. Its cases keep it."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def touch_key(key: ApiKey, now=None) -> None:
    """Note that the key was used, at most once a minute per key."""
    now = now or timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_PRECISION:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
