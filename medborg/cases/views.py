"""The citizen's pages: the service form, the receipt and the tracking page."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from medborg.cases import payloads, selectors, services, tokens
from medborg.cases.citizen_forms import AppealForm, FeedbackForm, ReplyForm
from medborg.cases.forms import CaseForm
from medborg.cases.lifecycle import Status
from medborg.cases.models import Attachment, Channel
from medborg.catalog.selectors import active_services

TRACKING_CACHE_SECONDS = 60


def map_context():
    return {
        "tile_url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_ATTRIBUTION,
        "center": settings.MAP_CENTER,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def new_case(request, slug):
    """Show a service's form; on a valid POST submit the case and go to the receipt.

    Photos that pass their checks are kept (as pending attachments of the form's
    submission key) even when another field fails, so the citizen need not pick
    them again.
    """
    service = get_object_or_404(active_services(), slug=slug)
    if request.method == "GET":
        form = CaseForm(
            service=service, initial={"submission_key": tokens.new_submission_key()}
        )
        return _render_form(request, service, form, pending=[])

    if is_ratelimited(
        request, group="submit", key="ip", rate=settings.SUBMIT_RATE, increment=True
    ):
        raise Ratelimited
    key = request.POST.get("submission_key", "")
    if not tokens.is_submission_key(key):
        key = ""
    removing = [
        v for v in request.POST.getlist("remove_photo") if v.isascii() and v.isdigit()
    ]
    for attachment_id in removing if key else []:
        services.remove_pending_photo(
            submission_key=key, attachment_id=int(attachment_id)
        )
    pending = selectors.pending_photos(key) if key else []
    form = CaseForm(
        request.POST, request.FILES, service=service, pending_count=len(pending)
    )
    valid = form.is_valid()
    if key and form.checked_photos:
        pending += services.add_pending_photos(
            submission_key=key, photos=form.checked_photos, start=len(pending)
        )
    if removing:
        return _render_form(request, service, form, pending=pending, removed=True)
    if not valid:
        return _render_form(request, service, form, pending=pending, status=400)
    try:
        submission = services.submit_case(
            service=service,
            answers=form.answers(),
            latitude=form.cleaned_data.get("latitude"),
            longitude=form.cleaned_data.get("longitude"),
            address=form.cleaned_data.get("address", ""),
            contact_email=form.cleaned_data.get("contact_email", ""),
            language=get_language(),
            channel=Channel.WEB,
            submission_key=key,
        )
    except services.SubmissionKeyReused:
        # A page restored from history on a shared computer must never lead to
        # the previous citizen's case: start a fresh form instead.
        form = CaseForm(
            service=service, initial={"submission_key": tokens.new_submission_key()}
        )
        messages.error(
            request,
            _("This form has already been sent. Fill it in again to send a new one."),
        )
        return _render_form(request, service, form, pending=[], status=409)
    return redirect("cases:receipt", token=submission.token)


def _render_form(request, service, form, *, pending, status=200, removed=False):
    if removed:
        # Only a photo was removed: show the form again without error messages.
        form.errors.clear()
    return render(
        request,
        "cases/new_case.html",
        {
            "service": service,
            "form": form,
            "question_fields": [form[name] for name in form.question_fields],
            "pending_photos": pending,
            "photo_room": service.max_photos - len(pending),
            "map": map_context(),
        },
        status=status,
    )


def _tracked(request, token):
    """Return the token's case as (pk, version), or raise 404.

    Misses count against the client's address; past the limit every lookup from
    it is answered 429.
    """
    limit = {"group": "track-guess", "key": "ip", "rate": settings.TRACK_GUESS_RATE}
    if is_ratelimited(request, increment=False, **limit):
        raise Ratelimited
    found = selectors.case_version_for_token(token)
    if found is None:
        if is_ratelimited(request, increment=True, **limit):
            raise Ratelimited
        raise Http404
    return found


def _private(response):
    # no-store: a shared computer's disk cache must not keep someone's case.
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _summary(case):
    return payloads.tracking_summary(
        case,
        selectors.public_timeline(case),
        selectors.step_names(case),
        original=selectors.original_progress(case),
    )


def _tracking_context(case, token):
    from medborg.rules.selectors import citizen_decision

    summary = _summary(case)
    closed = case.status == Status.CLOSED
    rated = closed and services.has_rated(case)
    decision = citizen_decision(case, get_language())
    can_appeal = decision is not None and decision["can_appeal"]
    return {
        "decision": decision,
        "appeal_form": AppealForm() if can_appeal else None,
        "case": case,
        "token": token,
        "summary": summary,
        "photos": selectors.photos(case),
        "map": map_context(),
        "reply_form": ReplyForm() if summary.waiting_for_you else None,
        "feedback_form": FeedbackForm() if closed and not rated else None,
        "rated": rated,
    }


def _cached(request, kind, token, found, build):
    """Return ``build()``'s text, cached per case version and language.

    Everything a citizen sees changes the case's version, so an entry never
    goes stale while it lives; the timeout only bounds edits of step texts.
    Pages carrying a one-off message are never cached.
    """
    if kind != "json" and get_messages(request):
        return build()
    _pk, version = found
    # Keyed by the token's hash, not the row id, so that two installations
    # sharing a Redis, or a restored database, can never serve another case.
    key = f"track:{kind}:{tokens.hash_token(token)}:{version}:{get_language()}"
    text = cache.get(key)
    if text is None:
        text = build()
        cache.set(key, text, TRACKING_CACHE_SECONDS)
    return text


@require_safe
def receipt(request, token):
    _tracked(request, token)
    case = selectors.case_for_token(token)
    return _private(
        render(request, "cases/receipt.html", _tracking_context(case, token))
    )


@require_safe
def track(request, token):
    """The citizen's tracking page; ``?part=status`` returns just the live region."""
    found = _tracked(request, token)
    part = request.GET.get("part") == "status"
    template = "cases/_track_status.html" if part else "cases/track.html"

    def build():
        case = selectors.case_for_token(token)
        return render_to_string(template, _tracking_context(case, token), request)

    return _private(HttpResponse(_cached(request, template, token, found, build)))


@require_safe
def status_json(request, token):
    """The tracking page's data as JSON, with an ETag; 304 when nothing changed."""
    found = _tracked(request, token)
    etag = f'"{found[1]}-{get_language()}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:

        def build():
            case = selectors.case_for_token(token)
            return json.dumps(payloads.as_json(_summary(case)), cls=DjangoJSONEncoder)

        response = HttpResponse(
            _cached(request, "json", token, found, build),
            content_type="application/json",
        )
    response["ETag"] = etag
    return _private(response)


@require_safe
def photo(request, token, photo_id, size="full"):
    case_pk, _version = _tracked(request, token)
    attachment = get_object_or_404(Attachment, case_id=case_pk, pk=photo_id)
    file = attachment.thumbnail if size == "thumbnail" else attachment.image
    return _private(FileResponse(file.open("rb"), content_type="image/jpeg"))


@require_safe
def public_photo(request, photo_id):
    """A photo staff published, for Open311's media_url and the public API."""
    attachment = selectors.public_photo(photo_id)
    if attachment is None:
        raise Http404
    response = FileResponse(attachment.image.open("rb"), content_type="image/jpeg")
    patch_cache_control(response, public=True, max_age=3600)
    return response
