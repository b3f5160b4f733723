"""Submit a case with its photos: the one way a case comes into being."""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from medborg.cases import tokens
from medborg.cases.lifecycle import Status
from medborg.cases.models import Attachment, Case, CaseEvent, Channel, ReferenceCounter
from medborg.cases.services.common import due, set_next_due, utc_iso
from medborg.processes.models import Step

logger = logging.getLogger(__name__)


class SubmissionKeyReused(Exception):
    """A form's key came back with other content: not a retry of the same form."""


@dataclass(frozen=True)
class Submission:
    case: Case
    token: str
    created: bool


def _next_reference(now) -> str:
    """Hand out the next reference of the year; gap-free because it rolls back too."""
    prefix = settings.REFERENCE_PREFIX
    year = timezone.localtime(now).year
    counters = ReferenceCounter.objects.select_for_update()
    counter = counters.filter(prefix=prefix, year=year).first()
    if counter is None:
        # The first case of a year may be submitted twice at once: let the
        # database settle which insert wins, then count under the row lock.
        ReferenceCounter.objects.bulk_create(
            [ReferenceCounter(prefix=prefix, year=year)], ignore_conflicts=True
        )
        counter = counters.get(prefix=prefix, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{prefix}-{year}-{counter.last_number:06d}"


# Left out of the digest when empty, so that digests of forms sent before these
# fields existed still match a retry.
OPTIONAL_FIELDS = ("description", "media_url")


def _digest(service, fields: dict) -> str:
    content = {"service": service.pk, **fields}
    for name in OPTIONAL_FIELDS:
        if not content.get(name):
            content.pop(name, None)
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, cls=DjangoJSONEncoder).encode()
    ).hexdigest()


def _existing_submission(submission_key: str, digest: str) -> Submission | None:
    case = (
        Case.objects.filter(
            submission_key_hash=tokens.hash_submission_key(submission_key)
        )
        .order_by()
        .first()
    )
    if case is None:
        return None
    if not hmac.compare_digest(case.submission_digest, digest):
        raise SubmissionKeyReused(case.reference)
    return Submission(
        case=case, token=tokens.token_for_submission(submission_key), created=False
    )


def submit_case(
    *,
    service,
    answers: dict,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str = "",
    contact_email: str = "",
    description: str = "",
    media_url: str = "",
    language: str = "sv",
    channel: str = Channel.WEB,
    api_key=None,
    submission_key: str | None = None,
    by=None,
) -> Submission:
    """Create a case with its first event, photos and reference; return its token.

    Idempotent on ``submission_key``: submitting the same key with the same
    content again returns the case created the first time (``created=False``)
    and the same token; the same key with other content raises
    SubmissionKeyReused. Input is assumed validated by the caller's form or
    serializer. The tracking link is mailed after the commit when
    ``contact_email`` is given. ``api_key`` is the client application that
    sent the case (Open311, API); ``media_url`` is stored, never fetched.
    """
    fields = {
        "answers": answers,
        "latitude": latitude,
        "longitude": longitude,
        "address": address,
        "contact_email": contact_email,
        "description": description,
        "media_url": media_url,
    }
    digest = _digest(service, fields)
    if submission_key:
        existing = _existing_submission(submission_key, digest)
        if existing:
            return existing
    try:
        return _create_case(
            service=service,
            submission_key=submission_key,
            submission_digest=digest if submission_key else "",
            language=language,
            channel=channel,
            api_key=api_key,
            by=by,
            **fields,
        )
    except IntegrityError:
        # A concurrent retry with the same key committed first.
        existing = submission_key and _existing_submission(submission_key, digest)
        if existing:
            return existing
        raise


