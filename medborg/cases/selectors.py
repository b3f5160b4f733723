"""Read cases for citizens and staff; every query here is bounded and joined once."""

from django.core.cache import cache
from django.db.models import Prefetch, Q

from medborg.cases import tokens
from medborg.cases.models import Attachment, Case, CaseEvent


def _with_relations(queryset):
    return queryset.select_related(
        "service", "service__team", "step", "step__team", "assignee"
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


def _workable(user):
    """Cases the user may work on: a case role and a seat on the holding team."""
    if not user.works_on_cases():
        return Case.objects.none()
    return _with_relations(
        Case.objects.filter(
            Q(service__team__members=user) | Q(step__team__members=user)
        ).distinct()
    )


def staff_cases(user, *, query: str = "", limit: int = 200):
    """Cases of the services whose team the user works in, newest first."""
    cases = _workable(user)
    if query:
        cases = cases.filter(
            Q(reference__icontains=query) | Q(address__icontains=query)
        )
    return cases.order_by("-submitted_at")[:limit]


def staff_case(user, reference: str) -> Case | None:
    """The case if the user may work on it, else None (the view answers 404)."""
    if "\x00" in reference:
        return None
    return (
        _workable(user)
        .filter(reference=reference)
        .prefetch_related(
            Prefetch(
                "events",
                queryset=CaseEvent.objects.select_related("actor").order_by("at", "id"),
            )
        )
        .first()
    )
