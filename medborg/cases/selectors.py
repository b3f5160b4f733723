"""Read cases for citizens and staff; every query here is bounded and joined once."""

import math
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import OuterRef, Prefetch, Q, Subquery

from medborg.cases import tokens
from medborg.cases.lifecycle import OPEN
from medborg.cases.models import Attachment, Case, CaseEvent


def _with_relations(queryset):
    return queryset.select_related(
        "service", "service__team", "step", "step__team", "assignee", "team"
    )


def case_for_token(token: str) -> Case | None:
    """Return the case the token opens, or None.

    The token is hashed before the lookup whatever its shape, so a malformed
    token costs the same as a wrong one and the answer leaks nothing about it.
    """
    return (
        _with_relations(Case.objects.filter(token_hash=tokens.hash_token(token)))
        .select_related("process")
        .first()
    )


# How long a case's version may be read from the cache. Changes delete the entry
# on commit; the timeout bounds the rare read that raced a change, and processes
# that do not share a cache (no Redis, development only).
VERSION_CACHE_SECONDS = 10


def version_cache_key(token_hash: str) -> str:
    return f"track:version:{token_hash}"


def case_version_for_token(token: str) -> tuple[int, int] | None:
    """Return (pk, version) of the token's case, or None.

    Read from the cache when a recent lookup put it there, else one indexed
    query; unknown tokens are never cached.
    """
    token_hash = tokens.hash_token(token)
    key = version_cache_key(token_hash)
    found = cache.get(key)
    if found is None:
        found = (
            Case.objects.filter(token_hash=token_hash)
            .values_list("pk", "version")
            .first()
        )
        if found is not None:
            cache.set(key, tuple(found), VERSION_CACHE_SECONDS)
    return tuple(found) if found is not None else None


def public_timeline(case: Case) -> list[CaseEvent]:
    return list(
        case.events.filter(is_public=True).select_related("actor").order_by("at", "id")
    )


def _translated(field: str) -> list[str]:
    return [field, *(f"{field}_{code}" for code, _name in settings.LANGUAGES)]


# A service row carries its help texts in three languages (about 10 kB): a list
# of a thousand cases must not fetch it a thousand times.
PUBLISHED_FIELDS = [
    "reference",
    "status",
    "process",
    "submitted_at",
    "updated_at",
    "due_at",
    "latitude",
    "longitude",
    "address",
    "public_description",
    "media_url",
    "media_public",
    "duplicate_of",
    "service__code",
    "service__publicity",
    *(f"service__{name}" for name in _translated("name")),
    "team__name",
    "step__key",
    *(f"step__{name}" for name in _translated("name")),
    *(f"step__{name}" for name in _translated("public_description")),
]


def published_cases():
    """Cases anyone may see (their service is not hidden), newest first.

    Each carries ``status_note``, the latest message staff published, and
    ``public_photo_id``, its first published photo, as annotations, so a list
    costs one query.
    """
    published = CaseEvent.objects.filter(
        case=OuterRef("pk"), is_public=True, data__published=True
    ).order_by("-at", "-id")
    photos = Attachment.objects.filter(case=OuterRef("pk"), is_public=True).order_by(
        "position", "id"
    )
    return (
        Case.objects.exclude(service__publicity="hidden")
        .select_related("service", "team", "step")
        .only(*PUBLISHED_FIELDS)
        .annotate(
            status_note=Subquery(published.values("message")[:1]),
            public_photo_id=Subquery(photos.values("pk")[:1]),
        )
        .order_by("-submitted_at", "-id")
    )


def published_case(reference: str) -> Case | None:
    """One case anyone may see, by reference, or None."""
    return published_cases().filter(reference=reference).first()


def published_events(case: Case) -> list[CaseEvent]:
    """The events behind a published case's open timeline (see publication)."""
    return list(case.events.filter(is_public=True).order_by("at", "id"))


def public_photo(photo_id: int) -> Attachment | None:
    """A photo staff published, of a case anyone may see, or None."""
    return (
        Attachment.objects.filter(pk=photo_id, is_public=True)
        .exclude(case__service__publicity="hidden")
        .exclude(case=None)
        .first()
    )


