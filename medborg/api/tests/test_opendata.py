import re
from datetime import UTC, date, datetime

from django.utils import timezone

import pytest

from medborg.api import views_opendata
from medborg.api.serializers_opendata import FigureSerializer
from medborg.api.tests.conftest import auth, submit
from medborg.catalog.models import Category
from medborg.opendata import services
from medborg.opendata.indicators import INDICATORS
from medborg.opendata.models import Progress, Snapshot
from medborg.opendata.tables import COLUMNS

INDICATORS_URL = "/api/v1/open-data/indicators/"
FIGURES_URL = "/api/v1/open-data/figures/"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
COMPUTED = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def snapshot(indicator="received", period="2026-10", count=12, value=None, **fields):
    """A stored figure; a month unless ``period`` names a quarter."""
    year, part = period.split("-")
    if part.startswith("Q"):
        start = date(int(year), 3 * int(part[1]) - 2, 1)
        fields.setdefault("granularity", "quarter")
    else:
        start = date(int(year), int(part), 1)
    return Snapshot.objects.create(
        indicator=indicator,
        granularity=fields.pop("granularity", "month"),
        period=period,
        period_start=start,
        scope=fields.pop("scope", "municipality"),
        scope_key=fields.pop("scope_key", ""),
        value=count if value is None else value,
        count=count,
        computed_at=COMPUTED,
    )


@pytest.fixture
def progress(db):
    return Progress.objects.create(pk=1, computed_at=COMPUTED)


@pytest.fixture
def figures(progress, service):
    """Received per month and quarter, for the municipality and a service,
    and a processing time."""
    snapshot(period="2026-09", count=10)
    snapshot(period="2026-10", count=12)
    snapshot(period="2026-Q3", count=30)
    snapshot(period="2026-10", count=7, scope="service", scope_key="pothole")
    snapshot("processing_days_median", period="2026-10", count=9, value=3.14159)


def figure_rows(response) -> list[tuple]:
    return [
        (f["indicator"], f["period"], f["scope"], f["scope_key"], f["value"])
        for f in response.json()["figures"]
    ]


def test_indicators_list_every_indicator_in_order(api, db):
    response = api.get(INDICATORS_URL, **ENGLISH)
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body] == [i.id for i in INDICATORS]
    assert body[0] == {
        "id": "received",
        "group": "demand",
        "title": "Cases received",
        "unit": "cases",
        "unit_label": "cases",
        "definition": (
            "Cases submitted in the period (events case.submitted), counted in "
            "the period of submission."
        ),
        "about_people": True,
        "scopes": ["municipality", "category", "service", "area"],
    }


def test_indicator_detail(api, db):
    response = api.get(f"{INDICATORS_URL}bin_emptyings/", **ENGLISH)
    assert response.status_code == 200
    body = response.json()
    assert (body["unit"], body["about_people"], body["scopes"]) == (
        "emptyings",
        False,
        ["municipality"],
    )
    assert body["title"] == "Bins emptied"


@pytest.mark.parametrize("indicator", ["nothing", "Received", "a" * 41])
def test_unknown_indicator_is_a_json_404(api, db, indicator):
    response = api.get(f"{INDICATORS_URL}{indicator}/")
    assert response.status_code == 404
    assert response.json() == {
        "errors": [
            {
                "field": None,
                "code": "not_found",
                "message": response.json()["errors"][0]["message"],
            }
        ]
    }


@pytest.mark.parametrize(("language", "label"), [("sv", "ärenden"), ("en", "cases")])
def test_indicators_follow_the_request_language(api, db, language, label):
    response = api.get(f"{INDICATORS_URL}received/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.json()["unit_label"] == label
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


def test_figures_answer_meta_and_figures(api, figures, settings):
    settings.OPEN_DATA_LICENCE = "CC-BY-4.0"
    settings.OPEN_DATA_MIN_COUNT = 5
    settings.MUNICIPALITY_CODE = "0780"
    settings.MUNICIPALITY_NAME = "Växjö kommun"
    query = "?indicator=processing_days_median"
    response = api.get(FIGURES_URL + query, **ENGLISH)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "meta": {
            "version": "2026-11-02T03:00:00+00:00",
            "licence": "CC-BY-4.0",
            "suppressed_below": 5,
            "municipality": {"code": "0780", "name": "Växjö kommun"},
        },
        "figures": [
            {
                "indicator": "processing_days_median",
                "granularity": "month",
                "period": "2026-10",
                "period_start": "2026-10-01",
                "scope": "municipality",
                "scope_key": "",
                "scope_name": "Växjö kommun",
                "value": 3.1416,
                "unit": "days",
                "count": 9,
                "suppressed": False,
            }
        ],
    }


def test_figures_have_the_documented_columns_only(api, figures):
    items = api.get(FIGURES_URL).json()["figures"]
    assert len(items) == 5
    assert all(tuple(item) == COLUMNS for item in items)
    assert tuple(FigureSerializer().fields) == COLUMNS


