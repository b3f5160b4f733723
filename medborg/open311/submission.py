"""Turn an Open311 POST of a service request into a case.

The client is authorised by its API key (scope ``cases:create``) and counted
against the key's rate; the request is checked by the citizen's own form
(``cases.intake``), so Open311 cannot create what the web form would refuse.
Open311's first_name, last_name, phone, device_id and account_id are accepted
and not stored: a case holds no name or phone number, and they must not end up
in free text.
"""

from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from medborg.api import selectors as api_selectors
from medborg.api import services as api_services
from medborg.api.models import Scope
from medborg.cases import intake, tokens
from medborg.cases.models import Channel
from medborg.cases.services import Submission, SubmissionKeyReused, submit_case
from medborg.open311 import params, selectors
from medborg.open311.errors import (
    Open311Error,
    bad_request,
    forbidden,
    not_found,
)

MAX_DESCRIPTION = intake.DESCRIPTION_MAX_LENGTH
MAX_MEDIA_URL = intake.MEDIA_URL_MAX_LENGTH
MAX_IDEMPOTENCY_KEY = intake.IDEMPOTENCY_KEY_MAX_LENGTH
# The web form's field names in Open311's terms.
FIELD_NAMES = {
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "contact_email": "email",
}


def authorised_key(request):
    """The active key with the cases:create scope, counted against its rate.

    Raises Open311Error 403 for a missing, unknown, revoked or unscoped key and
    429 when the key is over its rate.
    """
    raw = params.first_value("api_key", request.GET, request.POST)
    if not raw:
        raise forbidden(_("api_key: an API key is required to create requests."))
    key = api_selectors.active_key(raw)
    if key is None:
        raise forbidden(_("api_key: the key is unknown or revoked."))
    if not key.has_scope(Scope.CASES_CREATE):
        raise forbidden(
            _("api_key: the key may not create requests (scope %(scope)s).")
            % {"scope": Scope.CASES_CREATE.value}
        )
    if api_selectors.over_rate(request, key):
        raise Open311Error(
            HTTPStatus.TOO_MANY_REQUESTS,
            _("Too many requests with this api_key; try again later."),
        )
    api_services.touch_key(key)
    return key


def _service(data):
    code = params.value(data, "service_code")
    if not code:
        raise bad_request(_("service_code: this parameter is required."))
    service = selectors.service(code)
    if service is None:
        raise not_found(
            _("service_code: no service has the code %(code)s.") % {"code": code}
        )
    return service


def _free_text_problems(description: str, media_url: str) -> list[str]:
    problems = []
    if len(description) > MAX_DESCRIPTION:
        problems.append(
            _("description: write at most %(count)s characters (it has %(length)s).")
            % {"count": MAX_DESCRIPTION, "length": len(description)}
        )
    if media_url:
        try:
            if len(media_url) > MAX_MEDIA_URL:
                raise ValidationError("too long")
            intake.media_url_validator(media_url)
        except ValidationError:
            problems.append(
                _(
                    "media_url: give an http or https address of at most %(count)s "
                    "characters."
                )
                % {"count": MAX_MEDIA_URL}
            )
    return problems


def _place(data) -> dict:
    address = params.value(data, "address_string")
    address_id = params.value(data, "address_id")
    if not address and address_id:
        # The municipality's address register is not consulted: the id is
        # kept as the place's text, for the case worker to look up.
        address = f"address_id: {address_id}"
    return {
        "latitude": params.value(data, "lat"),
        "longitude": params.value(data, "long"),
        "address": address,
    }


def _date_answers(service, answers: dict) -> dict:
    """Open311 sends a datetime; the form's date questions take its date."""
    dates = {q.key for q in service.questions.all() if q.kind == "date"}
    return {
        key: answer[:10] if key in dates and isinstance(answer, str) else answer
        for key, answer in answers.items()
    }


def _submission_key(request, key) -> str:
    header = request.headers.get("Idempotency-Key", "").strip()
    if not header:
        return tokens.new_submission_key()
    if len(header) > MAX_IDEMPOTENCY_KEY:
        raise bad_request(
            _("Idempotency-Key: use at most %(count)s characters.")
            % {"count": MAX_IDEMPOTENCY_KEY}
        )
    return intake.client_submission_key(key, header)


def _form_problems(form, answers: dict) -> list[str]:
    problems = [
        _("attribute[%(code)s]: the service asks no such question.") % {"code": code}
        for code in intake.unknown_answers(form, answers)
    ]
    if form.is_valid() and not problems:
        return []
    for problem in intake.form_errors(
        form, answer_name=lambda code: f"attribute[{code}]"
    ):
        field = FIELD_NAMES.get(problem["field"], problem["field"])
        if field == "submission_key":
            field = "Idempotency-Key"
        text = problem["message"]
        problems.append(f"{field}: {text}" if field else text)
    return problems


def create_request(request) -> Submission:
    """Authorise, validate and submit one service request; return the submission.

    Idempotent on the client's ``Idempotency-Key`` header: a retry with the
    same content returns the first case. Raises Open311Error with every
    problem found; nothing is written then.
    """
    data = request.POST
    key = authorised_key(request)
    params.check_jurisdiction(request.GET, data)
    service = _service(data)
    answers = _date_answers(service, params.attributes(data))
    description = params.value(data, "description")
    media_url = params.value(data, "media_url")
    submission_key = _submission_key(request, key)
    form = intake.case_form(
        service,
        submission_key=submission_key,
        answers=answers,
        contact_email=params.value(data, "email"),
        **_place(data),
    )
    problems = _form_problems(form, answers)
    problems += _free_text_problems(description, media_url)
    if problems:
        raise bad_request(*problems)
    return _submit(form, key, description=description, media_url=media_url)


def _submit(form, key, *, description: str, media_url: str) -> Submission:
    cleaned = form.cleaned_data
    try:
        return submit_case(
            service=form.service,
            answers=form.answers(),
            latitude=cleaned.get("latitude"),
            longitude=cleaned.get("longitude"),
            address=cleaned.get("address", ""),
            contact_email=cleaned.get("contact_email", ""),
            description=description,
            media_url=media_url,
            language=get_language() or settings.LANGUAGE_CODE,
            channel=Channel.OPEN311,
            api_key=key,
            submission_key=cleaned["submission_key"],
        )
    except SubmissionKeyReused as error:
        raise bad_request(
            _(
                "Idempotency-Key: this key was already used for another request "
                "(%(reference)s); use a new key for new content."
            )
            % {"reference": error.args[0]}
        ) from None
