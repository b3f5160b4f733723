"""Publish what staff checked may be shown to everyone: Open311, the public API.

A citizen's free text, linked media and photos are private until a case worker
publishes them (Privacy, ARCHITECTURE.md); the published description is the
worker's own wording, so personal data can be left out of it.
"""

from django.db import transaction
from django.utils import timezone

from medborg.cases.models import Attachment, Case, CaseEvent
from medborg.cases.services.common import locked


@transaction.atomic
def publish_case(
    *,
    case: Case,
    public_description: str,
    media_public: bool,
    photo_ids: list[int],
    by,
    expected_state: str | None = None,
) -> Case:
    """Set what of the case is public; everything not named is withdrawn.

    Photos not among ``photo_ids`` become private again; ids of other cases'
    photos are ignored. Appends an internal ``case.published`` event with what
    changed. Raises StaleCase if the case moved meanwhile.
    """
    case = locked(case, expected_state=expected_state)
    now = timezone.now()
    photos = Attachment.objects.filter(case=case)
    public = set(photos.filter(pk__in=photo_ids).values_list("pk", flat=True))
    photos.filter(pk__in=public).update(is_public=True)
    photos.exclude(pk__in=public).update(is_public=False)
    case.public_description = public_description.strip()
    case.media_public = media_public and bool(case.media_url)
    case.updated_at = now
    case.save(update_fields=["public_description", "media_public", "updated_at"])
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.PUBLISHED,
        at=now,
        actor=by,
        data={
            "description": bool(case.public_description),
            "media": case.media_public,
            "photos": sorted(public),
        },
    )
    return case
