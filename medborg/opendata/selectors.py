"""Read the published figures: every page, file and API of open data reads here.

Suppression happens here and nowhere else: a figure about people resting on
fewer than ``OPEN_DATA_MIN_COUNT`` cases or answers (but more than none) is
published without value and count, marked suppressed.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.utils.translation import get_language

from medborg.catalog.models import Category, Service, Zone
from medborg.opendata.indicators import BY_ID, Granularity, Scope
from medborg.opendata.models import PeerValue, Progress, Snapshot
from medborg.opendata.tables import Figure


@dataclass(frozen=True)
class Selection:
    """Which figures: indicators (None: all), scope and keys, periods."""

    indicators: tuple[str, ...] | None = None
    scope: Scope | None = None
    keys: tuple[str, ...] | None = None
    granularity: Granularity | None = None
    start: date | None = None
    end: date | None = None


def version(read: Progress | None = None) -> str:
    """Change whenever the snapshots do; part of every cache key and ETag.

    Pass the progress row when it was read already.
    """
    if read is None:
        read = Progress.objects.filter(pk=1).only("computed_at").first()
    computed = read.computed_at if read else None
    return computed.isoformat() if computed else "none"


def is_suppressed(indicator: str, count: int) -> bool:
    return BY_ID[indicator].about_people and 0 < count < settings.OPEN_DATA_MIN_COUNT


def scope_names(scope: Scope) -> dict[str, str]:
    """Return the display name of each key of ``scope``, in the active language."""
    if scope == Scope.SERVICE:
        return {s.code: s.name for s in Service.objects.all()}
    if scope == Scope.CATEGORY:
        return {c.slug: c.name for c in Category.objects.all()}
    if scope == Scope.AREA:
        return {z.key: z.name for z in Zone.objects.all()}
    return {"": settings.MUNICIPALITY_NAME}


def _snapshots(selection: Selection):
    rows = Snapshot.objects.all()
    if selection.indicators is not None:
        rows = rows.filter(indicator__in=selection.indicators)
    if selection.scope is not None:
        rows = rows.filter(scope=selection.scope)
    if selection.keys is not None:
        rows = rows.filter(scope_key__in=selection.keys)
    if selection.granularity is not None:
        rows = rows.filter(granularity=selection.granularity)
    if selection.start is not None:
        rows = rows.filter(period_start__gte=selection.start)
    if selection.end is not None:
        rows = rows.filter(period_start__lte=selection.end)
    return rows.order_by(
        "indicator", "scope", "scope_key", "granularity", "period_start"
    ).values_list(
        "indicator",
        "granularity",
        "period",
        "period_start",
        "scope",
        "scope_key",
        "value",
        "count",
    )


def figures(selection: Selection = Selection()) -> Iterator[Figure]:
    """Yield the published figures of ``selection``, suppressed where due.

    Streams from the database, so a whole export holds one chunk at a time.
    """
    names: dict[str, dict[str, str]] = {}
    rows = _snapshots(selection).iterator(chunk_size=5_000)
    for indicator, granularity, period, start, scope, key, value, count in rows:
        if indicator not in BY_ID:
            continue
        if scope not in names:
            names[scope] = scope_names(Scope(scope))
        hidden = is_suppressed(indicator, count)
        yield Figure(
            indicator=indicator,
            granularity=granularity,
            period=period,
            period_start=start,
            scope=scope,
            scope_key=key,
            scope_name=names[scope].get(key, key),
            value=None if hidden else value,
            count=None if hidden else count,
            suppressed=hidden,
        )


def count_figures(selection: Selection) -> int:
    """Count the figures of ``selection`` without reading them."""
    return _snapshots(selection).count()


def cached_figures(selection: Selection, *, current: str = "") -> list[Figure]:
    """Return ``figures(selection)`` as a list, cached until the next snapshot run.

    ``current`` is ``version()`` when the caller has it.
    """
    digest = hashlib.sha256(repr(selection).encode()).hexdigest()[:24]
    threshold = settings.OPEN_DATA_MIN_COUNT
    current = current or version()
    key = f"opendata:{current}:{get_language()}:{threshold}:{digest}"
    found = cache.get(key)
    if found is None:
        found = list(figures(selection))
        cache.set(key, found, 3600)
    return found


def periods(granularity: Granularity) -> list[tuple[date, str]]:
    """Return the (start, name) of every period with snapshots, oldest first."""
    rows = (
        Snapshot.objects.filter(granularity=granularity, scope=Scope.MUNICIPALITY)
        .values_list("period_start", "period")
        .distinct()
        .order_by("period_start")
    )
    return list(rows)


def temporal_coverage() -> tuple[date | None, date | None]:
    rows = Snapshot.objects.filter(granularity=Granularity.MONTH)
    first = rows.order_by("period_start").values_list("period_start", flat=True)
    last = rows.order_by("-period_start").values_list("period_start", flat=True)
    return first.first(), last.first()


def peer_values(indicators: tuple[str, ...]) -> dict[str, dict[str, dict]]:
    """Return ``{peer name: {indicator: {period: value}}}`` of the active peers."""
    found: dict[str, dict[str, dict]] = {}
    rows = PeerValue.objects.filter(
        peer__active=True, indicator__in=indicators
    ).values_list("peer__name", "indicator", "period", "value")
    for name, indicator, period, value in rows:
        found.setdefault(name, {}).setdefault(indicator, {})[period] = value
    return found


def area_totals(
    *, granularity: Granularity, start: date | None, end: date | None
) -> list[tuple[Zone, float | None]]:
    """Return each zone with the reports received in the periods, or None if few.

    The sum is suppressed as a whole: small months add up before the check.
    """
    rows = Snapshot.objects.filter(
        indicator="received", scope=Scope.AREA, granularity=granularity
    )
    if start is not None:
        rows = rows.filter(period_start__gte=start)
    if end is not None:
        rows = rows.filter(period_start__lte=end)
    totals = dict(
        rows.values("scope_key").annotate(n=Sum("count")).values_list("scope_key", "n")
    )
    result = []
    for zone in Zone.objects.all():
        total = int(totals.get(zone.key) or 0)
        result.append((zone, None if is_suppressed("received", total) else total))
    return result


def progress() -> Progress | None:
    """How far the snapshots are computed, or None before the first run."""
    return Progress.objects.filter(pk=1).first()
