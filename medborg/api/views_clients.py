"""Endpoints for client applications: create cases, follow the ones they sent.

A case is checked by the citizen's own web form (``cases.intake``) and
created by ``cases.services.submit_case``, like every other case. A key sees
only the cases it created; any other reference is a 404.
"""

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from medborg.api import schema
from medborg.api.models import Scope
from medborg.api.permissions import PUBLIC
from medborg.api.serializers_cases import (
    CaseCreateSerializer,
    ClientCaseDetailSerializer,
    ClientCaseSerializer,
    CreatedCaseSerializer,
    UpdatedSinceSerializer,
)
from medborg.api.views import ApiView, PublishedCaseList
from medborg.cases import intake, payloads, selectors, services, tokens
from medborg.cases.models import Case, Channel
from medborg.catalog.selectors import active_services

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description=_(
        "Any text of 1–200 visible ASCII characters, unique per new case. A retry "
        "with the same key and body returns the first case with 200."
    ),
)
MAX_IDEMPOTENCY_KEY = intake.IDEMPOTENCY_KEY_MAX_LENGTH


class Refused(Exception):
    """A request the form or the catalog refuses; ``problems`` lists why."""

    def __init__(self, problems: list[dict], status_code=status.HTTP_400_BAD_REQUEST):
        super().__init__(problems)
        self.problems = problems
        self.status_code = status_code


def problem(field, code, message) -> dict:
    return {"field": field, "code": code, "message": str(message)}


def tracking_url(token: str) -> str:
    """The citizen's private link; only ever returned to the creating client."""
    return settings.BASE_URL + reverse("cases:track", args=[token])


def client_case(case, *, events=(), step_names=None) -> dict:
    """The case as its client application sees it: what the citizen sees, and
    what the client itself sent, except the citizen's e-mail."""
    summary = payloads.tracking_summary(case, list(events), step_names or {})
    return {
        **vars(summary),
        "service_code": case.service.code,
        "updated_at": case.updated_at,
        "duplicate_of": case.duplicate_of.reference if case.duplicate_of_id else None,
        "answers": case.answers,
        "latitude": case.latitude,
        "longitude": case.longitude,
        "address": case.address,
        "description": case.description,
        "media_url": case.media_url,
    }


def client_case_detail(case) -> dict:
    return client_case(
        case,
        events=selectors.public_timeline(case),
        step_names=selectors.step_names(case),
    )


def clients_cases(key):
    return Case.objects.filter(api_key=key).select_related(
        "service", "step", "team", "assignee", "duplicate_of", "process"
    )


def submission_key(request) -> str:
    """The form's submission key: derived from Idempotency-Key, else new."""
    header = request.headers.get("Idempotency-Key")
    if header is None:
        return tokens.new_submission_key()
    fits = 0 < len(header) <= MAX_IDEMPOTENCY_KEY and header.isascii()
    if not (fits and header.isprintable() and header.strip()):
        raise Refused(
            [
                problem(
                    "Idempotency-Key",
                    "invalid",
                    _("Give 1 to %(count)s visible ASCII characters.")
                    % {"count": MAX_IDEMPOTENCY_KEY},
                )
            ]
        )
    return intake.client_submission_key(request.auth, header)


def not_asked(service, data: dict) -> list[dict]:
    """What was sent for a service that does not ask it: refused, not dropped."""
    sent = {name for name, value in data.items() if value not in (None, "", [])}
    names = [] if service.asks_location else ["latitude", "longitude", "address"]
    names += [] if service.asks_photos else ["photos"]
    return [
        problem(name, "not_asked", _("This service does not ask for this."))
        for name in names
        if name in sent
    ]


def checked_form(service, key: str, data: dict):
    """The web form bound to the request, and every problem with the request."""
    answers = data.get("answers") or {}
    form = intake.case_form(
        service,
        submission_key=key,
        answers=answers,
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        address=data.get("address") or "",
        contact_email=data.get("contact_email") or "",
        photos=data.get("photos"),
    )
    problems = [
        problem(
            f"answers.{name}",
            "unknown_answer",
            _("The service asks no question %(key)s.") % {"key": name},
        )
        for name in intake.unknown_answers(form, answers)
    ]
    problems += not_asked(service, data)
    if not form.is_valid():
        problems += intake.form_errors(form, answer_name=lambda k: f"answers.{k}")
    return form, problems