def test_figures_name_the_service(api, figures):
    response = api.get(f"{FIGURES_URL}?scope=service&key=pothole", **ENGLISH)
    assert [f["scope_name"] for f in response.json()["figures"]] == ["Pothole"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "?indicator=received&scope=municipality",
            [
                ("received", "2026-09", "municipality", "", 10),
                ("received", "2026-10", "municipality", "", 12),
                ("received", "2026-Q3", "municipality", "", 30),
            ],
        ),
        (
            "?indicator=received&scope=municipality&granularity=quarter",
            [("received", "2026-Q3", "municipality", "", 30)],
        ),
        (
            "?scope=service&key=pothole",
            [("received", "2026-10", "service", "pothole", 7)],
        ),
        (
            "?indicator=received&granularity=month&start=2026-10&end=2026-10",
            [
                ("received", "2026-10", "municipality", "", 12),
                ("received", "2026-10", "service", "pothole", 7),
            ],
        ),
        (
            "?indicator=processing_days_median&indicator=received&end=2026-09"
            "&granularity=month",
            [("received", "2026-09", "municipality", "", 10)],
        ),
        ("?indicator=closed", []),
        ("?start=2027-01", []),
    ],
)
def test_figures_filters(api, figures, query, expected):
    response = api.get(FIGURES_URL + query)
    assert response.status_code == 200
    assert figure_rows(response) == expected


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?start=2026-13", "start", "Give a month as 2026-11 or a quarter as 2026-Q4."),
        ("?end=26-Q5", "end", "Give a month as 2026-11 or a quarter as 2026-Q4."),
        (
            "?indicator=received&indicator=nothing",
            "indicator",
            "Select a valid choice. nothing is not one of the available choices.",
        ),
        ("?key=pothole", "key", "Choose what the key is of (scope) as well."),
        (
            "?scope=service&key=nothing",
            "key",
            "There is no service with the key nothing.",
        ),
        (
            "?start=2026-11&end=2026-Q3",
            "end",
            "The last period comes before the first.",
        ),
        (
            "?scope=planet",
            "scope",
            "Select a valid choice. planet is not one of the available choices.",
        ),
        (
            "?granularity=week",
            "granularity",
            "Select a valid choice. week is not one of the available choices.",
        ),
    ],
)
def test_bad_selection_is_400_naming_the_field(api, figures, query, field, message):
    response = api.get(FIGURES_URL + query, **ENGLISH)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "field": field,
                "code": response.json()["errors"][0]["code"],
                "message": message,
            }
        ]
    }
    assert "ETag" not in response
    assert response["Cache-Control"] == "no-cache"


def test_every_bad_parameter_is_listed(api, figures):
    response = api.get(f"{FIGURES_URL}?start=2026-13&end=x&scope=planet", **ENGLISH)
    assert response.status_code == 400
    problems = response.json()["errors"]
    assert [(p["field"], p["code"]) for p in problems] == [
        ("scope", "invalid_choice"),
        ("start", "invalid"),
        ("end", "invalid"),
    ]


@pytest.mark.parametrize(
    ("indicator", "count", "value", "expected"),
    [
        ("received", 3, 3, {"value": None, "count": None, "suppressed": True}),
        ("received", 4, 4, {"value": None, "count": None, "suppressed": True}),
        ("received", 5, 5, {"value": 5, "count": 5, "suppressed": False}),
        ("received", 0, 0, {"value": 0, "count": 0, "suppressed": False}),
        (
            "satisfaction_mean",
            1,
            5.0,
            {"value": None, "count": None, "suppressed": True},
        ),
        ("bin_emptyings", 2, 2, {"value": 2, "count": 2, "suppressed": False}),
    ],
)
def test_small_counts_about_people_are_suppressed(
    api, progress, settings, indicator, count, value, expected
):
    settings.OPEN_DATA_MIN_COUNT = 5
    snapshot(indicator, count=count, value=value)
    response = api.get(f"{FIGURES_URL}?indicator={indicator}")
    [figure] = response.json()["figures"]
    assert {key: figure[key] for key in expected} == expected


def test_suppression_threshold_is_read_per_request(api, progress, settings):
    snapshot(count=3)
    settings.OPEN_DATA_MIN_COUNT = 3
    assert api.get(FIGURES_URL).json()["figures"][0]["suppressed"] is False


def test_figures_from_case_events(api, service, settings):
    """Three cases submitted: the month's count rests on too few to publish."""
    settings.OPEN_DATA_MIN_COUNT = 5
    for _ in range(3):
        submit(service)
    services.recompute_all()
    month = timezone.localdate().strftime("%Y-%m")
    query = "?indicator=received&granularity=month&scope=municipality"
    body = api.get(FIGURES_URL + query).json()
    assert body["meta"]["version"] == Progress.objects.get().computed_at.isoformat()
    by_period = {figure["period"]: figure for figure in body["figures"]}
    assert by_period.pop(month) == {
        "indicator": "received",
        "granularity": "month",
        "period": month,
        "period_start": f"{month}-01",
        "scope": "municipality",
        "scope_key": "",
        "scope_name": settings.MUNICIPALITY_NAME,
        "value": None,
        "unit": "cases",
        "count": None,
        "suppressed": True,
    }
    # The quarter's earlier months are computed too, without cases.
    assert [(f["value"], f["suppressed"]) for f in by_period.values()] == [
        (0, False)
    ] * len(by_period)


