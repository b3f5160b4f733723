from django.urls import reverse

import pytest

from medborg.accounts.tests.factories import UserFactory
from medborg.catalog.models import Question
from medborg.catalog.tests.factories import ServiceFactory


@pytest.fixture
def services(db):
    lamp = ServiceFactory(
        name_sv="Gatlampa ur funktion",
        name_en="Street light out",
        name_da="Gadelampe i stykker",
        keywords_sv="lykta, mörkt",
    )
    hole = ServiceFactory(name_sv="Pothål", name_en="Pothole", name_da="Hul i vejen")
    closed = ServiceFactory(name_sv="Stängd tjänst", is_active=False)
    return lamp, hole, closed


def test_catalog_lists_open_services_by_category(
    client, services, django_assert_num_queries
):
    lamp, hole, closed = services
    with django_assert_num_queries(2):
        response = client.get(reverse("catalog:index"))
    html = response.content.decode()
    assert "Street light out" in html
    assert "Pothole" in html
    assert "Stängd tjänst" not in html


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("lamp", ["Street light out"]),
        ("mörkt", ["Street light out"]),
        ("vejen", ["Pothole"]),
        ("zebra", []),
    ],
)
def test_search_matches_any_language(client, services, query, found):
    response = client.get(reverse("catalog:index"), {"q": query})
    names = [s.name for c in response.context["categories"] for s in c.services.all()]
    assert names == found


def test_question_bounds_are_checked():
    question = Question(kind=Question.Kind.NUMBER, min_value=10, max_value=1)
    with pytest.raises(Exception, match="below the smallest"):
        question.clean()
    question = Question(kind=Question.Kind.TEXT, min_value=1)
    with pytest.raises(Exception, match="Only number questions"):
        question.clean()


def admin_client(client):
    user = UserFactory(role="serviceadmin", is_staff=True)
    client.force_login(user, backend="medborg.accounts.backends.StaffBackend")
    return client


def service_form(service, questions):
    data = {
        "name_sv": "Tjänst",
        "name_da": "x",
        "name_en": "x",
        "slug": service.slug,
        "code": service.code,
        "category": service.category_id,
        "kind": service.kind,
        "is_active": "on",
        "short_description_sv": "x",
        "short_description_da": "x",
        "short_description_en": "x",
        "team": service.team_id,
        "process": service.process_id,
        "deadline_days": 10,
        "location": "required",
        "publicity": "area",
        "max_photos": 3,
        "max_photo_mb": 5,
        "position": 0,
        "automation": "off",
        "appeal_days": 21,
        "questions-TOTAL_FORMS": len(questions),
        "questions-INITIAL_FORMS": 0,
        "questions-MIN_NUM_FORMS": 0,
        "questions-MAX_NUM_FORMS": 1000,
    }
    for n, (key, kind) in enumerate(questions):
        data.update(
            {
                f"questions-{n}-key": key,
                f"questions-{n}-position": n,
                f"questions-{n}-kind": kind,
                f"questions-{n}-required": "on",
                f"questions-{n}-label_sv": "Fråga",
                f"questions-{n}-label_da": "Spørgsmål",
                f"questions-{n}-label_en": "Question",
            }
        )
    return data


def test_admin_refuses_duplicate_question_keys(client, db):
    service = ServiceFactory()
    url = reverse("admin:catalog_service_change", args=[service.pk])
    response = admin_client(client).post(
        url, service_form(service, [("size", "text"), ("size", "number")])
    )
    assert response.status_code == 200
    assert "Please correct the duplicate data for key" in response.content.decode()
    assert service.questions.count() == 0


def test_admin_refuses_an_open_service_with_a_choice_question_without_choices(
    client, db
):
    service = ServiceFactory()
    url = reverse("admin:catalog_service_change", args=[service.pk])
    response = admin_client(client).post(
        url, service_form(service, [("kind", "choice")])
    )
    assert response.status_code == 200
    assert "needs at least two choices" in response.content.decode()


def test_admin_saves_a_valid_question_list(client, db):
    service = ServiceFactory()
    url = reverse("admin:catalog_service_change", args=[service.pk])
    response = admin_client(client).post(
        url, service_form(service, [("what", "text"), ("count", "number")])
    )
    assert response.status_code == 302
    assert list(service.questions.values_list("key", flat=True)) == ["what", "count"]


def test_caseworker_cannot_edit_services(client, db):
    service = ServiceFactory()
    user = UserFactory(role="caseworker", is_staff=True)
    client.force_login(user, backend="medborg.accounts.backends.StaffBackend")
    url = reverse("admin:catalog_service_change", args=[service.pk])
    assert client.get(url).status_code == 403
