"""Open data: the published indicators and their figures, public and read-only.

Every figure comes from ``opendata.selectors``, which suppresses small counts;
nothing here reads a case. Answers may be kept by shared caches for five
minutes. The figures change only when the snapshots are recomputed, so their
ETag is derived from the snapshots' version and the selection, and a
conditional GET is answered before a single figure is read.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from medborg.api import schema
from medborg.api.etag import ETagMixin, matches
from medborg.api.serializers_opendata import FiguresSerializer, IndicatorSerializer
from medborg.api.views import READ, ApiView
from medborg.opendata import selectors, tables
from medborg.opendata.forms import SelectionForm
from medborg.opendata.indicators import BY_ID, INDICATORS, Granularity, Scope

CACHE_CONTROL = "public, max-age=300"
# More than this makes an answer of several megabytes; the CSV file streams.
MAX_FIGURES = 50_000
TOO_MANY_FIGURES = "too_many_figures"
# The counts are cached as long as the figures themselves.
COUNT_SECONDS = 3600

ID = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[a-z0-9_]{1,40}$",
    description=_("The indicator's id, e.g. received."),
)
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$"
SELECTION = [
    OpenApiParameter(
        "indicator",
        OpenApiTypes.STR,
        many=True,
        explode=True,
        enum=[indicator.id for indicator in INDICATORS],
        description=_("An indicator's id; repeat for several. Without: all."),
    ),
    OpenApiParameter(
        "scope",
        OpenApiTypes.STR,
        enum=[scope.value for scope in Scope],
        description=_(
            "Only figures for the whole municipality, or per category, service or area."
        ),
    ),
    OpenApiParameter(
        "key",
        {"type": "string", "maxLength": 60},
        description=_(
            "With scope: the service's code, the category's key or the area's key."
        ),
    ),
    OpenApiParameter(
        "granularity",
        OpenApiTypes.STR,
        enum=[granularity.value for granularity in Granularity],
        description=_("Only months or only quarters."),
    ),
    OpenApiParameter(
        "start",
        OpenApiTypes.STR,
        pattern=PERIOD_PATTERN,
        description=_("The first period: a month as 2026-01 or a quarter as 2026-Q1."),
    ),
    OpenApiParameter(
        "end",
        OpenApiTypes.STR,
        pattern=PERIOD_PATTERN,
        description=_("The last period, written as start."),
    ),
]


class OpenDataView(ApiView):
    """Public answers that shared caches may keep for a while."""

    required_scopes = READ
    # Lists are whole: the figures are capped, the indicators few.
    pagination_class = None

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code in {200, 304}:
            response.setdefault("Cache-Control", CACHE_CONTROL)
        return super().finalize_response(request, response, *args, **kwargs)


class IndicatorList(OpenDataView):
    """Every published indicator, with its definition in the request's language."""

    serializer_class = IndicatorSerializer

    @extend_schema(
        operation_id="open_data_indicators_list",
        parameters=[schema.IF_NONE_MATCH],
        responses=schema.read_responses(IndicatorSerializer(many=True)),
        auth=[],
    )
    def get(self, request):
        return Response(IndicatorSerializer(INDICATORS, many=True).data)


class IndicatorDetail(OpenDataView):
    """One indicator; 404 for an id never published."""

    serializer_class = IndicatorSerializer

    @extend_schema(
        operation_id="open_data_indicators_retrieve",
        parameters=[ID, schema.IF_NONE_MATCH],
        responses=schema.read_responses(IndicatorSerializer),
        auth=[],
    )
    def get(self, request, id):
        if id not in BY_ID:
            raise Http404
        return Response(IndicatorSerializer(BY_ID[id]).data)


def selection_digest(selection: selectors.Selection) -> str:
    return hashlib.sha256(repr(selection).encode()).hexdigest()[:24]


def figures_etag(version: str, selection: selectors.Selection) -> str:
    """Tag what the answer depends on: snapshots, language, selection, settings."""
    parts = (
        version,
        get_language(),
        repr(selection),
        settings.OPEN_DATA_MIN_COUNT,
        settings.OPEN_DATA_LICENCE,
        settings.MUNICIPALITY_CODE,
        settings.MUNICIPALITY_NAME,
    )
    text = "\n".join(str(part) for part in parts)
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def figure_count(selection: selectors.Selection, version: str) -> int:
    """Count the selection's snapshots without reading them; cached per version."""
    key = f"opendata:count:{version}:{selection_digest(selection)}"
    return cache.get_or_set(
        key, lambda: selectors.count_figures(selection), COUNT_SECONDS
    )


def form_problems(form) -> list[dict]:
    return [
        {
            "field": None if name == "__all__" else name,
            "code": error["code"] or "invalid",
            "message": error["message"],
        }
        for name, errors in form.errors.get_json_data().items()
        for error in errors
    ]


def too_many(count: int) -> list[dict]:
    message = gettext(
        "The selection has %(count)s figures, more than the %(max)s one answer "
        "holds. Choose fewer indicators, one scope or fewer periods, or download "
        "every figure as the file %(url)s."
    ) % {
        "count": count,
        "max": MAX_FIGURES,
        "url": settings.BASE_URL + reverse("opendata:csv"),
    }
    return [{"field": None, "code": TOO_MANY_FIGURES, "message": message}]


def meta(version: str) -> dict:
    return {
        "version": version,
        "licence": settings.OPEN_DATA_LICENCE,
        "suppressed_below": settings.OPEN_DATA_MIN_COUNT,
        "municipality": {
            "code": settings.MUNICIPALITY_CODE,
            "name": settings.MUNICIPALITY_NAME,
        },
    }


class FigureList(OpenDataView):
    """The figures of a selection; small counts suppressed."""

    serializer_class = FiguresSerializer

    @extend_schema(
        operation_id="open_data_figures_list",
        parameters=[*SELECTION, schema.IF_NONE_MATCH],
        responses=schema.read_responses(FiguresSerializer, listed=True),
        auth=[],
    )
    def get(self, request):
        form = SelectionForm(request.query_params)
        if not form.is_valid():
            return Response(
                {"errors": form_problems(form)}, status=status.HTTP_400_BAD_REQUEST
            )
        selection = form.selection()
        version = selectors.version()
        etag = figures_etag(version, selection)
        if matches(etag, request.headers.get("If-None-Match", "")):
            response = HttpResponseNotModified()
        else:
            count = figure_count(selection, version)
            if count > MAX_FIGURES:
                return Response(
                    {"errors": too_many(count)}, status=status.HTTP_400_BAD_REQUEST
                )
            figures = selectors.cached_figures(selection)
            body = "".join(tables.json_chunks(figures, meta=meta(version)))
            response = HttpResponse(body, content_type="application/json")
        response["ETag"] = f"W/{etag}"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        # ETagMixin would hash the body, which get() tagged before making it.
        response = super(ETagMixin, self).finalize_response(
            request, response, *args, **kwargs
        )
        if request.auth is not None:
            patch_vary_headers(response, ("Authorization", "X-Api-Key"))
            response["Cache-Control"] = "private, no-cache"
        elif response.status_code in {200, 304}:
            response.setdefault("Cache-Control", CACHE_CONTROL)
        else:
            response.setdefault("Cache-Control", "no-cache")
        return response
