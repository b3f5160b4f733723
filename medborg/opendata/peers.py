"""Store other municipalities' figures, uploaded or fetched from their address.

A peer publishes its figures as open data in the shape of Kolada's rows,
usually another Medborg's /open-data/kolada.csv. Fetching that address at run
time is the feature: the response is data to compare with, parsed by
``kolada.parse`` and never run, installed or served as code or assets. The
address is set by an operator in the admin; only http and https are fetched,
redirects included.

Each store replaces the peer's figures in one transaction that first locks the
peer's row, so an upload and the nightly fetch write one after the other. A
failed fetch keeps the figures already stored and records why in
``Peer.fetch_error``, which the admin shows.
"""

import logging
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPException

from django.db import transaction
from django.utils import timezone

from medborg.opendata import kolada
from medborg.opendata.indicators import BY_ID
from medborg.opendata.kolada import KoladaFormatError, PeerRow
from medborg.opendata.models import Peer, PeerValue

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
SCHEMES = ("http", "https")
USER_AGENT = "Medborg"
# How many municipality codes or kpis an error names before "…".
NAMED = 10
ERROR_LENGTH = Peer._meta.get_field("fetch_error").max_length


def _listed(values) -> str:
    values = sorted(set(values))
    shown = ", ".join(values[:NAMED])
    return shown + (", …" if len(values) > NAMED else "")


def _shared(*, peer: Peer, rows: list[PeerRow]) -> list[PeerRow]:
    if not rows:
        raise KoladaFormatError(None, "the file holds no figures")
    own = [row for row in rows if row.municipality_id == peer.municipality_code]
    if not own:
        raise KoladaFormatError(
            None,
            f"no figures for municipality {peer.municipality_code}; the file "
            f"has municipality_id {_listed(row.municipality_id for row in rows)}",
        )
    shared = [row for row in own if row.indicator in BY_ID]
    if not shared:
        raise KoladaFormatError(
            None,
            f"none of the {len(own)} figures for municipality "
            f"{peer.municipality_code} is an indicator of this cockpit; "
            f"the file has kpi {_listed(row.indicator for row in own)}",
        )
    return shared


@transaction.atomic
def store_rows(*, peer: Peer, rows: list[PeerRow]) -> int:
    """Replace the peer's figures with its rows among ``rows``; return how many.

    Keeps the rows of the peer's municipality code (a file may hold several
    municipalities, as a Kolada download does) whose indicator this cockpit
    publishes too, then stamps ``fetched_at`` and clears ``fetch_error``.
    Locks the peer's row first.

    Raises KoladaFormatError, and changes nothing, when no row is for the
    peer's municipality (naming the codes the rows are for) or none of its
    rows is an indicator of this cockpit (naming the kpis).
    """
    shared = _shared(peer=peer, rows=rows)
    locked = Peer.objects.select_for_update().get(pk=peer.pk)
    PeerValue.objects.filter(peer=locked).delete()
    PeerValue.objects.bulk_create(
        [
            PeerValue(
                peer=locked,
                indicator=row.indicator,
                period=row.period,
                value=row.value,
                count=row.count,
            )
            for row in shared
        ],
        batch_size=5_000,
    )
    peer.fetched_at = timezone.now()
    peer.fetch_error = ""
    Peer.objects.filter(pk=peer.pk).update(
        fetched_at=peer.fetched_at, fetch_error=peer.fetch_error
    )
    return len(shared)


def _text(content: bytes) -> str:
    if len(content) > MAX_BYTES:
        raise KoladaFormatError(
            None, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB"
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise KoladaFormatError(
            line,
            f"byte 0x{content[error.start]:02x} is not UTF-8; "
            "save the file as CSV UTF-8",
        ) from None


def import_file(*, peer: Peer, content: bytes) -> int:
    """Replace the peer's figures with those of a Kolada-shaped file; return how many.

    ``content`` is the file as uploaded: UTF-8, with or without a byte order
    mark, at most 20 MB. Atomic through ``store_rows``.

    Raises KoladaFormatError, and changes nothing, for a larger file, one
    that is not UTF-8 (naming the line), one ``kolada.parse`` refuses, or one
    ``store_rows`` refuses.
    """
    return store_rows(peer=peer, rows=kolada.parse(_text(content)))


class _HttpRedirects(urllib.request.HTTPRedirectHandler):
    """The default redirects (at most 10), but never away from http or https."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in SCHEMES:
            raise urllib.error.HTTPError(
                newurl, code, f"redirected to a {scheme!r} address", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _download(url: str, timeout: float) -> bytes:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(f"only http and https addresses are fetched, not {url!r}")
    opener = urllib.request.build_opener(_HttpRedirects)
    headers = {"User-Agent": USER_AGENT}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked)
    with opener.open(request, timeout=timeout) as response:
        content = response.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ValueError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    return content


def _reason(error: Exception, timeout: float) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        error = error.reason if isinstance(error.reason, Exception) else error
        if not isinstance(error, TimeoutError):
            return f"cannot reach the address: {error}"
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g} seconds"
    return str(error)


def fetch(*, peer: Peer, timeout: float = 10) -> int:
    """Fetch the peer's address and replace its figures; return how many, 0 on failure.

    Sends ``User-Agent: Medborg``, reads at most 20 MB and waits at most
    ``timeout`` seconds for each answer. The download happens outside any
    transaction; the figures are then stored through ``store_rows``.

    Never raises for what the address returns: an unreachable address, an
    HTTP error, a timeout, a file too large or not Kolada-shaped is logged,
    recorded in ``fetch_error`` (at most 300 characters) and the figures
    already stored are kept.
    """
    try:
        content = _download(peer.url, timeout)
        return import_file(peer=peer, content=content)
    except (OSError, HTTPException, ValueError) as error:
        # KoladaFormatError and URLError are a ValueError and an OSError.
        reason = _reason(error, timeout)
        if isinstance(error, urllib.error.HTTPError):
            error.close()
    logger.warning(
        "peer fetch failed code=%s url=%s: %s", peer.municipality_code, peer.url, reason
    )
    peer.fetch_error = reason[:ERROR_LENGTH]
    Peer.objects.filter(pk=peer.pk).update(fetch_error=peer.fetch_error)
    return 0


def fetchable_peers():
    """Return the active peers that have an address, in name order."""
    return Peer.objects.filter(active=True).exclude(url="")


def fetch_all(*, timeout: float = 10) -> dict[str, int]:
    """Fetch every active peer with an address; return figures stored by code.

    A failed peer maps to 0 and keeps its figures (see ``fetch``); the others
    are fetched all the same.
    """
    return {
        peer.municipality_code: fetch(peer=peer, timeout=timeout)
        for peer in fetchable_peers()
    }