def test_too_many_figures_is_400_pointing_to_the_file(api, figures, monkeypatch):
    monkeypatch.setattr(views_opendata, "MAX_FIGURES", 4)
    assert api.get(f"{FIGURES_URL}?indicator=received").status_code == 200
    response = api.get(FIGURES_URL, **ENGLISH)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "field": None,
                "code": "too_many_figures",
                "message": (
                    "The selection has 5 figures, more than the 4 one answer "
                    "holds. Choose fewer indicators, one scope or fewer periods, "
                    "or download every figure as the file "
                    "https://medborg.example.se/open-data/indicators.csv."
                ),
            }
        ]
    }


def test_figures_are_cached_publicly_with_a_weak_etag(api, figures):
    response = api.get(FIGURES_URL)
    assert response["Cache-Control"] == "public, max-age=300"
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', response["ETag"])
    again = api.get(FIGURES_URL, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == response["ETag"]
    assert again["Cache-Control"] == "public, max-age=300"
    assert "Accept-Language" in again["Vary"]
    strong = response["ETag"].removeprefix("W/")
    assert api.get(FIGURES_URL, HTTP_IF_NONE_MATCH=strong).status_code == 304
    assert api.get(FIGURES_URL, HTTP_IF_NONE_MATCH='"other"').status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"query": "?granularity=month"},
        {"HTTP_ACCEPT_LANGUAGE": "da"},
        {"recompute": True},
        {"threshold": 3},
    ],
    ids=["selection", "language", "snapshots", "threshold"],
)
def test_figures_etag_changes_with_what_the_answer_depends_on(
    api, figures, settings, change
):
    etag = api.get(FIGURES_URL, **ENGLISH)["ETag"]
    headers = {**ENGLISH, "HTTP_IF_NONE_MATCH": etag}
    if "HTTP_ACCEPT_LANGUAGE" in change:
        headers["HTTP_ACCEPT_LANGUAGE"] = change["HTTP_ACCEPT_LANGUAGE"]
    if "recompute" in change:
        Progress.objects.update(computed_at=timezone.now())
    if "threshold" in change:
        settings.OPEN_DATA_MIN_COUNT = change["threshold"]
    response = api.get(FIGURES_URL + change.get("query", ""), **headers)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_figures_etag_ignores_unknown_parameters(api, figures):
    etag = api.get(FIGURES_URL)["ETag"]
    response = api.get(f"{FIGURES_URL}?page=2", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


@pytest.mark.parametrize(
    "url", [INDICATORS_URL, f"{INDICATORS_URL}received/", FIGURES_URL]
)
def test_open_data_is_cached_publicly_and_revalidated(api, figures, url):
    response = api.get(url)
    assert response["Cache-Control"] == "public, max-age=300"
    again = api.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize(
    ("who", "expected", "cache_control"),
    [
        ("anonymous", 200, "public, max-age=300"),
        ("create_key", 200, "private, no-cache"),
        ("work_key", 200, "private, no-cache"),
        ("unknown_key", 401, "no-cache"),
    ],
)
@pytest.mark.parametrize(
    "url", [INDICATORS_URL, f"{INDICATORS_URL}received/", FIGURES_URL]
)
def test_open_data_by_caller(api, figures, request, who, expected, cache_control, url):
    if who == "anonymous":
        headers = {}
    elif who == "unknown_key":
        headers = auth("mb_wrong")
    else:
        headers = auth(request.getfixturevalue(who))
    response = api.get(url, **headers)
    assert response.status_code == expected
    assert response["Cache-Control"] == cache_control


@pytest.mark.parametrize(
    "url", [INDICATORS_URL, f"{INDICATORS_URL}received/", FIGURES_URL]
)
def test_open_data_refuses_writes(api, figures, url):
    response = api.post(url, {}, format="json")
    assert response.status_code == 405
    assert Snapshot.objects.count() == 5


def test_indicators_read_no_database(api, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert api.get(INDICATORS_URL).status_code == 200
        assert api.get(f"{INDICATORS_URL}received/").status_code == 200


def test_figures_queries_first_and_repeated(api, figures, django_assert_num_queries):
    Category.objects.create(slug="roads", name="Roads")
    snapshot(period="2026-10", count=8, scope="category", scope_key="roads")
    # version, count, then cached_figures: version, snapshots, service and
    # category names
    with django_assert_num_queries(6):
        first = api.get(FIGURES_URL)
    assert len(first.json()["figures"]) == 6
    # version, and cached_figures' version: the count and figures are cached
    with django_assert_num_queries(2):
        assert api.get(FIGURES_URL).content == first.content
    # version only: nothing is read or serialized for a matching ETag
    with django_assert_num_queries(1):
        response = api.get(FIGURES_URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 304


def test_figures_key_is_checked_against_the_catalog(
    api, figures, django_assert_num_queries
):
    url = f"{FIGURES_URL}?scope=service&key=pothole"
    etag = api.get(url)["ETag"]
    # the service's codes, version
    with django_assert_num_queries(2):
        assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
