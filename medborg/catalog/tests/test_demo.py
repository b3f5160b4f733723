from django.core.management import call_command
from django.urls import reverse

import pytest

from medborg.accounts.models import User
from medborg.accounts.roles import Role
from medborg.cases.models import Case
from medborg.catalog.models import Question, Service

REQUIRED_SLUGS = {
    "street-light-out",
    "pothole",
    "overfull-bin",
    "graffiti",
    "fallen-tree",
    "snow-and-ice",
    "broken-playground-equipment",
    "disabled-parking-permit",
    "outdoor-seating-permit",
    "bulky-waste-collection",
}


@pytest.fixture
def demo(db, capsys):
    call_command("load_demo")
    return capsys.readouterr().out


def test_demo_has_the_promised_services_users_and_cases(demo):
    assert set(Service.objects.values_list("slug", flat=True)) >= REQUIRED_SLUGS
    assert set(
        User.objects.filter(is_demo=True).values_list("username", flat=True)
    ) == {role.value for role in Role}
    assert Case.objects.count() == 4
    assert "medborg-demo" in demo
    assert "/track/" in demo


def test_demo_loads_only_into_an_empty_catalog(demo, capsys):
    count = Service.objects.count()
    call_command("load_demo")
    assert "left as it is" in capsys.readouterr().out
    assert Service.objects.count() == count


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_every_demo_text_exists_in_every_language(demo, language):
    for service in Service.objects.all():
        for field in ("name", "short_description", "legal_basis", "keywords"):
            assert getattr(service, f"{field}_{language}"), (service.slug, field)
        for question in service.questions.all():
            assert getattr(question, f"label_{language}"), question.key
            for choice in question.choices.all():
                assert getattr(choice, f"label_{language}"), choice.value


def test_every_kind_of_question_is_used(demo):
    assert set(Question.objects.values_list("kind", flat=True)) == set(Question.Kind)


def test_every_demo_form_renders(demo, client):
    for slug in Service.objects.values_list("slug", flat=True):
        response = client.get(reverse("cases:new", kwargs={"slug": slug}))
        assert response.status_code == 200, slug


def sign_in(client):
    return client.post(
        reverse("staff:login"),
        {"username": "caseworker", "password": "medborg-demo"},
    )


def test_demo_users_cannot_sign_in_in_production(demo, client, settings):
    assert sign_in(client)["Location"] == reverse("staff:inbox")
    client.post(reverse("staff:logout"))
    settings.PRODUCTION = True
    response = sign_in(client)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
