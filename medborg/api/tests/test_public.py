import re

import pytest

from medborg.api.tests.conftest import auth, submit
from medborg.cases import services
from medborg.cases.models import Attachment, CaseEvent
from medborg.catalog.tests.factories import ServiceFactory


def test_services_list_shows_active_services_with_questions(api, service):
    ServiceFactory(code="closed-service", is_active=False)
    response = api.get("/api/v1/services/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    pothole = body["results"][0]
    assert pothole["code"] == "pothole"
    assert pothole["location"] == "required"
    assert pothole["max_photos"] == 3
    assert pothole["publicity"] == "hidden"
    assert [q["key"] for q in pothole["questions"]] == ["size", "depth", "danger"]
    assert pothole["questions"][0]["choices"] == [
        {"value": "small", "label": "Small"},
        {"value": "large", "label": "Large"},
    ]
    depth = pothole["questions"][1]
    assert (depth["kind"], depth["min_value"], depth["max_value"]) == (
        "number",
        0,
        100,
    )


def test_service_detail_and_unknown_code(api, service):
    assert api.get("/api/v1/services/pothole/").json()["name"] == "Pothole"
    response = api.get("/api/v1/services/nothing-here/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_services_list_costs_the_same_queries_for_more_services(
    api, service, django_assert_num_queries
):
    for _ in range(5):
        ServiceFactory()
    # count, services, questions, choices
    with django_assert_num_queries(4):
        assert api.get("/api/v1/services/").json()["count"] == 6


def test_public_cases_show_no_personal_data(api, public_service):
    case = submit(public_service, description="My neighbour Bo's car")
    response = api.get("/api/v1/cases/")
    assert response.status_code == 200
    text = response.content.decode()
    for private in ("anna@example.se", "neighbour", "large", "answers", "token"):
        assert private not in text
    item = response.json()["results"][0]
    assert item["reference"] == case.reference
    assert item["status"] == "open"
    assert item["address"] == "Storgatan 1"
    assert item["description"] == ""
    assert item["media_url"] == ""


def test_area_services_round_the_place_and_hide_the_address(api, service):
    service.publicity = "area"
    service.save()
    submit(service, latitude=56.87771, longitude=14.80912)
    item = api.get("/api/v1/cases/").json()["results"][0]
    assert (item["latitude"], item["longitude"], item["address"]) == (
        56.878,
        14.809,
        "",
    )


def test_hidden_services_cases_are_absent(api, service):
    case = submit(service)
    assert api.get("/api/v1/cases/").json()["count"] == 0
    assert api.get(f"/api/v1/cases/{case.reference}/").status_code == 404


def test_public_case_detail_shows_published_messages_only(
    api, public_service, caseworker
):
    case = submit(public_service)
    services.add_note(case=case, text="Internal remark", by=caseworker)
    step = case.process.steps.get(key="in-progress")
    services.move_case_to_step(
        case=case, step=step, public_message="Unpublished text", by=caseworker
    )
    response = api.get(f"/api/v1/cases/{case.reference}/")
    assert response.status_code == 200
    body = response.json()
    assert [(e["kind"], e["step_name"], e["message"]) for e in body["timeline"]] == [
        ("case.submitted", "", ""),
        ("case.moved", "In progress", ""),
    ]
    assert "Internal remark" not in response.content.decode()
    assert "Unpublished text" not in response.content.decode()


def test_published_photo_is_linked(api, public_service):
    case = submit(public_service)
    photo = Attachment.objects.create(
        case=case, width=1, height=1, size=1, is_public=True, image="x.jpg"
    )
    item = api.get("/api/v1/cases/").json()["results"][0]
    assert item["media_url"] == f"https://medborg.example.se/photos/{photo.pk}.jpg"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 3),
        ("?status=open", 2),
        ("?status=closed", 1),
        ("?service=pothole", 3),
        ("?service=other", 0),
        ("?submitted_after=2999-01-01T00:00:00Z", 0),
        ("?submitted_before=2999-01-01T00:00:00Z", 3),
    ],
)
def test_public_cases_filters(api, public_service, caseworker, query, expected):
    submit(public_service)
    submit(public_service)
    closed = submit(public_service)
    step = closed.process.steps.get(key="closed")
    services.move_case_to_step(case=closed, step=step, by=caseworker)
    assert api.get(f"/api/v1/cases/{query}").json()["count"] == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?status=pending", "status"),
        ("?submitted_after=yesterday", "submitted_after"),
        ("?service=%00", "service"),
        ("?page=abc", "page"),
        ("?page=0", "page"),
    ],
)
def test_public_cases_bad_filters_are_400(api, public_service, query, field):
    response = api.get(f"/api/v1/cases/{query}")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {field}


def test_page_past_the_end_is_404(api, public_service):
    submit(public_service)
    assert api.get("/api/v1/cases/?page=2").status_code == 404


def test_public_cases_pages_are_stable_newest_first(api, public_service):
    cases = [submit(public_service) for _ in range(5)]
    seen = []
    for page in (1, 2, 3):
        body = api.get(f"/api/v1/cases/?page_size=2&page={page}").json()
        seen += [item["reference"] for item in body["results"]]
    assert seen == [case.reference for case in reversed(cases)]


def test_public_cases_list_costs_the_same_queries_for_more_cases(
    api, public_service, django_assert_num_queries
):
    for _ in range(5):
        submit(public_service)
    # count, the page with its relations and annotations
    with django_assert_num_queries(2):
        assert api.get("/api/v1/cases/").json()["count"] == 5


@pytest.mark.parametrize(
    "url", ["/api/v1/services/", "/api/v1/cases/", "/api/v1/schema/"]
)
def test_etag_answers_304_when_unchanged(api, public_service, url):
    submit(public_service)
    first = api.get(url)
    etag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert api.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_etag_changes_when_the_case_changes(api, public_service, caseworker):
    case = submit(public_service)
    url = f"/api/v1/cases/{case.reference}/"
    etag = api.get(url)["ETag"]
    step = case.process.steps.get(key="in-progress")
    services.move_case_to_step(case=case, step=step, by=caseworker)
    response = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_public_endpoints_refuse_an_unknown_key(api, service):
    response = api.get("/api/v1/services/", **auth("mb_wrong"))
    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {
                "field": None,
                "code": "authentication_failed",
                "message": response.json()["errors"][0]["message"],
            }
        ]
    }


def test_public_endpoints_refuse_writes(api, service):
    response = api.post("/api/v1/services/", {}, format="json")
    assert response.status_code == 405
    assert CaseEvent.objects.count() == 0


@pytest.mark.parametrize(
    "url", ["/api/v1/nothing/", "/api/v1/cases/%00/", "/api/v1/cases/a%2Fb/"]
)
def test_unknown_addresses_are_json_404s(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_docs_page_loads_its_scripts_from_the_site_only(api):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(asset.startswith("/") and "//" not in asset for asset in assets)
    assert scripts == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "/api/v1/docs/?script=",
    ]
    # script-src 'self' allows no inline script: the set-up is a file too.
    assert len(re.findall(r"<script", html)) == len(scripts)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    init = api.get(scripts[-1])
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in init.content.decode()


def test_schema_is_openapi_3(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/work/cases/{reference}/move/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