def create_case(request, data: dict) -> services.Submission:
    """Check the request as the web form does and submit the case, or raise
    Refused. Photos are kept under the submission key first, so that
    ``submit_case`` attaches them in its transaction."""
    key = submission_key(request)
    service = active_services().filter(code=data["service"]).first()
    if service is None:
        message = _("There is no active service with this code.")
        raise Refused([problem("service", "unknown_service", message)])
    form, problems = checked_form(service, key, data)
    if problems:
        raise Refused(problems)
    if form.checked_photos:
        services.add_pending_photos(submission_key=key, photos=form.checked_photos)
    cleaned = form.cleaned_data
    try:
        return services.submit_case(
            service=service,
            answers=form.answers(),
            latitude=cleaned.get("latitude"),
            longitude=cleaned.get("longitude"),
            address=cleaned.get("address", ""),
            contact_email=cleaned.get("contact_email", ""),
            description=data.get("description", ""),
            media_url=data.get("media_url", ""),
            language=get_language(),
            channel=Channel.API,
            api_key=request.auth,
            submission_key=key,
        )
    except services.SubmissionKeyReused as error:
        message = _("This Idempotency-Key was used for a different case.")
        raise Refused(
            [problem("Idempotency-Key", "idempotency_key_reused", message)],
            status.HTTP_409_CONFLICT,
        ) from error


class CaseCollection(PublishedCaseList):
    """GET: the published cases (public). POST: create a case (cases:create)."""

    required_scopes = {"GET": PUBLIC, "POST": Scope.CASES_CREATE}
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        operation_id="cases_create",
        request=CaseCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses=schema.write_responses(
            {
                201: CreatedCaseSerializer,
                200: OpenApiResponse(
                    CreatedCaseSerializer,
                    description=_("A retry: the case created the first time."),
                ),
            }
        ),
    )
    def post(self, request):
        body = CaseCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            submission = create_case(request, body.validated_data)
        except Refused as refusal:
            return Response({"errors": refusal.problems}, status=refusal.status_code)
        case = clients_cases(request.auth).get(pk=submission.case.pk)
        created = {
            "reference": case.reference,
            "tracking_url": tracking_url(submission.token),
            "case": client_case_detail(case),
        }
        code = status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK
        return Response(CreatedCaseSerializer(created).data, status=code)


class MyCaseList(ApiView):
    """The cases this key created, least recently changed first."""

    required_scopes = {"GET": Scope.CASES_READ}
    serializer_class = ClientCaseSerializer

    @extend_schema(
        operation_id="my_cases_list",
        parameters=[UpdatedSinceSerializer, schema.IF_NONE_MATCH],
        responses=schema.read_responses(
            ClientCaseSerializer(many=True), keyed=True, listed=True
        ),
    )
    def get(self, request):
        filters = UpdatedSinceSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        cases = clients_cases(request.auth).order_by("updated_at", "id")
        since = filters.validated_data.get("updated_since")
        if since is not None:
            cases = cases.filter(updated_at__gte=since)
        page = self.paginate_queryset(cases)
        data = ClientCaseSerializer([client_case(case) for case in page], many=True)
        return self.get_paginated_response(data.data)


class MyCaseDetail(ApiView):
    """One case this key created, with the timeline the citizen sees."""

    required_scopes = {"GET": Scope.CASES_READ}
    serializer_class = ClientCaseDetailSerializer

    @extend_schema(
        operation_id="my_cases_retrieve",
        parameters=[schema.REFERENCE, schema.IF_NONE_MATCH],
        responses=schema.read_responses(ClientCaseDetailSerializer, keyed=True),
    )
    def get(self, request, reference):
        case = clients_cases(request.auth).filter(reference=reference).first()
        if case is None:
            raise Http404
        return Response(ClientCaseDetailSerializer(client_case_detail(case)).data)