def citizen_events(case: Case) -> list[CaseEvent]:
    """The public events and the citizen's own (answers, satisfaction)."""
    return list(
        case.events.filter(
            Q(is_public=True)
            | Q(kind__in=[CaseEvent.Kind.INFO_RECEIVED, CaseEvent.Kind.RATED])
        )
        .select_related("actor")
        .order_by("at", "id")
    )


def step_names(case: Case) -> dict[str, str]:
    """Names of the case's process steps by key, in the active language."""
    return {step.key: step.name for step in case.process.steps.all()}


def photos(case: Case) -> list[Attachment]:
    return list(case.attachments.order_by("position", "id"))


def pending_photos(submission_key: str) -> list[Attachment]:
    return list(
        Attachment.objects.filter(
            case=None, submission_key_hash=tokens.hash_submission_key(submission_key)
        ).order_by("position", "id")
    )


def team_ids(user) -> list[int]:
    """The teams the user sits on, if they hold a role that works on cases."""
    if not user.works_on_cases():
        return []
    return list(user.teams.values_list("pk", flat=True))


def _workable(user):
    """Cases the user may work on: a case role, and a seat on the team that
    holds the case or on the service's team."""
    teams = team_ids(user)
    if not teams:
        return Case.objects.none()
    return _with_relations(
        Case.objects.filter(Q(team_id__in=teams) | Q(service__team_id__in=teams))
    )


def staff_case(user, reference: str) -> Case | None:
    """The case if the user may work on it, else None (the view answers 404)."""
    if "\x00" in reference:
        return None
    return (
        _workable(user)
        .filter(reference=reference)
        .select_related("process", "team", "duplicate_of")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=CaseEvent.objects.select_related("actor").order_by("at", "id"),
            )
        )
        .first()
    )


def allowed_steps(case: Case) -> list:
    """The steps the case's current step may move to, in process order."""
    return list(
        case.process.steps.filter(key__in=case.step.next_steps).order_by("position")
    )


def reopen_steps(case: Case) -> list:
    return list(case.process.steps.filter(outcome="").order_by("position"))


def duplicate_candidates(case: Case, *, limit: int = 10) -> list[tuple[Case, int]]:
    """Open cases of the same service near this one, nearest first, with metres.

    Near means within ``DUPLICATE_RADIUS_METRES`` and submitted within
    ``DUPLICATE_WINDOW_DAYS`` of this case. A bounding box narrows the rows in
    the database; the exact distance is computed here.
    """
    if not case.has_location:
        return []
    radius = settings.DUPLICATE_RADIUS_METRES
    window = timedelta(days=settings.DUPLICATE_WINDOW_DAYS)
    dlat = radius / 111_320
    dlon = radius / (111_320 * max(math.cos(math.radians(case.latitude)), 0.01))
    nearby = (
        Case.objects.filter(
            service_id=case.service_id,
            status__in=OPEN,
            duplicate_of=None,
            latitude__range=(case.latitude - dlat, case.latitude + dlat),
            longitude__range=(case.longitude - dlon, case.longitude + dlon),
            submitted_at__range=(
                case.submitted_at - window,
                case.submitted_at + window,
            ),
        )
        .exclude(pk=case.pk)
        .select_related("step")
    )
    found = []
    for other in nearby[:200]:
        metres = distance_metres(
            case.latitude, case.longitude, other.latitude, other.longitude
        )
        if metres <= radius:
            found.append((other, round(metres)))
    found.sort(key=lambda pair: (pair[1], pair[0].submitted_at))
    return found[:limit]


def distance_metres(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance (haversine), ample for tens of metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = (
        math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def original_progress(case: Case) -> Case | None:
    """The case this one duplicates, with what its public progress needs."""
    if case.duplicate_of_id is None:
        return None
    return (
        Case.objects.select_related("step", "service", "team")
        .filter(pk=case.duplicate_of_id)
        .first()
    )