@transaction.atomic
def _create_case(*, service, submission_key, by, **fields) -> Submission:
    now = timezone.now()
    token = (
        tokens.token_for_submission(submission_key)
        if submission_key
        else tokens.new_token()
    )
    first_step = Step.objects.filter(process_id=service.process_id).order_by(
        "position"
    )[0]
    case = Case(
        reference=_next_reference(now),
        service=service,
        process_id=service.process_id,
        step=first_step,
        status=Status.SUBMITTED,
        token_hash=tokens.hash_token(token),
        submission_key_hash=(
            tokens.hash_submission_key(submission_key) if submission_key else None
        ),
        submitted_at=now,
        step_entered_at=now,
        team_id=first_step.team_id or service.team_id,
        step_due_at=due(now, first_step.expected_days),
        due_at=due(now, service.deadline_days),
        updated_at=now,
        # Kept only to put the link in update e-mails; see ADR 4.
        sealed_token=tokens.seal(token) if fields["contact_email"] else "",
        **fields,
    )
    set_next_due(case)
    case.save(force_insert=True)
    if submission_key:
        Attachment.objects.filter(
            case=None, submission_key_hash=tokens.hash_submission_key(submission_key)
        ).update(case=case, submission_key_hash="")
    event = CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.SUBMITTED,
        at=now,
        actor=by,
        is_public=True,
        data={
            "channel": case.channel,
            "step": first_step.key,
            "due": utc_iso(case.due_at),
        },
    )
    _decide_on_arrival(case, now, by)
    if case.contact_email:
        from medborg.cases import tasks

        # The receipt mail covers the submission; later updates start after it.
        Case.objects.filter(pk=case.pk).update(mailed_event_id=event.pk)
        transaction.on_commit(lambda: tasks.send_tracking_link.enqueue(case.pk))
    from medborg.sensors.services.emptying import CITIZEN_REPORT_SERVICE

    if service.code == CITIZEN_REPORT_SERVICE and case.latitude is not None:
        from medborg.sensors import tasks as sensor_tasks

        # A report of a full bin joins that bin's emptying case, after commit.
        transaction.on_commit(lambda: sensor_tasks.join_citizen_report.enqueue(case.pk))
    logger.info("case submitted reference=%s service=%s", case.reference, service.code)
    return Submission(case=case, token=token, created=True)


def _decide_on_arrival(case: Case, now, by) -> None:
    """Let the service's decision table decide or advise, if it does on arrival.

    The receipt e-mail already tells the citizen about the case, so a decision
    made now goes in the next update, not in a mail of its own right away.
    """
    from medborg.rules import services as rules

    if rules.applies(case):
        rules.decide_case(case=case, now=now, by=by)
        set_next_due(case)
        case.save()


@transaction.atomic
def add_pending_photos(*, submission_key: str, photos: list, start: int = 0):
    """Store checked photos for a form not yet submitted; return the attachments."""
    key_hash = tokens.hash_submission_key(submission_key)
    stored = []
    for offset, photo in enumerate(photos):
        attachment = Attachment(
            submission_key_hash=key_hash,
            width=photo.width,
            height=photo.height,
            size=len(photo.image),
            position=start + offset,
        )
        name = f"{tokens.new_token()[:20]}.jpg"
        attachment.image.save(name, ContentFile(photo.image), save=False)
        attachment.thumbnail.save(name, ContentFile(photo.thumbnail), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


@transaction.atomic
def remove_pending_photo(*, submission_key: str, attachment_id: int) -> int:
    """Delete one photo of an unsubmitted form; return how many were removed."""
    attachments = Attachment.objects.filter(
        case=None,
        submission_key_hash=tokens.hash_submission_key(submission_key),
        pk=attachment_id,
    )
    for attachment in attachments:
        transaction.on_commit(
            lambda a=attachment: (a.image.delete(False), a.thumbnail.delete(False))
        )
    return attachments.delete()[0]


def purge_pending_photos(*, older_than) -> int:
    """Delete photos of forms never submitted, uploaded before ``older_than``.

    Returns how many were deleted; files go after the commit.
    """
    with transaction.atomic():
        stale = list(Attachment.objects.filter(case=None, created_at__lt=older_than))
        for attachment in stale:
            transaction.on_commit(
                lambda a=attachment: (a.image.delete(False), a.thumbnail.delete(False))
            )
        Attachment.objects.filter(pk__in=[a.pk for a in stale], case=None).delete()
    return len(stale)
