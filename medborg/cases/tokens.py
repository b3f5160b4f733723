"""Make and check the citizen's private tracking token.

A token carries 256 bits of randomness and is stored only as its SHA-256 hash.
For web submissions the token is derived (HMAC) from the form's random
submission key, so that a retried or double-clicked submission can answer with the
same tracking link without the server ever storing the token itself.
"""

import base64
import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

TOKEN_BYTES = 32
_SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def new_submission_key() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_submission_key(text: str) -> bool:
    return bool(_SUBMISSION_KEY.match(text))


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_for_submission(submission_key: str) -> str:
    """Derive the tracking token of a web submission from its random key."""
    key = hashlib.sha256(
        b"medborg.cases.tokens.submission:" + settings.SECRET_KEY.encode()
    ).digest()
    digest = hmac.new(key, submission_key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    """Return the hex SHA-256 of any string; malformed tokens hash like good ones."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def hash_submission_key(submission_key: str) -> str:
    return hashlib.sha256(b"submission:" + submission_key.encode()).hexdigest()


def _fernet(secret: str) -> Fernet:
    derived = salted_hmac(
        "medborg.cases.tokens.seal", "", secret=secret, algorithm="sha256"
    ).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def _sealer() -> MultiFernet:
    secrets_in_use = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([_fernet(secret) for secret in secrets_in_use])


def seal(token: str) -> str:
    """Encrypt a token for the update e-mails that must carry the link (ADR 4)."""
    return _sealer().encrypt(token.encode()).decode()


def unseal(sealed: str, token_hash: str) -> str | None:
    """Decrypt a sealed token; None if it fails or does not match its hash.

    Keys come from ``SECRET_KEY`` and its fallbacks, so rotating the secret
    keeps old links working while the old secret is a fallback.
    """
    try:
        token = _sealer().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
    if not hmac.compare_digest(hash_token(token), token_hash):
        return None
    return token
