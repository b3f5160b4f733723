"""Every change to a case: submit, assign, move, note. Each writes its CaseEvent.

All services are atomic, lock the case row while they change it and append the
event in the same transaction; mail goes out only after the commit.
"""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from medborg.cases import lifecycle, mail, selectors, tokens
from medborg.cases.lifecycle import InvalidMove, Status
from medborg.cases.models import Attachment, Case, CaseEvent, Channel, ReferenceCounter
from medborg.processes.deadlines import add_working_days
from medborg.processes.models import Step

logger = logging.getLogger(__name__)


class SubmissionKeyReused(Exception):
    """A form's key came back with other content: not a retry of the same form."""


@dataclass(frozen=True)
class Submission:
    case: Case
    token: str
    created: bool


def _due(start, days):
    if days is None:
        return None
    return add_working_days(
        start,
        days,
        country=settings.MUNICIPALITY_COUNTRY,
        time_zone=settings.TIME_ZONE,
    )


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


def _digest(service, fields: dict) -> str:
    content = {"service": service.pk, **fields}
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
    language: str = "sv",
    channel: str = Channel.WEB,
    submission_key: str | None = None,
    by=None,
) -> Submission:
    """Create a case with its first event, photos and reference; return its token.

    Idempotent on ``submission_key``: submitting the same key with the same
    content again returns the case created the first time (``created=False``)
    and the same token; the same key with other content raises
    SubmissionKeyReused. Input is assumed validated by the caller's form or
    serializer. The tracking link is mailed after the commit when
    ``contact_email`` is given.
    """
    fields = {
        "answers": answers,
        "latitude": latitude,
        "longitude": longitude,
        "address": address,
        "contact_email": contact_email,
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
    case = Case.objects.create(
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
        step_due_at=_due(now, first_step.expected_days),
        due_at=_due(now, service.deadline_days),
        updated_at=now,
        **fields,
    )
    if submission_key:
        Attachment.objects.filter(
            case=None, submission_key_hash=tokens.hash_submission_key(submission_key)
        ).update(case=case, submission_key_hash="")
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.SUBMITTED,
        at=now,
        actor=by,
        is_public=True,
        data={"channel": case.channel, "step": first_step.key},
    )
    if case.contact_email:
        transaction.on_commit(lambda: mail.send_tracking_link(case, token))
    logger.info("case submitted reference=%s service=%s", case.reference, service.code)
    return Submission(case=case, token=token, created=True)


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


def _bump_version(case: Case) -> None:
    """Mark a change the citizen can see; the cached version goes after commit."""
    case.version = F("version") + 1
    key = selectors.version_cache_key(case.token_hash)
    transaction.on_commit(lambda: cache.delete(key))


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("step").get(pk=case.pk)


def move_case(*, case: Case, status: Status, by=None) -> Case:
    """Change the lifecycle status in the caller's transaction, or raise InvalidMove."""
    if not lifecycle.can_move(case.status, status):
        raise InvalidMove(case.reference, case.status, status)
    case.status = status
    case.closed_at = timezone.now() if status == Status.CLOSED else None
    return case


@transaction.atomic
def move_case_to_step(*, case: Case, step, public_message: str = "", by) -> Case:
    """Move the case to another step of its own process version.

    Raises ValueError for a step of another process or the current step, and
    InvalidMove when the lifecycle forbids it (a closed case is not moved on).
    """
    case = _locked(case)
    if step.process_id != case.process_id:
        raise ValueError(f"Step {step.key!r} is not in the process of {case}")
    if step.pk == case.step_id:
        raise ValueError(f"{case} is already in step {step.key!r}")
    now = timezone.now()
    previous = case.step
    if step.is_final:
        move_case(case=case, status=Status.CLOSED, by=by)
    elif case.status != Status.IN_PROGRESS:
        move_case(case=case, status=Status.IN_PROGRESS, by=by)
    case.step = step
    case.step_entered_at = now
    case.step_due_at = None if step.is_final else _due(now, step.expected_days)
    case.updated_at = now
    _bump_version(case)
    case.save()
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.MOVED,
        at=now,
        actor=by,
        is_public=True,
        message=public_message,
        data={"from": previous.key, "to": step.key, "status": case.status},
    )
    case.refresh_from_db()
    return case


@transaction.atomic
def assign_case(*, case: Case, assignee, by) -> Case:
    """Give the case to ``assignee`` (or nobody); an internal event records it."""
    case = _locked(case)
    now = timezone.now()
    case.assignee = assignee
    case.updated_at = now
    # The citizen may see the handler's name, so the tracking page must refresh.
    _bump_version(case)
    case.save(update_fields=["assignee", "updated_at", "version"])
    case.refresh_from_db(fields=["version"])
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.ASSIGNED,
        at=now,
        actor=by,
        data={"assignee": assignee.username if assignee else None},
    )
    return case


@transaction.atomic
def add_note(*, case: Case, text: str, by) -> CaseEvent:
    """Append an internal note that the citizen never sees."""
    case = _locked(case)
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(updated_at=now)
    return CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.NOTE, at=now, actor=by, message=text
    )
