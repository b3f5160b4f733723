"""ETags over the response body, and 304 for a matching If-None-Match.

The body is hashed after rendering, so the tag changes exactly when what the
client would receive changes (including its language); nothing is cached on
the server, and the view's own work is not saved, only the transfer.
"""

import hashlib

from django.http import HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

SAFE = frozenset({"GET", "HEAD"})
# Headers a 304 must repeat (RFC 9110, section 15.4.5).
KEPT = ("ETag", "Cache-Control", "Vary", "Content-Location", "Expires")


def body_etag(content: bytes) -> str:
    return f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def matches(etag: str, header: str) -> bool:
    """Weak comparison, as If-None-Match asks for (RFC 9110, section 13.1.2)."""
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag in {tag.removeprefix("W/") for tag in tags}


class ETagMixin:
    """For DRF views: tag every successful GET, answer 304 when unchanged.

    Responses to a key are private: they vary by the key and no shared cache
    may keep them.
    """

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.auth is not None:
            patch_vary_headers(response, ("Authorization", "X-Api-Key"))
            response["Cache-Control"] = "private, no-cache"
        else:
            response.setdefault("Cache-Control", "no-cache")
        if request.method not in SAFE or response.status_code != 200:
            return response
        response.render()
        response["ETag"] = body_etag(response.content)
        if not matches(response["ETag"], request.headers.get("If-None-Match", "")):
            return response
        not_modified = HttpResponseNotModified()
        for name in KEPT:
            if name in response:
                not_modified[name] = response[name]
        return not_modified
