"""Public, read-only endpoints: the service catalog and the published cases.

No key is needed; a key that is sent must still be valid. Nothing here shows
personal data: published cases are shaped by ``cases.publication``.
"""

from dataclasses import asdict

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from medborg.api import schema
from medborg.api.etag import ETagMixin
from medborg.api.permissions import PUBLIC
from medborg.api.serializers import (
    PublishedCaseDetailSerializer,
    PublishedCaseFilterSerializer,
    PublishedCaseSerializer,
    ServiceSerializer,
)
from medborg.cases import publication, selectors
from medborg.cases.lifecycle import OPEN
from medborg.catalog.models import Choice, Question
from medborg.catalog.selectors import active_services

READ = {"GET": PUBLIC}


class ApiView(ETagMixin, GenericAPIView):
    """Every endpoint: ETags on GET, and 405 for a method it does not have
    (checked before the key's scopes, which would otherwise answer 403)."""

    def initial(self, request, *args, **kwargs):
        method = request.method.lower()
        if method == "head":
            method = "get"
        if method != "options" and not hasattr(self, method):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)


class NotFoundView(ApiView):
    """Any other address under /api/v1/: a 404 in the API's error body."""

    required_scopes = dict.fromkeys(["GET", "POST", "PUT", "PATCH", "DELETE"], PUBLIC)
    schema = None

    def initial(self, request, *args, **kwargs):
        super(ApiView, self).initial(request, *args, **kwargs)
        raise Http404


def services_with_questions():
    """Active services, in catalog order, with their questions and choices."""
    questions = Question.objects.order_by("position", "id").prefetch_related(
        Prefetch("choices", queryset=Choice.objects.order_by("position", "id"))
    )
    return (
        active_services()
        .prefetch_related(Prefetch("questions", queryset=questions))
        .order_by("category__position", "category_id", "position", "name", "id")
    )


def photo_url(case) -> str:
    """Where the case's first published photo is served, or empty."""
    if not getattr(case, "public_photo_id", None):
        return ""
    path = reverse("cases:public_photo", args=[case.public_photo_id])
    return settings.BASE_URL + path


def published(case):
    return publication.published_case(case, photo_url=photo_url(case))


class ServiceList(ApiView):
    """The services one can create cases for, with the questions they ask."""

    required_scopes = READ
    serializer_class = ServiceSerializer

    @extend_schema(
        operation_id="services_list",
        parameters=[schema.IF_NONE_MATCH],
        responses=schema.read_responses(ServiceSerializer(many=True), listed=True),
        auth=[],
    )
    def get(self, request):
        page = self.paginate_queryset(services_with_questions())
        return self.get_paginated_response(ServiceSerializer(page, many=True).data)


class ServiceDetail(ApiView):
    required_scopes = READ
    serializer_class = ServiceSerializer

    @extend_schema(
        operation_id="services_retrieve",
        parameters=[schema.CODE, schema.IF_NONE_MATCH],
        responses=schema.read_responses(ServiceSerializer),
        auth=[],
    )
    def get(self, request, code):
        service = services_with_questions().filter(code=code).first()
        if service is None:
            raise Http404
        return Response(ServiceSerializer(service).data)


class PublishedCaseList(ApiView):
    """Cases anyone may see, newest first; no personal data."""

    required_scopes = READ
    serializer_class = PublishedCaseSerializer

    @extend_schema(
        operation_id="cases_list",
        parameters=[PublishedCaseFilterSerializer, schema.IF_NONE_MATCH],
        responses=schema.read_responses(
            PublishedCaseSerializer(many=True), listed=True
        ),
        auth=[],
    )
    def get(self, request):
        filters = PublishedCaseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(filtered(filters.validated_data))
        data = PublishedCaseSerializer([published(case) for case in page], many=True)
        return self.get_paginated_response(data.data)


def filtered(filters: dict):
    cases = selectors.published_cases()
    if "service" in filters:
        cases = cases.filter(service__code=filters["service"])
    if filters.get("status") == "open":
        cases = cases.filter(status__in=OPEN)
    elif filters.get("status") == "closed":
        cases = cases.exclude(status__in=OPEN)
    if "submitted_after" in filters:
        cases = cases.filter(submitted_at__gte=filters["submitted_after"])
    if "submitted_before" in filters:
        cases = cases.filter(submitted_at__lt=filters["submitted_before"])
    return cases


class PublishedCaseDetail(ApiView):
    """One public case with its progress: steps and published messages."""

    required_scopes = READ
    serializer_class = PublishedCaseDetailSerializer

    @extend_schema(
        operation_id="cases_retrieve",
        parameters=[schema.REFERENCE, schema.IF_NONE_MATCH],
        responses=schema.read_responses(PublishedCaseDetailSerializer),
        auth=[],
    )
    def get(self, request, reference):
        case = selectors.published_case(reference)
        if case is None:
            raise Http404
        timeline = publication.published_events(
            selectors.published_events(case), selectors.step_names(case)
        )
        data = {**asdict(published(case)), "timeline": timeline}
        return Response(PublishedCaseDetailSerializer(data).data)
