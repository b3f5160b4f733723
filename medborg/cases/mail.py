"""Write the e-mails about a case, in the language the citizen used.

Rendering only: the tasks in ``cases.tasks`` decide when to send and retry.
Every citizen e-mail carries the private tracking link.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


def track_url(token: str) -> str:
    return settings.BASE_URL + reverse("cases:track", kwargs={"token": token})


def _send(template: str, context: dict, language: str, recipients: list[str]):
    with translation.override(language):
        context = {"municipality": settings.MUNICIPALITY_NAME, **context}
        subject = render_to_string(f"cases/mail/{template}_subject.txt", context)
        body = render_to_string(f"cases/mail/{template}_body.txt", context)
    send_mail(
        " ".join(subject.split()),
        body,
        settings.DEFAULT_FROM_EMAIL,
        recipients,
    )


def send_tracking_link(case, token: str) -> None:
    """Mail the receipt with the private tracking link; errors are raised."""
    _send(
        "tracking",
        {"case": case, "track_url": track_url(token)},
        case.language,
        [case.contact_email],
    )


def send_update(case, token: str, entries, *, ask_feedback: bool) -> None:
    """Mail the public changes since the last e-mail, batched in one message."""
    _send(
        "update",
        {
            "case": case,
            "entries": entries,
            "track_url": track_url(token),
            "ask_feedback": ask_feedback,
        },
        case.language,
        [case.contact_email],
    )


def send_holder_notice(case, recipients: list[str], *, appeal=False) -> None:
    """Tell the holder that the citizen answered or appealed; no personal data."""
    _send(
        "holder",
        {
            "case": case,
            "appeal": appeal,
            "staff_url": settings.BASE_URL
            + reverse("staff:case", kwargs={"reference": case.reference}),
        },
        settings.LANGUAGE_CODE,
        recipients,
    )
