"""REST API v1. References and codes are matched by pattern here, so that a
malformed one never reaches the database."""

from django.urls import path, re_path

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from medborg.api import views, views_clients, views_opendata, views_sensors, views_work
from medborg.api.etag import ETagMixin

app_name = "api"

CODE = r"(?P<code>[-a-zA-Z0-9_]{1,50})"
REFERENCE = r"(?P<reference>[A-Za-z0-9-]{1,24})"
INDICATOR = r"(?P<id>[a-z0-9_]{1,40})"


class SchemaView(ETagMixin, SpectacularAPIView):
    """The OpenAPI 3 schema; ``?format=json`` for JSON instead of YAML."""

    required_scopes = {"GET": None}


class DocsView(ETagMixin, SpectacularSwaggerSplitView):
    required_scopes = {"GET": None}


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    path("services/", views.ServiceList.as_view(), name="services"),
    re_path(rf"^services/{CODE}/$", views.ServiceDetail.as_view(), name="service"),
    path("cases/", views_clients.CaseCollection.as_view(), name="cases"),
    re_path(rf"^cases/{REFERENCE}/$", views.PublishedCaseDetail.as_view(), name="case"),
    path("my/cases/", views_clients.MyCaseList.as_view(), name="my-cases"),
    re_path(
        rf"^my/cases/{REFERENCE}/$",
        views_clients.MyCaseDetail.as_view(),
        name="my-case",
    ),
    path("work/cases/", views_work.WorkCaseList.as_view(), name="work-cases"),
    re_path(
        rf"^work/cases/{REFERENCE}/$",
        views_work.WorkCaseDetail.as_view(),
        name="work-case",
    ),
    re_path(
        rf"^work/cases/{REFERENCE}/move/$",
        views_work.MoveCase.as_view(),
        name="work-move",
    ),
    re_path(
        rf"^work/cases/{REFERENCE}/note/$",
        views_work.AddNote.as_view(),
        name="work-note",
    ),
    re_path(
        rf"^work/cases/{REFERENCE}/assign/$",
        views_work.AssignCase.as_view(),
        name="work-assign",
    ),
    path(
        "sensors/readings",
        views_sensors.SensorReadings.as_view(),
        name="sensor-readings",
    ),
    path(
        "open-data/indicators/",
        views_opendata.IndicatorList.as_view(),
        name="opendata-indicators",
    ),
    re_path(
        rf"^open-data/indicators/{INDICATOR}/$",
        views_opendata.IndicatorDetail.as_view(),
        name="opendata-indicator",
    ),
    path(
        "open-data/figures/",
        views_opendata.FigureList.as_view(),
        name="opendata-figures",
    ),
    re_path(r"^", views.NotFoundView.as_view(), name="not-found"),
]
