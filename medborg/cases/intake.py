"""Validate a client application's case exactly as the citizen's web form is.

Open311 and the REST API name things their own way (``attribute[size]``,
``answers.size``); both are turned into the web form's input here, checked by
the same ``CaseForm``, and its errors are named back in the client's terms.
"""

import base64
import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.validators import URLValidator
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from medborg.cases.forms import QUESTION_PREFIX, CaseForm
from medborg.cases.models import Case

# What a client may send beside the form's fields, the same for every channel.
DESCRIPTION_MAX_LENGTH = 4000
MEDIA_URL_MAX_LENGTH = Case._meta.get_field("media_url").max_length
IDEMPOTENCY_KEY_MAX_LENGTH = 200
# Only web addresses: the link is shown to staff, never fetched by the server.
media_url_validator = URLValidator(schemes=["http", "https"])


# What Django raises when it will not read a request body at all.
UNREADABLE_BODY = (SuspiciousOperation, MultiPartParserError, BadRequest)


def unreadable_body(error: Exception) -> tuple[str, str]:
    """The stable code and the message for a body Django refused to read
    (one of ``UNREADABLE_BODY``): too many files or fields, too large, or a
    malformed multipart."""
    if isinstance(error, TooManyFilesSent):
        return "too_many_files", _("The request carries too many files.")
    if isinstance(error, TooManyFieldsSent):
        return "too_many_fields", _("The request carries too many fields.")
    if isinstance(error, RequestDataTooBig):
        return "too_large", _("The request body is too large.")
    return "malformed", _("The request body could not be read.")


def client_submission_key(api_key, idempotency_key: str) -> str:
    """The submission key of a client's retry-safe request.

    The same key and Idempotency-Key always give the same submission key, so
    a retried request returns the case created the first time; two clients
    can never collide, because the API key is part of it.
    """
    secret = hashlib.sha256(
        b"medborg.cases.intake.idempotency:" + settings.SECRET_KEY.encode()
    ).digest()
    message = f"{api_key.pk}:{idempotency_key}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _as_list(value) -> list:
    if isinstance(value, list | tuple):
        return ["" if item is None else str(item) for item in value]
    if value is None:
        return []
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    return [str(value)]


def case_form(
    service,
    *,
    submission_key: str,
    answers: dict,
    latitude=None,
    longitude=None,
    address: str = "",
    contact_email: str = "",
    photos: list | None = None,
) -> CaseForm:
    """A bound CaseForm for ``service``; call ``is_valid()`` on it.

    ``answers`` maps question keys to a value or, for several choices, a list;
    booleans become yes/no as the form's radio buttons send them. Answers to
    keys the service does not ask are reported by ``unknown_answers``.
    """
    data = MultiValueDict(
        {f"{QUESTION_PREFIX}{key}": _as_list(value) for key, value in answers.items()}
    )
    data["submission_key"] = submission_key
    for name, value in (
        ("latitude", latitude),
        ("longitude", longitude),
        ("address", address),
        ("contact_email", contact_email),
    ):
        if value not in (None, ""):
            data[name] = str(value)
    files = MultiValueDict({"photos": list(photos or [])})
    return CaseForm(data, files, service=service)


def unknown_answers(form: CaseForm, answers: dict) -> list[str]:
    """Keys in ``answers`` that the service does not ask, sorted."""
    asked = {name.removeprefix(QUESTION_PREFIX) for name in form.question_fields}
    return sorted(set(answers) - asked)


def form_errors(form: CaseForm, *, answer_name) -> list[dict]:
    """Each problem as {field, code, message}; ``answer_name(key)`` names an
    answer in the client's terms, e.g. ``attribute[size]``."""
    problems = []
    for name, errors in form.errors.get_json_data().items():
        if name.startswith(QUESTION_PREFIX):
            field = answer_name(name.removeprefix(QUESTION_PREFIX))
        else:
            field = None if name == "__all__" else name
        problems += [
            {
                "field": field,
                "code": error["code"] or "invalid",
                "message": error["message"],
            }
            for error in errors
        ]
    return problems
