"""Mail citizens about their case, in the language they used."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

logger = logging.getLogger(__name__)


def send_tracking_link(case, token: str) -> None:
    """Mail the private tracking link; a failing mail server is logged, not raised.

    Called after the case is committed, so the citizen keeps the case (and the
    link on the receipt page) even when the mail cannot be sent.
    """
    with translation.override(case.language):
        context = {
            "case": case,
            "municipality": settings.MUNICIPALITY_NAME,
            "track_url": settings.BASE_URL
            + reverse("cases:track", kwargs={"token": token}),
        }
        subject = render_to_string("cases/mail/tracking_subject.txt", context)
        body = render_to_string("cases/mail/tracking_body.txt", context)
    try:
        send_mail(
            " ".join(subject.split()),
            body,
            settings.DEFAULT_FROM_EMAIL,
            [case.contact_email],
        )
    except Exception as error:  # noqa: BLE001
        # Any failure, from a refused address to a broken server: the case is
        # committed and the receipt shows the link. Log no address, no token.
        logger.error(
            "tracking mail failed reference=%s error=%s",
            case.reference,
            type(error).__name__,
        )
