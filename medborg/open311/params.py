"""Read Open311 request parameters: strings, lists, dates, pages and attributes.

An empty parameter (``lat=``) counts as absent, as many clients send every
field of their form. Every refusal is an :class:`Open311Error` naming the
parameter in the client's terms.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from medborg.open311.errors import bad_request, not_found

MAX_PAGE_SIZE = 1000
MAX_LIST_ITEMS = 1000
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def value(data, name: str) -> str:
    """The parameter's value, stripped; "" when absent or empty."""
    text = data.get(name, "")
    if "\x00" in text:
        raise bad_request(
            _("%(name)s: contains a character that is not allowed.") % {"name": name}
        )
    return text.strip()


def first_value(name: str, *sources) -> str:
    """The first non-empty value of ``name`` among ``sources`` (query, body)."""
    for source in sources:
        found = value(source, name)
        if found:
            return found
    return ""


def values(data, name: str) -> list[str]:
    """A comma-separated parameter as a list of distinct non-empty items."""
    items = [item.strip() for item in value(data, name).split(",")]
    unique = list(dict.fromkeys(item for item in items if item))
    if len(unique) > MAX_LIST_ITEMS:
        raise bad_request(
            _("%(name)s: give at most %(count)s values.")
            % {"name": name, "count": MAX_LIST_ITEMS}
        )
    return unique


def moment(data, name: str) -> datetime | None:
    """A W3C/ISO 8601 date and time; without an offset it is local time."""
    text = value(data, name)
    if not text:
        return None
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise bad_request(
            _("%(name)s: give a date and time in ISO 8601, e.g. 2026-01-31T00:00:00Z.")
            % {"name": name}
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def positive_number(data, name: str, *, default: int, largest: int) -> int:
    text = value(data, name)
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= largest:
        raise bad_request(
            _("%(name)s: give a whole number from 1 to %(largest)s.")
            % {"name": name, "largest": largest}
        )
    return int(text)


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def bounds(self) -> slice:
        start = (self.number - 1) * self.size
        return slice(start, start + self.size)


def page(data) -> Page:
    """The ``page`` (1-based) and ``page_size`` (at most 1000) parameters."""
    size = positive_number(
        data, "page_size", default=MAX_PAGE_SIZE, largest=MAX_PAGE_SIZE
    )
    number = positive_number(data, "page", default=1, largest=1_000_000)
    return Page(number=number, size=size)


def attributes(data) -> dict[str, str | list[str]]:
    """The ``attribute[CODE]`` and ``attribute[CODE][]`` fields of a form body.

    ``attribute[CODE][]`` may repeat and gives a list; empty values are left
    out, and an attribute left with no value counts as absent.
    """
    found = {}
    for name in data:
        match = _ATTRIBUTE.match(name)
        if match is None:
            continue
        code, several = match.groups()
        if several:
            items = [item.strip() for item in data.getlist(name)]
            answer = [item for item in items if item]
        else:
            answer = value(data, name)
        if answer:
            found[code] = answer
    return found


def check_jurisdiction(*sources) -> None:
    """Refuse (404) a ``jurisdiction_id`` other than this installation's."""
    given = first_value("jurisdiction_id", *sources)
    if given and given != settings.OPEN311_JURISDICTION:
        raise not_found(
            _("jurisdiction_id: this server answers for %(jurisdiction)s only.")
            % {"jurisdiction": settings.OPEN311_JURISDICTION}
        )
