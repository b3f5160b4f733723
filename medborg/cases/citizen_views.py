"""What the token holder does on their case: answer, rate, download it all.

The POST views are exempt from Django's CSRF check on purpose: the
unguessable token in the URL is the credential, and a page on another site
cannot know it, so it cannot forge the request. The tracking page is cached
per case version, and a per-visitor CSRF token would break that cache.
"""

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from medborg.cases import payloads, selectors, services
from medborg.cases.citizen_forms import AppealForm, FeedbackForm, ReplyForm
from medborg.cases.lifecycle import InvalidMove
from medborg.cases.views import _private, _tracked, _tracking_context


def _render_track(request, token, status, **forms):
    case = selectors.case_for_token(token)
    context = _tracking_context(case, token)
    context.update(forms)
    return _private(render(request, "cases/track.html", context, status=status))


@csrf_exempt
@require_POST
def reply(request, token):
    """The citizen's answer to a question from staff; restarts the case's clock."""
    _tracked(request, token)
    case = selectors.case_for_token(token)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _render_track(request, token, 400, reply_form=form)
    try:
        services.answer_information(case=case, text=form.cleaned_data["text"])
    except InvalidMove:
        messages.info(request, _("Your case is not waiting for an answer any more."))
        return redirect("cases:track", token=token)
    messages.success(
        request, _("Thank you. Your answer is with the team, and the clock runs again.")
    )
    return redirect("cases:track", token=token)


@csrf_exempt
@require_POST
def feedback(request, token):
    """How satisfied the citizen is with a closed case; stored once."""
    _tracked(request, token)
    case = selectors.case_for_token(token)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return _render_track(request, token, 400, feedback_form=form)
    try:
        services.rate_case(
            case=case,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except services.AlreadyRated:
        messages.info(request, _("You have already told us. Thank you!"))
        return redirect("cases:track", token=token)
    except InvalidMove:
        messages.info(request, _("You can tell us when your case is closed."))
        return redirect("cases:track", token=token)
    messages.success(request, _("Thank you for telling us."))
    return redirect("cases:track", token=token)


@csrf_exempt
@require_POST
def appeal(request, token):
    """The citizen appeals the decision on their case; a case worker reviews it."""
    from medborg.rules import services as rules

    _tracked(request, token)
    case = selectors.case_for_token(token)
    form = AppealForm(request.POST)
    if not form.is_valid():
        return _render_track(request, token, 400, appeal_form=form)
    try:
        rules.appeal_decision(case=case, text=form.cleaned_data["text"])
    except rules.AppealNotAllowed:
        messages.info(
            request,
            _(
                "This decision can no longer be appealed here: it was appealed "
                "already, or the time to appeal is over."
            ),
        )
        return redirect("cases:track", token=token)
    messages.success(
        request,
        _(
            "Your appeal is with a case worker, who reviews the decision. You can "
            "follow it here."
        ),
    )
    return redirect("cases:track", token=token)


def _export(case, token) -> dict:
    """Everything stored about the case that the citizen has a right to see."""
    questions = case.service.questions.prefetch_related("choices")
    found = selectors.citizen_events(case)
    timeline = payloads.timeline(found, selectors.step_names(case))
    events = [
        {
            "at": event.at,
            "kind": event.kind,
            "title": entry.title,
            "message": event.message,
            "score": event.data.get("score"),
        }
        for event, entry in zip(found, timeline, strict=True)
    ]
    return {
        "exported_at": timezone.now(),
        "reference": case.reference,
        "service": case.service.name,
        "status": case.get_status_display(),
        "step": case.step.name,
        "team": case.team.name,
        "submitted_at": case.submitted_at,
        "channel": case.get_channel_display(),
        "language": case.language,
        "answers": [
            {"question": label, "answer": text}
            for label, text in payloads.answer_rows(questions, case.answers)
        ],
        "place": {
            "latitude": case.latitude,
            "longitude": case.longitude,
            "address": case.address,
        },
        "contact_email": case.contact_email,
        "step_due_at": case.step_due_at,
        "due_at": case.due_at,
        "closed_at": case.closed_at,
        "events": events,
        "photos": [
            {
                "url": reverse(
                    "cases:photo", kwargs={"token": token, "photo_id": photo.pk}
                ),
                "width": photo.width,
                "height": photo.height,
                "bytes": photo.size,
            }
            for photo in selectors.photos(case)
        ],
    }


@require_safe
def export_json(request, token):
    """The right of access: the case as JSON, offered as a download."""
    _tracked(request, token)
    case = selectors.case_for_token(token)
    response = HttpResponse(
        json.dumps(_export(case, token), cls=DjangoJSONEncoder, indent=2),
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="{case.reference}.json"'
    return _private(response)


@require_safe
def export_page(request, token):
    """The same as a page made for printing or saving as PDF."""
    _tracked(request, token)
    case = selectors.case_for_token(token)
    return _private(
        render(
            request,
            "cases/export.html",
            {"case": case, "token": token, "data": _export(case, token)},
        )
    )
