"""Find the client's address behind the configured number of reverse proxies."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The address of the client as the outermost trusted proxy saw it.

    Each trusted proxy appends the address it received the request from to
    X-Forwarded-For, so with N proxies the client is the N-th entry from the
    right; anything further left was written by the client and is not trusted.
    A missing or malformed entry falls back to the connection's address.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.PROXY_COUNT
    if not count:
        return remote
    hops = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote
