"""Staff endpoints: a key with cases:work acts as its staff user.

The same rules as the staff workspace apply: the user needs a case role
(else 403) and a seat on the team holding the case or the service's team
(else 404); actions call the same services, which check the rest.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from medborg.api import schema
from medborg.api.models import Scope
from medborg.api.serializers_work import (
    AssignSerializer,
    MoveSerializer,
    NoteSerializer,
    WorkCaseDetailSerializer,
    WorkCaseSerializer,
    WorkFilterSerializer,
)
from medborg.api.views import ApiView
from medborg.api.views_clients import problem
from medborg.cases import inbox, selectors, services
from medborg.cases.lifecycle import InvalidMove
from medborg.cases.models import Case
from medborg.catalog.models import Service


class WorkView(ApiView):
    """Refuse users without a case role before anything else, as the web does."""

    required_scopes = {"GET": Scope.CASES_WORK}

    def check_permissions(self, request):
        super().check_permissions(request)
        user = request.user
        if not (user.is_authenticated and user.works_on_cases()):
            raise exceptions.PermissionDenied(
                _("The key's user has no role that works on cases.")
            )

    def case(self, reference: str):
        case = selectors.staff_case(self.request.user, reference)
        if case is None:
            raise Http404
        return case

    def detail(self, case, status_code=status.HTTP_200_OK) -> Response:
        case.allowed_steps = selectors.allowed_steps(case)
        context = {"user": self.request.user}
        return Response(
            WorkCaseDetailSerializer(case, context=context).data, status=status_code
        )


def selection(user, filters: dict) -> inbox.Selection | None:
    """The inbox selection the filters ask for; None for an unknown service."""
    service = None
    if "service" in filters:
        codes = Service.objects.filter(code=filters["service"])
        service = codes.values_list("pk", flat=True).first()
        if service is None:
            return None
    return inbox.Selection(
        teams=tuple(selectors.team_ids(user)),
        service=service,
        step=filters.get("step", ""),
        assignee=filters.get("assignee", ""),
        include_closed=filters["closed"],
        sort=filters["sort"],
    )


class WorkCaseList(WorkView):
    """The cases held by the user's teams, soonest due first by default."""

    serializer_class = WorkCaseSerializer

    @extend_schema(
        operation_id="work_cases_list",
        parameters=[WorkFilterSerializer, schema.IF_NONE_MATCH],
        responses=schema.read_responses(
            WorkCaseSerializer(many=True), keyed=True, listed=True
        ),
    )
    def get(self, request):
        filters = WorkFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        chosen = selection(request.user, filters.validated_data)
        cases = (
            inbox.inbox_cases(chosen, request.user) if chosen else Case.objects.none()
        )
        page = self.paginate_queryset(cases)
        return self.get_paginated_response(WorkCaseSerializer(page, many=True).data)


class WorkCaseDetail(WorkView):
    """One case with its answers, contact (if allowed) and all its events."""

    serializer_class = WorkCaseDetailSerializer

    @extend_schema(
        operation_id="work_cases_retrieve",
        parameters=[schema.REFERENCE, schema.IF_NONE_MATCH],
        responses=schema.read_responses(WorkCaseDetailSerializer, keyed=True),
    )
    def get(self, request, reference):
        return self.detail(self.case(reference))


class NotInTeam(ValueError):
    """The named colleague is not an active member of the team holding the case."""


def refusal(error) -> tuple[int, dict]:
    """The status and problem for a service's refusal, as the web words it."""
    if isinstance(error, services.StaleCase):
        message = _(
            "The case changed while you were looking at it: its step or status "
            "is now different. Check it again before you act."
        )
        return status.HTTP_409_CONFLICT, problem("state", "stale_case", message)
    if isinstance(error, services.StepNotAllowed):
        message = _("The process does not allow that move from the current step.")
        return status.HTTP_400_BAD_REQUEST, problem("step", "step_not_allowed", message)
    if isinstance(error, NotInTeam):
        message = _("Name an active colleague in the team that holds the case.")
        return status.HTTP_400_BAD_REQUEST, problem("assignee", "not_in_team", message)
    if isinstance(error, InvalidMove):
        message = _("The case's status does not allow this now.")
        return status.HTTP_400_BAD_REQUEST, problem(None, "invalid_move", message)
    message = _(
        "This is not possible for this case now; check its details and try again."
    )
    return status.HTTP_400_BAD_REQUEST, problem(None, "not_possible", message)


class WorkAction(WorkView):
    """POST an action on a case: validate, call one service, return the case."""

    required_scopes = {"POST": Scope.CASES_WORK}
    parser_classes = [JSONParser]

    def post(self, request, reference):
        case = self.case(reference)
        body = self.serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            self.act(case, body.validated_data)
        except PermissionDenied as error:
            raise exceptions.PermissionDenied() from error
        except (services.StaleCase, InvalidMove, ValueError) as error:
            # StepNotAllowed is a ValueError too; other ValueErrors are
            # refusals the request could not foresee.
            status_code, found = refusal(error)
            return Response({"errors": [found]}, status=status_code)
        return self.detail(self.case(reference))

    def act(self, case, data):
        raise NotImplementedError


def action_schema(name, serializer, description):
    return extend_schema(
        operation_id=f"work_cases_{name}",
        description=description,
        request=serializer,
        parameters=[schema.REFERENCE],
        responses=schema.write_responses({200: WorkCaseDetailSerializer}),
    )


class MoveCase(WorkAction):
    serializer_class = MoveSerializer

    @action_schema(
        "move",
        MoveSerializer,
        _(
            "Move the case to one of its allowed_steps; public_message goes to "
            "the citizen."
        ),
    )
    def post(self, request, reference):
        return super().post(request, reference)

    def act(self, case, data):
        step = next(
            (s for s in selectors.allowed_steps(case) if s.key == data["step"]), None
        )
        if step is None:
            raise services.StepNotAllowed(data["step"])
        services.move_case_to_step(
            case=case,
            step=step,
            public_message=data["public_message"],
            by=self.request.user,
            expected_state=data["state"],
        )


class AddNote(WorkAction):
    serializer_class = NoteSerializer

    @action_schema("note", NoteSerializer, _("Add an internal note."))
    def post(self, request, reference):
        return super().post(request, reference)

    def act(self, case, data):
        services.add_note(case=case, text=data["text"], by=self.request.user)


class AssignCase(WorkAction):
    serializer_class = AssignSerializer

    @action_schema(
        "assign",
        AssignSerializer,
        _(
            "Take the case (me), let it go (nobody) or, as a team lead, give it "
            "to a colleague in the team holding it."
        ),
    )
    def post(self, request, reference):
        return super().post(request, reference)

    def act(self, case, data):
        choice = data["assignee"]
        if choice == "me":
            assignee = self.request.user
        elif choice == "nobody":
            assignee = None
        else:
            assignee = case.team.members.filter(username=choice, is_active=True).first()
            if assignee is None:
                raise NotInTeam(choice)
        services.assign_case(case=case, assignee=assignee, by=self.request.user)
